// Hand-compiled (not a CMake target), as model_alone.cpp; ./diagnostics FUNCTION TRIALS SEEDS RANDOM_FRACTION
// Diagnostics: bohb_sampler alone on a test function; per seed, which trials were model picks,
// how model picks and random picks score, the good density's bandwidths at trial 50/100,
// and the spread of the last 20 model picks.
#include <tunekit/testing/test_functions.hpp>
#include <tunekit/samplers/bohb.hpp>
#include <tunekit/tuner.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
namespace tt = tunekit::testing;
double med(std::vector<double> v) { if (v.empty()) return NAN; std::sort(v.begin(), v.end()); return v[v.size() / 2]; }
int main(int argc, char** argv) {
  auto f = *tt::find(argc > 1 ? argv[1] : "branin");
  int n = argc > 2 ? atoi(argv[2]) : 100; int seeds = argc > 3 ? atoi(argv[3]) : 10;
  double rf = argc > 4 ? atof(argv[4]) : 1.0 / 3;
  std::vector<double> model_share_impr, bw50, bw100, spread, model_v, rand_v;
  for (int s = 0; s < seeds; ++s) {
    const std::uint64_t seed = s;
    tunekit::tuner tuner{tunekit::bohb_sampler{{.max_resource = 81, .random_fraction = rf, .seed = seed}}};
    std::vector<std::vector<double>> X; std::vector<double> Y; std::vector<bool> model;
    std::vector<double> x(f.dim); double best = 1e300; int impr_model = 0, impr = 0;
    for (int i = 0; i < n; ++i) {
      auto t = tuner.ask();
      for (std::size_t j = 0; j < f.dim; ++j) x[j] = t.suggest_float(f.domain[j].name, f.domain[j].low, f.domain[j].high);
      double v = f.evaluate(x); tuner.tell(t, v);
      // the sampler's own draw: model unless u < rf or fewer than d+3 observations (trial 0 is independent)
      auto rng = tunekit::stream_for(seed, t.number(), "bohb");
      bool m = i >= (int)f.dim + 3 && !(rng.uniform() < rf);
      std::vector<double> u(f.dim);
      for (std::size_t j = 0; j < f.dim; ++j) u[j] = (x[j] - f.domain[j].low) / (f.domain[j].high - f.domain[j].low);
      X.push_back(u); Y.push_back(v); model.push_back(m);
      (m ? model_v : rand_v).push_back(v - f.known_minimum);
      if (v < best) { if (i > 0) { ++impr; impr_model += m; } best = v; }
      if (i + 1 == 50 || i + 1 == n) {
        std::vector<std::size_t> idx(Y.size()); std::iota(idx.begin(), idx.end(), 0);
        std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return Y[a] < Y[b]; });
        std::size_t ng = std::max<std::size_t>(f.dim + 1, 15 * Y.size() / 100);
        std::vector<double> pts; for (std::size_t k = 0; k < ng; ++k) pts.insert(pts.end(), X[idx[k]].begin(), X[idx[k]].end());
        std::vector<tunekit::detail::bohb_dim> dims(f.dim);
        tunekit::detail::bohb_kde good(dims, pts, 1e-3);
        double g = 0; for (std::size_t j = 0; j < f.dim; ++j) g += std::log(good.bandwidth(j)); g = std::exp(g / f.dim);
        (i + 1 == 50 ? bw50 : bw100).push_back(g);
      }
    }
    model_share_impr.push_back(impr ? double(impr_model) / impr : NAN);
    // spread of the last 20 model picks (rms distance to their mean, unit cube)
    std::vector<std::vector<double>> last; for (int i = n - 1; i >= 0 && last.size() < 20; --i) if (model[i]) last.push_back(X[i]);
    std::vector<double> mean(f.dim, 0); for (auto& p : last) for (std::size_t j = 0; j < f.dim; ++j) mean[j] += p[j] / last.size();
    double r = 0; for (auto& p : last) for (std::size_t j = 0; j < f.dim; ++j) r += (p[j] - mean[j]) * (p[j] - mean[j]);
    spread.push_back(std::sqrt(r / last.size()));
  }
  std::printf("%s rf=%.3f: good-density bandwidth (geo-mean, unit cube) median at 50: %.4f, at %d: %.4f; rms spread of last 20 model picks: %.4f; "
              "share of improvements by model picks: %.2f; median regret of model picks %.3g (n=%zu), of random picks %.3g (n=%zu)\n",
              f.name.c_str(), rf, med(bw50), n, med(bw100), med(spread), med(model_share_impr), med(model_v), model_v.size(), med(rand_v), rand_v.size());
}
