// benchmarks/bohb_bench.cpp — budget-aware multi-fidelity search (issue 19).
//
// The multi-fidelity Branin and Hartmann-6 of Kandasamy et al. 2017
// (multi_fidelity.hpp), trained step by step: a trial reports
// f(x, z = step / max_steps) after each step, and its cost is the number of
// steps it trains. The real tasks (real_tasks.hpp, built when tunekit::xgboost
// and zlib are): xgboost_digits and xgboost_breast_cancer (one boosting round
// per step, validation log-loss) and digits_net (one epoch per step,
// validation cross-entropy); their "regret" is the loss itself (minimum 0). Each method runs until it has spent the compute of TPE
// without early stopping (`--full-trials` trials of max_steps steps). For
// each (method, function, seed) one JSON line: the best full-fidelity
// regret (of trials that trained all max_steps) as a function of the steps
// spent, as [[steps, regret], ...] at each improvement; `bohb_compare.py`
// turns the lines into the tables of RESULTS.md.
//
// Methods: tpe_full (tunekit TPE, no early stopping), asha_random, asha_tpe,
// hyperband_tpe, bohb (bohb_sampler + bohb_scheduler), bohb_tpe (TPE under
// BOHB's budget rule as published, budget_aware_sampler with
// min_rank_agreement unset, + bohb_scheduler), dehb
// (dehb_sampler + bohb_scheduler); not by
// default: bohb_tpe_rank (budget_aware_sampler with its defaults, the rank
// check), bohb_gp / bohb_gp_rank (the same with gp_sampler), asha_gp and
// gp_full (gp_sampler with ASHA, and without early stopping), bohb_tpe@A / asha_budget_tpe@A (min_rank_agreement = A, under
// bohb_scheduler / ASHA), asha_tpe_agree@A / asha_random_agree@A (TPE or random with ASHA given
// min_rank_agreement = A; asha_tpe_agree@AnN also min_agreement_trials = N), asha_bohb and asha_budget_tpe (the two models with ASHA alone),
// hyperband_random (random_sampler + bohb_scheduler: the brackets alone), and
// random_full, bohb_full, bohb_full_rf0 (random search and bohb_sampler with
// its defaults or random_fraction = 0, without early stopping). Held-back
// functions, not run by default: branin_slow, hartmann6_noisy,
// hartmann3_distracted, hartmann6_misleading (multi_fidelity.hpp). ASHA and Hyperband
// with min_resource 1 and η = 3. The peer (Optuna 3.1 TPESampler +
// HyperbandPruner) is peers/optuna_bohb_bench.py, same format.
//
//   bohb_bench [--seeds 10] [--first-seed 0] [--max-steps 81] [--full-trials 100]
//              [--functions branin_mf,hartmann6_mf] [--methods tpe_full,asha_random,asha_tpe,hyperband_tpe,bohb]
//              [--jobs 2 --step-us 50]   (tpe_full, asha_random, asha_tpe, asha_tpe_agree@A, bohb, bohb_tpe_rank and dehb through optimize on
//                                         threads; idle time)
//              [--processes 4 --step-us 50 --journal FILE]   (the same methods in 4 processes on one journal file)
//              [--data-dir examples/data] [--breast-cancer build/bench/benchmarks/breast_cancer.csv]
//              [--constant-liar 0]   (every TPE without its constant liar; rows labelled method@noliar)
//              [--min-resource 1]   (ASHA's first rung and Hyperband's smallest budget; rows labelled method@rR when not 1)
//              [--curves 200 [--curves-sampler random|tpe]]   (no search: 200 configurations per seed, proposed
//                                    by the sampler and trained to max_steps, one line each with every step's value;
//                                    bohb_curves.py measures how well early values rank the final ones)
#include <tunekit/samplers/bohb.hpp>
#include <tunekit/samplers/budget_aware.hpp>
#include <tunekit/samplers/dehb.hpp>
#include <tunekit/samplers/gp.hpp>
#include <tunekit/samplers/random.hpp>
#include <tunekit/samplers/tpe.hpp>
#include <tunekit/schedulers/bohb.hpp>
#include <tunekit/schedulers/hyperband.hpp>
#include <tunekit/schedulers/nop.hpp>
#include <tunekit/schedulers/successive_halving.hpp>
#include <tunekit/storage/journal.hpp>
#include <tunekit/tuner.hpp>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "multi_fidelity.hpp"
#if TUNEKIT_BENCH_REAL_TASKS
#include "real_tasks.hpp"
#endif

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <ctime>
#include <algorithm>
#include <functional>
#include <mutex>
#include <new>
#include <thread>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// A task: its name, how a trial starts training (tunekit_bench::task_start),
/// and the known minimum (0 for the real tasks, whose loss is reported as is).
struct bench_function {
  std::string name;
  tunekit_bench::task_start start;
  double minimum;
};

