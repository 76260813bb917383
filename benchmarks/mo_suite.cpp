// The multi-objective quality suite of BENCHMARKS.md (issue 17), tunekit's
// side: runs a sampler (nsga2, tpe, tpe-uv, gp, random) on ZDT1-3, DTLZ2, WFG4, C2-DTLZ2
// and mlp_cost and prints one JSON
// line per (sampler, problem, seed) with the hypervolume of the feasible,
// non-dominated trials after each budget:
//
//   {"system": "tunekit", "sampler": "nsga2", "problem": "zdt1", "seed": 3,
//    "hv_at": {"50": 9.1, "100": 9.6, "250": 10.4}, "hv_true": 11.7667}
//
// and, on the constrained problem, "feasible_at": the number of feasible
// trials after each budget (inside the reference point or not).
//
// Usage: mo_suite [--samplers nsga2,random,tpe,tpe-uv,tpe:key=value/...] [--problems zdt1,zdt2,...]
//                 [--seeds 0-9] [--budgets 50,100,250] [--population 50] [--starts FILE]
// --starts: JSON lines, line k = the parameter vectors (x0, x1, ...) of seed
// k's first trials, enqueued before sampling (e.g. Optuna's random start-up
// trials of the same seed, from peers/optuna_mo_starts.py).
// Samplers also: gp, gp-nowarp, gp:startup=N (gp_sampler with N Sobol trials),
// auto (auto_sampler's defaults).
// Problems not run by default: dtlz2_4, zdt1_c, and the held-back set of the
// GP's reference-point check (dtlz5, dtlz7, dtlz2_12, dtlz2_sc, zdt6) and of
// auto_sampler's rule (c2dtlz2_12).
// TK_TRACE=1 in the environment prints every trial of the [0, 1]^n problems
// (number, parameters | objectives) to stderr.
// Peer: peers/optuna_mo_suite.py (same problems, same output); table:
// mo_compare.py. Commands in RESULTS.md, "Multi-objective (issue 17)".
#include <tunekit/mo/hypervolume.hpp>
#include <tunekit/samplers/auto.hpp>
#include <tunekit/samplers/gp.hpp>
#include <tunekit/samplers/nsga2.hpp>
#include <tunekit/tunekit.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct problem {
  std::string name;
  int n_params;
  std::vector<double> reference;
  double hv_true;
  bool constrained;
};

const std::vector<problem> problems = {
    {"zdt1", 10, {1.1, 11}, 12.1 - 1.0 / 3, false},
    {"zdt2", 10, {1.1, 11}, 12.1 - 2.0 / 3, false},
    {"zdt3", 10, {1.1, 11}, 12.221762908656194, false},
    {"dtlz2", 7, {1.1, 1.1, 1.1}, 1.331 - std::numbers::pi / 6, false},
    {"c2dtlz2", 7, {1.1, 1.1, 1.1}, 0.72964605901938151, true},
    {"mlp_cost", 5, {0.5, 1.1}, 0.4222953901879495, false},
    {"wfg4", 8, {3, 5}, 15 - 2 * std::numbers::pi, false},
    // tunekit's own checks, not in BENCHMARKS.md (not run by default): DTLZ2
    // with 4 objectives (k = 5; true HV 1.1^4 - pi^2/32, minus the unit
    // sphere's positive orthant), and ZDT1 constrained to f1 >= 0.3 (true HV
    // 0.7 * 10 + (2/3)(1 - 0.3^1.5) + 1.1, the front from f1 = 0.3 on).
    {"dtlz2_4", 8, {1.1, 1.1, 1.1, 1.1}, 1.4641 - std::numbers::pi * std::numbers::pi / 32, false},
    {"zdt1_c", 10, {1.1, 11}, 7 + 2.0 / 3 * (1 - std::pow(0.3, 1.5)) + 1.1, true},
    // Held back for the GP's reference point (issue 17, GP third part; not
    // in BENCHMARKS.md, not run by default): DTLZ5 (degenerate front, a
    // curve), DTLZ7 (disconnected front), DTLZ2 with 12 parameters (k = 10),
    // DTLZ2 with objectives scaled by 1, 10, 100, and ZDT6 (non-uniform,
    // 2 objectives). Their true-front HV is computed from a dense sample of
    // the front (front_hv), to about 3 digits.
    {"dtlz5", 7, {1.1, 1.1, 1.1}, 0, false},
    {"dtlz7", 7, {1.1, 1.1, 13.2}, 0, false},
    {"dtlz2_12", 12, {1.1, 1.1, 1.1}, 1.331 - std::numbers::pi / 6, false},
    {"dtlz2_sc", 7, {1.1, 11, 110}, 1000 * (1.331 - std::numbers::pi / 6), false},
    {"zdt6", 10, {1.1, 11}, 0, false},
    // Held back for auto_sampler's rule (not run by default): C2-DTLZ2 with
    // 12 parameters (k = 10); same front and true HV as c2dtlz2.
    {"c2dtlz2_12", 12, {1.1, 1.1, 1.1}, 0.72964605901938151, true},
};

