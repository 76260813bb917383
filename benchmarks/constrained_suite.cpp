// One objective with constraints (issue 17, "Constraints" / "c-TPE"): the
// best FEASIBLE value TPE finds when it is told the constraints, against TPE
// not told them (the behaviour before constrained single-objective TPE: the
// constraints are only scored afterwards) and random search. One JSON line
// per (sampler, problem, seed):
//
//   {"system": "tunekit", "sampler": "tpe", "problem": "gramacy", "seed": 3,
//    "best_at": {"50": 0.61, "100": null, "200": 0.60}, "first_feasible": 7}
//
// best_at: the best value among feasible trials within the first `budget`
// (null: none feasible); first_feasible: the first feasible trial's number.
// Usage: constrained_suite [--samplers tpe,tpe-blind,tpe-uv,random]
//          [--problems gramacy,branin_disk,sphere10_disk,small_ball4] [--seeds 10] [--budgets 50,100,200]
// tpe-uv: univariate TPE told the constraints (Optuna's default model);
// gp (not run by default): gp_sampler told them (auto_sampler's choice).
// hartmann6_sum is held back (not run by default). Peer:
// peers/optuna_constrained_suite.py; table: constrained_compare.py;
// commands in RESULTS.md, "Constraints in single-objective TPE".
#include <tunekit/samplers/gp.hpp>
#include <tunekit/tunekit.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <numbers>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

struct problem {
  std::string name;
  std::vector<std::pair<double, double>> bounds;
};

