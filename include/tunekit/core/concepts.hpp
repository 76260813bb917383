#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "distribution.hpp"
#include "frozen_trial.hpp"
#include "result.hpp"
#include "search_space.hpp"
#include "space.hpp"
#include "study_view.hpp"
#include "trial.hpp"

/// The extension points of tunekit. A user type that satisfies one of these
/// concepts works everywhere the library's own components do; ours use
/// nothing that is not part of these concepts.
namespace tunekit {

/// Identifies a study within a storage.
using study_id = std::int64_t;

// ---------------------------------------------------------------------------
/// `sampler`: proposes parameter values.
///
/// The tuner calls, for each trial:
///   1. `s.sample_independent(view, trial, name, dist)` when the objective
///      suggests a parameter that no relational sampling has provided. It
///      returns the *internal* value (the value, or a category's index) and
///      must satisfy `contains(dist, value)`.
///      The view is the trial's own snapshot of the study, taken once per
///      trial (at its start for a relational sampler, else at its first
///      independent suggest) and reused for all its suggests, as Optuna
///      caches a study's trials for the length of a trial: trials that
///      finish meanwhile are not in it, and the trial's own parameters are
///      read from `trial`, not from the view. Schedulers get a fresh view.
///   2. The tuner never calls a sampler from two threads at once, so a
///      sampler needs no locking of its own; it must not assume that
///      successive calls concern the same trial.
///   3. Optional: `s.after_trial(view, trial, state, values)` after a trial
///      ends, and `s.is_exhausted(view) -> bool`, which ends the study when
///      the sampler has nothing left to propose (e.g. a finished grid).
///   4. Optional: `s.new_trial_system_attrs(view) -> attributes`, called
///      (under the sampler lock) just before a fresh trial is created; the
///      returned system attributes are stored with the trial, so workers in
///      other threads and processes see them (NSGA-II keeps its generations
///      there). Not called for enqueued trials, which exist already.
///
/// Minimal conforming example:
/// \code
/// struct midpoint_sampler {
///   double sample_independent(const tunekit::study_view&, const tunekit::frozen_trial&,
///                             std::string_view, const tunekit::distribution& d) {
///     return tunekit::from_unit(d, 0.5);
///   }
/// };
/// static_assert(tunekit::sampler<midpoint_sampler>);
/// \endcode
template <class S>
concept sampler = requires(S& s, const study_view& view, const frozen_trial& t, std::string_view name,
                           const distribution& d) {
  { s.sample_independent(view, t, name, d) } -> std::convertible_to<double>;
};

/// `relational_sampler`: a sampler that models parameters jointly.
///
/// In addition to the `sampler` requirements, when a trial starts the tuner:
///   1. takes the relational search space: the typed space of a `space<T>`
///      tuner, otherwise `s.infer_relative_search_space(view, trial)`
///      (typically the parameters every finished trial has in common);
///   2. calls `s.sample_relative(view, trial, space)` and uses the returned
///      internal values for those parameters; parameters it leaves out, or
///      whose distribution differs when suggested, fall back to
///      `sample_independent`.
///
/// Minimal conforming example:
/// \code
/// struct corner_sampler : midpoint_sampler {
///   tunekit::search_space infer_relative_search_space(const tunekit::study_view&,
///                                                     const tunekit::frozen_trial&) { return {}; }
///   tunekit::param_map sample_relative(const tunekit::study_view&, const tunekit::frozen_trial&,
///                                      const tunekit::search_space& space) {
///     tunekit::param_map out;
///     for (const auto& [name, d] : space) out[name] = tunekit::from_unit(d, 0.0);
///     return out;
///   }
/// };
/// \endcode
template <class S>
concept relational_sampler =
    sampler<S> && requires(S& s, const study_view& view, const frozen_trial& t, const search_space& space) {
      { s.infer_relative_search_space(view, t) } -> std::convertible_to<search_space>;
      { s.sample_relative(view, t, space) } -> std::convertible_to<param_map>;
    };

// ---------------------------------------------------------------------------
/// `scheduler`: decides whether a running trial stops early.
///
///   1. `s.should_prune(view, trial)` is called when the objective calls
///      `trial.should_prune()`, typically right after `trial.report(step,
///      value)`; `trial.intermediate_values` holds every report so far.
///   2. Returns true to stop the trial; the objective then returns
///      `tunekit::pruned` (or throws `tunekit::trial_pruned`).
///   3. The tuner never calls a scheduler from two threads at once.
///   4. Optional: `s.sampler_view(view, trial) -> study_view`. When present,
///      the tuner hands samplers this view for `trial` instead of the whole
///      study (Hyperband gives the trials of the trial's bracket). It is
///      called under the same lock as `should_prune`; a view that is not a
///      prefix-growing sequence of one study must carry its own name.
///
/// Minimal conforming example:
/// \code
/// struct never_scheduler {
///   bool should_prune(const tunekit::study_view&, const tunekit::frozen_trial&) { return false; }
/// };
/// \endcode
template <class S>
concept scheduler = requires(S& s, const study_view& view, const frozen_trial& t) {
  { s.should_prune(view, t) } -> std::convertible_to<bool>;
};

// ---------------------------------------------------------------------------
/// `storage`: where studies and their trials live.
///
/// A storage object is a cheap *handle*: copies refer to the same studies.
/// Every member must be safe to call from several threads at once; the
/// persistent storages are also safe across processes.
///   1. `create_study(name, directions) -> study_id`; throws `study_exists`
///      (an `invalid_argument`) if the name is taken. The check and the
///      insert are one atomic step across every handle, thread and process:
///      of several creators of one name exactly one succeeds, which is what
///      `open_study` (create-or-load, used by the tuner) relies on.
///      `find_study(name) -> std::optional<study_id>`.
///   2. `create_trial(study, record) -> frozen_trial`: stores a new trial in
///      state `record.state` (RUNNING, or WAITING for an enqueued one) with
///      `record`'s params and attributes; assigns `number` (dense per study)
///      and `id` (unique in the storage) and returns the stored record.
///   3. `pop_waiting_trial(study) -> std::optional<frozen_trial>`: atomically
///      turns the oldest WAITING trial into RUNNING and returns it.
///   4. `set_param(id, name, internal, dist)`, `set_intermediate_value(id,
///      step, value)`, `set_user_attr(id, key, json)`: only on a RUNNING trial
///      (else `state_error`).
///   5. `finish_trial(id, state, values, resources, reason) -> frozen_trial`:
///      moves a RUNNING trial to COMPLETE, PRUNED or FAIL exactly once (else
///      `state_error`) and returns the final record.
///   6. `view(study) -> study_view`: finished trials without copying them
///      (O(new trials) work), plus the running ones.
///   7. `trial(id) -> frozen_trial`, `trials(study) -> std::vector<frozen_trial>`
///      (all, by number), `study_name(study)`, `study_directions(study)`.
///   8. Optional, for workers sharing a study: the view's claim source
///      (`study_view::set_claim_source`) reserves a key for a trial
///      atomically across every handle, thread and process of the storage
///      (first claim wins, claims are permanent); samplers such as the grid
///      claim a point before handing it out. Without one every claim succeeds.
///   9. Optional, for study management (`any_storage` forwards them,
///      `copy_study` and `tuner::warm_start` use them): `study_names()`,
///      `delete_study(study)`, `set_study_user_attr(study, key, json)`,
///      `study_user_attrs(study)`, `add_trial(study, record)` (stores a
///      finished or WAITING record as it is), `claim(study, key, number)`.
///  10. Optional, for constraints and multi-objective schedulers:
///      `set_system_attr(trial id, key, json)` on a RUNNING trial (Optuna's
///      `set_trial_system_attr`); `trial::set_constraints` and
///      `trial::report_values` need it.
///
/// `memory_storage` is the reference implementation; `journal_storage` the
/// persistent one (docs/storage.md).
template <class S>
concept storage = std::copy_constructible<S> &&
                  requires(S& s, const S& cs, study_id sid, std::int64_t id, std::string_view name,
                           std::span<const direction> dirs, const frozen_trial& record, const distribution& d,
                           const nlohmann::json& json, std::span<const double> values, const resource_usage& usage) {
                    { s.create_study(name, dirs) } -> std::same_as<study_id>;
                    { cs.find_study(name) } -> std::same_as<std::optional<study_id>>;
                    { cs.study_name(sid) } -> std::convertible_to<std::string>;
                    { cs.study_directions(sid) } -> std::convertible_to<std::vector<direction>>;
                    { s.create_trial(sid, record) } -> std::same_as<frozen_trial>;
                    { s.pop_waiting_trial(sid) } -> std::same_as<std::optional<frozen_trial>>;
                    s.set_param(id, name, 0.5, d);
                    s.set_intermediate_value(id, std::int64_t{0}, 0.5);
                    s.set_user_attr(id, name, json);
                    { s.finish_trial(id, trial_state::complete, values, usage, std::string{}) } -> std::same_as<frozen_trial>;
                    { cs.view(sid) } -> std::same_as<study_view>;
                    { cs.trial(id) } -> std::same_as<frozen_trial>;
                    { cs.trials(sid) } -> std::same_as<std::vector<frozen_trial>>;
                  };

// ---------------------------------------------------------------------------
/// `objective_for<F, Space>`: what `tuner::optimize` accepts.
///
///   1. With `define_by_run`: callable as `f(trial&)`.
///   2. With `space<T>`: callable as `f(const T&, trial&)`.
///   3. Returns a number, a `std::vector<double>` (one value per direction),
///      `tunekit::pruned`, or `tunekit::result`.
///
/// \code
/// auto f = [](tunekit::trial& t) { double x = t.suggest_float("x", -1, 1); return x * x; };
/// static_assert(tunekit::objective_for<decltype(f), tunekit::define_by_run>);
/// \endcode
template <class F, class Space>
concept objective_for =
    (std::is_same_v<Space, define_by_run> && std::invocable<F&, trial&> &&
     detail::objective_result<std::invoke_result_t<F&, trial&>>) ||
    (detail::is_typed_space<Space>::value &&
     requires { typename Space::value_type; } &&
     std::invocable<F&, const typename Space::value_type&, trial&> &&
     detail::objective_result<std::invoke_result_t<F&, const typename Space::value_type&, trial&>>);

}  // namespace tunekit