/// WFG4 (Huband, Hingston, Barone & While, IEEE TEC 10(5), 2006), M = 2,
/// k = 4 position and l = 4 distance parameters, z_i in [0, 2(i+1)]:
/// multi-modal shift s_multi(30, 10, 0.35), weighted-sum reduction, concave front.
std::vector<double> wfg4(const std::vector<double>& z) {
  const auto c01 = [](double v) { return v < 0 && v >= -1e-10 ? 0.0 : v > 1 && v <= 1 + 1e-10 ? 1.0 : v; };
  const auto s_multi = [&](double y) {
    const double a = 30, b = 10, c = 0.35;
    const double t1 = std::abs(y - c) / (2 * (std::floor(c - y) + c));
    const double t2 = (4 * a + 2) * std::numbers::pi * (0.5 - t1);
    return c01((1 + std::cos(t2) + 4 * b * t1 * t1) / (b + 2));
  };
  double pos = 0, dist = 0;
  for (std::size_t i = 0; i < z.size(); ++i) (i < 4 ? pos : dist) += s_multi(c01(z[i] / (2.0 * static_cast<double>(i + 1))));
  const double x1 = c01(pos / 4), x2 = c01(dist / 4);  // A = 1: the shape's x_1 is t_1
  return {x2 + 2 * std::sin(x1 * std::numbers::pi / 2), x2 + 4 * std::cos(x1 * std::numbers::pi / 2)};
}

/// mlp_cost of BENCHMARKS.md: validation error against model cost, mixed space.
std::vector<double> mlp_cost(tunekit::trial& t) {
  const double lr = t.suggest_float("lr", 1e-5, 1, {.log = true});
  const auto layers = static_cast<double>(t.suggest_int("layers", 1, 6));
  const auto units = static_cast<double>(t.suggest_int("units", 16, 1024, {.log = true}));
  const auto act = t.suggest_categorical<std::string>("activation", {"relu", "tanh", "gelu", "sigmoid"});
  const double dropout = t.suggest_float("dropout", 0, 0.8);
  const double u_lr = (std::log10(lr) + 2.5 + 0.5 * std::log10(layers)) / 5;
  const double d_opt = 0.5 * std::log(units / 16) / std::log(64.0);
  const double pen = act == "gelu" ? 0 : act == "relu" ? 0.005 : act == "tanh" ? 0.02 : 0.04;
  const double mult = act == "relu" ? 1 : act == "tanh" ? 1.2 : act == "gelu" ? 1.4 : 1.2;
  const double error = 0.02 + 0.35 * std::sqrt(16 / (units * layers)) + 0.02 * (layers - 3) * (layers - 3) / 9 + pen +
                       0.4 * u_lr * u_lr + 0.15 * (dropout - d_opt) * (dropout - d_opt);
  const double cost = (std::log(layers) + 2 * std::log(units / 16) + std::log(mult)) / std::log(6 * 4096 * 1.4);
  return {error, cost};
}

