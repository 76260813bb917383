// benchmarks/scheduler_savings.cpp — what early stopping saves on a real training loop.
//
// The quick-start digits network (examples/digits.hpp) trained epoch by epoch,
// validation accuracy reported after every epoch, random search over six
// hyperparameters. For each seed:
//   - no stopping, median, ASHA and Hyperband: N trials of up to E epochs;
//     total epochs trained and the best validation accuracy of a COMPLETE trial;
//   - PBT against a fixed-learning-rate random search of equal compute: P
//     members (or P trials) of E epochs each; best final validation accuracy.
// Prints one JSON line per (method, seed), then a Markdown table of medians.
//
//   scheduler_savings [--seeds 5] [--trials 60] [--epochs 30] [--population 16]
//                     [--jobs 2] [--asha-min-resource 3] [--reduction-factor 3]
//                     [--methods none,median,asha,hyperband,random_fixed_lr,pbt] [--data-dir DIR]
#include <tunekit/tunekit.hpp>

#include "../examples/digits.hpp"
#include "digits_trial.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace {

struct settings {
  int seeds = 5, trials = 60, epochs = 30, population = 16, jobs = 2;
  int asha_min_resource = 3, reduction_factor = 3;
  std::string methods = "none,median,asha,hyperband,random_fixed_lr,pbt";
  std::filesystem::path data_dir = TUNEKIT_EXAMPLES_DATA_DIR;
};

struct outcome {
  long epochs = 0;
  double best = 0;
  double seconds = 0;
  long pruned = 0;
};


template <class Scheduler>
outcome run_early_stopping(Scheduler scheduler, const settings& s, const digits::split_data& split,
                           std::uint64_t seed, const std::string& name) {
  tunekit::tuner tuner{std::move(scheduler), tunekit::random_sampler{{.seed = seed}},
                       tunekit::study_config{.name = name, .directions = {tunekit::direction::maximize}}};
  std::atomic<long> epochs{0};
  const auto start = std::chrono::steady_clock::now();
  const auto summary = tuner.optimize(
      [&](tunekit::trial& t) -> tunekit::result {
        digits::model m(digits::suggest_mlp_config(t, s.epochs), split.train);
        double accuracy = 0;
        for (int epoch = 1; epoch <= s.epochs; ++epoch) {
          m.train_epoch(split.train);
          ++epochs;
          accuracy = m.accuracy_on(split.validation);
          t.report(epoch, accuracy);
          if (t.should_prune()) return tunekit::pruned;
        }
        return accuracy;
      },
      {.n_trials = s.trials, .n_jobs = s.jobs});
  return {epochs.load(), tuner.best_value(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), summary.n_pruned};
}

