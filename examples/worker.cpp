// examples/worker.cpp — a tuning worker: joins a study by storage URL and
// name, and runs trials until the study has N finished trials. Start as many
// as you like, on one machine, against the same journal:
//
//   worker --storage journal:///tmp/study.log?heartbeat=5 --study demo --trials 100 &
//   worker --storage journal:///tmp/study.log?heartbeat=5 --study demo --trials 100 &
//   tunekit trials journal:///tmp/study.log demo
// or against a SQLite database (sqlite:///tmp/study.db?heartbeat=5) or a
// PostgreSQL server (postgresql://user@host/db) shared by many machines.
//
// A worker killed mid-trial leaves its trial RUNNING; with heartbeats on
// (heartbeat=<seconds> in the URL) the next worker fails it after the grace
// period and, with retries=<n>, runs it again.
//
// --small (what CTest runs): two worker processes on a temporary journal.

#include <tunekit/tunekit.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace {

/// A stand-in for a training run: a shifted Rosenbrock valley with "epochs".
double objective(tunekit::trial& t) {
  const double x = t.suggest_float("x", -2, 2);
  const double y = t.suggest_float("y", -1, 3);
  const auto epochs = t.suggest_int("epochs", 1, 5);
  double loss = 0;
  for (std::int64_t e = 1; e <= epochs; ++e) {
    loss = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x) + 1.0 / static_cast<double>(e);
    t.report(e, loss);
    if (t.should_prune()) return loss;
  }
  return loss;
}

/// Runs trials until the study has `target` finished trials (COMPLETE,
/// PRUNED or FAIL); returns how many this worker ran.
std::int64_t work(const std::string& url, const std::string& study, std::int64_t target) {
  // snippet-begin
  // url: e.g. "journal:///data/study.log?heartbeat=10&retries=1"
  tunekit::tuner tuner{tunekit::open_storage(url), tunekit::study_config{.name = study}};  // created, or resumed
  // snippet-end
  auto finished = [&] { return static_cast<std::int64_t>(tuner.view().finished().size()); };
  std::int64_t ran = 0;
  while (finished() < target) {
    tuner.optimize(objective, {.n_trials = 1});
    ++ran;
  }
  return ran;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url, study = "demo";
  std::int64_t target = 100;
  bool small = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "worker: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--storage") url = value();
    else if (a == "--study") study = value();
    else if (a == "--trials") target = std::stoll(value());
    else if (a == "--small") small = true;
    else {
      std::cerr << "usage: worker --storage <url> [--study <name>] [--trials <n>] | --small\n";
      return a == "--help" ? 0 : 2;
    }
  }
  try {
    if (small) {
      const auto path = std::filesystem::temp_directory_path() / ("tunekit-worker-" + std::to_string(::getpid()) + ".log");
      std::filesystem::remove(path);
      url = "journal://" + path.string();
      target = 20;
      const pid_t other = ::fork();
      // The child may find the study already finished when it starts (the
      // parent can run all 20 trials first): that is success, not failure.
      if (other == 0) {
        work(url, study, target);
        std::_Exit(0);
      }
      const auto mine = work(url, study, target);
      int status = 0;
      ::waitpid(other, &status, 0);
      tunekit::any_storage storage = tunekit::open_storage(url);
      const auto trials = storage.trials(storage.study_by_name(study));
      std::cout << "this worker ran " << mine << " trials; the study has " << trials.size() << " trials\n";
      std::filesystem::remove(path);
      return WIFEXITED(status) && WEXITSTATUS(status) == 0 && static_cast<std::int64_t>(trials.size()) >= target ? 0 : 1;
    }
    if (url.empty()) {
      std::cerr << "worker: --storage <url> is required, e.g. journal:///tmp/study.log\n";
      return 2;
    }
    const auto ran = work(url, study, target);
    std::cout << "worker " << ::getpid() << " ran " << ran << " trials of study '" << study << "'\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "worker: " << e.what() << '\n';
    return 1;
  }
}
