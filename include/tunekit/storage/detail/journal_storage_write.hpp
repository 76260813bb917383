#pragma once

// Writing a journal: records built, appended under the file lock and
// flushed by the durability level; new trials, claims and heartbeats.
// Out-of-class definitions of private members of `journal_storage_impl`
// (journal_storage_class.hpp); users include tunekit/storage/journal.hpp.

#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../detail/format.hpp"
#include "../../detail/journal_format.hpp"
#include "../../detail/json_line.hpp"
#include "heartbeat.hpp"
#include "journal_storage_class.hpp"

namespace tunekit::detail {

// --- writing ---------------------------------------------------------------

/// Under the thread mutex: takes the file lock, reads what others
/// appended, lets `make` validate and build records, appends them in one
/// write and applies them. `flush`: whether the caller must flush before
/// acknowledging, by the durability level.
template <class V>
template <class Make>
void journal_storage_impl<V>::append_records(state& st, Make& make, bool& flush) {
  sync_locked(st);  // most new records are read before taking the file lock, to keep it short
  file_lock flock_guard(st);
  sync_locked(st);
  journal::last_started = -1;
  journal::last_created = -1;
  journal::stale_failed = 0;
  std::vector<nlohmann::json> records = make(st);
  std::string text;
  for (const auto& r : records) {
    append_record_text(text, r);
    text += '\n';
    flush = flush || needs_flush(st.options.durability, r.at("op_code").get<int>());
  }
  if (!text.empty()) append_locked(st, text);
  for (const auto& r : records) apply(st, r, st.lines + 1, true), ++st.lines;
  st.offset += text.size();
}

/// `durability::trials` flushes every record except the details of a
/// running trial (parameters, intermediate values, trial attributes,
/// heartbeats), which the trial's finish flushes with it.
template <class V>
bool journal_storage_impl<V>::needs_flush(tunekit::durability level, int op) {
  using enum detail::journal::op;
  switch (level) {
    case tunekit::durability::none: return false;
    case tunekit::durability::full: return true;
    case tunekit::durability::trials:
      return op != static_cast<int>(set_trial_param) && op != static_cast<int>(set_trial_intermediate_value) &&
             op != static_cast<int>(set_trial_user_attr) && op != static_cast<int>(set_trial_system_attr);
  }
  return true;
}

/// The next worker id: Optuna's "<uuid>-<thread>" shape.
template <class V>
std::string journal_storage_impl<V>::make_worker_id() {
  std::random_device rd;
  static constexpr char hex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) id += '-';
    id += hex[rd() % 16];
  }
  return id + "-" + std::to_string(::getpid());
}

template <class V>
nlohmann::json journal_storage_impl<V>::record(const state& st, detail::journal::op code, nlohmann::json fields) {
  fields["op_code"] = static_cast<int>(code);
  fields["worker_id"] = st.worker_id;
  return fields;
}

/// op_code first, as Optuna writes it, so a torn line is recognisable.
template <class V>
void journal_storage_impl<V>::append_record_text(std::string& out, const nlohmann::json& r) {
  out += "{\"op_code\": ";
  out += std::to_string(r.at("op_code").get<int>());
  for (const auto& [k, v] : r.items()) {
    if (k == "op_code") continue;
    out += ", ";
    detail::write_json_string(out, k);
    out += ": ";
    detail::write_json(out, v);
  }
  out += '}';
}

template <class V>
struct journal_storage_impl<V>::file_lock {
  explicit file_lock(state& s) : st(s) {
    if (st.options.lock == journal_lock::flock) {
      while (::flock(st.fd, LOCK_EX) != 0)
        if (errno != EINTR) throw storage_error("journal " + detail::quoted(st.path) + ": flock: " + std::strerror(errno));
    } else {
      const std::string lock_path = st.path + ".lock";
      auto sleep = std::chrono::microseconds(1000);
      while (::symlink(st.path.c_str(), lock_path.c_str()) != 0) {
        if (errno != EEXIST)
          throw storage_error("journal " + detail::quoted(st.path) + ": cannot create lock " + detail::quoted(lock_path) +
                              ": " + std::strerror(errno));
        std::this_thread::sleep_for(sleep);
        sleep = std::min(sleep * 2, std::chrono::microseconds(1000000));
      }
    }
  }
  ~file_lock() {
    if (st.options.lock == journal_lock::flock) {
      ::flock(st.fd, LOCK_UN);
    } else {
      const std::string lock_path = st.path + ".lock";
      const std::string gone = lock_path + "." + st.worker_id + ".rename";
      if (::rename(lock_path.c_str(), gone.c_str()) == 0) ::unlink(gone.c_str());
    }
  }
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;
  state& st;
};

