#pragma once

// What the journal and the SQL storages share about heartbeats: the checks of
// their options, the grace period, the reason stored on a trial whose
// heartbeat expired, and the trial that retries it (Optuna 3.1's
// RetryFailedTrialCallback convention: system attributes `failed_trial`,
// `retry_history`, `fixed_params`). Each storage keeps only how it reads
// heartbeats and writes records. The heartbeat thread itself (when it
// starts, how it waits, what a failed beat does) is shared as well.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../detail/format.hpp"
#include "../../detail/journal_format.hpp"

namespace tunekit::detail {

struct heartbeat_policy {
  std::optional<std::chrono::duration<double>> interval;
  std::optional<std::chrono::duration<double>> grace;
  int max_retries = 0;

  /// Throws `invalid_argument` for a bad option; `prefix` names the options
  /// struct in the message (e.g. "journal_storage_options::").
  void check(std::string_view prefix) const {
    const std::string p(prefix);
    if (interval && !(interval->count() > 0)) throw invalid_argument(p + "heartbeat_interval must be > 0 seconds");
    if (grace && !(grace->count() > 0)) throw invalid_argument(p + "grace_period must be > 0 seconds");
    if (max_retries < 0) throw invalid_argument(p + "max_retries = " + std::to_string(max_retries) + " must be >= 0");
    if (max_retries > 0 && !interval)
      throw invalid_argument(p + "max_retries needs heartbeat_interval: only trials whose heartbeat expired are retried");
  }

  /// Seconds without a heartbeat after which a RUNNING trial is failed
  /// (default: twice the interval). Only with an interval.
  double grace_seconds() const { return grace ? grace->count() : 2 * interval->count(); }

  /// The `fail_reason` of a trial whose last heartbeat is `age` seconds old.
  std::string expired_reason(double age) const {
    return "heartbeat expired: no sign of life for " + format_number(std::round(age * 10) / 10) + " s (grace period " +
           format_number(grace_seconds()) + " s); the worker probably died";
  }

  /// The WAITING trial that retries `failed` (same parameters and user
  /// attributes), or nothing when its retries are used up.
  std::optional<frozen_trial> retry_of(const frozen_trial& failed) const {
    if (max_retries <= 0) return std::nullopt;
    frozen_trial retry;
    retry.state = trial_state::waiting;
    for (const auto& [k, v] : failed.system_attrs)
      if (k != journal::heartbeat_key && k != journal::fail_reason_key && k != journal::resources_key)
        retry.system_attrs[k] = v;
    nlohmann::json history = retry.system_attrs.count("retry_history") && retry.system_attrs["retry_history"].is_array()
                                 ? retry.system_attrs["retry_history"]
                                 : nlohmann::json::array();
    history.push_back(failed.number);
    if (static_cast<std::int64_t>(history.size()) > max_retries) return std::nullopt;
    if (!retry.system_attrs.count("failed_trial")) retry.system_attrs["failed_trial"] = failed.number;
    retry.system_attrs["retry_history"] = history;
    nlohmann::json fixed = nlohmann::json::object();
    for (const auto& [k, v] : failed.params)
      fixed[k] = journal::category_json(to_external(failed.distributions.find(k)->second, v));
    retry.system_attrs["fixed_params"] = fixed;
    retry.params = failed.params;
    retry.distributions = failed.distributions;
    retry.user_attrs = failed.user_attrs;
    return retry;
  }
};

/// The heartbeat thread of a storage handle: every `heartbeat_interval`,
/// while the handle runs trials (`st.owned`), `beat()` under `st.mutex`.
/// A failed beat is retried at the next interval; the trial's own writes
/// report errors. Returns when `stop` is requested (`st.wake` wakes it).
template <class State, class Beat>
void heartbeat_loop(State& st, std::stop_token stop, Beat&& beat) {
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(*st.options.heartbeat_interval);
  std::unique_lock lock(st.mutex);
  while (!stop.stop_requested()) {
    st.wake.wait_for(lock, stop, interval, [] { return false; });
    if (stop.stop_requested()) break;
    if (st.owned.empty()) continue;
    try {
      beat();
    } catch (const std::exception&) {
      // Retried next interval.
    }
  }
}

/// Marks trial `id` as run by this handle (called under `st.mutex`) and
/// starts the heartbeat thread, running `loop`, with the first such trial;
/// nothing without a heartbeat interval.
template <class State>
void own_for_heartbeat(State& st, std::int64_t id, void (*loop)(State&, std::stop_token)) {
  if (!st.options.heartbeat_interval) return;
  st.owned.insert(id);
  if (!st.heartbeat.joinable()) st.heartbeat = std::jthread([s = &st, loop](std::stop_token stop) { loop(*s, stop); });
}

}  // namespace tunekit::detail