struct settings {
  int seeds = 10, first_seed = 0;
  std::int64_t max_steps = 81, full_trials = 100;
  std::string functions = "branin_mf,hartmann6_mf,hartmann6_slow";
  std::string methods = "tpe_full,asha_random,asha_tpe,hyperband_tpe,bohb,bohb_tpe,dehb";
  int jobs = 0;        // > 0: run through optimize with this many threads
  int step_us = 0;     // with --jobs: sleep this long per step (a training step's wall time)
  int processes = 0;   // > 0: the methods in this many forked processes on one journal file
  std::int64_t min_resource = 1;  // the first rung of ASHA and of Hyperband's most aggressive bracket
  int curves = 0;      // > 0: no search; this many configurations trained to max_steps, their curves
  std::string curves_sampler = "random";  // who proposes them: random or tpe
  bool constant_liar = true;  // --constant-liar 0: TPE without it (rows labelled method@noliar)
  std::string journal = "/tmp/bohb_bench.journal";
#if TUNEKIT_BENCH_REAL_TASKS
  std::string data_dir = TUNEKIT_EXAMPLES_DATA_DIR;             // digits.csv.gz
  std::string breast_cancer = TUNEKIT_BENCH_BREAST_CANCER_CSV;  // export_breast_cancer.py's file
#else
  std::string data_dir, breast_cancer;
#endif
};

bool listed(const std::string& list, const std::string& name) {
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');)
    if (item == name) return true;
  return false;
}

/// "x0", "x1", ... (built with +=: GCC 12 warns, wrongly, on "x" + to_string under -O3).
std::vector<std::string> param_names(std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t j = 0; j < n; ++j) {
    std::string name = "x";
    name += std::to_string(j);
    names.push_back(std::move(name));
  }
  return names;
}

/// A synthetic function f(x, z) as a task: x suggested as x0, x1, ... in
/// `bounds`, step k reports f(x, k / max_steps).
tunekit_bench::task_start synthetic(std::vector<std::pair<double, double>> bounds,
                                    double (*f)(std::span<const double>, double)) {
  return [bounds = std::move(bounds), f](tunekit::trial& t, std::int64_t max_steps) -> tunekit_bench::training_run {
    static const std::vector<std::string> names = param_names(10);
    std::vector<double> x(bounds.size());
    for (std::size_t j = 0; j < x.size(); ++j) x[j] = t.suggest_float(names[j], bounds[j].first, bounds[j].second);
    return [x = std::move(x), f, max_steps, step = std::int64_t{0}]() mutable {
      return f(x, static_cast<double>(++step) / static_cast<double>(max_steps));
    };
  };
}

