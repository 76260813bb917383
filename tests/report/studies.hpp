#pragma once

// Studies the report tests render: a real tuning run (define-by-run, a
// scheduler that prunes, an objective that sometimes throws), a hostile one
// whose every user string is an injection attempt, and a multi-objective one.

#include <tunekit/mo/constraints.hpp>
#include <tunekit/tunekit.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace tunekit::testing {

/// What an executed payload would leave in the document: the text "pwned",
/// which no payload contains literally (each builds it as 'pw'+'ned').
inline const std::vector<std::string> hostile_strings = {
    "<script>document.title='pw'+'ned';document.documentElement.setAttribute('data-x','pw'+'ned')</script>",
    "\"><img src=x onerror=\"document.body.appendChild(document.createElement('pw'+'ned'))\">",
    "'><svg onload=\"document.title='pw'+'ned'\"><rect/></svg>",
    "\" onmouseover=\"document.title='pw'+'ned'\" x=\"",
    "&amp; &lt;b&gt; \xCE\xBB-Gr\xC3\xB6\xC3\x9F" "e \xE2\x9C\x93 \xE5\xAD\xA6\xE4\xB9\xA0\xE7\x8E\x87 \xF0\x9F\x9A\x80",
};

/// A tuned study: 60 trials of five parameters (log float, int, log int,
/// categorical, float), 8 reported steps each, a median scheduler pruning
/// bad trials, and an objective that throws for some configurations.
inline study_id tuned_study(memory_storage& storage, const std::string& name = "tuned", direction d = direction::minimize,
                            std::int64_t n_trials = 60) {
  tuner tn{random_sampler{{.seed = 7}}, median_scheduler{{.n_startup_trials = 5, .n_warmup_steps = 2}}, storage,
           study_config{.name = name, .directions = {d}}};
  const double sign = d == direction::minimize ? 1.0 : -1.0;
  tn.optimize(
      [&](trial& t) -> result {
        const double lr = t.suggest_float("lr", 1e-4, 1.0, {.log = true});
        const auto layers = t.suggest_int("layers", 1, 6);
        const auto units = t.suggest_int("units", 8, 512, {.log = true});
        const auto act = t.suggest_categorical("activation", {"relu", "tanh", "gelu"});
        const double dropout = t.suggest_float("dropout", 0.0, 0.5);
        if (std::string(act) == "gelu" && dropout > 0.4) throw std::runtime_error("diverged: loss is NaN");
        const double target = std::pow(std::log10(lr) + 2.0, 2) + 0.1 * static_cast<double>(layers) +
                              0.05 * std::log2(static_cast<double>(units)) + (std::string(act) == "tanh" ? 0.3 : 0.0);
        double loss = 0;
        for (int step = 0; step < 8; ++step) {
          loss = target + 3.0 / (1.0 + step);
          t.report(step, sign * loss);
          if (t.should_prune()) return result(pruned);
        }
        t.set_user_attr("note", "epochs=8");
        return result(sign * loss);
      },
      {.n_trials = n_trials});
  return tn.study();
}

/// A study whose name, parameter names, categories, attributes and fail
/// reasons are all hostile strings.
inline study_id hostile_study(memory_storage& s) {
  const std::vector<direction> dirs{direction::maximize};
  const auto sid = s.create_study(hostile_strings[0] + " study", dirs);
  std::vector<category> choices(hostile_strings.begin(), hostile_strings.end());
  const distribution cat = categorical_distribution(choices);
  const distribution num = float_distribution(1e-3, 10, {.log = true});
  for (int i = 0; i < 24; ++i) {
    const auto t = s.create_trial(sid, {});
    const auto& h = hostile_strings[static_cast<std::size_t>(i) % hostile_strings.size()];
    s.set_param(t.id, hostile_strings[1], static_cast<double>(i % 5), cat);
    s.set_param(t.id, hostile_strings[2], std::pow(10.0, -3 + 4.0 * i / 24.0), num);
    s.set_user_attr(t.id, hostile_strings[3], nlohmann::json(h));
    for (int step = 0; step < 3; ++step) s.set_intermediate_value(t.id, step, i + step);
    const std::vector<double> v{static_cast<double>(i % 7)};
    if (i % 6 == 5) s.finish_trial(t.id, trial_state::fail, {}, {}, h);
    else if (i % 6 == 4) s.finish_trial(t.id, trial_state::pruned, {}, {}, "");
    else s.finish_trial(t.id, trial_state::complete, v, {}, "");
  }
  return sid;
}

/// Two objectives (minimise, maximise), 30 trials, one still running.
inline study_id multi_objective_study(memory_storage& s) {
  const std::vector<direction> dirs{direction::minimize, direction::maximize};
  const auto sid = s.create_study("two objectives", dirs);
  const distribution dx = float_distribution(0, 1), dy = int_distribution(1, 100, {.log = true});
  random_engine rng(11);
  for (int i = 0; i < 30; ++i) {
    const auto t = s.create_trial(sid, {});
    const double x = rng.uniform(), y = std::round(from_unit(dy, rng.uniform()));
    s.set_param(t.id, "x", x, dx);
    s.set_param(t.id, "y", y, dy);
    if (i == 29) break;  // left RUNNING
    const std::vector<double> v{x * x + 0.01 * y, std::log(y) - x};
    s.finish_trial(t.id, trial_state::complete, v, {}, "");
  }
  return sid;
}

/// `n` COMPLETE trials of random values for `dirs`, every `infeasible_every`-th
/// one (when > 0) with a violated constraint, the others satisfying it; a
/// few duplicates of earlier values, and a FAIL and a RUNNING trial.
inline study_id random_mo_study(memory_storage& s, const std::string& name, const std::vector<direction>& dirs, int n,
                                std::uint64_t seed, int infeasible_every) {
  const auto sid = s.create_study(name, dirs);
  const distribution dx = float_distribution(0, 1);
  random_engine rng(seed);
  std::vector<std::vector<double>> seen;
  for (int i = 0; i < n; ++i) {
    const auto t = s.create_trial(sid, {});
    s.set_param(t.id, "x", rng.uniform(), dx);
    std::vector<double> v;
    if (!seen.empty() && rng.below(8) == 0) v = seen[rng.below(seen.size())];  // a tie
    else
      for (std::size_t k = 0; k < dirs.size(); ++k) v.push_back(std::round(100 * rng.uniform()) / 10);  // ties per axis too
    seen.push_back(v);
    if (infeasible_every > 0) {
      const std::vector<double> c{(i % infeasible_every == infeasible_every - 1) ? 0.5 + rng.uniform() : -rng.uniform()};
      for (const auto& [key, value] : constraint_attributes(c)) s.set_system_attr(t.id, key, value);
    }
    s.finish_trial(t.id, trial_state::complete, v, {}, "");
  }
  s.finish_trial(s.create_trial(sid, {}).id, trial_state::fail, {}, {}, "diverged");
  s.create_trial(sid, {});  // RUNNING
  return sid;
}

}  // namespace tunekit::testing
