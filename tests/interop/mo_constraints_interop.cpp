// Helper of optuna_constraints_interop.py: a constrained two-objective study
// ("mc": minimise f0, maximise f1; x and y in [0, 1]) on a journal file or a
// storage URL (sqlite:///x.db), shared with Optuna 3.1.
//
//   mo_constraints_interop <journal file | URL> run <n>   runs n NSGA-II trials, then prints
//   mo_constraints_interop <journal file | URL> show      prints without running
//
// Prints one JSON line: {"best": [numbers of tuner.best_trials()],
// "feasible": [numbers of the feasible COMPLETE trials]}.
#include <tunekit/samplers/nsga2.hpp>
#include <tunekit/storage/url.hpp>
#include <tunekit/tunekit.hpp>

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

namespace tk = tunekit;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: mo_constraints_interop <journal file | URL> run <n> | show\n";
    return 2;
  }
  const std::string where = argv[1], mode = argv[2];
  tk::any_storage storage = where.find(':') != std::string::npos ? tk::open_storage(where)
                                                                  : tk::any_storage(tk::journal_storage(where));
  tk::tuner tuner{tk::nsga2_sampler{{.population_size = 10, .seed = 3}}, storage,
                  tk::study_config{.name = "mc", .directions = {tk::direction::minimize, tk::direction::maximize}}};
  if (mode == "run") {
    tuner.optimize([](tk::trial& t) {
      const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
      // The second constraint is unknown (NaN) for x > 0.95: infeasible.
      t.set_constraints({x + y - 1.2, x > 0.95 ? std::nan("") : -x});
      const double g = 1 + y;
      return std::vector<double>{x, -g * (1 - std::sqrt(x / g))};
    }, {.n_trials = std::stoll(argv[3])});
  }
  std::string best, feasible;
  for (const auto& t : tuner.best_trials()) best += (best.empty() ? "" : ", ") + std::to_string(t.number);
  for (const auto& t : tuner.trials())
    if (t.state == tk::trial_state::complete && tk::is_feasible(t))
      feasible += (feasible.empty() ? "" : ", ") + std::to_string(t.number);
  std::cout << "{\"best\": [" << best << "], \"feasible\": [" << feasible << "]}\n";
}
