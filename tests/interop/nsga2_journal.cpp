// Helper of optuna_nsga2_interop.py: runs tunekit's NSGA-II on a journal
// study ("mo", two objectives, x and y in [0, 1], population 10) for n
// trials, continuing whatever the journal already holds (possibly trials
// Optuna's NSGAIISampler wrote), and prints each trial's generation as a
// JSON line {"number": n, "generation": g}.
//
//   nsga2_journal <journal file> <n trials>
#include <tunekit/samplers/nsga2.hpp>
#include <tunekit/tunekit.hpp>

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: nsga2_journal <journal file> <n trials>\n";
    return 2;
  }
  const std::vector<tunekit::direction> dirs(2, tunekit::direction::minimize);
  tunekit::tuner tuner{tunekit::nsga2_sampler{{.population_size = 10, .seed = 1}}, tunekit::journal_storage(argv[1]),
                       tunekit::study_config{.name = "mo", .directions = dirs}};
  tuner.optimize([](tunekit::trial& t) {
    const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
    const double g = 1 + y;
    return std::vector<double>{x, g * (1 - std::sqrt(x / g))};
  }, {.n_trials = std::stoll(argv[2])});
  for (const auto& t : tuner.trials()) {
    auto g = t.system_attrs.find("nsga2:generation");
    std::cout << "{\"number\": " << t.number << ", \"generation\": " << (g == t.system_attrs.end() ? -1 : g->second.get<long>())
              << "}\n";
  }
}