std::vector<double> evaluate(const std::string& name, const std::vector<double>& x) {
  if (name == "zdt6") {  // Zitzler, Deb & Thiele 2000
    const double f1 = 1 - std::exp(-4 * x[0]) * std::pow(std::sin(6 * std::numbers::pi * x[0]), 6);
    double s = 0;
    for (std::size_t i = 1; i < x.size(); ++i) s += x[i];
    const double g = 1 + 9 * std::pow(s / static_cast<double>(x.size() - 1), 0.25);
    return {f1, g * (1 - (f1 / g) * (f1 / g))};
  }
  if (name == "dtlz7") {  // Deb et al. 2002, M = 3: f1 = x0, f2 = x1, f3 = (1 + g) h
    double g = 0;
    for (std::size_t i = 2; i < x.size(); ++i) g += x[i];
    g = 1 + 9 * g / static_cast<double>(x.size() - 2);
    double h = 3;
    for (std::size_t i = 0; i < 2; ++i) h -= x[i] / (1 + g) * (1 + std::sin(3 * std::numbers::pi * x[i]));
    return {x[0], x[1], (1 + g) * h};
  }
  if (name == "dtlz5") {  // Deb et al. 2002, M = 3: theta_1 = pi/(4(1+g)) (1 + 2 g x1)
    double g = 0;
    for (std::size_t i = 2; i < x.size(); ++i) g += (x[i] - 0.5) * (x[i] - 0.5);
    const double a = x[0] * std::numbers::pi / 2, b = std::numbers::pi / (4 * (1 + g)) * (1 + 2 * g * x[1]);
    return {(1 + g) * std::cos(a) * std::cos(b), (1 + g) * std::cos(a) * std::sin(b), (1 + g) * std::sin(a)};
  }
  if (name == "dtlz2_sc") {
    std::vector<double> y(x);
    y.resize(7);
    auto f = evaluate("dtlz2", y);
    f[1] *= 10, f[2] *= 100;
    return f;
  }
  if (name.rfind("zdt", 0) == 0) {  // zdt1_c: ZDT1's objectives
    double g = 0;
    for (std::size_t i = 1; i < x.size(); ++i) g += x[i];
    g = 1 + 9 * g / static_cast<double>(x.size() - 1);
    const double r = x[0] / g;
    double h = name == "zdt1" || name == "zdt1_c" ? 1 - std::sqrt(r) : name == "zdt2" ? 1 - r * r
                                                                  : 1 - std::sqrt(r) - r * std::sin(10 * std::numbers::pi * x[0]);
    return {x[0], g * h};
  }
  if (name == "dtlz2_4") {  // DTLZ2, M = 4: f_m = (1+g) prod_{i<M-m} cos(x_i pi/2) [sin(x_{M-m} pi/2)]
    const std::size_t m = 4;
    double g = 0;
    for (std::size_t i = m - 1; i < x.size(); ++i) g += (x[i] - 0.5) * (x[i] - 0.5);
    std::vector<double> f(m, 1 + g);
    for (std::size_t k = 0; k < m; ++k) {
      for (std::size_t i = 0; i + k + 1 < m; ++i) f[k] *= std::cos(x[i] * std::numbers::pi / 2);
      if (k > 0) f[k] *= std::sin(x[m - k - 1] * std::numbers::pi / 2);
    }
    return f;
  }
  double g = 0;
  for (std::size_t i = 2; i < x.size(); ++i) g += (x[i] - 0.5) * (x[i] - 0.5);
  const double a = x[0] * std::numbers::pi / 2, b = x[1] * std::numbers::pi / 2;
  return {(1 + g) * std::cos(a) * std::cos(b), (1 + g) * std::cos(a) * std::sin(b), (1 + g) * std::sin(a)};
}

double c2dtlz2_constraint(const std::vector<double>& f);

/// The constraint of a constrained problem (<= 0 feasible).
double constraint_of(const std::string& name, const std::vector<double>& f) {
  return name == "zdt1_c" ? 0.3 - f[0] : c2dtlz2_constraint(f);
}

/// C2-DTLZ2's constraint (Jain & Deb 2014) in Optuna's form, r = 0.4.
double c2dtlz2_constraint(const std::vector<double>& f) {
  const double r = 0.4;
  double best = 1e300;
  for (std::size_t i = 0; i < f.size(); ++i) {
    double v = (f[i] - 1) * (f[i] - 1) - r * r;
    for (std::size_t j = 0; j < f.size(); ++j)
      if (j != i) v += f[j] * f[j];
    best = std::min(best, v);
  }
  double centre = -r * r;
  for (double fi : f) centre += (fi - 1 / std::sqrt(3.0)) * (fi - 1 / std::sqrt(3.0));
  return std::min(best, centre);
}

/// The true-front HV of a held-back problem from a dense sample of its front.
double front_hv(const problem& p) {
  tunekit::point_set f;
  const int n = 400;
  std::vector<double> x(static_cast<std::size_t>(p.n_params), 0.5);
  if (p.name == "zdt6") std::fill(x.begin() + 1, x.end(), 0.0);
  if (p.name == "dtlz7") std::fill(x.begin() + 2, x.end(), 0.0);
  for (int i = 0; i <= n; ++i) {
    x[0] = i / double(n);
    if (p.name == "zdt6") {
      f.push_back(evaluate(p.name, x));
      continue;
    }
    for (int j = 0; j <= (p.name == "dtlz5" ? 0 : n); ++j) {
      x[1] = j / double(n);
      f.push_back(evaluate(p.name, x));
    }
  }
  return tunekit::hypervolume(f, p.reference, tunekit::outside_reference::ignore);
}

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (auto dash = item.find('-'); dash != std::string::npos)
      for (int k = std::stoi(item.substr(0, dash)); k <= std::stoi(item.substr(dash + 1)); ++k) out.push_back(k);
    else out.push_back(std::stoi(item));
  }
  return out;
}