/// The tasks; the real ones' data is loaded when they are listed in `--functions`.
std::vector<bench_function> functions(const settings& s) {
  const std::vector<std::pair<double, double>> unit6(6, {0.0, 1.0});
  std::vector<bench_function> out{
      {"branin_mf", synthetic({{-5, 10}, {0, 15}}, tunekit_bench::branin_mf), 0.3978873577297384},
      {"hartmann6_mf", synthetic(unit6, tunekit_bench::hartmann6_mf), -3.322368011415515},
      {"hartmann6_slow", synthetic(unit6, tunekit_bench::hartmann6_slow), -3.322368011415515},
      // held back (multi_fidelity.hpp), not run by default
      {"branin_slow", synthetic({{-5, 10}, {0, 15}}, tunekit_bench::branin_slow), 0.3978873577297384},
      {"hartmann6_noisy", synthetic(unit6, tunekit_bench::hartmann6_noisy), -3.322368011415515},
      {"hartmann3_distracted", synthetic(std::vector<std::pair<double, double>>(10, {0.0, 1.0}),
                                         tunekit_bench::hartmann3_distracted),
       -3.862779787332663},
      {"hartmann6_misleading", synthetic(unit6, tunekit_bench::hartmann6_misleading), -3.322368011415515}};
#if TUNEKIT_BENCH_REAL_TASKS
  const std::filesystem::path digits_file = std::filesystem::path(s.data_dir) / "digits.csv.gz";
  if (listed(s.functions, "xgboost_digits"))
    out.push_back({"xgboost_digits",
                   tunekit_bench::xgboost_task(
                       std::make_shared<const tunekit_bench::task_data>(tunekit_bench::load_digits_task(digits_file))),
                   0.0});
  if (listed(s.functions, "xgboost_breast_cancer"))
    out.push_back({"xgboost_breast_cancer",
                   tunekit_bench::xgboost_task(std::make_shared<const tunekit_bench::task_data>(
                       tunekit_bench::load_csv_task(s.breast_cancer))),
                   0.0});
  if (listed(s.functions, "digits_net"))
    out.push_back({"digits_net",
                   tunekit_bench::digits_net_task(
                       std::make_shared<const digits::split_data>(tunekit_bench::digits_net_split(digits_file))),
                   0.0});
#else
  for (const char* name : {"xgboost_digits", "xgboost_breast_cancer", "digits_net"})
    if (listed(s.functions, name))
      std::fprintf(stderr, "bohb_bench: %s skipped: built without tunekit::xgboost or zlib\n", name);
#endif
  return out;
}

/// The method's label in the rows: "@r<R>" appended when --min-resource is not 1.
std::string label(const std::string& method, const settings& s) {
  const std::string with_rung = s.min_resource == 1 ? method : method + "@r" + std::to_string(s.min_resource);
  return s.constant_liar ? with_rung : with_rung + "@noliar";
}

/// `s.curves` configurations, each trained to max_steps: one line per
/// configuration with its value after every step, to measure how well early
/// values rank the final ones. `s.curves_sampler` proposes them: "random"
/// (random_sampler), or "tpe" (tpe_sampler told each final value: the
/// configurations a model proposes, which are the ones early stopping must
/// tell apart). Seeded with `seed`.
template <class Sampler>
void print_curves(const bench_function& fn, int seed, const settings& s, Sampler sampler) {
  tunekit::tuner tuner{std::move(sampler), tunekit::study_config{.name = "bohb-bench-curves-" + std::to_string(seed)}};
  for (int c = 0; c < s.curves; ++c) {
    tunekit::trial t = tuner.ask();
    tunekit_bench::training_run train_step = fn.start(t, s.max_steps);
    std::ostringstream values;
    values.precision(10);
    double value = 0;
    for (std::int64_t step = 1; step <= s.max_steps; ++step) {
      value = train_step();
      values << (step > 1 ? "," : "") << value - fn.minimum;
    }
    tuner.tell(t, value);
    std::printf("{\"curves\": \"%s\", \"function\": \"%s\", \"seed\": %d, \"config\": %d, \"values\": [%s]}\n",
                s.curves_sampler.c_str(), fn.name.c_str(), seed, c, values.str().c_str());
  }
  std::fflush(stdout);
}

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