/// Under the file lock, after a sync: drops a torn tail left by a crashed
/// writer (never a record: sync consumed every complete one), then appends.
template <class V>
void journal_storage_impl<V>::append_locked(state& st, std::string& text) {
  struct stat info{};
  if (::fstat(st.fd, &info) != 0) throw storage_error("journal " + detail::quoted(st.path) + ": fstat: " + std::strerror(errno));
  if (static_cast<std::uint64_t>(info.st_size) > st.offset) {
    if (::ftruncate(st.fd, static_cast<off_t>(st.offset)) != 0)
      throw storage_error("journal " + detail::quoted(st.path) + ": cannot drop a torn last line: " + std::strerror(errno));
  }
  if (st.unterminated) {
    // Close the unterminated record already consumed (Optuna read it too).
    if (!write_all(st, "\n")) throw storage_error("journal " + detail::quoted(st.path) + ": write: " + std::strerror(errno));
    st.unterminated = false;
    st.offset += 1;
  }
  if (!write_all(st, text))
    throw storage_error("journal " + detail::quoted(st.path) + ": write failed: " + std::strerror(errno) +
                        " (disk full or read-only?)");
}

template <class V>
bool journal_storage_impl<V>::write_all(state& st, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(st.fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// The create-trial record of `rec` (a new RUNNING or WAITING trial when
/// `start_now`, else stored as it is).
template <class V>
nlohmann::json journal_storage_impl<V>::create_record(const state& st, study_id sid, const frozen_trial& rec,
                                                      bool start_now) {
  nlohmann::json fields = {{"study_id", sid}, {"state", detail::journal::state_code(rec.state)}};
  const auto now = frozen_trial::clock::now();
  if (start_now) {
    fields["datetime_start"] =
        rec.state == trial_state::running ? nlohmann::json(detail::journal::format_time(now)) : nlohmann::json(nullptr);
  } else {
    fields["datetime_start"] =
        rec.datetime_start ? nlohmann::json(detail::journal::format_time(*rec.datetime_start)) : nlohmann::json(nullptr);
    if (rec.datetime_complete) fields["datetime_complete"] = detail::journal::format_time(*rec.datetime_complete);
  }
  if (rec.values.size() > 1) fields["value"] = nullptr, fields["values"] = rec.values;
  else fields["value"] = rec.values.empty() ? nlohmann::json(nullptr) : nlohmann::json(rec.values[0]), fields["values"] = nullptr;
  nlohmann::json dists = nlohmann::json::object(), params = nlohmann::json::object();
  for (const auto& [k, d] : rec.distributions) dists[k] = detail::journal::distribution_to_json(d);
  for (const auto& [k, v] : rec.params) params[k] = v;
  fields["distributions"] = std::move(dists);
  fields["params"] = std::move(params);
  nlohmann::json user = nlohmann::json::object(), system = nlohmann::json::object();
  for (const auto& [k, v] : rec.user_attrs) user[k] = v;
  for (const auto& [k, v] : rec.system_attrs) system[k] = v;
  if (!rec.fail_reason.empty()) system[std::string(detail::journal::fail_reason_key)] = rec.fail_reason;
  if (start_now && rec.state == trial_state::running && st.options.heartbeat_interval)
    system[std::string(detail::journal::heartbeat_key)] = now_seconds();
  fields["user_attrs"] = std::move(user);
  fields["system_attrs"] = std::move(system);
  nlohmann::json iv = nlohmann::json::object();
  for (const auto& [step, v] : rec.intermediate_values) iv[std::to_string(step)] = v;
  fields["intermediate_values"] = std::move(iv);
  return record(st, detail::journal::op::create_trial, std::move(fields));
}

template <class V>
detail::heartbeat_policy journal_storage_impl<V>::heartbeats(const journal_storage_options& o) {
  return {.interval = o.heartbeat_interval, .grace = o.grace_period, .max_retries = o.max_retries};
}

template <class V>
frozen_trial journal_storage_impl<V>::insert_trial(study_id sid, const frozen_trial& rec, bool start_now) {
  return write(
      [&](state& st) {
        std::vector<nlohmann::json> out = start_now ? stale_records(st, sid) : std::vector<nlohmann::json>{};
        get_study(st, sid);
        out.push_back(create_record(st, sid, rec, start_now));
        return out;
      },
      [&](state& st) {
        const std::int64_t id = journal::last_created;
        if (st.trials[static_cast<std::size_t>(id)].record->state == trial_state::running) own(st, id);
        return *st.trials[static_cast<std::size_t>(id)].record;
      });
}

// --- claims ----------------------------------------------------------------

template <class V>
bool journal_storage_impl<V>::claim_impl(state* st, study_id sid, std::string_view key, std::int64_t number) {
  std::lock_guard lock(st->mutex);
  const std::string attr = std::string(detail::journal::claim_prefix) + std::string(key);
  auto held = [&]() -> std::optional<std::int64_t> {
    study_rec& s = get_study(*st, sid);
    auto it = s.system_attrs.find(attr);
    if (it == s.system_attrs.end() || !it->second.is_number_integer()) return std::nullopt;
    return it->second.template get<std::int64_t>();
  };
  sync_locked(*st);
  if (auto h = held()) return *h == number;
  file_lock guard(*st);
  sync_locked(*st);
  if (auto h = held()) return *h == number;
  std::string text;
  const nlohmann::json r = record(*st, detail::journal::op::set_study_system_attr,
                                  {{"study_id", sid}, {"system_attr", {{attr, number}}}});
  append_record_text(text, r);
  text += '\n';
  append_locked(*st, text);
  apply(*st, r, st->lines + 1, true);
  ++st->lines;
  st->offset += text.size();
  return true;
}

// --- heartbeats ------------------------------------------------------------

template <class V>
double journal_storage_impl<V>::now_seconds() {
  return std::chrono::duration<double>(frozen_trial::clock::now().time_since_epoch()).count();
}

template <class V>
nlohmann::json journal_storage_impl<V>::heartbeat_record(const state& st, std::int64_t id) {
  return record(st, detail::journal::op::set_trial_system_attr,
                {{"trial_id", id}, {"system_attr", {{std::string(detail::journal::heartbeat_key), now_seconds()}}}});
}

/// Records that fail the study's RUNNING trials whose heartbeat expired
/// (not ours), and re-queue them when retries are allowed.
template <class V>
std::vector<nlohmann::json> journal_storage_impl<V>::stale_records(state& st, study_id sid) {
  std::vector<nlohmann::json> out;
  if (!st.options.heartbeat_interval) return out;
  const detail::heartbeat_policy policy = heartbeats(st.options);
  const double now = now_seconds();
  study_rec& s = get_study(st, sid);
  for (const auto id : s.running) {
    if (st.owned.count(id)) continue;
    const frozen_trial& t = *st.trials[static_cast<std::size_t>(id)].record;
    auto beat = t.system_attrs.find(detail::journal::heartbeat_key);
    if (beat == t.system_attrs.end() || !beat->second.is_number()) continue;  // not heartbeat-managed
    const double age = now - beat->second.get<double>();
    if (age <= policy.grace_seconds()) continue;
    ++journal::stale_failed;
    out.push_back(record(st, detail::journal::op::set_trial_system_attr,
                         {{"trial_id", id},
                          {"system_attr", {{std::string(detail::journal::fail_reason_key), policy.expired_reason(age)}}}}));
    out.push_back(record(st, detail::journal::op::set_trial_state_values,
                         {{"trial_id", id},
                          {"state", detail::journal::state_code(trial_state::fail)},
                          {"values", nullptr},
                          {"datetime_complete", detail::journal::format_time(frozen_trial::clock::now())}}));
    if (auto retry = policy.retry_of(t)) out.push_back(create_record(st, sid, *retry, false));
  }
  return out;
}

/// Marks a trial as run by this handle; starts the heartbeat thread.
template <class V>
void journal_storage_impl<V>::own(state& st, std::int64_t id) {
  own_for_heartbeat(st, id, &journal_storage_impl::beat);
}

template <class V>
void journal_storage_impl<V>::beat(state& st, std::stop_token stop) {
  heartbeat_loop(st, stop, [&st] {
    file_lock guard(st);
    sync_locked(st);
    std::string text;
    std::vector<nlohmann::json> records;
    for (auto id : st.owned)
      if (st.trials[static_cast<std::size_t>(id)].record->state == trial_state::running)
        records.push_back(heartbeat_record(st, id));
    for (const auto& r : records) append_record_text(text, r), text += '\n';
    if (text.empty()) return;
    append_locked(st, text);
    for (const auto& r : records) apply(st, r, st.lines + 1, true), ++st.lines;
    st.offset += text.size();
  });
}

}  // namespace tunekit::detail
