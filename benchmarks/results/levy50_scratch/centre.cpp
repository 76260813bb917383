// levy10 (10-D, [-10, 10]) with gp_sampler defaults, 50 trials: with and without the centre of the box
// enqueued as the first trial, optimum shifted by argv[2]. Usage: centre <0|1> <shift> <first seed> <last seed>.
// benchmarks/RESULTS.md, "levy10 at 50 trials: the centre of the box".
#include <tunekit/tunekit.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <numbers>
double levy(const std::vector<double>& x) {
  auto w = [](double v) { return 1 + (v - 1) / 4; };
  const double pi = std::numbers::pi;
  double s = std::pow(std::sin(pi * w(x[0])), 2);
  for (std::size_t i = 0; i + 1 < x.size(); ++i) s += std::pow(w(x[i]) - 1, 2) * (1 + 10 * std::pow(std::sin(pi * w(x[i]) + 1), 2));
  const double wd = w(x.back());
  return s + std::pow(wd - 1, 2) * (1 + std::pow(std::sin(2 * pi * wd), 2));
}
int main(int argc, char** argv) {
  const bool centre = std::atoi(argv[1]);
  const double shift = std::atof(argv[2]);
  for (int seed = std::atoi(argv[3]); seed <= std::atoi(argv[4]); ++seed) {
    tunekit::tuner tuner{tunekit::gp_sampler{{.seed = static_cast<std::uint64_t>(seed)}}};
    if (centre) { tunekit::param_values v; for (int i = 0; i < 10; ++i) v["x" + std::to_string(i)] = 0.0; tuner.enqueue(v); }
    tuner.optimize([&](tunekit::trial& t) { std::vector<double> x; for (int i = 0; i < 10; ++i) x.push_back(t.suggest_float("x" + std::to_string(i), -10, 10) - shift); return levy(x); }, {.n_trials = 50});
    double best = 1e300; for (auto& t : tuner.trials()) best = std::min(best, t.values[0]);
    std::printf("%d %g\n", seed, best);
  }
}