/// PBT: learning rate and l2 are explored; the architecture is inherited with the weights.
outcome run_pbt(const settings& s, const digits::split_data& split, std::uint64_t seed) {
  tunekit::pbt_scheduler pbt({.population_size = s.population,
                              .perturbation_interval = 3,
                              .quantile_fraction = 0.25,
                              .resample_probability = 0.25,
                              .mutable_params = {"learning_rate", "l2"},
                              .max_step = s.epochs,
                              .seed = seed});
  tunekit::tuner tuner{pbt, pbt.sampler(tunekit::random_sampler{{.seed = seed}}),
                       tunekit::study_config{.name = "pbt", .directions = {tunekit::direction::maximize}}};
  std::atomic<long> epochs{0};
  const auto start = std::chrono::steady_clock::now();
  tuner.optimize(
      [&](tunekit::trial& t) -> tunekit::result {
        const digits::mlp_config c = digits::suggest_mlp_config(t, s.epochs);
        auto from = pbt.restore<digits::model>(t);
        digits::model m = from ? *from->state : digits::model(c, split.train);
        m.config().learning_rate = c.learning_rate;  // the explored values apply from here on
        m.config().l2 = c.l2;
        double accuracy = 0;
        for (int epoch = (from ? static_cast<int>(from->step) : 0) + 1; epoch <= s.epochs; ++epoch) {
          m.train_epoch(split.train);
          ++epochs;
          accuracy = m.accuracy_on(split.validation);
          t.report(epoch, accuracy);
          if (t.should_prune()) {
            pbt.save(t, std::move(m));
            return tunekit::pruned;
          }
        }
        return accuracy;
      },
      {.n_trials = 100000, .n_jobs = s.jobs});
  return {epochs.load(), tuner.best_value(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--seeds") s.seeds = std::atoi(value);
    else if (key == "--trials") s.trials = std::atoi(value);
    else if (key == "--epochs") s.epochs = std::atoi(value);
    else if (key == "--population") s.population = std::atoi(value);
    else if (key == "--jobs") s.jobs = std::atoi(value);
    else if (key == "--data-dir") s.data_dir = value;
    else if (key == "--asha-min-resource") s.asha_min_resource = std::atoi(value);
    else if (key == "--reduction-factor") s.reduction_factor = std::atoi(value);
    else if (key == "--methods") s.methods = value;
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  const auto data = digits::load_digits(s.data_dir / "digits.csv.gz");
  const auto split = digits::stratified_split(data, 0.2, 0);

  std::map<std::string, std::vector<outcome>> results;
  auto wanted = [&](const std::string& method) { return ("," + s.methods + ",").find("," + method + ",") != std::string::npos; };
  auto record = [&](const std::string& method, int seed, const outcome& o) {
    results[method].push_back(o);
    std::printf(
        "{\"method\": \"%s\", \"seed\": %d, \"epochs\": %ld, \"best_accuracy\": %.4f, \"pruned\": %ld, "
        "\"wall_s\": %.2f}\n",
        method.c_str(), seed, o.epochs, o.best, o.pruned, o.seconds);
    std::fflush(stdout);
  };
  const auto E = static_cast<std::int64_t>(s.epochs);
  for (int seed = 0; seed < s.seeds; ++seed) {
    const auto u = static_cast<std::uint64_t>(seed);
    if (wanted("none")) record("none", seed, run_early_stopping(tunekit::nop_scheduler{}, s, split, u, "none"));
    if (wanted("median"))
      record("median", seed,
             run_early_stopping(tunekit::median_scheduler({.n_startup_trials = 5, .n_warmup_steps = 2}), s, split, u,
                                "median"));
    if (wanted("asha"))
      record("asha", seed,
             run_early_stopping(tunekit::asha_scheduler({.min_resource = s.asha_min_resource,
                                                         .reduction_factor = s.reduction_factor}),
                                s, split, u, "asha"));
    if (wanted("hyperband"))
      record("hyperband", seed,
             run_early_stopping(tunekit::hyperband_scheduler({.min_resource = 1,
                                                              .max_resource = E,
                                                              .reduction_factor = s.reduction_factor}),
                                s, split, u, "hyperband"));
    settings equal = s;
    equal.trials = s.population;  // P trials of E epochs: the compute of a population of P
    if (wanted("random_fixed_lr"))
      record("random_fixed_lr", seed, run_early_stopping(tunekit::nop_scheduler{}, equal, split, u, "random"));
    if (wanted("pbt")) record("pbt", seed, run_pbt(s, split, u));
  }

  std::printf("\n| method | trials | median epochs trained | %% of no stopping | median best accuracy | "
              "vs no stopping (pp) | median wall s |\n|---|---|---|---|---|---|---|\n");
  auto row = [&](const std::string& method, const std::string& label, int trials, const std::string& reference) {
    if (results[method].empty() || results[reference].empty()) return;
    std::vector<double> epochs, best, wall, ref_epochs, ref_best;
    for (const auto& o : results[method]) {
      epochs.push_back(static_cast<double>(o.epochs));
      best.push_back(o.best);
      wall.push_back(o.seconds);
    }
    for (const auto& o : results[reference]) {
      ref_epochs.push_back(static_cast<double>(o.epochs));
      ref_best.push_back(o.best);
    }
    std::printf("| %s | %d | %.0f | %.1f %% | %.2f %% | %+.2f | %.1f |\n", label.c_str(), trials, median(epochs),
                100 * median(epochs) / median(ref_epochs), 100 * median(best), 100 * (median(best) - median(ref_best)),
                median(wall));
  };
  row("none", "no stopping", s.trials, "none");
  row("median", "median", s.trials, "none");
  row("asha", "ASHA", s.trials, "none");
  row("hyperband", "Hyperband", s.trials, "none");
  row("random_fixed_lr", "random search, fixed lr", s.population, "random_fixed_lr");
  row("pbt", "PBT", s.population, "random_fixed_lr");
  return 0;
}