/// One run: trials until `budget` steps are spent; the improvement trace.
template <class Sampler, class Scheduler>
void run(const bench_function& fn, const std::string& method, int seed, const settings& s, Sampler sampler,
         Scheduler scheduler, bool early_stopping) {
  // A fixed study name: Hyperband's brackets hash it, so runs repeat exactly.
  tunekit::tuner tuner{std::move(sampler), std::move(scheduler),
                       tunekit::study_config{.name = "bohb-bench-" + std::to_string(seed)}};
  const std::int64_t budget = s.full_trials * s.max_steps;
  std::int64_t spent = 0, trials = 0, full = 0;
  double best = 1e300;
  std::ostringstream trace;
  trace.precision(10);
  const double cpu0 = cpu_seconds();
  while (spent < budget) {
    tunekit::trial t = tuner.ask();
    ++trials;
    tunekit_bench::training_run train_step = fn.start(t, s.max_steps);
    bool stopped = false;
    double value = 0;
    if (!early_stopping) {  // trains all max_steps steps; only the last value is told
      for (std::int64_t step = 1; step <= s.max_steps; ++step) value = train_step();
      spent += s.max_steps;
    } else {
      for (std::int64_t step = 1; step <= s.max_steps; ++step) {
        ++spent;
        value = train_step();
        t.report(step, value);
        if (step < s.max_steps && t.should_prune()) {
          stopped = true;
          break;
        }
      }
    }
    if (stopped) {
      tuner.tell(t, tunekit::pruned);
      continue;
    }
    tuner.tell(t, value);
    ++full;
    if (value - fn.minimum < best) {
      best = value - fn.minimum;
      trace << (full > 1 && trace.tellp() > 0 ? "," : "") << "[" << spent << "," << best << "]";
    }
  }
  std::printf(
      "{\"system\": \"tunekit\", \"method\": \"%s\", \"function\": \"%s\", \"seed\": %d, \"budget\": %lld, "
      "\"max_steps\": %lld, \"trials\": %lld, \"full_trials\": %lld, \"cpu_s\": %.3f, \"trace\": [%s]}\n",
      label(method, s).c_str(), fn.name.c_str(), seed, static_cast<long long>(budget), static_cast<long long>(s.max_steps),
      static_cast<long long>(trials), static_cast<long long>(full), cpu_seconds() - cpu0, trace.str().c_str());
  std::fflush(stdout);
}

/// The same run through `optimize` with `s.jobs` threads, each step taking
/// `s.step_us` µs of sleep; also measures the fraction of worker time spent
/// outside the objective (asking, deciding, waiting for locks): the idle time.
template <class Sampler, class Scheduler>
void run_parallel(const bench_function& fn, const std::string& method, int seed, const settings& s, Sampler sampler,
                  Scheduler scheduler) {
  tunekit::tuner tuner{std::move(sampler), std::move(scheduler),
                       tunekit::study_config{.name = "bohb-bench-" + std::to_string(seed)}};
  const std::int64_t budget = s.full_trials * s.max_steps;
  std::atomic<std::int64_t> spent{0}, trials{0}, full{0};
  std::atomic<double> busy{0};
  std::mutex m;
  double best = 1e300;
  std::ostringstream trace;
  trace.precision(10);
  const auto wall0 = std::chrono::steady_clock::now();
  auto objective = [&](tunekit::trial& t) -> tunekit::result {
    const auto in = std::chrono::steady_clock::now();
    auto account = [&] {
      busy += std::chrono::duration<double>(std::chrono::steady_clock::now() - in).count();
    };
    ++trials;
    tunekit_bench::training_run train_step = fn.start(t, s.max_steps);
    double value = 0;
    for (std::int64_t step = 1; step <= s.max_steps; ++step) {
      if (s.step_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(s.step_us));
      ++spent;
      value = train_step();
      t.report(step, value);
      if (step < s.max_steps && t.should_prune()) {
        account();
        return tunekit::pruned;
      }
    }
    {
      std::lock_guard lock(m);
      ++full;
      if (value - fn.minimum < best) {
        best = value - fn.minimum;
        trace << (trace.tellp() > 0 ? "," : "") << "[" << spent.load() << "," << best << "]";
      }
    }
    account();
    return value;
  };
  auto stop = [&](const tunekit::study_view&, const tunekit::frozen_trial&) {
    if (spent.load() >= budget) tuner.stop();
  };
  tuner.optimize(objective, {.n_jobs = s.jobs, .callbacks = {stop}});
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  std::printf(
      "{\"system\": \"tunekit\", \"method\": \"%s_jobs%d\", \"function\": \"%s\", \"seed\": %d, \"budget\": %lld, "
      "\"max_steps\": %lld, \"trials\": %lld, \"full_trials\": %lld, \"wall_s\": %.3f, \"idle_fraction\": %.4f, "
      "\"steps_spent\": %lld, \"trace\": [%s]}\n",
      label(method, s).c_str(), s.jobs, fn.name.c_str(), seed, static_cast<long long>(budget), static_cast<long long>(s.max_steps),
      static_cast<long long>(trials.load()), static_cast<long long>(full.load()), wall,
      1.0 - busy.load() / (wall * s.jobs), static_cast<long long>(spent.load()), trace.str().c_str());
  std::fflush(stdout);
}

