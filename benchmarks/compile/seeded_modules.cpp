// Seeded studies of the modules the compile-cost work of 2026-12-07 touched
// (NSGA-II, grid, the schedulers, the deploy export), printed trial by trial.
// Not a CMake target: build it against two checkouts and cmp the outputs
// (benchmarks/RESULTS.md, "Compile cost: NSGA-II, grid, mo/ and deploy").
#include <tunekit/tunekit.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

namespace tk = tunekit;

template <class Storage>
void print_trials(const char* label, const Storage& storage, tk::study_id study) {
  for (const auto& t : storage.trials(study)) {
    std::printf("%s #%lld %s", label, static_cast<long long>(t.number), std::string(tk::to_string(t.state)).c_str());
    for (const auto& [name, value] : t.params) std::printf(" %s=%.17g", std::string(name).c_str(), value);
    for (double v : t.values) std::printf(" -> %.17g", v);
    for (const auto& [step, v] : t.intermediate_values) std::printf(" [%lld]%.17g", static_cast<long long>(step), v);
    for (const auto& [k, v] : t.system_attrs) std::printf(" %s:%s", std::string(k).c_str(), v.dump().c_str());
    for (const auto& [k, v] : t.user_attrs) std::printf(" u.%s:%s", std::string(k).c_str(), v.dump().c_str());
    std::printf("\n");
  }
}

tk::result staged(tk::trial& t) {
  const double x = t.suggest_float("x", -5.0, 5.0);
  const double lr = t.suggest_float("lr", 1e-4, 1e-1, {.log = true});
  const std::string kind = t.suggest_categorical("kind", {"a", "b", "c"});
  double loss = (x - 1.5) * (x - 1.5) + std::pow(std::log10(lr) + 2, 2) + (kind == "a" ? 0.3 : 0.0);
  for (int step = 1; step <= 27; ++step) {
    t.report(step, loss * (1.0 + 3.0 / step));
    if (t.should_prune()) return tk::pruned;
  }
  return loss;
}

template <class Sampler, class Scheduler>
void run_sched(const char* label, Sampler sampler, Scheduler sched, int n) {
  tk::memory_storage storage;
  tk::tuner tuner{std::move(sampler), std::move(sched), storage, tk::study_config{.name = label}};
  tuner.optimize(staged, {.n_trials = n});
  print_trials(label, storage, *storage.find_study(label));
}

int main() {
  const std::vector<tk::direction> two_min{tk::direction::minimize, tk::direction::minimize};
  for (auto cross : {tk::nsga2_crossover::uniform, tk::nsga2_crossover::sbx, tk::nsga2_crossover::blx_alpha}) {
    tk::memory_storage storage;
    tk::tuner tuner{tk::nsga2_sampler{{.population_size = 8, .crossover = cross, .seed = 3,
                                       .constraints_func = [](const tk::frozen_trial& t) {
                                         return std::vector<double>{t.params.at("x") - 0.8};
                                       }}},
                    tk::nop_scheduler{}, storage, tk::study_config{.name = "nsga2", .directions = two_min}};
    tuner.optimize([](tk::trial& t) -> tk::result {
      const double x = t.suggest_float("x", 0.0, 1.0), y = t.suggest_float("y", 0.0, 1.0);
      const auto k = t.suggest_int("k", 1, 5);
      const std::string c = t.suggest_categorical("c", {"p", "q"});
      return std::vector<double>{x + 0.01 * k, 1 - std::sqrt(x) + y + (c == "p" ? 0.1 : 0.0)};
    }, {.n_trials = 48});
    print_trials("nsga2", storage, *storage.find_study("nsga2"));
    const auto doc = tk::deploy::best_config_json(storage, "nsga2", {.exported_at = std::chrono::system_clock::time_point(std::chrono::seconds(1796169600))});
    std::printf("%s\n", doc.dump().c_str());
  }
  {
    tk::memory_storage storage;
    tk::tuner tuner{tk::grid_sampler{{.values = {{"x", {0.5, 1.5, 2.5, 3.5}}, {"kind", {"a", "b", "c"}}}, .seed = 5}},
                    tk::nop_scheduler{}, storage, tk::study_config{.name = "grid"}};
    tuner.optimize([](tk::trial& t) -> tk::result {
      const double x = t.suggest_float("x", 0.0, 5.0);
      const std::string k = t.suggest_categorical("kind", {"a", "b", "c"});
      return x * (k == "b" ? 2.0 : 1.0);
    }, {.n_trials = 12});
    print_trials("grid", storage, *storage.find_study("grid"));
  }
  run_sched("median", tk::random_sampler{{.seed = 1}}, tk::median_scheduler{{.n_startup_trials = 4}}, 30);
  run_sched("asha", tk::tpe_sampler{{.seed = 2}}, tk::successive_halving_scheduler{{.min_resource = 1, .reduction_factor = 3}}, 30);
  run_sched("hyperband", tk::random_sampler{{.seed = 3}}, tk::hyperband_scheduler{{.min_resource = 1, .max_resource = 27, .reduction_factor = 3}}, 30);
  run_sched("percentile", tk::random_sampler{{.seed = 4}}, tk::percentile_scheduler{{.percentile = 40, .n_startup_trials = 3}}, 30);
  run_sched("threshold", tk::random_sampler{{.seed = 5}}, tk::threshold_scheduler{{.upper = 20.0}}, 20);
  run_sched("patient", tk::random_sampler{{.seed = 6}}, tk::patient_scheduler{tk::median_scheduler{{.n_startup_trials = 3}}, {.patience = 2}}, 20);
  run_sched("bohb", tk::bohb_sampler{{.min_resource = 1, .max_resource = 27, .reduction_factor = 3, .seed = 7}}, tk::bohb_scheduler{{.min_resource = 1, .max_resource = 27, .reduction_factor = 3}}, 40);
  run_sched("dehb", tk::dehb_sampler{{.min_resource = 1, .max_resource = 27, .reduction_factor = 3, .seed = 8}}, tk::bohb_scheduler{{.min_resource = 1, .max_resource = 27, .reduction_factor = 3}}, 40);
  {
    tk::pbt_scheduler pbt({.population_size = 4, .perturbation_interval = 2, .quantile_fraction = 0.5,
                           .resample_probability = 0.3, .max_step = 8, .seed = 3});
    tk::memory_storage storage;
    tk::tuner tuner{pbt, pbt.sampler(tk::random_sampler{{.seed = 2}}), storage, tk::study_config{.name = "pbt"}};
    tuner.optimize([&](tk::trial& t) -> tk::result {
      const double lr = t.suggest_float("lr", 1e-3, 1.0, {.log = true});
      const auto units = t.suggest_int("units", 1, 9, {.step = 2});
      auto from = pbt.restore<double>(t);
      double x = from ? *from->state : 0;
      std::int64_t step = from ? from->step : 0;
      while (step < 8) {
        ++step;
        x += lr * static_cast<double>(units);
        t.report(step, x);
        if (t.should_prune()) { pbt.save(t, x); return tk::pruned; }
      }
      return x;
    }, {.n_trials = 40});
    print_trials("pbt", storage, *storage.find_study("pbt"));
  }
}
