#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../core/frozen_trial.hpp"
#include "../core/study_view.hpp"
#include "../detail/append_log.hpp"
#include "../detail/compiled_lib.hpp"
#include "detail/trial_checks.hpp"

namespace tunekit {

namespace detail {
/// A template only so that its code is instantiated where the storage is
/// used, and once in the compiled library (detail/compiled_lib.hpp).
template <class = void>
class memory_storage_impl {
  struct study {
    std::shared_ptr<const study_info> info;
    std::vector<std::shared_ptr<frozen_trial>> trials;  // by number
    detail::append_log<frozen_trial> finished;
    std::set<std::int64_t> running;  // numbers
    std::deque<std::int64_t> waiting;
    std::map<std::string, std::int64_t, std::less<>> claims;  // key -> trial number
    attributes user_attrs;
  };
  struct trial_ref {
    study_id study;
    std::int64_t number;
  };
  struct state {
    std::mutex mutex;
    std::vector<std::unique_ptr<study>> studies;  // by id; null once deleted
    std::vector<trial_ref> trial_index;           // by trial id
  };

 public:
  memory_storage_impl() : state_(std::make_shared<state>()) {}

  study_id create_study(std::string_view name, std::span<const direction> directions) {
    if (directions.empty()) throw invalid_argument("a study needs at least one direction, got none");
    std::lock_guard lock(state_->mutex);
    if (find_locked(name))
      throw study_exists("a study named " + detail::quoted(name) + " already exists in this storage");
    auto s = std::make_unique<study>();
    s->info = std::make_shared<const study_info>(
        study_info{std::string(name), std::vector<direction>(directions.begin(), directions.end())});
    state_->studies.push_back(std::move(s));
    return static_cast<study_id>(state_->studies.size() - 1);
  }

  std::optional<study_id> find_study(std::string_view name) const {
    std::lock_guard lock(state_->mutex);
    return find_locked(name);
  }

  /// Names of the studies in this storage, in creation order.
  std::vector<std::string> study_names() const {
    std::lock_guard lock(state_->mutex);
    std::vector<std::string> names;
    for (const auto& s : state_->studies)
      if (s) names.push_back(s->info->name);
    return names;
  }

  std::string study_name(study_id id) const {
    std::lock_guard lock(state_->mutex);
    return get_study(id).info->name;
  }

  std::vector<direction> study_directions(study_id id) const {
    std::lock_guard lock(state_->mutex);
    return get_study(id).info->directions;
  }

  frozen_trial create_trial(study_id sid, const frozen_trial& record) {
    check_created_trial_state(record);
    std::lock_guard lock(state_->mutex);
    study& s = get_study(sid);
    auto t = std::make_shared<frozen_trial>(record);
    t->number = static_cast<std::int64_t>(s.trials.size());
    t->id = static_cast<std::int64_t>(state_->trial_index.size());
    if (t->state == trial_state::running) {
      t->datetime_start = frozen_trial::clock::now();
      s.running.insert(t->number);
    } else {
      s.waiting.push_back(t->number);
    }
    s.trials.push_back(t);
    state_->trial_index.push_back({sid, t->number});
    return *t;
  }

  std::optional<frozen_trial> pop_waiting_trial(study_id sid) {
    std::lock_guard lock(state_->mutex);
    study& s = get_study(sid);
    if (s.waiting.empty()) return std::nullopt;
    frozen_trial& t = *s.trials[static_cast<std::size_t>(s.waiting.front())];
    s.waiting.pop_front();
    t.state = trial_state::running;
    t.datetime_start = frozen_trial::clock::now();
    s.running.insert(t.number);
    return t;
  }

  void set_param(std::int64_t id, std::string_view name, double internal, const distribution& d) {
    std::lock_guard lock(state_->mutex);
    frozen_trial& t = running_trial(id, "set_param");
    t.params[std::string(name)] = internal;
    t.distributions.insert_or_assign(std::string(name), d);
  }

  void set_intermediate_value(std::int64_t id, std::int64_t step, double value) {
    std::lock_guard lock(state_->mutex);
    running_trial(id, "set_intermediate_value").intermediate_values[step] = value;
  }

  void set_user_attr(std::int64_t id, std::string_view key, const nlohmann::json& value) {
    std::lock_guard lock(state_->mutex);
    running_trial(id, "set_user_attr").user_attrs[std::string(key)] = value;
  }

  /// A system attribute of a running trial (constraint values, vectors of
  /// intermediate values): Optuna's `set_trial_system_attr`.
  void set_system_attr(std::int64_t id, std::string_view key, const nlohmann::json& value) {
    std::lock_guard lock(state_->mutex);
    running_trial(id, "set_system_attr").system_attrs[std::string(key)] = value;
  }

  frozen_trial finish_trial(std::int64_t id, trial_state final_state, std::span<const double> values,
                            const resource_usage& usage, const std::string& reason) {
    if (!is_finished(final_state))
      throw invalid_argument("finish_trial: the final state must be COMPLETE, PRUNED or FAIL, got " +
                             std::string(to_string(final_state)));
    std::lock_guard lock(state_->mutex);
    frozen_trial& t = running_trial(id, "finish_trial");
    const trial_ref ref = state_->trial_index[static_cast<std::size_t>(id)];
    study& s = get_study(ref.study);
    t.state = final_state;
    t.values.assign(values.begin(), values.end());
    t.resources = usage;
    t.fail_reason = reason;
    t.datetime_complete = frozen_trial::clock::now();
    s.running.erase(ref.number);
    // From here on the record never changes, so the log can share it.
    s.finished.push_back(s.trials[static_cast<std::size_t>(ref.number)]);
    return t;
  }

