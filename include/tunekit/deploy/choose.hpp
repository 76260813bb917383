#pragma once

/// Choosing one configuration from a multi-objective study's Pareto front for
/// deployment: "the best on objective A among the feasible front trials whose
/// objective B meets a budget" (e.g. the most accurate model whose measured
/// latency is at most 20 ms). `deploy::best_config_json` writes the choice,
/// and the rule that made it, into the export document that the serving
/// manifests carry (docs/kubernetes.md, "Choosing one point of a Pareto front").

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../core/errors.hpp"
#include "../core/frozen_trial.hpp"
#include "../detail/dependent.hpp"
#include "../detail/format.hpp"
#include "../mo/constraints.hpp"

namespace tunekit::deploy {

/// A bound on one objective: the chosen trial's value must be at least as
/// good as `limit` in the objective's direction (<= `limit` for a minimised
/// objective such as latency, >= for a maximised one such as accuracy).
struct objective_budget {
  /// The objective: a name from `front_choice::objective_names`, or its index ("0", "1", ...).
  std::string objective = {};
  double limit = 0;
};

/// How to pick one trial of a multi-objective study's feasible Pareto front.
struct front_choice {
  /// The objective to optimise among the trials that meet every budget: a
  /// name from `objective_names`, or its index ("0", "1", ...).
  std::string best = {};
  /// Bounds the chosen trial must meet (none: the front's best on `best`).
  std::vector<objective_budget> budgets = {};
  /// Names of the study's objectives, in order (e.g. {"error", "latency_ms"});
  /// empty: objectives are named by index only. Neither tunekit nor Optuna
  /// 3.1 stores objective names with a study, so they are given here.
  std::vector<std::string> objective_names = {};
};

/// The outcome of `choose_from_front`.
struct front_pick {
  frozen_trial trial;
  std::size_t objective = 0;          ///< index of `front_choice::best`
  std::vector<std::size_t> budgets;   ///< index of each budget's objective
  std::size_t front_size = 0;         ///< trials on the feasible Pareto front
  std::size_t candidates = 0;         ///< of those, how many meet every budget
};

}  // namespace tunekit::deploy

namespace tunekit::detail {

/// The COMPLETE, feasible (every constraint <= 0, see mo/constraints.hpp)
/// trials with one value per direction that no other such trial dominates,
/// by increasing trial number.
template <class = void>
std::vector<frozen_trial> choice_feasible_front(std::span<const direction> dirs, std::span<const frozen_trial> trials) {
  std::vector<const frozen_trial*> ok;
  for (const auto& t : trials)
    if (t.state == trial_state::complete && t.values.size() == dirs.size() && is_feasible(t)) ok.push_back(&t);
  auto dominates_trial = [&](const frozen_trial& a, const frozen_trial& b) {
    bool strictly = false;
    for (std::size_t k = 0; k < dirs.size(); ++k) {
      if (better(dirs[k], b.values[k], a.values[k])) return false;
      strictly = strictly || better(dirs[k], a.values[k], b.values[k]);
    }
    return strictly;
  };
  std::vector<frozen_trial> front;
  for (const auto* a : ok)
    if (std::none_of(ok.begin(), ok.end(), [&](const auto* b) { return dominates_trial(*b, *a); })) front.push_back(*a);
  std::sort(front.begin(), front.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  return front;
}

/// A limit or value as messages and annotations show it: "20", "0.85", "1.5e-07".
template <class = void>
std::string choice_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

/// "0 = error (minimize), 1 = latency_ms (minimize)": the objectives as a
/// message lists them.
template <class = void>
std::string choice_objectives_text(std::span<const direction> dirs, const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t k = 0; k < dirs.size(); ++k) {
    out += (k ? ", " : "") + std::to_string(k);
    if (!names.empty()) out += " = " + names[k];
    out += " (" + std::string(to_string(dirs[k])) + ")";
  }
  return out;
}

/// The index of objective `spec` (a name or an index), or `invalid_argument`
/// naming `field`, the bad value and the study's objectives.
template <class = void>
std::size_t choice_objective_index(std::string_view spec, std::span<const direction> dirs, const std::vector<std::string>& names,
                            std::string_view field) {
  for (std::size_t k = 0; k < names.size(); ++k)
    if (names[k] == spec) return k;
  const bool digits = !spec.empty() && spec.size() < 10 && std::all_of(spec.begin(), spec.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits && std::stoul(std::string(spec)) < dirs.size()) return std::stoul(std::string(spec));
  throw invalid_argument(std::string(field) + " = " + quoted(spec) + " is not an objective of the study; its objectives are " +
                         choice_objectives_text(dirs, names) + " (give a name from front_choice::objective_names or an index)");
}

}  // namespace tunekit::detail

