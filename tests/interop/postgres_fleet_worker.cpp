// Helper of postgres_mixed_fleet.py: a tunekit worker (TPE) joining a
// PostgreSQL study that Optuna 3.1 workers also run.
//
//   postgres_fleet_worker <url> <study> <n_trials> <seed> <tag>
//
// Every trial gets the user attribute worker=<tag>, so the script can tell
// who ran what. The objective is the one the Optuna workers run.

#include <tunekit/samplers/tpe.hpp>
#include <tunekit/storage/postgres.hpp>
#include <tunekit/tuner.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace tk = tunekit;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: postgres_fleet_worker <url> <study> <n_trials> <seed> <tag>\n";
    return 2;
  }
  const std::string url = argv[1], study = argv[2], tag = argv[5];
  const std::int64_t n = std::stoll(argv[3]);
  const auto seed = static_cast<std::uint64_t>(std::stoull(argv[4]));
  try {
    tk::tuner tuner{tk::tpe_sampler{{.seed = seed}}, tk::postgres_storage(url), tk::study_config{.name = study}};
    tuner.optimize(
        [&](tk::trial& t) {
          const double x = t.suggest_float("x", -5, 5);
          const double y = t.suggest_float("y", -5, 5);
          t.set_user_attr("worker", tag);
          return (x - 4.2) * (x - 4.2) + (y + 3.1) * (y + 3.1);
        },
        {.n_trials = n});
  } catch (const std::exception& e) {
    std::cerr << "postgres_fleet_worker: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
