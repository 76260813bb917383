#pragma once

// What storage tests share: a trial's content as comparable text, and a
// study filled with trials in every state and every kind of value.

#include <limits>
#include <string>
#include <vector>

#include <tunekit/core/concepts.hpp>
#include <tunekit/core/frozen_trial.hpp>
#include <tunekit/detail/format.hpp>

namespace tunekit::testing {

/// A trial's content as text, for comparing what two storages hold.
inline std::string describe_trial(const frozen_trial& t) {
  std::string s = std::to_string(t.number) + " " + std::string(to_string(t.state)) + " v=";
  for (double v : t.values) s += detail::format_number(v) + ",";
  s += " p=";
  for (const auto& [k, v] : t.params) s += k + ":" + detail::format_number(v) + ":" + describe(t.distributions.find(k)->second) + ";";
  s += " iv=";
  for (const auto& [k, v] : t.intermediate_values) s += std::to_string(k) + ":" + detail::format_number(v) + ";";
  s += " ua=";
  for (const auto& [k, v] : t.user_attrs) s += k + ":" + v.dump() + ";";
  s += " reason=" + t.fail_reason;
  return s;
}

inline std::vector<std::string> describe_all(const std::vector<frozen_trial>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts) out.push_back(describe_trial(t));
  return out;
}

/// Fills a study with trials in every state and with every kind of value.
template <class Storage>
void fill(Storage& s, study_id sid, int n) {
  for (int i = 0; i < n; ++i) {
    frozen_trial r;
    auto t = s.create_trial(sid, r);
    s.set_param(t.id, "x", 0.25 * i, float_distribution(-10, 10));
    s.set_param(t.id, "lr", 1e-3, float_distribution(1e-5, 1e-1, {.log = true}));
    s.set_param(t.id, "n", 3, int_distribution(1, 9, {.step = 2}));
    s.set_param(t.id, "act", 1, categorical_distribution({"relu", "tanh", 2.5, std::int64_t{7}, true}));
    s.set_intermediate_value(t.id, 0, 1.5);
    s.set_intermediate_value(t.id, 1, std::numeric_limits<double>::infinity());
    s.set_user_attr(t.id, "note", "trial " + std::to_string(i));
    const double v[] = {0.5 * i};
    if (i % 3 == 0) s.finish_trial(t.id, trial_state::complete, v, {.wall_seconds = 0.5}, "");
    else if (i % 3 == 1) s.finish_trial(t.id, trial_state::pruned, v, {}, "");
    else s.finish_trial(t.id, trial_state::fail, {}, {}, "objective threw: boom");
  }
}

}  // namespace tunekit::testing
