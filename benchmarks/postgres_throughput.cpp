// postgres_throughput: complete trial cycles per second on a PostgreSQL
// study shared by K processes. One JSON line.
//
//   postgres_throughput --url postgresql://... --processes K --cycles N
//       K processes (fork) share one study; each runs N cycles of: ask
//       (random sampler), 10 float parameters, 10 intermediate reports, tell.
//       Reports total cycles / wall seconds from the common start to the last
//       exit, and the write transactions (commits) one cycle makes, counted
//       by the storage over 20 cycles run first in a separate study.
//
// The Optuna peer is benchmarks/peers/optuna_postgres_throughput.py; the driver
// benchmarks/postgres_throughput.py runs both and pgbench, and writes the table.

#include <tunekit/samplers/random.hpp>
#include <tunekit/storage/postgres.hpp>
#include <tunekit/tuner.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace tk = tunekit;
using clock_type = std::chrono::steady_clock;

namespace {

const char* param_names[10] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"};

template <class Tuner>
void cycle(Tuner& tuner) {
  tk::trial t = tuner.ask();
  double sum = 0;
  for (const char* name : param_names) sum += t.suggest_float(name, 0, 1);
  for (int step = 0; step < 10; ++step) t.report(step, sum / (step + 1));
  tuner.tell(t, sum);
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  int processes = 1;
  long cycles = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--url") url = argv[i + 1];
    else if (a == "--processes") processes = std::atoi(argv[i + 1]);
    else if (a == "--cycles") cycles = std::atol(argv[i + 1]);
  }
  if (url.empty() || processes < 1 || cycles < 1) {
    std::cerr << "usage: postgres_throughput --url <postgresql://...> --processes K --cycles N\n";
    return 2;
  }
  const std::string study = "throughput-" + std::to_string(std::random_device{}());
  double commits_per_cycle = 0;
  {
    tk::postgres_storage s(url);
    s.create_study(study, std::array{tk::direction::minimize});
    tk::tuner probe{tk::random_sampler{{.seed = 99}}, s, tk::study_config{.name = study + "-probe"}};
    cycle(probe);  // schema and statement caches warm
    const auto before = s.transactions();
    for (int i = 0; i < 20; ++i) cycle(probe);
    commits_per_cycle = static_cast<double>(s.transactions() - before) / 20.0;
    s.delete_study(s.study_by_name(study + "-probe"));
  }
  const auto start = clock_type::now();
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      try {
        tk::tuner tuner{tk::random_sampler{{.seed = static_cast<std::uint64_t>(p)}}, tk::postgres_storage(url),
                        tk::study_config{.name = study}};
        for (long i = 0; i < cycles; ++i) cycle(tuner);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "worker: %s\n", e.what());
        std::_Exit(1);
      }
      std::_Exit(0);
    }
    children.push_back(pid);
  }
  bool ok = true;
  for (auto pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  tk::postgres_storage check(url);
  const auto sid = check.study_by_name(study);
  const auto n = check.trials(sid).size();
  const long total = cycles * processes;
  std::cout << "{\"system\": \"tunekit\", \"storage\": \"postgres\", \"processes\": " << processes
            << ", \"cycles\": " << total << ", \"seconds\": " << seconds
            << ", \"cycles_per_s\": " << static_cast<double>(total) / seconds
            << ", \"commits_per_cycle\": " << commits_per_cycle << ", \"trials_in_study\": " << n << "}" << std::endl;
  check.delete_study(sid);
  return ok && static_cast<long>(n) == total ? 0 : 1;
}
