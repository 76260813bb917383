#include <tunekit/testing/test_functions.hpp>
#include <tunekit/samplers/gp.hpp>
#include <tunekit/tuner.hpp>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <string>
#include <vector>
namespace tt = tunekit::testing;
int main(int argc, char** argv) {
  std::string fname = argv[1];
  unsigned long seed = std::strtoul(argv[2], nullptr, 10);
  int n = std::atoi(argv[3]);
  const tt::test_function* f = nullptr;
  for (const auto& g : tt::suite()) if (g.name == fname) f = &g;
  if (!f) return 2;
  tunekit::gp_sampler_options o{.seed = seed};
  if (argc > 4) o.n_candidates = std::atoi(argv[4]);
  tunekit::tuner tuner{tunekit::gp_sampler{o}};
  std::vector<double> x(f->dim);
  double best = 1e300; std::vector<double> bx;
  int k = 0;
  tuner.optimize([&](tunekit::trial& t) {
    for (std::size_t i = 0; i < f->dim; ++i) {
      const auto& p = f->domain[i];
      x[i] = t.suggest(p.name, tunekit::float_distribution(p.low, p.high));
    }
    double v = f->evaluate(x);
    const auto& dg = tuner.sampler().diagnostics();
    int at_bound = 0; double dist = 0;
    for (std::size_t i = 0; i < f->dim; ++i) {
      double u = (x[i] - f->domain[i].low) / (f->domain[i].high - f->domain[i].low);
      if (u < 1e-6 || u > 1 - 1e-6) ++at_bound;
      if (!bx.empty()) { double du = (x[i] - bx[i]) / (f->domain[i].high - f->domain[i].low); dist += du * du; }
    }
    double lmin = 1e9, lmax = 0, lgeo = 0;
    for (double l : dg.lengthscales) { lmin = std::min(lmin, l); lmax = std::max(lmax, l); lgeo += std::log(l); }
    if (!dg.lengthscales.empty()) lgeo = std::exp(lgeo / dg.lengthscales.size());
    std::printf("%3d v=%8.2f best=%8.2f dist=%.3f bound=%d ls[min %.2f geo %.2f max %.2f] s2=%.2g noise=%.2g acq=%.3g %s\n", k++, v, std::min(best, v), std::sqrt(dist), at_bound,
                lmin, lgeo, lmax, dg.signal_variance, dg.noise_variance, dg.acquisition_value, dg.fallback.c_str());
    if (v < best) { best = v; bx = x; }
    return v;
  }, {.n_trials = n, .catch_exceptions = false});
}
