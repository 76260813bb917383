// CPU time per gp_sampler ask (ask + tell, cheap objective), 10-D, at n finished trials, with 1, 2 and 3
// objectives (issue 17). Build and run: see benchmarks/RESULTS.md, "GP sampler with several objectives".
#include <tunekit/tunekit.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>
int main() {
  for (int m : {1, 2, 3}) {
    for (std::uint64_t seed : {0, 1, 2}) {
      tunekit::tuner tuner{tunekit::gp_sampler{{.seed = seed}},
                           tunekit::study_config{.directions = std::vector<tunekit::direction>(static_cast<std::size_t>(m), tunekit::direction::minimize)}};
      std::vector<double> cpu;
      std::clock_t last = std::clock();
      tuner.optimize([&](tunekit::trial& t) {
        const std::clock_t now = std::clock();
        cpu.push_back(double(now - last) / CLOCKS_PER_SEC);
        std::vector<double> x;
        for (int i = 0; i < 10; ++i) {
          // Built with append: GCC 12 reports a false -Wrestrict on "x" + std::to_string(i) at -O3.
          std::string name = "x";
          name.append(std::to_string(i));
          x.push_back(t.suggest_float(name, 0, 1));
        }
        double g = 1;
        for (int i = 1; i < 10; ++i) g += x[i];
        std::vector<double> f{x[0], g * (1 - std::sqrt(x[0] / g)), x[0] * x[1] + g};
        f.resize(static_cast<std::size_t>(m));
        last = std::clock();
        return f;
      }, {.n_trials = 106});
      for (int n : {50, 100}) {
        std::vector<double> w(cpu.begin() + n - 5, cpu.begin() + n + 6);
        std::nth_element(w.begin(), w.begin() + 5, w.end());
        std::cout << "{\"objectives\": " << m << ", \"seed\": " << seed << ", \"n\": " << n << ", \"cpu_ms_median\": " << 1000 * w[5] << "}\n";
      }
    }
  }
}
