// sql_throughput: complete trial cycles per second on a SQL storage (SQLite,
// or PostgreSQL when built with tunekit::postgres). One JSON line per run.
//
//   sql_throughput --url sqlite:///tmp/t.db --processes K [--threads T] --cycles N
//   sql_throughput --url postgresql://user@host/db --processes K --cycles N
//       K processes (fork) share one study; each runs T threads on one tuner
//       (as n_jobs = T), each thread N cycles of: ask
//       (random sampler), 10 float parameters, 10 intermediate reports, tell.
//       Reports total cycles / wall seconds from the common start to the last
//       exit, the workers' CPU seconds, the commits (write transactions) one
//       cycle takes, and for SQLite the WAL flushes per cycle (the URL's
//       `durability=` option; default `trials`).
//
// The Optuna peer is benchmarks/peers/optuna_rdb_throughput.py; the driver
// benchmarks/sql_throughput.py runs both and writes the RESULTS.md table.

#include <tunekit/samplers/random.hpp>
#include <tunekit/storage/url.hpp>
#include <tunekit/tuner.hpp>

#include "throughput_cycles.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace tk = tunekit;
using clock_type = std::chrono::steady_clock;

namespace {

using tk::bench::cycle;

/// Write transactions committed so far by this process's SQL storages.
std::int64_t commits(tk::any_storage& s) {
#if defined(TUNEKIT_HAS_SQLITE)
  if (auto* p = s.get_if<tk::sqlite_storage>()) return p->transactions();
#endif
#if defined(TUNEKIT_HAS_POSTGRES)
  if (auto* p = s.get_if<tk::postgres_storage>()) return p->transactions();
#endif
  (void)s;
  return -1;
}

/// Round trips to the server so far by this process (PostgreSQL), or -1.
std::int64_t round_trips() {
#if defined(TUNEKIT_HAS_POSTGRES)
  return tk::detail::postgres_connection::round_trips();
#else
  return -1;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  int processes = 1, threads = 1;
  long cycles = 1000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--url") url = next();
    else if (a == "--processes") processes = std::atoi(next().c_str());
    else if (a == "--cycles") cycles = std::atol(next().c_str());
    else if (a == "--threads") threads = std::max(1, std::atoi(next().c_str()));
    else {
      std::cerr << "usage: sql_throughput --url URL [--processes K] [--threads T] [--cycles N]\n";
      return 2;
    }
  }
  if (url.empty()) {
    std::cerr << "sql_throughput: --url is required\n";
    return 2;
  }
  const std::string study = "throughput-" + std::to_string(::getpid());
  {
    auto s = tk::open_storage(url);
    s.create_study(study, std::array{tk::direction::minimize});
  }
  std::string wal;  // SQLite: the WAL file whose flushes the group commit counts
  if (url.rfind("sqlite:", 0) == 0) {
    wal = url.substr(url.rfind("sqlite://", 0) == 0 ? 9 : 7);
    wal = wal.substr(0, wal.find('?')) + "-wal";
  }
  const auto flushes_before = wal.empty() ? 0 : tk::bench::flushes_done(wal);
  double cpu = 0;
  const auto start = clock_type::now();
  const bool ok = tk::bench::run_cycles_in_processes(
      processes, threads, cycles,
      [&](std::uint64_t p) {
        return tk::tuner{tk::random_sampler{{.seed = p}}, tk::open_storage(url), tk::study_config{.name = study}};
      },
      &cpu);
  const auto flushes = wal.empty() ? 0 : tk::bench::flushes_done(wal) - flushes_before;
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  // Commits per cycle, counted in this process over a few more cycles.
  auto storage = tk::open_storage(url);
  double per_cycle = -1, trips_per_cycle = -1;
  {
    tk::tuner tuner{tk::random_sampler{{.seed = 99}}, storage, tk::study_config{.name = study}};
    cycle(tuner);  // the statements are prepared
    const auto before = commits(storage);
    const auto trips_before = round_trips();
    for (int i = 0; i < 10; ++i) cycle(tuner);
    if (before >= 0) per_cycle = static_cast<double>(commits(storage) - before) / 10;
    if (trips_before >= 0) trips_per_cycle = static_cast<double>(round_trips() - trips_before) / 10;
  }
  const auto n = storage.trials(storage.study_by_name(study)).size();
  const long total = cycles * processes * threads;
  std::cout << "{\"system\": \"tunekit\", \"storage\": \"" << url.substr(0, url.find(':')) << "\", \"processes\": "
            << processes << ", \"threads\": " << threads << ", \"cycles\": " << total << ", \"seconds\": " << seconds
            << ", \"cpu_seconds\": " << cpu << ", \"flushes_per_cycle\": " << static_cast<double>(flushes) / static_cast<double>(total)
            << ", \"cycles_per_s\": " << static_cast<double>(total) / seconds << ", \"commits_per_cycle\": " << per_cycle << ", \"round_trips_per_cycle\": " << trips_per_cycle << ", \"extra_cycles\": 11"
            << ", \"trials_in_study\": " << n << "}" << std::endl;
  storage.delete_study(storage.study_by_name(study));
  return ok && static_cast<long>(n) == total + 11 ? 0 : 1;
}