namespace tunekit::deploy {

/// Picks the trial of `front_choice` from a study: among the COMPLETE,
/// feasible trials on the Pareto front, those meeting every budget, and of
/// them the best on `choice.best` (ties: the lowest trial number). Throws
/// `invalid_argument` for a single-objective study, an unknown objective
/// name or index, `objective_names` of the wrong length, empty, repeated or
/// all digits, and a NaN limit; `state_error` when no trial has completed,
/// when none is feasible, and when no feasible trial meets every budget
/// (naming, per budget, the best value the front reaches).
template <class = void>
front_pick choose_from_front(std::string_view study_name, std::span<const direction> dirs, std::span<const frozen_trial> trials,
                             const front_choice& choice) {
  const std::string study = detail::quoted(study_name);
  if (dirs.size() < 2)
    throw invalid_argument("front_choice: study " + study + " has one objective, so there is no front to choose from; "
                           "export its best trial without a choice (no --pick-best)");
  const auto& names = choice.objective_names;
  if (!names.empty()) {
    if (names.size() != dirs.size())
      throw invalid_argument("front_choice::objective_names has " + std::to_string(names.size()) + " names but study " + study +
                             " has " + std::to_string(dirs.size()) + " objectives; name every objective, in order");
    std::set<std::string, std::less<>> seen;
    for (std::size_t k = 0; k < names.size(); ++k) {
      const auto& n = names[k];
      if (n.empty() || std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
        throw invalid_argument("front_choice::objective_names[" + std::to_string(k) + "] = " + detail::quoted(n) +
                               "; a name must be non-empty and not a number (numbers are indices)");
      if (!seen.insert(n).second)
        throw invalid_argument("front_choice::objective_names[" + std::to_string(k) + "] = " + detail::quoted(n) +
                               " is given twice; every objective needs its own name");
    }
  }
  front_pick pick;
  pick.objective = detail::choice_objective_index(choice.best, dirs, names, "front_choice::best");
  for (std::size_t b = 0; b < choice.budgets.size(); ++b) {
    const std::string field = "front_choice::budgets[" + std::to_string(b) + "]";
    pick.budgets.push_back(detail::choice_objective_index(choice.budgets[b].objective, dirs, names, field + ".objective"));
    if (std::isnan(choice.budgets[b].limit)) throw invalid_argument(field + ".limit is NaN; give a number");
  }
  const auto front = detail::choice_feasible_front(dirs, trials);
  if (front.empty()) {
    std::size_t complete = 0;
    for (const auto& t : trials) complete += t.state == trial_state::complete;
    if (complete == 0)
      throw state_error("cannot choose from study " + study + ": no trial has completed (" + std::to_string(trials.size()) +
                        " trials); run the study first");
    throw state_error("cannot choose from study " + study + ": none of its " + std::to_string(complete) +
                      " COMPLETE trials is feasible (each violates a constraint); relax the constraints or run more trials");
  }
  auto name_of = [&](std::size_t k) { return names.empty() ? "objective " + std::to_string(k) : names[k]; };
  auto meets = [&](const frozen_trial& t, std::size_t b) {
    const std::size_t k = pick.budgets[b];
    return !better(dirs[k], choice.budgets[b].limit, t.values[k]);  // at least as good as the limit
  };
  const frozen_trial* chosen = nullptr;
  for (const auto& t : front) {
    bool all = true;
    for (std::size_t b = 0; b < pick.budgets.size(); ++b) all = all && meets(t, b);
    if (!all) continue;
    ++pick.candidates;
    if (!chosen || better(dirs[pick.objective], t.values[pick.objective], chosen->values[pick.objective])) chosen = &t;
  }
  pick.front_size = front.size();
  if (!chosen) {
    std::string why;
    for (std::size_t b = 0; b < pick.budgets.size(); ++b) {
      const std::size_t k = pick.budgets[b];
      const frozen_trial* best = &front.front();
      std::size_t meeting = 0;
      for (const auto& t : front) {
        meeting += meets(t, b);
        if (better(dirs[k], t.values[k], best->values[k])) best = &t;
      }
      why += "; budgets[" + std::to_string(b) + "]: " + name_of(k) + (dirs[k] == direction::minimize ? " <= " : " >= ") +
             detail::choice_number(choice.budgets[b].limit) + " is met by " + std::to_string(meeting) +
             " of them (the best " + name_of(k) + " on the front is " + detail::choice_number(best->values[k]) +
             ", trial " + std::to_string(best->number) + ")";
    }
    throw state_error("cannot choose from study " + study + ": none of the " + std::to_string(front.size()) +
                      " trials on its feasible Pareto front meets every budget" + why + "; relax a budget");
  }
  pick.trial = *chosen;
  return pick;
}

}  // namespace tunekit::deploy

namespace tunekit::detail {

/// The `selection` member of an export document (format_version 3).
template <class V = void>
nlohmann::json choice_selection_json(std::span<const direction> dirs, const deploy::front_choice& choice,
                                     const deploy::front_pick& pick) {
  using json = dependent_t<V, nlohmann::json>;
  auto name = [&](std::size_t k) { return choice.objective_names.empty() ? json(nullptr) : json(choice.objective_names[k]); };
  json budgets = json::array();
  for (std::size_t b = 0; b < pick.budgets.size(); ++b) {
    const std::size_t k = pick.budgets[b];
    budgets.push_back({{"objective", k}, {"name", name(k)}, {"relation", dirs[k] == direction::minimize ? "<=" : ">="},
                       {"limit", choice.budgets[b].limit}});
  }
  return json{{"objective", {{"index", pick.objective}, {"name", name(pick.objective)}}},
          {"budgets", budgets},
          {"front_size", pick.front_size},
          {"candidates", pick.candidates}};
}

/// Checks a `selection` member against its document: every field's type,
/// objective indices below `n_objectives`, relations that match the study's
/// directions, one best trial, and that trial meeting every budget.
/// `fail(path, what)` throws.
template <class Fail>
void choice_check_selection(const dependent_t<Fail, nlohmann::json>& doc, const Fail& fail) {
  using json = dependent_t<Fail, nlohmann::json>;
  const auto& sel = doc["selection"];
  const auto& dirs = doc["study"]["directions"];
  const std::size_t m = dirs.size();
  if (!sel.is_object()) fail("selection", "has the wrong type; expected an object");
  for (const auto& [key, v] : sel.items())
    if (key != "objective" && key != "budgets" && key != "front_size" && key != "candidates")
      fail("selection." + key, "is unknown (allowed here: objective, budgets, front_size, candidates)");
  for (const char* key : {"objective", "budgets", "front_size", "candidates"})
    if (!sel.contains(key)) fail(std::string("selection.") + key, "is missing (required here: objective, budgets, front_size, candidates)");
  auto index = [&](const json& o, const std::string& path) {
    if (!o.is_object() || !o.contains("index") || !o["index"].is_number_unsigned() || o["index"].template get<std::uint64_t>() >= m)
      fail(path + ".index", "must be an objective's index, below " + std::to_string(m));
    if (!o.contains("name") || !(o["name"].is_string() || o["name"].is_null())) fail(path + ".name", "must be a string or null");
    return o["index"].template get<std::size_t>();
  };
  if (!sel["objective"].is_object() || sel["objective"].size() != 2) fail("selection.objective", "must be {\"index\", \"name\"}");
  index(sel["objective"], "selection.objective");
  for (const char* key : {"front_size", "candidates"})
    if (!sel[key].is_number_unsigned() || sel[key].template get<std::uint64_t>() == 0)
      fail(std::string("selection.") + key, "must be a positive integer");
  if (sel["candidates"].template get<std::uint64_t>() > sel["front_size"].template get<std::uint64_t>())
    fail("selection.candidates", "exceeds selection.front_size");
  if (doc["best_trials"].size() != 1)
    fail("best_trials", "holds " + std::to_string(doc["best_trials"].size()) + " trials; a document with a selection holds the chosen one");
  if (!sel["budgets"].is_array()) fail("selection.budgets", "must be an array");
  const auto& values = doc["best_trials"][0]["values"];
  for (std::size_t b = 0; b < sel["budgets"].size(); ++b) {
    const std::string path = "selection.budgets[" + std::to_string(b) + "]";
    json o = sel["budgets"][b];
    if (!o.is_object() || o.size() != 4 || !o.contains("objective") || !o.contains("relation") || !o.contains("limit"))
      fail(path, "must be {\"objective\", \"name\", \"relation\", \"limit\"}");
    o["index"] = o["objective"];
    const std::size_t k = index(o, path);
    const std::string relation = dirs[k] == "minimize" ? "<=" : ">=";
    if (o["relation"] != relation)
      fail(path + ".relation", "= " + o["relation"].dump() + " but objective " + std::to_string(k) + " is " +
                                   dirs[k].template get<std::string>() + "d: expected \"" + relation + "\"");
    if (!o["limit"].is_number()) fail(path + ".limit", "must be a number");
    const double limit = o["limit"].template get<double>(), v = values[k].template get<double>();
    if (relation == "<=" ? !(v <= limit) : !(v >= limit))
      fail(path, "is not met by best_trials[0].values[" + std::to_string(k) + "] = " + detail::choice_number(v) +
                     " (limit " + relation + " " + detail::choice_number(limit) + ")");
  }
}

/// A line saying what a checked `selection` chose, for a manifest
/// annotation: "best on error among 3 of 9 front trials with latency_ms <= 20".
template <class V = void>
std::string choice_summary(const dependent_t<V, nlohmann::json>& doc) {
  using json = dependent_t<V, nlohmann::json>;
  const auto& sel = doc["selection"];
  auto name = [](const json& o, const json& index) {
    return o["name"].is_string() ? o["name"].template get<std::string>() : "objective " + index.dump();
  };
  std::string out = "best on " + name(sel["objective"], sel["objective"]["index"]) + " (" +
                    doc["study"]["directions"][sel["objective"]["index"].template get<std::size_t>()].template get<std::string>() + ") among " +
                    sel["candidates"].dump() + " of " + sel["front_size"].dump() + " feasible front trials";
  for (std::size_t b = 0; b < sel["budgets"].size(); ++b) {
    const auto& o = sel["budgets"][b];
    out += (b ? ", " : " with ") + name(o, o["objective"]) + " " + o["relation"].template get<std::string>() + " " +
           choice_number(o["limit"].template get<double>());
  }
  return out;
}

}  // namespace tunekit::detail
