#include <tunekit/testing/test_functions.hpp>
#include <tunekit/samplers/gp.hpp>
#include <tunekit/samplers/auto.hpp>
#include <tunekit/tuner.hpp>
#include <nlohmann/json.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
namespace tt = tunekit::testing;
std::vector<std::pair<std::string, tunekit::distribution>> dists(const tt::test_function& f) {
  std::vector<std::pair<std::string, tunekit::distribution>> out;
  for (const auto& p : f.domain) {
    switch (p.kind) {
      case tt::parameter_kind::continuous: out.emplace_back(p.name, tunekit::float_distribution(p.low, p.high, {.log = p.log}, p.name)); break;
      case tt::parameter_kind::integer: out.emplace_back(p.name, tunekit::int_distribution((std::int64_t)p.low, (std::int64_t)p.high, {.log = p.log}, p.name)); break;
      case tt::parameter_kind::categorical: { std::vector<tunekit::category> c(p.choices.begin(), p.choices.end()); out.emplace_back(p.name, tunekit::categorical_distribution(std::move(c), p.name)); break; }
    }
  }
  return out;
}
template <class S> std::vector<double> run(const tt::test_function& f, int n, S s) {
  auto params = dists(f); tunekit::tuner tuner{std::move(s)}; std::vector<double> vals, x(params.size());
  if (std::getenv("TK_CENTRE")) {  // the centre of the box as the first trial (log: geometric mean; int: rounded; categorical: left to the sampler)
    tunekit::param_values c;
    for (const auto& p : f.domain) {
      if (p.kind == tt::parameter_kind::categorical) continue;
      double m = p.log ? std::sqrt(p.low * p.high) : 0.5 * (p.low + p.high);
      if (p.kind == tt::parameter_kind::integer) m = std::round(m);
      c[p.name] = m;
    }
    tuner.enqueue(c);
  }
  tuner.optimize([&](tunekit::trial& t) { for (std::size_t i = 0; i < params.size(); ++i) x[i] = t.suggest(params[i].first, params[i].second); std::vector<double> y = x; if (const char* sh = std::getenv("TK_SHIFT")) for (std::size_t i = 0; i < y.size(); ++i) if (f.domain[i].kind == tt::parameter_kind::continuous && !f.domain[i].log) y[i] -= std::atof(sh); double v = f.evaluate(y); vals.push_back(v); return v; }, {.n_trials = n, .catch_exceptions = false});
  return vals;
}
// TK_SHIFT=s: the optimum moved by +s in every continuous, non-log coordinate (it must stay inside the box).
// TK_CENTRE: the centre of the box enqueued as the first trial (RESULTS.md, "levy10 at 50 trials: the centre of the box").
// run NAME SAMPLER(gp|auto) FUNCS(comma) SEEDLO SEEDHI BUDGETS(comma)
// TK_TR: the GP with its trust region; TK_BEST_VALUES: print best values, not regrets.
int main(int argc, char** argv) {
  std::string name = argv[1], sampler = argv[2], funcs = argv[3] + std::string(",");
  int lo = std::atoi(argv[4]), hi = std::atoi(argv[5]);
  std::vector<int> budgets; { std::string b = argv[6] + std::string(","); for (size_t a = 0, e; (e = b.find(',', a)) != std::string::npos; a = e + 1) budgets.push_back(std::atoi(b.substr(a, e - a).c_str())); }
  int n = *std::max_element(budgets.begin(), budgets.end());
  const bool raw = std::getenv("TK_BEST_VALUES") != nullptr;  // best values, not regrets (gp_trust_region rows)
  for (size_t a = 0, e; (e = funcs.find(',', a)) != std::string::npos; a = e + 1) {
    std::string fn = funcs.substr(a, e - a);
    const tt::test_function* f = nullptr;
    for (const auto& g : tt::suite()) if (g.name == fn) f = &g;
    if (!f) { std::fprintf(stderr, "no %s\n", fn.c_str()); return 2; }
    for (int s = lo; s <= hi; ++s) {
      auto v = sampler == "gp" ? run(*f, n, tunekit::gp_sampler{{.trust_region = std::getenv("TK_TR") != nullptr, .seed = (std::uint64_t)s}}) : run(*f, n, tunekit::auto_sampler{{.seed = (std::uint64_t)s}});
      nlohmann::json j{{"system", "tunekit"}, {"sampler", name}, {"function", fn}, {"seed", s}};
      double best = 1e300; nlohmann::json ba;
      for (int i = 0; i < (int)v.size(); ++i) { best = std::min(best, v[i]); for (int b : budgets) if (b == i + 1) ba[std::to_string(b)] = raw ? best : best - f->known_minimum; }
      j["best_at"] = ba; std::printf("%s\n", j.dump().c_str()); std::fflush(stdout);
    }
  }
}
