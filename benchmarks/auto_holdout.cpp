// Held-out problems for auto_sampler (issue 18): functions that are not in
// the suite its thresholds were chosen on, one per kind of space the rule
// distinguishes, run with auto_sampler and with tunekit's TPE and CMA-ES
// (each on par with or better than Optuna's on the suite; RESULTS.md).
// One JSON line per (sampler, function, seed), in the suite's format, with
// "regret" instead of the best value (every minimum here is 0):
//
//   conditional   a categorical picks one of three models, each with its own
//                 two floats, plus a shared log-scaled rate; min 0 on model b
//   irrelevant20  20 floats of which only 3 matter (a shifted sphere)
//   integers6     6 integers in [-20, 20], a coupled quadratic
//   noisy_rosen4  Rosenbrock 4-D with Gaussian noise (sd 1); the regret is the
//                 noise-free value of the trial with the best noisy value
//   rastrigin6, schwefel4, rosenbrock8   multimodal / other-dimension shapes
//                 (added for the GP trust region; minima 0)
//
//   auto_holdout --sampler auto,tpe,cmaes --seeds 0-9 --budgets 50,100,200,500
//   (also gp and gp-tr: gp_sampler without and with its trust region)
#include <tunekit/samplers/auto.hpp>
#include <tunekit/samplers/cmaes.hpp>
#include <tunekit/samplers/gp.hpp>
#include <tunekit/samplers/tpe.hpp>
#include <tunekit/tuner.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr const char* xs[] = {"x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",  "x8",  "x9",
                              "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19"};

/// An objective returns (value the sampler sees, noise-free value).
using objective = std::function<std::pair<double, double>(tunekit::trial&)>;

std::pair<double, double> conditional(tunekit::trial& t) {
  const auto model = t.suggest_categorical("model", std::vector<std::string>{"a", "b", "c"});
  const double lr = t.suggest_float("lr", 1e-5, 1e-1, {.log = true});
  const double l = std::log10(lr) + 3;  // best rate 1e-3
  double v = 0.5 * l * l;
  if (model == "a") {
    const double p = t.suggest_float("a_p", 0, 1), q = t.suggest_float("a_q", 0, 1);
    v += 1 + (p - 0.2) * (p - 0.2) + (q - 0.7) * (q - 0.7);
  } else if (model == "b") {
    const double p = t.suggest_float("b_p", -5, 5);
    const auto k = t.suggest_int("b_k", 1, 64, {.log = true});
    v += 0.1 * (p - 1.5) * (p - 1.5) + 0.2 * std::pow(std::log2(static_cast<double>(k)) - 3, 2);
  } else {
    const double p = t.suggest_float("c_p", 0, 10);
    v += 0.5 + 0.05 * (p - 4) * (p - 4);
  }
  return {v, v};
}

std::pair<double, double> irrelevant20(tunekit::trial& t) {
  double v = 0;
  for (int i = 0; i < 20; ++i) {
    const double x = t.suggest_float(xs[i], -5, 5);
    if (i < 3) v += (x - 1.0 - i) * (x - 1.0 - i);
  }
  return {v, v};
}

std::pair<double, double> integers6(tunekit::trial& t) {
  std::vector<double> k(6);
  for (int i = 0; i < 6; ++i) k[static_cast<std::size_t>(i)] = static_cast<double>(t.suggest_int(xs[i], -20, 20));
  double v = 0;
  for (int i = 0; i < 6; ++i) v += (k[static_cast<std::size_t>(i)] - 3 * (i - 2)) * (k[static_cast<std::size_t>(i)] - 3 * (i - 2));
  for (int i = 0; i + 1 < 6; ++i) {
    const double d = (k[static_cast<std::size_t>(i)] - 3 * (i - 2)) - (k[static_cast<std::size_t>(i + 1)] - 3 * (i - 1));
    v += 0.5 * d * d;
  }
  return {v, v};
}

std::pair<double, double> noisy_rosen4(tunekit::trial& t) {
  std::vector<double> x(4);
  for (int i = 0; i < 4; ++i) x[static_cast<std::size_t>(i)] = t.suggest_float(xs[i], -5, 10);
  double v = 0;
  for (int i = 0; i + 1 < 4; ++i) {
    const double a = x[static_cast<std::size_t>(i + 1)] - x[static_cast<std::size_t>(i)] * x[static_cast<std::size_t>(i)];
    const double b = 1 - x[static_cast<std::size_t>(i)];
    v += 100 * a * a + b * b;
  }
  // Box-Muller from the trial's own stream: the same noise for the same trial number.
  tunekit::random_engine rng = tunekit::stream_for(12345, t.number(), "noise");
  const double u1 = std::max(rng.uniform(), 1e-300), u2 = rng.uniform();
  const double noise = std::sqrt(-2 * std::log(u1)) * std::cos(2 * 3.141592653589793 * u2);
  return {v + noise, v};
}

