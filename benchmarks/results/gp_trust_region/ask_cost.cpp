// CPU per ask at n = 100 finished trials, 6-D, GP with and without the trust region (same run).
#include <tunekit/samplers/gp.hpp>
#include <tunekit/tuner.hpp>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
static double cpu() { timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
template <class S> double run(S s, int n0, int asks) {
  tunekit::tuner tuner{std::move(s)};
  double spent = 0; int k = 0; double fe = 0;
  auto obj = [&](tunekit::trial& t) {
    double v = 0;
    for (int i = 0; i < 6; ++i) { double x = t.suggest_float("x" + std::to_string(i), 0, 1); v += (x - 0.3) * (x - 0.3) + 0.1 * std::sin(7 * x); }
    return v;
  };
  tuner.optimize(obj, {.n_trials = n0});
  for (int a = 0; a < asks; ++a) {
    double t0 = cpu();
    auto tr = tuner.ask();
    double v = obj(tr);
    spent += cpu() - t0;
    fe += tuner.sampler().diagnostics().fit_evaluations;
    tuner.tell(tr, v);
    ++k;
  }
  std::printf("  fit evaluations per ask %.1f\n", fe / k);
  return spent / k;
}
int main() {
  for (int rep = 0; rep < 3; ++rep) {
    double off = run(tunekit::gp_sampler{{.seed = 1}}, 100, 10);
    double on = run(tunekit::gp_sampler{{.trust_region = true, .seed = 1}}, 100, 10);
    std::printf("rep %d: CPU per ask at n=100..109, 6-D: off %.2f ms, trust region %.2f ms, ratio %.3f\n", rep, 1e3 * off, 1e3 * on, on / off);
  }
}
