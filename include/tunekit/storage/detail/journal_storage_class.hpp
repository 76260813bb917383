#pragma once

// The journal storage's options and class: its state and public
// operations. Its private members are defined in journal_storage_read.hpp
// (replaying the file) and journal_storage_write.hpp (appending, claims,
// heartbeats); users include tunekit/storage/journal.hpp.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../../core/concepts.hpp"
#include "../../core/distribution.hpp"
#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../core/study_view.hpp"
#include "../../detail/append_log.hpp"
#include "../../detail/format.hpp"
#include "../../detail/group_commit.hpp"
#include "../../detail/journal_format.hpp"
#include "../durability.hpp"
#include "heartbeat.hpp"
#include "trial_checks.hpp"

namespace tunekit {

/// How writers of a journal exclude each other.
enum class journal_lock {
  /// `flock` on the journal itself: released by the kernel when a process
  /// dies, so a killed worker never leaves the study locked. The default.
  flock,
  /// Optuna's `JournalFileSymlinkLock` (a `<path>.lock` symlink): use it
  /// when Optuna processes write the same journal at the same time. A
  /// process killed while holding it leaves the lock behind (remove it).
  optuna_symlink,
};

/// Options of `journal_storage`.
struct journal_storage_options {
  /// What an acknowledged write survives (`durability::trials`: every
  /// created and finished trial survives a power cut). Flushes are shared by
  /// the threads and processes writing the journal (group commit).
  tunekit::durability durability = tunekit::durability::trials;
  journal_lock lock = journal_lock::flock;
  /// Unset: no heartbeats. Set: a thread of this process records, every
  /// interval, that each trial it runs is alive.
  std::optional<std::chrono::duration<double>> heartbeat_interval = std::nullopt;
  /// A RUNNING trial whose last heartbeat is older than this is failed by
  /// the next worker that starts a trial. Unset: twice the interval.
  std::optional<std::chrono::duration<double>> grace_period = std::nullopt;
  /// How many times a trial failed by an expired heartbeat is re-queued
  /// with the same parameters (Optuna's RetryFailedTrialCallback convention:
  /// system attributes `failed_trial` and `retry_history`). 0: never.
  int max_retries = 0;
};

/// A study stored in an append-only file of JSON lines in the format of
/// Optuna 3.1's `JournalFileStorage` (see docs/storage.md), so Optuna opens
/// what tunekit writes and the other way round. Safe across threads and
/// processes: writers take a file lock, read what others appended since
/// their last read (never the whole file again), then append.
///
/// A handle: copies share the same open file and in-memory state.
namespace detail {
namespace journal {
// Results of the last write (set under the mutex, read right after). Not
// static members of journal_storage_impl: GCC 12 does not emit the
// thread-local wrappers of an explicitly instantiated class template's
// static members, so a compiled-mode caller would jump to address 0.
inline thread_local std::int64_t last_created = -1;
inline thread_local std::int64_t last_started = -1;
inline thread_local int stale_failed = 0;
}  // namespace journal

/// A template only so that its JSON and file code is instantiated in the
/// translation units that use the storage, not in every one that includes
/// the header (compile cost; see benchmarks/RESULTS.md, "Compile cost").
template <class = void>
class journal_storage_impl {
  struct study_rec {
    std::shared_ptr<const study_info> info;
    attributes user_attrs, system_attrs;
    std::vector<std::int64_t> trial_ids;  // by number
    detail::append_log<frozen_trial> finished;
    std::set<std::int64_t> running, waiting;  // trial ids
    // First trial (by number) having each parameter, and its distribution:
    // Optuna ignores a parameter whose distribution is incompatible with it.
    std::map<std::string, std::pair<std::int64_t, distribution>, std::less<>> first_dist;
  };
  struct trial_rec {
    study_id study;
    std::shared_ptr<frozen_trial> record;
  };

