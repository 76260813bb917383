// Hand-compiled (not a CMake target), from the repository root:
//   g++ -O2 -std=c++20 -Iinclude $(pkg-config --cflags eigen3) benchmarks/results/bohb_model_alone/model_alone.cpp -o model_alone
//   ./model_alone SEEDS TRIALS FUNCTIONS [METHODS]   e.g. ./model_alone 10 100 hartmann3,rosenbrock4,mixed_hpo
// Investigation only: bohb_sampler alone (no scheduler, no reports) vs random and TPE.
#include <tunekit/testing/test_functions.hpp>
#include <tunekit/samplers/bohb.hpp>
#include <tunekit/samplers/random.hpp>
#include <tunekit/samplers/tpe.hpp>
#include <tunekit/tuner.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
namespace tt = tunekit::testing;
std::vector<std::pair<std::string, tunekit::distribution>> dists(const tt::test_function& f) {
  std::vector<std::pair<std::string, tunekit::distribution>> out;
  for (const auto& p : f.domain) {
    if (p.kind == tt::parameter_kind::continuous) out.emplace_back(p.name, tunekit::float_distribution(p.low, p.high, {.log = p.log}));
    else if (p.kind == tt::parameter_kind::integer) out.emplace_back(p.name, tunekit::int_distribution((std::int64_t)p.low, (std::int64_t)p.high, {.log = p.log}));
    else { std::vector<tunekit::category> c(p.choices.begin(), p.choices.end()); out.emplace_back(p.name, tunekit::categorical_distribution(std::move(c))); }
  }
  return out;
}
template <class S> std::vector<double> run(const tt::test_function& f, int n, S s) {
  auto ps = dists(f);
  tunekit::tuner tuner{std::move(s)};
  std::vector<double> best; double b = 1e300; std::vector<double> x(ps.size());
  for (int i = 0; i < n; ++i) {
    auto t = tuner.ask();
    for (std::size_t j = 0; j < ps.size(); ++j) x[j] = t.suggest(ps[j].first, ps[j].second);
    double v = f.evaluate(x);
    tuner.tell(t, v);
    b = std::min(b, v - f.known_minimum); best.push_back(b);
  }
  return best;
}
double q(std::vector<double> v, double p) { std::sort(v.begin(), v.end()); double r = p * (v.size() - 1); auto i = (size_t)r; double fr = r - i; return i + 1 < v.size() ? v[i] * (1 - fr) + v[i + 1] * fr : v[i]; }
int main(int argc, char** argv) {
  int seeds = argc > 1 ? atoi(argv[1]) : 10, n = argc > 2 ? atoi(argv[2]) : 100;
  std::string fns = argc > 3 ? argv[3] : "branin,hartmann6,hartmann3";
  std::string methods = argc > 4 ? argv[4] : "random,tpe,bohb,bohb_rf0";
  double bwf = getenv("BWF") ? atof(getenv("BWF")) : 3.0;
  for (const auto& f : tt::suite()) {
    if (("," + fns + ",").find("," + f.name + ",") == std::string::npos) continue;
    for (std::string m : {"random", "tpe", "bohb", "bohb_rf0"}) {
      if (("," + methods + ",").find("," + m + ",") == std::string::npos) continue;
      std::vector<double> at25, at50, at100;
      for (int s = 0; s < seeds; ++s) {
        auto u = (std::uint64_t)s; std::vector<double> tr;
        if (m == "random") tr = run(f, n, tunekit::random_sampler{{.seed = u}});
        else if (m == "tpe") tr = run(f, n, tunekit::tpe_sampler{{.seed = u}});
        else tr = run(f, n, tunekit::bohb_sampler{{.max_resource = 81, .random_fraction = m == "bohb" ? 1.0 / 3 : 0.0, .bandwidth_factor = bwf, .seed = u}});
        at25.push_back(tr[n / 4 - 1]); at50.push_back(tr[n / 2 - 1]); at100.push_back(tr[n - 1]);
      }
      std::printf("%-10s %-9s @%d: %.4g [%.3g,%.3g]  @%d: %.4g [%.3g,%.3g]  @%d: %.4g [%.3g,%.3g]\n", f.name.c_str(), m.c_str(),
                  n / 4, q(at25, .5), q(at25, .25), q(at25, .75), n / 2, q(at50, .5), q(at50, .25), q(at50, .75), n, q(at100, .5), q(at100, .25), q(at100, .75));
    }
  }
}