/// A method in `s.processes` forked worker processes sharing one journal file;
/// each stops once the study's trials have trained `budget` steps in all.
/// The trace is rebuilt afterwards from the journal, trials in the order
/// they finished, each counted with its last reported step.
template <class MakeScheduler, class MakeSampler>
void run_processes(const bench_function& fn, const std::string& method, int seed, const settings& s,
                   MakeScheduler make_scheduler, MakeSampler make_sampler) {
  const std::int64_t budget = s.full_trials * s.max_steps;
  const std::string name = "bohb-bench-" + std::to_string(seed);
  std::filesystem::remove(s.journal);
  // The steps trained so far by all workers, in memory the forked processes share: the
  // stop check costs nothing (a scan of the study per finished trial would load the CPUs
  // the workers share, and count as their idle time).
  void* shared = mmap(nullptr, sizeof(std::atomic<std::int64_t>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    std::perror("mmap");
    std::exit(1);
  }
  auto* trained = new (shared) std::atomic<std::int64_t>(0);
  const auto wall0 = std::chrono::steady_clock::now();
  std::vector<pid_t> children;
  for (int w = 0; w < s.processes; ++w) {
    const pid_t pid = fork();
    if (pid == 0) {
      const auto start = std::chrono::steady_clock::now();
      double busy = 0;  // seconds in the objective
      auto since = [](auto t0) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
      tunekit::journal_storage storage(s.journal, {.durability = tunekit::durability::none});
      tunekit::tuner tuner{storage, tunekit::study_config{.name = name},
                           make_sampler(), make_scheduler()};
      auto objective = [&](tunekit::trial& t) -> tunekit::result {
        const auto in = std::chrono::steady_clock::now();
        tunekit_bench::training_run train_step = fn.start(t, s.max_steps);
        double value = 0;
        for (std::int64_t step = 1; step <= s.max_steps; ++step) {
          if (s.step_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(s.step_us));
          value = train_step();
          ++*trained;
          t.report(step, value);
          if (step < s.max_steps && t.should_prune()) {
            busy += since(in);
            return tunekit::pruned;
          }
        }
        busy += since(in);
        return value;
      };
      auto stop = [&](const tunekit::study_view&, const tunekit::frozen_trial&) {
        if (trained->load() >= budget) tuner.stop();
      };
      tuner.optimize(objective, {.callbacks = {stop}});
      // Idle: the worker's time outside the objective (asking, deciding, storage).
      if (std::FILE* f = std::fopen((s.journal + ".idle" + std::to_string(w)).c_str(), "w")) {
        std::fprintf(f, "%.9f\n", 1.0 - busy / since(start));
        std::fclose(f);
      }
      std::_Exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t c : children) waitpid(c, nullptr, 0);
  munmap(shared, sizeof(std::atomic<std::int64_t>));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  double idle = 0;  // the mean over the workers
  for (int w = 0; w < s.processes; ++w) {
    const std::string file = s.journal + ".idle" + std::to_string(w);
    double x = 0;
    if (std::FILE* f = std::fopen(file.c_str(), "r")) {
      if (std::fscanf(f, "%lf", &x) != 1) x = 0;
      std::fclose(f);
    }
    idle += x / s.processes;
    std::filesystem::remove(file);
  }
  tunekit::journal_storage storage(s.journal, {.durability = tunekit::durability::none});
  auto trials = storage.trials(*storage.find_study(name));
  std::erase_if(trials, [](const tunekit::frozen_trial& t) { return !t.datetime_complete; });
  std::stable_sort(trials.begin(), trials.end(),
                   [](const auto& a, const auto& b) { return *a.datetime_complete < *b.datetime_complete; });
  std::int64_t spent = 0, full = 0;
  double best = 1e300;
  std::ostringstream trace;
  trace.precision(10);
  for (const auto& t : trials) {
    if (!t.intermediate_values.empty()) spent += t.intermediate_values.rbegin()->first;
    if (t.state != tunekit::trial_state::complete) continue;
    ++full;
    if (t.value() - fn.minimum < best) {
      best = t.value() - fn.minimum;
      trace << (trace.tellp() > 0 ? "," : "") << "[" << spent << "," << best << "]";
    }
  }
  std::printf(
      "{\"system\": \"tunekit\", \"method\": \"%s_processes%d\", \"function\": \"%s\", \"seed\": %d, "
      "\"budget\": %lld, \"max_steps\": %lld, \"trials\": %zu, \"full_trials\": %lld, \"wall_s\": %.3f, "
      "\"idle_fraction\": %.4f, "
      "\"steps_spent\": %lld, \"trace\": [%s]}\n",
      label(method, s).c_str(), s.processes, fn.name.c_str(), seed, static_cast<long long>(budget), static_cast<long long>(s.max_steps),
      trials.size(), static_cast<long long>(full), wall, idle, static_cast<long long>(spent), trace.str().c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--seeds") s.seeds = std::atoi(v.c_str());
    else if (k == "--first-seed") s.first_seed = std::atoi(v.c_str());
    else if (k == "--max-steps") s.max_steps = std::atoll(v.c_str());
    else if (k == "--full-trials") s.full_trials = std::atoll(v.c_str());
    else if (k == "--functions") s.functions = v;
    else if (k == "--methods") s.methods = v;
    else if (k == "--jobs") s.jobs = std::atoi(v.c_str());
    else if (k == "--step-us") s.step_us = std::atoi(v.c_str());
    else if (k == "--processes") s.processes = std::atoi(v.c_str());
    else if (k == "--journal") s.journal = v;
    else if (k == "--data-dir") s.data_dir = v;
    else if (k == "--breast-cancer") s.breast_cancer = v;
    else if (k == "--min-resource") s.min_resource = std::atoll(v.c_str());
    else if (k == "--curves") s.curves = std::atoi(v.c_str());
    else if (k == "--curves-sampler") s.curves_sampler = v;
    else if (k == "--constant-liar") s.constant_liar = v != "0";
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (s.min_resource < 1 || s.min_resource > s.max_steps) {
    std::fprintf(stderr, "--min-resource must be in [1, --max-steps]\n");
    return 2;
  }
  const std::int64_t r0 = s.min_resource;
  const tunekit::hyperband_scheduler_options hb{.min_resource = r0, .max_resource = s.max_steps, .reduction_factor = 3};
  const tunekit::successive_halving_scheduler_options asha{.min_resource = r0, .reduction_factor = 3};
  for (const auto& fn : functions(s)) {
    if (!listed(s.functions, fn.name)) continue;
    for (int seed = s.first_seed; seed < s.first_seed + s.seeds; ++seed) {
      const auto u = static_cast<std::uint64_t>(seed);
      if (s.curves > 0) {
        if (s.curves_sampler == "tpe") print_curves(fn, seed, s, tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}});
        else print_curves(fn, seed, s, tunekit::random_sampler{{.seed = u}});
        continue;
      }
      // ASHA given min_rank_agreement, from a label such as asha_tpe_agree@0.7 or asha_tpe_agree@0.7n5
      auto gated = [&](const std::string& item, const std::string& prefix) {
        tunekit::successive_halving_scheduler_options options = asha;
        options.min_rank_agreement = std::atof(item.c_str() + prefix.size());
        if (auto n = item.find('n', prefix.size()); n != std::string::npos)
          options.min_agreement_trials = std::atoll(item.c_str() + n + 1);
        return options;
      };
      const auto gated_tpe = [&](auto&& each) {  // each listed asha_tpe_agree@... with its options
        std::stringstream items(s.methods);
        for (std::string item; std::getline(items, item, ',');)
          if (item.rfind("asha_tpe_agree@", 0) == 0) each(item, gated(item, "asha_tpe_agree@"));
      };
      if (s.processes > 0) {
        auto by_brackets = [&] { return tunekit::bohb_scheduler{hb}; };
        if (listed(s.methods, "bohb"))
          run_processes(fn, "bohb", seed, s, by_brackets, [&] {
            return tunekit::bohb_sampler{{.min_resource = r0, .max_resource = s.max_steps, .reduction_factor = 3, .seed = u}};
          });
        if (listed(s.methods, "dehb"))
          run_processes(fn, "dehb", seed, s, by_brackets, [&] {
            return tunekit::dehb_sampler{{.min_resource = r0, .max_resource = s.max_steps, .reduction_factor = 3, .seed = u}};
          });
        if (listed(s.methods, "bohb_tpe_rank"))
          run_processes(fn, "bohb_tpe_rank", seed, s, by_brackets, [&] {
            return tunekit::budget_aware_sampler{tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}},
                                                 {.min_resource = r0, .max_resource = s.max_steps, .reduction_factor = 3}};
          });
        auto tpe = [&] { return tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}; };
        if (listed(s.methods, "tpe_full"))  // the reference: what TPE loses to parallelism without early stopping
          run_processes(fn, "tpe_full", seed, s, [] { return tunekit::nop_scheduler{}; }, tpe);
        if (listed(s.methods, "asha_tpe"))
          run_processes(fn, "asha_tpe", seed, s, [&] { return tunekit::asha_scheduler{asha}; }, tpe);
        if (listed(s.methods, "asha_random"))
          run_processes(fn, "asha_random", seed, s, [&] { return tunekit::asha_scheduler{asha}; },
                        [&] { return tunekit::random_sampler{{.seed = u}}; });
        gated_tpe([&](const std::string& item, const tunekit::successive_halving_scheduler_options& options) {
          run_processes(fn, item, seed, s, [&] { return tunekit::asha_scheduler{options}; }, tpe);
        });
        continue;
      }
      if (s.jobs > 0) {
        if (listed(s.methods, "tpe_full"))
          run_parallel(fn, "tpe_full", seed, s, tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}, tunekit::nop_scheduler{});
        if (listed(s.methods, "asha_random"))
          run_parallel(fn, "asha_random", seed, s, tunekit::random_sampler{{.seed = u}}, tunekit::asha_scheduler{asha});
        if (listed(s.methods, "asha_tpe"))
          run_parallel(fn, "asha_tpe", seed, s, tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}, tunekit::asha_scheduler{asha});
        if (listed(s.methods, "dehb"))
          run_parallel(fn, "dehb", seed, s,
                       tunekit::dehb_sampler{{.min_resource = r0, .max_resource = s.max_steps, .reduction_factor = 3, .seed = u}},
                       tunekit::bohb_scheduler{hb});
        if (listed(s.methods, "bohb"))
          run_parallel(fn, "bohb", seed, s,
                       tunekit::bohb_sampler{{.min_resource = r0, .max_resource = s.max_steps, .reduction_factor = 3, .seed = u}},
                       tunekit::bohb_scheduler{hb});
        if (listed(s.methods, "bohb_tpe_rank"))
          run_parallel(fn, "bohb_tpe_rank", seed, s,
                       tunekit::budget_aware_sampler{tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}},
                                                     {.min_resource = r0, .max_resource = s.max_steps, .reduction_factor = 3}},
                       tunekit::bohb_scheduler{hb});
        gated_tpe([&](const std::string& item, const tunekit::successive_halving_scheduler_options& options) {
          run_parallel(fn, item, seed, s, tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}, tunekit::asha_scheduler{options});
        });
        continue;
      }
      if (listed(s.methods, "tpe_full"))
        run(fn, "tpe_full", seed, s, tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}, tunekit::nop_scheduler{}, false);
      if (listed(s.methods, "asha_random"))
        run(fn, "asha_random", seed, s, tunekit::random_sampler{{.seed = u}}, tunekit::asha_scheduler{asha}, true);
      if (listed(s.methods, "asha_tpe"))
        run(fn, "asha_tpe", seed, s, tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}, tunekit::asha_scheduler{asha}, true);
      if (listed(s.methods, "hyperband_tpe"))
        run(fn, "hyperband_tpe", seed, s, tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}, tunekit::hyperband_scheduler{hb}, true);
      if (listed(s.methods, "bohb"))
        run(fn, "bohb", seed, s,
            tunekit::bohb_sampler{{.min_resource = r0, .max_resource = s.max_steps, .reduction_factor = 3, .seed = u}},
            tunekit::bohb_scheduler{hb}, true);
      if (listed(s.methods, "dehb"))
        run(fn, "dehb", seed, s,
            tunekit::dehb_sampler{{.min_resource = r0, .max_resource = s.max_steps, .reduction_factor = 3, .seed = u}},
            tunekit::bohb_scheduler{hb}, true);
      // The models alone, no early stopping (issue 19's question whether BOHB's model is defective).
      if (listed(s.methods, "random_full"))
        run(fn, "random_full", seed, s, tunekit::random_sampler{{.seed = u}}, tunekit::nop_scheduler{}, false);
      if (listed(s.methods, "bohb_full"))
        run(fn, "bohb_full", seed, s, tunekit::bohb_sampler{{.max_resource = s.max_steps, .seed = u}},
            tunekit::nop_scheduler{}, false);
      if (listed(s.methods, "bohb_full_rf0"))
        run(fn, "bohb_full_rf0", seed, s,
            tunekit::bohb_sampler{{.max_resource = s.max_steps, .random_fraction = 0, .seed = u}},
            tunekit::nop_scheduler{}, false);
      if (listed(s.methods, "hyperband_random"))  // DEHB's and BOHB's brackets with random proposals
        run(fn, "hyperband_random", seed, s, tunekit::random_sampler{{.seed = u}}, tunekit::bohb_scheduler{hb}, true);
      if (listed(s.methods, "asha_bohb"))
        run(fn, "asha_bohb", seed, s,
            tunekit::bohb_sampler{{.min_resource = r0, .max_resource = s.max_steps, .reduction_factor = 3, .seed = u}},
            tunekit::asha_scheduler{asha}, true);
      // budget_aware_sampler with its defaults (the rank check, min_rank_agreement 0.9),
      // and under BOHB's rule as published (min_rank_agreement unset)
      const tunekit::budget_aware_sampler_options rank{.min_resource = r0, .max_resource = s.max_steps, .reduction_factor = 3};
      tunekit::budget_aware_sampler_options published = rank;
      published.min_rank_agreement = std::nullopt;
      if (listed(s.methods, "asha_budget_tpe"))
        run(fn, "asha_budget_tpe", seed, s, tunekit::budget_aware_sampler{tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}, published},
            tunekit::asha_scheduler{asha}, true);
      // TPE and GP under budget_aware_sampler with bohb_scheduler, under each rule
      auto under_bohb = [&](const char* method, auto inner, const tunekit::budget_aware_sampler_options& options) {
        if (listed(s.methods, method))
          run(fn, method, seed, s, tunekit::budget_aware_sampler{std::move(inner), options}, tunekit::bohb_scheduler{hb},
              true);
      };
      under_bohb("bohb_tpe", tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}, published);
      under_bohb("bohb_tpe_rank", tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}, rank);
      under_bohb("bohb_gp", tunekit::gp_sampler{{.seed = u}}, published);
      under_bohb("bohb_gp_rank", tunekit::gp_sampler{{.seed = u}}, rank);
      if (listed(s.methods, "asha_gp"))
        run(fn, "asha_gp", seed, s, tunekit::gp_sampler{{.seed = u}}, tunekit::asha_scheduler{asha}, true);
      if (listed(s.methods, "gp_full"))
        run(fn, "gp_full", seed, s, tunekit::gp_sampler{{.seed = u}}, tunekit::nop_scheduler{}, false);
      // min_rank_agreement = A, e.g. bohb_tpe@0.9, asha_budget_tpe@0.9
      std::stringstream items(s.methods);
      for (std::string item; std::getline(items, item, ',');)
        for (const std::string prefix : {"bohb_tpe@", "asha_budget_tpe@", "asha_tpe_agree@", "asha_random_agree@"})
          if (item.rfind(prefix, 0) == 0 && prefix.find("_agree@") != std::string::npos) {
            // ASHA with min_rank_agreement = A: rungs whose values misrank the COMPLETE trials stop no one
            const auto options = gated(item, prefix);
            if (prefix == "asha_tpe_agree@")
              run(fn, item, seed, s, tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}, tunekit::asha_scheduler{options}, true);
            else
              run(fn, item, seed, s, tunekit::random_sampler{{.seed = u}}, tunekit::asha_scheduler{options}, true);
          } else if (item.rfind(prefix, 0) == 0) {
            tunekit::budget_aware_sampler_options options = rank;
            options.min_rank_agreement = std::atof(item.c_str() + prefix.size());
            tunekit::budget_aware_sampler sampler{tunekit::tpe_sampler{{.constant_liar = s.constant_liar, .seed = u}}, options};
            if (prefix == "bohb_tpe@") run(fn, item, seed, s, std::move(sampler), tunekit::bohb_scheduler{hb}, true);
            else run(fn, item, seed, s, std::move(sampler), tunekit::asha_scheduler{asha}, true);
          }
    }
  }
}