/// Objective and constraint values (each <= 0 when satisfied) at x.
std::pair<double, std::vector<double>> evaluate(const std::string& name, const std::vector<double>& x) {
  constexpr double pi = std::numbers::pi;
  if (name == "gramacy") {  // Gramacy et al. 2016, "Modeling an augmented Lagrangian...": optimum 0.5998
    return {x[0] + x[1], {1.5 - x[0] - 2 * x[1] - 0.5 * std::sin(2 * pi * (x[0] * x[0] - 2 * x[1])),
                          x[0] * x[0] + x[1] * x[1] - 1.5}};
  }
  if (name == "branin_disk") {  // Branin inside a disk that holds none of its three minima
    const double u = x[1] - 5.1 / (4 * pi * pi) * x[0] * x[0] + 5 / pi * x[0] - 6;
    return {u * u + 10 * (1 - 1 / (8 * pi)) * std::cos(x[0]) + 10,
            {(x[0] - 2.5) * (x[0] - 2.5) + (x[1] - 7.5) * (x[1] - 7.5) - 25}};
  }
  if (name == "sphere10_disk") {  // 10-D, 4 relevant, the constraint on 2: optimum 0.08 at x0 = x1 = 0.5
    double f = 0;
    for (int i = 0; i < 4; ++i) f += (x[i] - 0.7) * (x[i] - 0.7);
    return {f, {x[0] * x[0] + x[1] * x[1] - 0.5}};
  }
  if (name == "small_ball4") {  // 4-D, feasible only in a ball of radius 0.2 (0.8% of the cube): optimum 2.4
    double f = 0, d = 0;
    for (int i = 0; i < 4; ++i) f += x[i], d += (x[i] - 0.7) * (x[i] - 0.7);
    return {f, {d - 0.04}};
  }
  // hartmann6_sum (held back): Hartmann-6 with sum(x) <= 2 (its optimum has sum 2.07)
  static const double a[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14},
                                 {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
  static const double p[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                 {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                 {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                 {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  double f = 0, sum = 0;
  for (int i = 0; i < 4; ++i) {
    double e = 0;
    for (int j = 0; j < 6; ++j) e += a[i][j] * (x[j] - p[i][j]) * (x[j] - p[i][j]);
    f -= alpha[i] * std::exp(-e);
  }
  for (double v : x) sum += v;
  return {f, {sum - 2}};
}

const std::vector<problem> problems = {
    {"gramacy", {{0, 1}, {0, 1}}},
    {"branin_disk", {{-5, 10}, {0, 15}}},
    {"sphere10_disk", std::vector<std::pair<double, double>>(10, {0, 1})},
    {"small_ball4", std::vector<std::pair<double, double>>(4, {0, 1})},
    {"hartmann6_sum", std::vector<std::pair<double, double>>(6, {0, 1})},
};

template <class Sampler>
nlohmann::json run(Sampler sampler, const problem& p, bool report, const std::vector<int>& budgets, nlohmann::json& row) {
  tunekit::tuner tuner{std::move(sampler)};
  std::optional<double> best;
  std::optional<std::int64_t> first;
  nlohmann::json best_at = nlohmann::json::object();
  std::vector<std::string> names;
  for (std::size_t i = 0; i < p.bounds.size(); ++i) names.push_back(std::string(1, 'x').append(std::to_string(i)));
  tuner.optimize([&](tunekit::trial& t) {
    std::vector<double> x;
    for (std::size_t i = 0; i < p.bounds.size(); ++i) x.push_back(t.suggest_float(names[i], p.bounds[i].first, p.bounds[i].second));
    const auto [f, c] = evaluate(p.name, x);
    if (report) t.set_constraints(c);
    if (std::all_of(c.begin(), c.end(), [](double v) { return v <= 0; })) {
      if (!first) first = t.number();
      best = best ? std::min(*best, f) : f;
    }
    if (std::find(budgets.begin(), budgets.end(), t.number() + 1) != budgets.end())
      best_at[std::to_string(t.number() + 1)] = best ? nlohmann::json(*best) : nlohmann::json(nullptr);
    return f;
  }, {.n_trials = *std::max_element(budgets.begin(), budgets.end())});
  row["first_feasible"] = first ? nlohmann::json(*first) : nlohmann::json(nullptr);
  return best_at;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> samplers{"tpe", "tpe-blind", "tpe-uv", "random"},
      wanted{"gramacy", "branin_disk", "sphere10_disk", "small_ball4"};
  int n_seeds = 10;
  std::vector<int> budgets{50, 100, 200};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--samplers") samplers = split_list(value);
    else if (flag == "--problems") wanted = split_list(value);
    else if (flag == "--seeds") n_seeds = std::stoi(value);
    else if (flag == "--budgets") {
      budgets.clear();
      for (const auto& b : split_list(value)) budgets.push_back(std::stoi(b));
    } else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  for (const auto& name : wanted) {
    const auto p = std::find_if(problems.begin(), problems.end(), [&](const problem& q) { return q.name == name; });
    if (p == problems.end()) {
      std::cerr << "unknown problem " << name << "\n";
      return 2;
    }
    for (const auto& sampler : samplers)
      for (int s = 0; s < n_seeds; ++s) {
        const auto seed = static_cast<std::uint64_t>(s);
        nlohmann::json row{{"system", "tunekit"}, {"sampler", sampler}, {"problem", name}, {"seed", s}};
        if (sampler == "tpe") row["best_at"] = run(tunekit::tpe_sampler{{.seed = seed}}, *p, true, budgets, row);
        else if (sampler == "tpe-blind") row["best_at"] = run(tunekit::tpe_sampler{{.seed = seed}}, *p, false, budgets, row);
        else if (sampler == "tpe-uv")
          row["best_at"] = run(tunekit::tpe_sampler{{.multivariate = false, .seed = seed}}, *p, true, budgets, row);
        else if (sampler == "gp") row["best_at"] = run(tunekit::gp_sampler{{.seed = seed}}, *p, true, budgets, row);
        else if (sampler == "random") row["best_at"] = run(tunekit::random_sampler{{.seed = seed}}, *p, true, budgets, row);
        else {
          std::cerr << "unknown sampler " << sampler << "\n";
          return 2;
        }
        std::cout << row.dump() << std::endl;
      }
  }
}