// Multimodal shapes of other dimensions than the suite's (added for the GP
// trust region, RESULTS.md "GP trust region"); minima 0.
std::pair<double, double> rastrigin6(tunekit::trial& t) {  // [-5.12, 5.12]^6, min at 0
  double v = 10.0 * 6;
  for (int i = 0; i < 6; ++i) {
    const double x = t.suggest_float("x" + std::to_string(i), -5.12, 5.12);
    v += x * x - 10 * std::cos(2 * 3.141592653589793 * x);
  }
  return {v, v};
}

std::pair<double, double> schwefel4(tunekit::trial& t) {  // [-500, 500]^4, min at 420.9687...
  double v = 418.9828872724338 * 4;
  for (int i = 0; i < 4; ++i) {
    const double x = t.suggest_float("x" + std::to_string(i), -500, 500);
    v -= x * std::sin(std::sqrt(std::abs(x)));
  }
  return {std::max(v, 0.0), std::max(v, 0.0)};
}

std::pair<double, double> rosenbrock8(tunekit::trial& t) {  // [-5, 10]^8, min at 1
  std::vector<double> x(8);
  for (int i = 0; i < 8; ++i) x[static_cast<std::size_t>(i)] = t.suggest_float("x" + std::to_string(i), -5, 10);
  double v = 0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i)
    v += 100 * (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) + (x[i] - 1) * (x[i] - 1);
  return {v, v};
}

struct function_entry {
  std::string_view name;
  std::pair<double, double> (*f)(tunekit::trial&);
};
constexpr function_entry functions[] = {
    {"conditional", conditional}, {"irrelevant20", irrelevant20}, {"integers6", integers6}, {"noisy_rosen4", noisy_rosen4},
    {"rastrigin6", rastrigin6},   {"schwefel4", schwefel4},         {"rosenbrock8", rosenbrock8}};

template <class Sampler>
std::vector<double> run(std::pair<double, double> (*f)(tunekit::trial&), int n, Sampler sampler) {
  tunekit::tuner tuner{std::move(sampler)};
  std::vector<double> regret_at;  // noise-free value of the best observed trial so far
  double best_seen = std::numeric_limits<double>::infinity(), regret = best_seen;
  tuner.optimize(
      [&](tunekit::trial& t) {
        const auto [seen, clean] = f(t);
        if (seen < best_seen) best_seen = seen, regret = clean;
        regret_at.push_back(regret);
        return seen;
      },
      {.n_trials = n, .catch_exceptions = false});
  return regret_at;
}

std::vector<double> run_named(std::string_view sampler, std::pair<double, double> (*f)(tunekit::trial&),
                              std::uint64_t seed, int n) {
  if (sampler == "auto") return run(f, n, tunekit::auto_sampler{{.seed = seed}});
  if (sampler == "tpe") return run(f, n, tunekit::tpe_sampler{{.seed = seed}});
  if (sampler == "cmaes") return run(f, n, tunekit::cmaes_sampler{{.seed = seed, .warn_independent_sampling = false}});
  if (sampler == "gp") return run(f, n, tunekit::gp_sampler{{.seed = seed}});
  if (sampler == "gp-tr") return run(f, n, tunekit::gp_sampler{{.trust_region = true, .seed = seed}});
  std::cerr << "auto_holdout: unknown sampler " << sampler << " (auto, tpe, cmaes, gp, gp-tr)\n";
  std::exit(2);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at <= s.size();) {
    const std::size_t end = std::min(s.find(',', at), s.size());
    if (end > at) out.push_back(s.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string samplers = "auto,tpe,cmaes", seeds = "0-9", budgets_arg = "50,100,200,500", only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    if (key == "--sampler") samplers = argv[i + 1];
    else if (key == "--seeds") seeds = argv[i + 1];
    else if (key == "--budgets") budgets_arg = argv[i + 1];
    else if (key == "--functions") only = argv[i + 1];
    else {
      std::cerr << "usage: auto_holdout [--sampler auto,tpe,cmaes,gp,gp-tr] [--functions ...] [--seeds 0-9] [--budgets ...]\n";
      return 2;
    }
  }
  const auto dash = seeds.find('-');
  const int lo = std::atoi(seeds.substr(0, dash).c_str());
  const int hi = dash == std::string::npos ? lo : std::atoi(seeds.substr(dash + 1).c_str());
  std::vector<int> budgets;
  for (const auto& b : split(budgets_arg)) budgets.push_back(std::atoi(b.c_str()));
  const int n = *std::max_element(budgets.begin(), budgets.end());
  const auto wanted = split(only);
  for (const auto& s : split(samplers))
    for (const auto& f : functions) {
      if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), f.name) == wanted.end()) continue;
      for (int seed = lo; seed <= hi; ++seed) {
        const auto r = run_named(s, f.f, static_cast<std::uint64_t>(seed), n);
        nlohmann::json at;
        for (int b : budgets) at[std::to_string(b)] = r[static_cast<std::size_t>(b - 1)];
        std::cout << nlohmann::json{{"system", "tunekit"}, {"sampler", s}, {"function", f.name}, {"seed", seed},
                                    {"regret_at", at}}
                         .dump()
                  << std::endl;
      }
    }
}
