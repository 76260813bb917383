// journal_throughput: complete trial cycles per second on a journal file, and
// how ask latency and memory behave as the study grows. One JSON line per result.
//
//   journal_throughput cycles --journal <path> --processes K [--threads T] --cycles N
//                             [--durability none|trials|full]
//       K processes (fork) share one journal; each runs T threads on one
//       tuner (as n_jobs = T), each thread N cycles of: ask (random sampler),
//       10 float parameters, 10 intermediate reports, tell. Reports total
//       cycles / wall seconds from the common start to the last exit, the
//       workers' CPU seconds, and fdatasync calls per cycle. Durability:
//       the default `trials` unless given (`--fsync` = `full`).
//   journal_throughput growth --journal <path> --trials N [--every M]
//       one process runs N cycles; every M trials it reports the median ask
//       latency and the median cycle latency of the last M trials, and the
//       resident memory (VmRSS).
//
// The Optuna peer is benchmarks/peers/optuna_journal_throughput.py; the driver
// benchmarks/journal_throughput.py runs both and writes the RESULTS.md table.

#include <tunekit/samplers/random.hpp>
#include <tunekit/storage/journal.hpp>
#include <tunekit/tuner.hpp>

#include "throughput_cycles.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace tk = tunekit;
using clock_type = std::chrono::steady_clock;

namespace {

struct config {
  std::string mode, journal;
  int processes = 1, threads = 1;
  long cycles = 1000, trials = 10000, every = 1000;
  tk::durability durability = tk::durability::trials;
};

const char* name_of(tk::durability d) {
  return d == tk::durability::none ? "none" : d == tk::durability::trials ? "trials" : "full";
}

using tk::bench::cycle;

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int run_cycles(const config& c) {
  std::filesystem::remove(c.journal);
  std::filesystem::remove(c.journal + ".tunekit-sync");
  tk::journal_storage_options opts{.durability = c.durability};
  {
    tk::journal_storage s(c.journal, opts);
    s.create_study("throughput", std::array{tk::direction::minimize});
  }
  double cpu = 0;
  const auto start = clock_type::now();
  const bool ok = tk::bench::run_cycles_in_processes(
      c.processes, c.threads, c.cycles,
      [&](std::uint64_t p) {
        return tk::tuner{tk::random_sampler{{.seed = p}}, tk::journal_storage(c.journal, opts),
                         tk::study_config{.name = "throughput"}};
      },
      &cpu);
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  tk::journal_storage check(c.journal);
  const auto n = check.trials(check.study_by_name("throughput")).size();
  const long total = c.cycles * c.processes * c.threads;
  std::cout << "{\"system\": \"tunekit\", \"storage\": \"journal\", \"durability\": \"" << name_of(c.durability)
            << "\", \"processes\": " << c.processes << ", \"threads\": " << c.threads << ", \"cycles\": " << total
            << ", \"seconds\": " << seconds << ", \"cpu_seconds\": " << cpu
            << ", \"cycles_per_s\": " << static_cast<double>(total) / seconds
            << ", \"flushes_per_cycle\": " << static_cast<double>(tk::bench::flushes_done(c.journal)) / static_cast<double>(total)
            << ", \"trials_in_journal\": " << n << ", \"journal_bytes\": " << std::filesystem::file_size(c.journal)
            << "}" << std::endl;
  return ok && static_cast<long>(n) == total ? 0 : 1;
}

int run_growth(const config& c) {
  std::filesystem::remove(c.journal);
  tk::tuner tuner{tk::random_sampler{{.seed = 1}}, tk::journal_storage(c.journal), tk::study_config{.name = "growth"}};
  std::vector<double> asks, cycles;
  const long rss_start = rss_kib();
  for (long i = 1; i <= c.trials; ++i) {
    const auto t0 = clock_type::now();
    asks.push_back(cycle(tuner));
    cycles.push_back(std::chrono::duration<double>(clock_type::now() - t0).count());
    if (i % c.every == 0) {
      std::cout << "{\"system\": \"tunekit\", \"trials\": " << i << ", \"median_ask_us\": " << median(asks) * 1e6
                << ", \"median_cycle_us\": " << median(cycles) * 1e6 << ", \"rss_kib\": " << rss_kib()
                << ", \"rss_start_kib\": " << rss_start << ", \"journal_bytes\": " << std::filesystem::file_size(c.journal)
                << "}" << std::endl;
      asks.clear();
      cycles.clear();
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  config c;
  if (argc > 1) c.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--journal") c.journal = next();
    else if (a == "--processes") c.processes = std::atoi(next().c_str());
    else if (a == "--cycles") c.cycles = std::atol(next().c_str());
    else if (a == "--trials") c.trials = std::atol(next().c_str());
    else if (a == "--every") c.every = std::atol(next().c_str());
    else if (a == "--threads") c.threads = std::atoi(next().c_str());
    else if (a == "--fsync") c.durability = tk::durability::full;
    else if (a == "--durability") {
      const std::string d = next();
      if (d == "none") c.durability = tk::durability::none;
      else if (d == "trials") c.durability = tk::durability::trials;
      else if (d == "full") c.durability = tk::durability::full;
      else c.processes = 0;  // usage
    }
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  if (c.journal.empty() || (c.mode != "cycles" && c.mode != "growth") || c.processes < 1 || c.threads < 1 || c.every < 1) {
    std::cerr << "usage: journal_throughput cycles|growth --journal <path> [--processes K] [--cycles N] "
                 "[--threads T] [--durability none|trials|full] [--trials N] [--every M]\n";
    return 2;
  }
  try {
    return c.mode == "cycles" ? run_cycles(c) : run_growth(c);
  } catch (const std::exception& e) {
    std::cerr << "journal_throughput: " << e.what() << '\n';
    return 1;
  }
}