  study_view view(study_id sid) const {
    std::lock_guard lock(state_->mutex);
    const study& s = get_study(sid);
    // A plain pointer fits std::function's inline buffer; the view keeps the
    // state alive through its owner pointer.
    auto running = [state = state_.get(), sid] {
      std::lock_guard inner(state->mutex);
      const study* st = state->studies[static_cast<std::size_t>(sid)].get();
      std::vector<frozen_trial> out;
      if (!st) return out;
      out.reserve(st->running.size());
      for (auto n : st->running) out.push_back(*st->trials[static_cast<std::size_t>(n)]);
      return out;
    };
    study_view v(s.info, s.finished.take_snapshot(), std::move(running), static_cast<std::int64_t>(s.trials.size()),
                 state_);
    v.set_claim_source([state = state_.get(), sid](std::string_view key, std::int64_t number) {
      std::lock_guard inner(state->mutex);
      study* st = state->studies[static_cast<std::size_t>(sid)].get();
      if (!st) return false;
      auto [it, fresh] = st->claims.try_emplace(std::string(key), number);
      return fresh || it->second == number;
    });
    return v;
  }

  /// Reserves `key` for trial `number` of the study (see `study_view::claim`).
  bool claim(study_id sid, std::string_view key, std::int64_t number) {
    std::lock_guard lock(state_->mutex);
    auto [it, fresh] = get_study(sid).claims.try_emplace(std::string(key), number);
    return fresh || it->second == number;
  }

  void set_study_user_attr(study_id sid, std::string_view key, const nlohmann::json& value) {
    std::lock_guard lock(state_->mutex);
    get_study(sid).user_attrs[std::string(key)] = value;
  }

  attributes study_user_attrs(study_id sid) const {
    std::lock_guard lock(state_->mutex);
    return get_study(sid).user_attrs;
  }

  /// Stores a finished (or waiting) trial as it is, e.g. when copying a
  /// study or warm-starting one; returns it with its new number and id.
  frozen_trial add_trial(study_id sid, const frozen_trial& record) {
    check_added_trial_state(record);
    std::lock_guard lock(state_->mutex);
    study& s = get_study(sid);
    auto t = std::make_shared<frozen_trial>(record);
    t->number = static_cast<std::int64_t>(s.trials.size());
    t->id = static_cast<std::int64_t>(state_->trial_index.size());
    if (t->state == trial_state::waiting) s.waiting.push_back(t->number);
    s.trials.push_back(t);
    state_->trial_index.push_back({sid, t->number});
    if (is_finished(t->state)) s.finished.push_back(t);
    return *t;
  }

  frozen_trial trial(std::int64_t id) const {
    std::lock_guard lock(state_->mutex);
    const trial_ref ref = get_ref(id);
    return *get_study(ref.study).trials[static_cast<std::size_t>(ref.number)];
  }

  std::vector<frozen_trial> trials(study_id sid) const {
    std::lock_guard lock(state_->mutex);
    const study& s = get_study(sid);
    std::vector<frozen_trial> out;
    out.reserve(s.trials.size());
    for (const auto& t : s.trials) out.push_back(*t);
    return out;
  }

  /// Removes a study and its trials. Trial ids of the study become unknown.
  void delete_study(study_id sid) {
    std::lock_guard lock(state_->mutex);
    get_study(sid);
    state_->studies[static_cast<std::size_t>(sid)].reset();
  }

 private:
  std::optional<study_id> find_locked(std::string_view name) const {
    for (std::size_t i = 0; i < state_->studies.size(); ++i)
      if (state_->studies[i] && state_->studies[i]->info->name == name) return static_cast<study_id>(i);
    return std::nullopt;
  }

  study& get_study(study_id id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= state_->studies.size() || !state_->studies[static_cast<std::size_t>(id)])
      throw invalid_argument("unknown study id " + std::to_string(id));
    return *state_->studies[static_cast<std::size_t>(id)];
  }

  trial_ref get_ref(std::int64_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= state_->trial_index.size())
      throw invalid_argument("unknown trial id " + std::to_string(id));
    return state_->trial_index[static_cast<std::size_t>(id)];
  }

  frozen_trial& running_trial(std::int64_t id, const char* what) const {
    const trial_ref ref = get_ref(id);
    frozen_trial& t = *get_study(ref.study).trials[static_cast<std::size_t>(ref.number)];
    if (t.state != trial_state::running)
      throw state_error(std::string(what) + ": trial " + std::to_string(t.number) + " is " +
                        std::string(to_string(t.state)) + ", not RUNNING");
    return t;
  }

  std::shared_ptr<state> state_;
};
TUNEKIT_EXTERN_TEMPLATE(class memory_storage_impl<void>);  // compiled mode: instantiated in src/
}  // namespace detail

/// In-process storage: fast, thread-safe, gone when the process exits.
/// A handle: copies share the same studies. Finished trials are kept in an
/// append-only log, so `view()` costs O(running trials), whatever the size
/// of the study.
class memory_storage : public detail::memory_storage_impl<> {};

static_assert(storage<memory_storage>);

}  // namespace tunekit
