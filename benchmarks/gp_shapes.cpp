// GP sampler on problem shapes outside the quality suite (issue 18):
//   conditional  a categorical picks one of three branches with parameters of
//                their own (2 floats / 4 floats + an int / 1 float), plus a
//                shared log-scaled float; minimum 0 on branch b.
//   branin20     branin in 2 of 20 dimensions, 18 irrelevant ones (the
//                high-dimensional, few-dimensions-matter shape).
// Median (quartiles) of the best value's regret at 50 and 100 trials over
// --seeds, for gp, tpe and random; one JSON line per run to --out.
//
//   gp_shapes --seeds 0-9 --out results/gp_shapes.jsonl
#include <tunekit/testing/test_functions.hpp>
#include <tunekit/tunekit.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

double conditional_objective(tunekit::trial& t) {
  const double lr = t.suggest_float("lr", 1e-4, 1.0, {.log = true});
  const double l = std::log10(lr) + 2.5;
  const std::string m = t.suggest_categorical("model", {"a", "b", "c"});
  double v = 0;
  if (m == "a") {
    const double x1 = t.suggest_float("a_x1", 0, 1), x2 = t.suggest_float("a_x2", 0, 1);
    v = 1.0 + 3 * ((x1 - 0.3) * (x1 - 0.3) + (x2 - 0.7) * (x2 - 0.7));
  } else if (m == "b") {
    for (int k = 0; k < 4; ++k) {
      std::string name = "b_y";  // not "b_y" + ...: GCC 12 -O3 warns falsely (PR 105651)
      name += std::to_string(k);
      const double y = t.suggest_float(name, -2, 2);
      v += (y - 0.25 * k) * (y - 0.25 * k);
    }
    v += 0.05 * std::abs(static_cast<double>(t.suggest_int("b_depth", 1, 10)) - 6);
  } else {
    v = 0.5 + 0.1 * std::abs(t.suggest_float("c_z", 0, 10) - 7.3);
  }
  return v + 0.2 * l * l;
}

double branin20_objective(tunekit::trial& t) {
  std::array<double, 2> x{};
  for (int d = 0; d < 20; ++d) {
    std::string name = "x";
    name += std::to_string(d);
    const double v = t.suggest_float(name, 0, 1);
    if (d == 3) x[0] = -5 + 15 * v;
    if (d == 11) x[1] = 15 * v;
  }
  return tunekit::testing::find("branin")->evaluate(x) - 0.39788735772973816;
}

template <class Sampler>
std::vector<double> best_so_far(Sampler s, double (*f)(tunekit::trial&), int n) {
  tunekit::tuner tuner{std::move(s)};
  std::vector<double> out;
  double best = HUGE_VAL;
  tuner.optimize([&](tunekit::trial& t) {
    const double v = f(t);
    out.push_back(best = std::min(best, v));
    return v;
  }, {.n_trials = n, .catch_exceptions = false});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int lo = 0, hi = 9;
  std::string out_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--seeds") std::sscanf(argv[i + 1], "%d-%d", &lo, &hi);
    else if (a == "--out") out_path = argv[i + 1];
  }
  std::ofstream out(out_path.empty() ? "/dev/null" : out_path);
  const std::map<std::string, double (*)(tunekit::trial&)> problems{{"conditional", conditional_objective},
                                                                   {"branin20", branin20_objective}};
  for (const auto& [pname, f] : problems)
    for (const std::string sampler : {"gp", "tpe", "random"}) {
      std::map<int, std::vector<double>> at;
      for (int seed = lo; seed <= hi; ++seed) {
        const auto s = static_cast<std::uint64_t>(seed);
        std::vector<double> r;
        if (sampler == "gp") r = best_so_far(tunekit::gp_sampler{{.seed = s}}, f, 100);
        else if (sampler == "tpe") r = best_so_far(tunekit::tpe_sampler{{.seed = s}}, f, 100);
        else r = best_so_far(tunekit::random_sampler{{.seed = s}}, f, 100);
        out << nlohmann::json{{"system", "tunekit"}, {"sampler", sampler}, {"function", pname}, {"seed", seed},
                              {"best_at", {{"50", r[49]}, {"100", r[99]}}}}.dump() << '\n';
        at[50].push_back(r[49]);
        at[100].push_back(r[99]);
      }
      for (auto& [b, v] : at) {
        std::sort(v.begin(), v.end());
        auto q = [&](double p) { return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5)]; };
        std::printf("%-12s %-7s %4d: median %.4g [%.4g, %.4g]\n", pname.c_str(), sampler.c_str(), b, q(0.5), q(0.25), q(0.75));
      }
      std::fflush(stdout);
    }
}
