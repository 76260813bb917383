#pragma once

#include <string>
#include <string_view>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"

namespace tunekit {

/// Copies study `name` of `from` into `to` as `new_name` (the same name
/// when empty), with its directions, user attributes and every trial as it
/// is (states, values, times, attributes). `to` must not have a study of
/// that name. Returns the new study's id in `to`. Running trials are copied
/// as FAIL: their worker belongs to the source study.
template <class From, class To>
  requires storage<From> && storage<To>
study_id copy_study(const From& from, std::string_view name, To& to, std::string_view new_name = {}) {
  static_assert(requires(To& t, study_id s, const frozen_trial& r) { t.add_trial(s, r); },
                "copy_study: the destination storage needs add_trial(study_id, const frozen_trial&)");
  const auto src = from.find_study(name);
  if (!src) throw invalid_argument("copy_study: no study named " + detail::quoted(name) + " in the source storage");
  const std::string target(new_name.empty() ? name : new_name);
  if (to.find_study(target)) throw invalid_argument("copy_study: the destination already has a study named " + detail::quoted(target));
  const auto dirs = from.study_directions(*src);
  const study_id dst = to.create_study(target, dirs);
  if constexpr (requires { from.study_user_attrs(*src); to.set_study_user_attr(dst, "", nlohmann::json()); }) {
    for (const auto& [k, v] : from.study_user_attrs(*src)) to.set_study_user_attr(dst, k, v);
  }
  for (frozen_trial t : from.trials(*src)) {
    if (t.state == trial_state::running) {
      t.state = trial_state::fail;
      if (t.fail_reason.empty()) t.fail_reason = "running in the source study when it was copied";
    }
    to.add_trial(dst, t);
  }
  return dst;
}

}  // namespace tunekit
