// The same seeded studies, printed trial by trial, in whichever mode this
// file is compiled: header-only (tunekit::tunekit) or compiled mode
// (tunekit::compiled). tests/compiled/compare_modes.cmake runs both builds and
// requires identical output, so the compiled library is the same code.
//
// It covers what the library holds: TPE (univariate, multivariate with
// groups, with pruned trials), GP, CMA-ES, the automatic sampler (GP then
// TPE on the conditional objective; GP then CMA-ES on a numeric one), the
// memory storage and the journal storage (written, then read back by a second
// storage object).
#include <tunekit/tunekit.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

namespace {

tunekit::result objective(tunekit::trial& t) {
  const double x = t.suggest_float("x", -5.0, 5.0);
  const double lr = t.suggest_float("lr", 1e-4, 1e-1, {.log = true});
  const auto depth = t.suggest_int("depth", 1, 8);
  const std::string kind = t.suggest_categorical("kind", {"a", "b", "c"});
  const double y = kind == "b" ? t.suggest_float("y", 0.0, 1.0, {.step = 0.125}) : 0.5;
  double loss = (x - 1.5) * (x - 1.5) + std::pow(std::log10(lr) + 2, 2) + 0.1 * static_cast<double>(depth) +
                (kind == "a" ? 0.3 : 0.0) + y;
  for (int step = 0; step < 4; ++step) {
    t.report(step, loss * (1.0 + 1.0 / (step + 1)));
    if (t.should_prune()) return tunekit::pruned;
  }
  return loss;
}

template <class Storage>
void print_trials(const char* label, const Storage& storage, tunekit::study_id study) {
  for (const auto& t : storage.trials(study)) {
    std::printf("%s #%lld %s", label, static_cast<long long>(t.number), std::string(tunekit::to_string(t.state)).c_str());
    for (const auto& [name, value] : t.params) std::printf(" %s=%.17g", std::string(name).c_str(), value);
    for (double v : t.values) std::printf(" -> %.17g", v);
    for (const auto& [step, v] : t.intermediate_values) std::printf(" [%lld]%.17g", static_cast<long long>(step), v);
    std::printf("\n");
  }
}

tunekit::result numeric(tunekit::trial& t) {
  const double x = t.suggest_float("x", -5.0, 5.0), z = t.suggest_float("z", -5.0, 5.0);
  return (x - 1.5) * (x - 1.5) + (z + 1) * (z + 1) + 0.1 * static_cast<double>(t.suggest_int("depth", 1, 8));
}

template <class Sampler, class Storage>
void run(const char* label, Sampler sampler, Storage storage, int n_trials,
         tunekit::result (*f)(tunekit::trial&) = objective) {
  tunekit::tuner tuner{std::move(sampler), tunekit::median_scheduler{{.n_startup_trials = 5}}, storage,
                       tunekit::study_config{.name = label}};
  tuner.optimize(f, {.n_trials = n_trials});
  print_trials(label, storage, *storage.find_study(label));
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : ".";
  run("tpe", tunekit::tpe_sampler{{.seed = 7}}, tunekit::memory_storage{}, 60);
  run("tpe-multivariate", tunekit::tpe_sampler{{.multivariate = true, .group = true, .seed = 8}},
      tunekit::memory_storage{}, 60);
  run("gp", tunekit::gp_sampler{{.n_candidates = 256, .seed = 9}}, tunekit::memory_storage{}, 25);
  run("cmaes", tunekit::cmaes_sampler{{.seed = 11, .population_size = 6}}, tunekit::memory_storage{}, 60);
  run("auto", tunekit::auto_sampler{{.seed = 12}}, tunekit::memory_storage{}, 25);
  run("auto-numeric", tunekit::auto_sampler{{.seed = 13, .gp_max_trials = 12}}, tunekit::memory_storage{}, 30, numeric);

  const auto journal = dir / "seeded_studies.journal";
  std::filesystem::remove(journal);
  run("tpe-journal", tunekit::tpe_sampler{{.seed = 10}}, tunekit::journal_storage{journal}, 40);
  const tunekit::journal_storage reread{journal};
  print_trials("tpe-journal-reread", reread, *reread.find_study("tpe-journal"));
  std::filesystem::remove(journal);
}