  struct state {
    std::mutex mutex;
    std::string path;
    journal_storage_options options;
    int fd = -1;
    std::uint64_t offset = 0;     // bytes consumed
    std::int64_t lines = 0;       // lines consumed
    bool unterminated = false;    // the last record consumed had no '\n' (Optuna reads such a line)
    std::string worker_id;
    std::vector<std::unique_ptr<study_rec>> studies;  // by id; null once deleted
    std::vector<trial_rec> trials;                    // by id
    std::set<std::int64_t> owned;                     // running trials this handle runs
    std::unordered_map<std::string, distribution> dist_cache;  // distribution JSON text -> parsed
    detail::group_commit flusher;  // fdatasync shared with the other writers
    std::condition_variable_any wake;
    std::jthread heartbeat;  // last: stopped and joined before the rest goes

    ~state() {
      if (heartbeat.joinable()) {
        heartbeat.request_stop();
        wake.notify_all();
        heartbeat.join();
      }
      if (fd >= 0) ::close(fd);
    }
  };

 public:
  /// Opens (creating if needed) the journal at `path` and reads it. Throws
  /// `storage_error` if the directory is missing or not writable, or the
  /// file is not a journal.
  explicit journal_storage_impl(const std::filesystem::path& path, journal_storage_options options)
      : state_(std::make_shared<state>()) {
    heartbeats(options).check("journal_storage_options::");
    state_->path = path.string();
    state_->options = options;
    state_->worker_id = make_worker_id();
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      throw storage_error("journal " + detail::quoted(state_->path) + ": directory " + detail::quoted(dir.string()) +
                          " does not exist");
    state_->fd = ::open(state_->path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    const bool created = state_->fd >= 0;
    if (!created && errno == EEXIST) state_->fd = ::open(state_->path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    if (state_->fd < 0)
      throw storage_error("journal " + detail::quoted(state_->path) + ": cannot open for writing: " +
                          std::strerror(errno) + " (a journal needs a writable file in a writable directory)");
    if (options.durability != tunekit::durability::none) {
      // A new file's name must reach the disk too, or a power cut loses the whole journal.
      if (created) detail::sync_parent_directory(state_->path);
      state_->flusher.open(state_->path + ".tunekit-sync");
    }
    std::lock_guard lock(state_->mutex);
    sync_locked(*state_);
  }

  const std::string& path() const noexcept { return state_->path; }

  /// fdatasync calls this handle and its copies made (tests, benchmarks).
  std::uint64_t flushes() const noexcept { return state_->flusher.flushes(); }

  // --- studies -------------------------------------------------------------

  study_id create_study(std::string_view name, std::span<const direction> directions) {
    if (directions.empty()) throw invalid_argument("a study needs at least one direction, got none");
    if (name.empty()) throw invalid_argument("a study name must not be empty");
    nlohmann::json dirs = nlohmann::json::array();
    for (auto d : directions) dirs.push_back(detail::journal::direction_code(d));
    return write(
        [&](state& st) {
          if (find_locked(st, name))
            throw study_exists("a study named " + detail::quoted(name) + " already exists in journal " +
                                   detail::quoted(st.path));
          return std::vector{record(st, detail::journal::op::create_study,
                                    {{"study_name", std::string(name)}, {"directions", dirs},
                                     {std::string(detail::journal::format_key), detail::journal::format_version}})};
        },
        [&](state& st) { return *find_locked(st, name); });
  }

  std::optional<study_id> find_study(std::string_view name) const {
    std::lock_guard lock(state_->mutex);
    sync_locked(*state_);
    return find_locked(*state_, name);
  }

  /// Names of the studies, in creation order.
  std::vector<std::string> study_names() const {
    std::lock_guard lock(state_->mutex);
    sync_locked(*state_);
    std::vector<std::string> names;
    for (const auto& s : state_->studies)
      if (s) names.push_back(s->info->name);
    return names;
  }

  /// The id of a study that must exist; the error lists the existing ones.
  study_id study_by_name(std::string_view name) const {
    if (auto id = find_study(name)) return *id;
    std::string known;
    for (const auto& n : study_names()) {
      if (!known.empty()) known += ", ";
      known += detail::quoted(n);
    }
    throw invalid_argument("no study named " + detail::quoted(name) + " in journal " + detail::quoted(path()) +
                           "; it has " + (known.empty() ? std::string("no studies") : known));
  }

  std::string study_name(study_id id) const {
    std::lock_guard lock(state_->mutex);
    sync_locked(*state_);
    return get_study(*state_, id).info->name;
  }

  std::vector<direction> study_directions(study_id id) const {
    std::lock_guard lock(state_->mutex);
    sync_locked(*state_);
    return get_study(*state_, id).info->directions;
  }

  void delete_study(study_id id) {
    write(
        [&](state& st) {
          get_study(st, id);
          return std::vector{record(st, detail::journal::op::delete_study, {{"study_id", id}})};
        },
        [](state&) { return 0; });
  }

  void set_study_user_attr(study_id id, std::string_view key, const nlohmann::json& value) {
    write(
        [&](state& st) {
          get_study(st, id);
          return std::vector{record(st, detail::journal::op::set_study_user_attr,
                                    {{"study_id", id}, {"user_attr", {{std::string(key), value}}}})};
        },
        [](state&) { return 0; });
  }

  attributes study_user_attrs(study_id id) const {
    std::lock_guard lock(state_->mutex);
    sync_locked(*state_);
    return get_study(*state_, id).user_attrs;
  }

  attributes study_system_attrs(study_id id) const {
    std::lock_guard lock(state_->mutex);
    sync_locked(*state_);
    return get_study(*state_, id).system_attrs;
  }

  /// Reserves `key` for trial `number` (see `study_view::claim`): decided
  /// under the file lock, so exactly one worker of any process wins.
  bool claim(study_id sid, std::string_view key, std::int64_t number) { return claim_impl(state_.get(), sid, key, number); }

  // --- trials --------------------------------------------------------------

  frozen_trial create_trial(study_id sid, const frozen_trial& rec) {
    check_created_trial_state(rec);
    return insert_trial(sid, rec, true);
  }

  /// Stores a finished (or waiting) trial as it is, e.g. when copying a
  /// study or warm-starting one; returns it with its new number and id.
  frozen_trial add_trial(study_id sid, const frozen_trial& rec) {
    check_added_trial_state(rec);
    return insert_trial(sid, rec, false);
  }

  std::optional<frozen_trial> pop_waiting_trial(study_id sid) {
    return write(
        [&](state& st) {
          std::vector<nlohmann::json> out = stale_records(st, sid);
          study_rec& s = get_study(st, sid);
          if (!s.waiting.empty()) {
            out.push_back(record(st, detail::journal::op::set_trial_state_values,
                                 {{"trial_id", *s.waiting.begin()},
                                  {"state", detail::journal::state_code(trial_state::running)},
                                  {"values", nullptr},
                                  {"datetime_start", detail::journal::format_time(frozen_trial::clock::now())}}));
            if (st.options.heartbeat_interval) out.push_back(heartbeat_record(st, *s.waiting.begin()));
          }
          return out;
        },
        [&](state& st) -> std::optional<frozen_trial> {
          // Under the lock nothing else was appended: ours is the trial that went RUNNING.
          if (journal::last_started < 0) return std::nullopt;
          const std::int64_t id = journal::last_started;
          own(st, id);
          return *st.trials[static_cast<std::size_t>(id)].record;
        });
  }

  void set_param(std::int64_t id, std::string_view name, double internal, const distribution& d) {
    write(
        [&](state& st) {
          const trial_rec& t = running(st, id, "set_param");
          const study_rec& s = get_study(st, t.study);
          if (auto f = s.first_dist.find(name); f != s.first_dist.end() && !detail::journal::compatible(f->second.second, d))
            throw invalid_argument("parameter " + detail::quoted(name) + " is " + describe(d) + " now, but trial " +
                                   std::to_string(f->second.first) + " of study " + detail::quoted(s.info->name) +
                                   " has it as " + describe(f->second.second) +
                                   ": the search space changed since the study was created (kind, log scale or "
                                   "choices differ); use a new study or a new parameter name");
          return std::vector{record(st, detail::journal::op::set_trial_param,
                                    {{"trial_id", id},
                                     {"param_name", std::string(name)},
                                     {"param_value_internal", internal},
                                     {"distribution", detail::journal::distribution_to_json(d)}})};
        },
        [](state&) { return 0; });
  }

  void set_intermediate_value(std::int64_t id, std::int64_t step, double value) {
    write(
        [&](state& st) {
          running(st, id, "set_intermediate_value");
          return std::vector{record(st, detail::journal::op::set_trial_intermediate_value,
                                    {{"trial_id", id}, {"step", step}, {"intermediate_value", value}})};
        },
        [](state&) { return 0; });
  }

  void set_user_attr(std::int64_t id, std::string_view key, const nlohmann::json& value) {
    write(
        [&](state& st) {
          running(st, id, "set_user_attr");
          return std::vector{record(st, detail::journal::op::set_trial_user_attr,
                                    {{"trial_id", id}, {"user_attr", {{std::string(key), value}}}})};
        },
        [](state&) { return 0; });
  }

  /// A system attribute of a running trial (Optuna's `set_trial_system_attr`).
  void set_system_attr(std::int64_t id, std::string_view key, const nlohmann::json& value) {
    write(
        [&](state& st) {
          running(st, id, "set_system_attr");
          return std::vector{record(st, detail::journal::op::set_trial_system_attr,
                                    {{"trial_id", id}, {"system_attr", {{std::string(key), value}}}})};
        },
        [](state&) { return 0; });
  }

  frozen_trial finish_trial(std::int64_t id, trial_state final_state, std::span<const double> values,
                            const resource_usage& usage, const std::string& reason) {
    if (!is_finished(final_state))
      throw invalid_argument("finish_trial: the final state must be COMPLETE, PRUNED or FAIL, got " +
                             std::string(to_string(final_state)));
    return write(
        [&](state& st) {
          running(st, id, "finish_trial");
          std::vector<nlohmann::json> out;
          if (usage != resource_usage{})
            out.push_back(record(st, detail::journal::op::set_trial_system_attr,
                               {{"trial_id", id},
                                {"system_attr",
                                 {{std::string(detail::journal::resources_key),
                                   {{"wall_seconds", usage.wall_seconds},
                                    {"cpu_seconds", usage.cpu_seconds},
                                    {"peak_memory_growth_bytes", usage.peak_memory_growth_bytes}}}}}}));
          if (!reason.empty())
            out.push_back(record(st, detail::journal::op::set_trial_system_attr,
                                 {{"trial_id", id}, {"system_attr", {{std::string(detail::journal::fail_reason_key), reason}}}}));
          nlohmann::json vals = nullptr;
          if (!values.empty()) vals = std::vector<double>(values.begin(), values.end());
          out.push_back(record(st, detail::journal::op::set_trial_state_values,
                               {{"trial_id", id},
                                {"state", detail::journal::state_code(final_state)},
                                {"values", vals},
                                {"datetime_complete", detail::journal::format_time(frozen_trial::clock::now())}}));
          return out;
        },
        [&](state& st) {
          st.owned.erase(id);
          return *st.trials[static_cast<std::size_t>(id)].record;
        });
  }

  study_view view(study_id sid) const {
    std::lock_guard lock(state_->mutex);
    sync_locked(*state_);
    const study_rec& s = get_study(*state_, sid);
    auto running_now = [st = state_.get(), sid] {
      std::lock_guard inner(st->mutex);
      std::vector<frozen_trial> out;
      const study_rec* s2 = sid >= 0 && static_cast<std::size_t>(sid) < st->studies.size()
                                ? st->studies[static_cast<std::size_t>(sid)].get()
                                : nullptr;
      if (!s2) return out;
      for (auto id : s2->running) out.push_back(*st->trials[static_cast<std::size_t>(id)].record);
      return out;
    };
    study_view v(s.info, s.finished.take_snapshot(), std::move(running_now),
                 static_cast<std::int64_t>(s.trial_ids.size()), state_);
    v.set_claim_source([st = state_.get(), sid](std::string_view key, std::int64_t number) {
      return claim_impl(st, sid, key, number);
    });
    return v;
  }

  frozen_trial trial(std::int64_t id) const {
    std::lock_guard lock(state_->mutex);
    sync_locked(*state_);
    return *get_trial(*state_, id).record;
  }

  std::vector<frozen_trial> trials(study_id sid) const {
    std::lock_guard lock(state_->mutex);
    sync_locked(*state_);
    const study_rec& s = get_study(*state_, sid);
    std::vector<frozen_trial> out;
    out.reserve(s.trial_ids.size());
    for (auto id : s.trial_ids) out.push_back(*state_->trials[static_cast<std::size_t>(id)].record);
    return out;
  }

  /// Fails the study's RUNNING trials whose heartbeat expired (and re-queues
  /// them if `max_retries` allows); returns how many it failed. Starting a
  /// trial does this too.
  int fail_stale_trials(study_id sid) {
    return write([&](state& st) { return stale_records(st, sid); },
                 [&](state&) { return journal::stale_failed; });
  }

 private:
  // --- writing ---------------------------------------------------------------

  /// Under the thread mutex and the file lock: reads what others appended,
  /// lets `make` validate and build records, appends them in one write,
  /// applies them, and returns `done()`.
  template <class Make, class Done>
  auto write(Make&& make, Done&& done) -> decltype(done(std::declval<state&>())) {
    state& st = *state_;
    bool flush = false;
    auto locked = [&] {
      std::lock_guard lock(st.mutex);
      append_records(st, make, flush);
      return done(st);
    };
    // The flush runs outside both locks: others append while it runs, and
    // one flush serves all of them (group commit).
    if constexpr (std::is_void_v<decltype(done(st))>) {
      locked();
      if (flush) st.flusher.sync(st.fd, "journal " + detail::quoted(st.path));
    } else {
      auto result = locked();
      if (flush) st.flusher.sync(st.fd, "journal " + detail::quoted(st.path));
      return result;
    }
  }

  // Reading the file (journal_storage_read.hpp).
  static void sync_locked(state& st);
  static void consume_lines(state& st, std::string& pending, bool at_end);
  static bool looks_like_record_prefix(std::string_view s);
  static bool consume_line(state& st, std::string_view line, bool last_in_file);
  [[noreturn]] static void bad_record(const state& st, std::int64_t line, const std::string& what);
  static std::int64_t int_field(const state& st, const nlohmann::json& r, const char* key, std::int64_t line);
  static const nlohmann::json& field(const state& st, const nlohmann::json& r, const char* key, std::int64_t line);
  static double number_of(const state& st, const nlohmann::json& v, const char* what, std::int64_t line);
  static std::vector<double> values_of(const state& st, const nlohmann::json& r, std::int64_t line);
  static std::optional<frozen_trial::clock::time_point> time_of(const state& st, const nlohmann::json& r,
                                                                const char* key, std::int64_t line);
  static void apply_system_attr(frozen_trial& t, const std::string& key, const nlohmann::json& v);
  static distribution dist_of(state& st, const nlohmann::json& text, std::string_view name, std::int64_t line);
  static void note_param(study_rec& s, const std::string& name, std::int64_t number, const distribution& d);
  static void apply(state& st, const nlohmann::json& r, std::int64_t line, bool ours);
  static std::optional<study_id> find_locked(const state& st, std::string_view name);
  static study_rec* live_study(state& st, std::int64_t id);
  static study_rec& get_study(state& st, study_id id);
  static trial_rec& get_trial(state& st, std::int64_t id);
  static trial_rec& running(state& st, std::int64_t id, const char* what);

  // Appending records, claims and heartbeats (journal_storage_write.hpp).
  template <class Make>
  static void append_records(state& st, Make& make, bool& flush);
  static bool needs_flush(tunekit::durability level, int op);
  static std::string make_worker_id();
  static nlohmann::json record(const state& st, detail::journal::op code, nlohmann::json fields);
  static void append_record_text(std::string& out, const nlohmann::json& r);
  struct file_lock;
  static void append_locked(state& st, std::string& text);
  static bool write_all(state& st, std::string_view text);
  static nlohmann::json create_record(const state& st, study_id sid, const frozen_trial& rec, bool start_now);
  static detail::heartbeat_policy heartbeats(const journal_storage_options& o);
  frozen_trial insert_trial(study_id sid, const frozen_trial& rec, bool start_now);
  static bool claim_impl(state* st, study_id sid, std::string_view key, std::int64_t number);
  static double now_seconds();
  static nlohmann::json heartbeat_record(const state& st, std::int64_t id);
  std::vector<nlohmann::json> stale_records(state& st, study_id sid);
  static void own(state& st, std::int64_t id);
  static void beat(state& st, std::stop_token stop);

  std::shared_ptr<state> state_;
};

}  // namespace detail

}  // namespace tunekit
