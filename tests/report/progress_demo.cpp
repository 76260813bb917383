// A short optimize run for the progress test: 60 trials of about 20 ms on
// two threads, some pruned, some failed. Prints one line on stdout at the
// end and nothing of its own on stderr, so whatever lands on stderr is the
// progress display's.
//
//   report_progress_demo [n_trials]
#include <tunekit/tunekit.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

int main(int argc, char** argv) {
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 60;
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 1}}};
  const auto summary = tuner.optimize(
      [](tunekit::trial& t) -> tunekit::result {
        const double x = t.suggest_float("x", -1, 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (t.number() % 9 == 4) return tunekit::pruned;
        if (t.number() % 13 == 6) throw std::runtime_error("boom");
        return x * x;
      },
      {.n_trials = n, .n_jobs = 2});
  std::printf("done: %lld complete, %lld pruned, %lld failed\n", static_cast<long long>(summary.n_complete),
              static_cast<long long>(summary.n_pruned), static_cast<long long>(summary.n_fail));
  return 0;
}
