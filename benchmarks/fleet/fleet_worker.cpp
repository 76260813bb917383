// fleet_worker: one worker of the fleet benchmark (benchmarks/fleet/fleet.py)
// and of the fault-injection loop (benchmarks/fleet/faults.py).
//
//   fleet_worker --url URL --study NAME (--trials N | --until-complete T)
//                [--sleep-ms MS] [--seed S] [--ack FILE] [--stop-file PATH] [--rss-every K]
//
// Joins the study (random sampler) and runs a tiny objective: two float
// parameters, two intermediate reports, optionally a sleep. `--trials N`
// runs exactly N trials; `--until-complete T` runs until the study holds T
// COMPLETE trials (workers killed by the fault loop leave their share to the
// others). After each tell returns, `--ack` gets the line "number value"
// (flushed to the kernel, so a SIGKILL after the tell loses nothing): the
// trials this worker saw acknowledged. Prints one JSON line with the ask and
// tell latencies in microseconds. `--stop-file`: stop (after the trial
// running) once PATH exists.

#include <tunekit/samplers/random.hpp>
#include <tunekit/storage/postgres.hpp>
#include <tunekit/tuner.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tk = tunekit;
using fleet_clock = std::chrono::steady_clock;

namespace {

long resident_kb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4;  // 4 KiB pages
}

}  // namespace

int main(int argc, char** argv) {
  std::string url, study, ack, stop_file;
  long trials = -1, until_complete = -1;
  int sleep_ms = 0;
  long rss_every = 0;
  std::uint64_t seed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--url") url = next();
    else if (a == "--study") study = next();
    else if (a == "--trials") trials = std::atol(next().c_str());
    else if (a == "--until-complete") until_complete = std::atol(next().c_str());
    else if (a == "--sleep-ms") sleep_ms = std::atoi(next().c_str());
    else if (a == "--seed") seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--ack") ack = next();
    else if (a == "--stop-file") stop_file = next();
    else if (a == "--rss-every") rss_every = std::atol(next().c_str());
    else {
      std::cerr << "fleet_worker: unknown argument " << a << "\n";
      return 2;
    }
  }
  if (url.empty() || study.empty() || (trials < 0 && until_complete < 0)) {
    std::cerr << "usage: fleet_worker --url URL --study NAME (--trials N | --until-complete T) [--sleep-ms MS] "
                 "[--seed S] [--ack FILE]\n";
    return 2;
  }
  std::FILE* acks = ack.empty() ? nullptr : std::fopen(ack.c_str(), "a");
  std::vector<double> ask_us, tell_us;
  try {
    tk::tuner tuner{tk::random_sampler{{.seed = seed}}, tk::postgres_storage(url), tk::study_config{.name = study}};
    auto complete = [&] {
      long n = 0;
      for (const auto& t : tuner.view().finished()) n += t.state == tk::trial_state::complete;
      return n;
    };
    auto stopped = [&] { return !stop_file.empty() && std::filesystem::exists(stop_file); };
    for (long done = 0; (trials >= 0 ? done < trials : complete() < until_complete) && !stopped(); ++done) {
      const auto t0 = fleet_clock::now();
      tk::trial t = tuner.ask();
      try {
      const auto t1 = fleet_clock::now();
      const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
      const double value = (x - 0.3) * (x - 0.3) + (y - 0.7) * (y - 0.7);
      t.report(0, 2 * value);
      if (sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
      t.report(1, value);
      const auto t2 = fleet_clock::now();
      const auto record = tuner.tell(t, value);
      const auto t3 = fleet_clock::now();
      if (acks) {
        std::fprintf(acks, "%lld %.17g\n", static_cast<long long>(record.number), value);
        std::fflush(acks);
      }
      ask_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      tell_us.push_back(std::chrono::duration<double, std::micro>(t3 - t2).count());
      if (rss_every > 0 && (done + 1) % rss_every == 0)
        std::cout << "{\"trials\": " << done + 1 << ", \"rss_kb\": " << resident_kb() << "}" << std::endl;
      } catch (const tk::state_error& e) {
        // Another worker failed this trial (its heartbeat could not be
        // written for longer than the grace period, e.g. while the pooler was
        // down): it was never acknowledged; go on with the next one.
        std::cerr << "fleet_worker: trial given up: " << e.what() << "\n";
      }
    }
    if (rss_every > 0) {
      // What the trial data alone costs: a copy of the cached finished trials.
      const long before = resident_kb();
      const auto view = tuner.view();
      std::vector<tk::frozen_trial> copy(view.finished().begin(), view.finished().end());
      const long plain = resident_kb() - before;
      // And held as the storage's cache holds them for the samplers' views:
      // each trial in its own shared allocation, a shared pointer to each.
      const long before_shared = resident_kb();
      std::vector<std::shared_ptr<const tk::frozen_trial>> shared;
      shared.reserve(copy.size());
      for (const auto& t : copy) shared.push_back(std::make_shared<const tk::frozen_trial>(t));
      std::cout << "{\"finished\": " << copy.size() << ", \"trials_kb\": " << plain
                << ", \"trials_shared_kb\": " << resident_kb() - before_shared << "}" << std::endl;
    }
  } catch (const std::exception& e) {
    std::cerr << "fleet_worker: " << e.what() << "\n";
    return 1;
  }
  auto list = [](const std::vector<double>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0) s.push_back(',');
      s.append(std::to_string(static_cast<long>(v[i])));
    }
    return s + "]";
  };
  std::cout << "{\"ask_us\": " << list(ask_us) << ", \"tell_us\": " << list(tell_us) << "}" << std::endl;
  return 0;
}