std::vector<std::string> parse_names(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

/// `tpe:key=value/key=value...`: a TPE variant for ablations (issue 17, MOTPE at 100
/// trials). Keys: mv (0/1, multivariate), bw (scott/fixed), startup (n),
/// gamma (fraction f: ceil(f n), capped by cap), cap (default 25), prior
/// (prior weight), clip (magic-clip exponent), ei (candidates).
tunekit::tpe_sampler_options tpe_variant(const std::string& spec, std::uint64_t seed) {
  tunekit::tpe_sampler_options o{.seed = seed};
  double frac = 0.1;
  std::int64_t cap = 25;
  bool custom_gamma = false;
  std::stringstream in(spec.substr(spec.find(':') + 1));
  std::string item;
  while (std::getline(in, item, '/')) {
    const auto eq = item.find('=');
    const std::string k = item.substr(0, eq), v = item.substr(eq + 1);
    if (k == "mv") o.multivariate = v == "1";
    else if (k == "bw") o.bandwidth = v == "fixed" ? tunekit::tpe_bandwidth::fixed : tunekit::tpe_bandwidth::scott;
    else if (k == "startup") o.n_startup_trials = std::stoll(v);
    else if (k == "gamma") frac = std::stod(v), custom_gamma = true;
    else if (k == "cap") cap = std::stoll(v), custom_gamma = true;
    else if (k == "prior") o.prior_weight = std::stod(v);
    else if (k == "clip") o.magic_clip_exponent = std::stod(v);
    else if (k == "ei") o.n_ei_candidates = std::stoll(v);
    else throw std::invalid_argument("unknown tpe variant key " + k);
  }
  if (custom_gamma)
    o.gamma = [frac, cap](std::int64_t n) {
      return std::min<std::int64_t>(static_cast<std::int64_t>(std::ceil(frac * static_cast<double>(n))), cap);
    };
  return o;
}

std::vector<nlohmann::json> start_trials;  // by seed (--starts)
const nlohmann::json* start_of_seed = nullptr;

template <class Sampler>
nlohmann::json run(Sampler sampler, const problem& p, const std::vector<int>& budgets) {
  std::vector<tunekit::direction> dirs(p.reference.size(), tunekit::direction::minimize);
  tunekit::study_config config{.directions = dirs};
  if (p.constrained)  // stored as each trial's `constraints` attribute, which the constrained samplers read
    config.constraints = [&p](const tunekit::frozen_trial& t) { return std::vector<double>{constraint_of(p.name, t.values)}; };
  tunekit::tuner tuner{std::move(sampler), config};
  std::vector<std::string> names;
  for (int i = 0; i < p.n_params; ++i) names.push_back(std::string(1, 'x').append(std::to_string(i)));
  auto objective = [&](tunekit::trial& t) {
    if (p.name == "mlp_cost") return mlp_cost(t);
    if (p.name == "wfg4") {
      std::vector<double> z;
      for (std::size_t i = 0; i < names.size(); ++i) z.push_back(t.suggest_float(names[i], 0, 2.0 * static_cast<double>(i + 1)));
      return wfg4(z);
    }
    std::vector<double> x;
    for (const auto& n : names) x.push_back(t.suggest_float(n, 0, 1));
    auto f = evaluate(p.name, x);
    if (std::getenv("TK_TRACE")) {
      std::cerr << t.number();
      for (double v : x) std::cerr << " " << std::round(v * 1000) / 1000;
      std::cerr << " |";
      for (double v : f) std::cerr << " " << v;
      std::cerr << "\n";
    }
    return f;
  };
  if (start_of_seed)
    for (const auto& x : *start_of_seed) {
      tunekit::param_values v;
      for (std::size_t i = 0; i < names.size(); ++i) v[names[i]] = x.at(i).get<double>();
      tuner.enqueue(v);
    }
  nlohmann::json hv_at = nlohmann::json::object(), feasible_at = nlohmann::json::object();
  int done = 0;
  for (int budget : budgets) {
    tuner.optimize(objective, {.n_trials = budget - done});
    done = budget;
    tunekit::point_set front;
    for (const auto& t : tuner.trials())
      if (t.state == tunekit::trial_state::complete && (!p.constrained || constraint_of(p.name, t.values) <= 0))
        front.push_back(t.values);
    hv_at[std::to_string(budget)] = tunekit::hypervolume(front, p.reference, tunekit::outside_reference::ignore);
    // Feasible trials, inside the reference or not: "finds feasible points" is a count, not a volume.
    if (p.constrained) feasible_at[std::to_string(budget)] = front.size();
  }
  return p.constrained ? nlohmann::json{{"hv_at", hv_at}, {"feasible_at", feasible_at}} : nlohmann::json{{"hv_at", hv_at}};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> samplers{"nsga2", "random"}, wanted{"zdt1", "zdt2", "zdt3", "dtlz2", "wfg4", "c2dtlz2", "mlp_cost"};
  std::vector<int> seeds = parse_list("0-9"), budgets = parse_list("50,100,250");
  std::int64_t population = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--samplers") samplers = parse_names(value);
    else if (flag == "--problems") wanted = parse_names(value);
    else if (flag == "--seeds") seeds = parse_list(value);
    else if (flag == "--budgets") budgets = parse_list(value);
    else if (flag == "--population") population = std::stoll(value);
    else if (flag == "--starts") {
      std::ifstream in(value);
      if (!in) {
        std::cerr << "--starts " << value << ": cannot read the file\n";
        return 2;
      }
      for (std::string line; std::getline(in, line);)
        if (!line.empty()) start_trials.push_back(nlohmann::json::parse(line));
    }
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  for (const auto& sampler : samplers)
    for (const auto& name : wanted)
      for (auto p : problems) {
        if (p.name != name) continue;
        if (p.hv_true == 0) p.hv_true = front_hv(p);
        for (int seed : seeds) {
          const auto s = static_cast<std::uint64_t>(seed);
          start_of_seed = static_cast<std::size_t>(seed) < start_trials.size() ? &start_trials[static_cast<std::size_t>(seed)] : nullptr;
          nlohmann::json measured;  // {"hv_at": ..., and "feasible_at" on a constrained problem}
          if (sampler == "nsga2") {
            tunekit::nsga2_sampler_options o{.population_size = population, .seed = s};
            if (p.constrained)
              o.constraints_func = [&p](const tunekit::frozen_trial& t) {
                return std::vector<double>{constraint_of(p.name, t.values)};
              };
            measured = run(tunekit::nsga2_sampler{o}, p, budgets);
          } else if (sampler == "tpe") {
            measured = run(tunekit::tpe_sampler{{.seed = s}}, p, budgets);
          } else if (sampler == "tpe-uv") {  // univariate, Optuna's default
            measured = run(tunekit::tpe_sampler{{.multivariate = false, .seed = s}}, p, budgets);
          } else if (sampler.rfind("tpe:", 0) == 0) {
            measured = run(tunekit::tpe_sampler{tpe_variant(sampler, s)}, p, budgets);
          } else if (sampler == "gp") {  // gp_sampler defaults (log EHVI; log PoF on constrained problems)
            measured = run(tunekit::gp_sampler{{.seed = s}}, p, budgets);
          } else if (sampler.rfind("gp:startup=", 0) == 0) {  // gp_sampler with another number of Sobol trials
            measured = run(tunekit::gp_sampler{{.n_startup_trials = std::stoll(sampler.substr(11)), .seed = s}}, p, budgets);
          } else if (sampler.rfind("gp:scalarized=", 0) == 0) {  // another share of ParEGO asks (0: log EHVI only)
            measured = run(tunekit::gp_sampler{{.scalarized_fraction = std::stod(sampler.substr(14)), .seed = s}}, p, budgets);
          } else if (sampler == "gp-nowarp") {
            measured = run(tunekit::gp_sampler{{.warp_outputs = false, .seed = s}}, p, budgets);
          } else if (sampler == "random") {
            measured = run(tunekit::random_sampler{{.seed = s}}, p, budgets);
          } else if (sampler == "auto") {  // auto_sampler defaults (its multi-objective rule, docs/samplers.md)
            measured = run(tunekit::auto_sampler{{.seed = s}}, p, budgets);
          } else {
            std::cerr << "unknown sampler " << sampler << "\n";
            return 2;
          }
          const std::string label = sampler == "nsga2" && population != 50 ? "nsga2-p" + std::to_string(population) : sampler;
          nlohmann::json row{{"system", "tunekit"}, {"sampler", label}, {"problem", p.name},
                             {"seed", seed},        {"hv_true", p.hv_true}};
          row.update(measured);
          std::cout << row.dump() << std::endl;
        }
      }
}
