// Cost of auto_sampler (issue 18): one study of --trials trials over --dim
// floats (a shifted sphere, which costs nothing), every trial drawn by the
// sampler itself; the CPU time (this thread) of each ask + suggests + tell.
// Prints one JSON object: the median ask CPU over the last 50 trials, per
// phase (which sampler proposed the trial) and the whole study's CPU.
//
//   auto_cost --trials 1000 --dim 10 --seed 0
#include <tunekit/detail/resource_meter.hpp>
#include <tunekit/samplers/auto.hpp>
#include <tunekit/tuner.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {
double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  int trials = 1000, dim = 10;
  std::uint64_t seed = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    if (key == "--trials") trials = std::atoi(argv[i + 1]);
    else if (key == "--dim") dim = std::atoi(argv[i + 1]);
    else if (key == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::cerr << "usage: auto_cost [--trials N] [--dim D] [--seed S]\n";
      return 2;
    }
  }
  std::vector<std::string> names;
  for (int i = 0; i < dim; ++i) names.push_back("x" + std::to_string(i));
  tunekit::tuner tuner{tunekit::auto_sampler{{.seed = seed}}};
  std::vector<double> cost(static_cast<std::size_t>(trials));
  std::map<std::string, std::vector<double>> by_phase;
  using meter = tunekit::detail::resource_meter;
  const double study_start = meter::thread_cpu_seconds();
  for (int n = 0; n < trials; ++n) {
    const double start = meter::thread_cpu_seconds();
    auto t = tuner.ask();
    double s = 0;
    for (int i = 0; i < dim; ++i) {
      const double x = t.suggest_float(names[static_cast<std::size_t>(i)], -5, 5);
      s += (x - 1.0) * (x - 1.0);
    }
    tuner.tell(t, s);
    cost[static_cast<std::size_t>(n)] = meter::thread_cpu_seconds() - start;
    by_phase[tuner.sampler().diagnostics().sampler].push_back(cost[static_cast<std::size_t>(n)]);
  }
  const double study = meter::thread_cpu_seconds() - study_start;
  nlohmann::json out{{"trials", trials},
                     {"dim", dim},
                     {"seed", seed},
                     {"study_cpu_s", study},
                     {"best", tuner.best_value()},
                     {"median_ask_cpu_s_last50",
                      median(std::vector<double>(cost.end() - std::min(trials, 50), cost.end()))}};
  for (const auto& [phase, c] : by_phase) {
    double sum = 0;
    for (double x : c) sum += x;
    out["phases"][phase] = {{"trials", c.size()}, {"cpu_s", sum}, {"median_ask_cpu_s", median(c)},
                            {"max_ask_cpu_s", *std::max_element(c.begin(), c.end())}};
  }
  std::cout << out.dump() << "\n";
}
