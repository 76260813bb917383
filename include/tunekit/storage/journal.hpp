#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../core/frozen_trial.hpp"
#include "../core/study_view.hpp"
#include "durability.hpp"
#include "../detail/append_log.hpp"
#include "../detail/group_commit.hpp"
#include "../detail/journal_format.hpp"
#include "detail/heartbeat.hpp"
#include "../detail/json_line.hpp"
#include "../detail/compiled_lib.hpp"

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
    if (rec.state != trial_state::running && rec.state != trial_state::waiting)
      throw invalid_argument("create_trial: a new trial must be RUNNING or WAITING, got " +
                             std::string(to_string(rec.state)));
    return insert_trial(sid, rec, true);
  }

  /// Stores a finished (or waiting) trial as it is, e.g. when copying a
  /// study or warm-starting one; returns it with its new number and id.
  frozen_trial add_trial(study_id sid, const frozen_trial& rec) {
    if (rec.state == trial_state::running)
      throw invalid_argument("add_trial: the trial must be finished or WAITING, not RUNNING");
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

  /// Under the thread mutex: takes the file lock, reads what others
  /// appended, lets `make` validate and build records, appends them in one
  /// write and applies them. `flush`: whether the caller must flush before
  /// acknowledging, by the durability level.
  template <class Make>
  static void append_records(state& st, Make& make, bool& flush) {
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
  static bool needs_flush(tunekit::durability level, int op) {
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
  static std::string make_worker_id() {
    std::random_device rd;
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    for (int i = 0; i < 32; ++i) {
      if (i == 8 || i == 12 || i == 16 || i == 20) id += '-';
      id += hex[rd() % 16];
    }
    return id + "-" + std::to_string(::getpid());
  }

  static nlohmann::json record(const state& st, detail::journal::op code, nlohmann::json fields) {
    fields["op_code"] = static_cast<int>(code);
    fields["worker_id"] = st.worker_id;
    return fields;
  }

  /// op_code first, as Optuna writes it, so a torn line is recognisable.
  static void append_record_text(std::string& out, const nlohmann::json& r) {
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

  struct file_lock {
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
  static void append_locked(state& st, std::string& text) {
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

  static bool write_all(state& st, std::string_view text) {
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

  // --- reading ---------------------------------------------------------------

  /// Reads and applies every complete record appended since the last call.
  /// Only new bytes are read: the cost is O(new records).
  static void sync_locked(state& st) {
    std::string pending;
    std::uint64_t pos = st.offset;
    char buf[1 << 16];
    while (true) {
      const ssize_t n = ::pread(st.fd, buf, sizeof buf, static_cast<off_t>(pos));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw storage_error("journal " + detail::quoted(st.path) + ": read: " + std::strerror(errno));
      }
      if (n == 0) break;
      pos += static_cast<std::uint64_t>(n);
      pending.append(buf, static_cast<std::size_t>(n));
      consume_lines(st, pending, false);
    }
    consume_lines(st, pending, true);
  }

  /// Applies the complete lines at the front of `pending`. At end of file
  /// the unterminated rest is read as Optuna reads it: a record if it
  /// parses, else a torn write, skipped (and dropped by the next writer).
  static void consume_lines(state& st, std::string& pending, bool at_end) {
    std::size_t start = 0;
    while (true) {
      const std::size_t nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      const bool last_in_buffer = pending.find('\n', nl + 1) == std::string::npos;
      if (last_in_buffer && !at_end) break;  // may be the file's last line: decided at the end
      const bool last_in_file = last_in_buffer && nl + 1 == pending.size();
      const std::string_view line(pending.data() + start, nl - start);
      if (!consume_line(st, line, last_in_file)) {
        pending.clear();  // a torn last line: skipped, and dropped by the next writer
        return;
      }
      st.offset += line.size() + 1;
      start = nl + 1;
    }
    if (at_end && start < pending.size()) {
      const std::string_view tail(pending.data() + start, pending.size() - start);
      if (!looks_like_record_prefix(tail))
        throw storage_error("journal " + detail::quoted(st.path) + ": line " + std::to_string(st.lines + 1) +
                            " is not a journal record; is this an Optuna 3.1 JournalFileStorage file? "
                            "The file was left untouched");
      if (consume_line(st, tail, true)) {
        st.offset += tail.size();
        st.unterminated = true;
      }
      start = pending.size();
    }
    pending.erase(0, start);
  }

  static bool looks_like_record_prefix(std::string_view s) {
    constexpr std::string_view head = "{\"op_code\"";
    const std::size_t n = std::min(s.size(), head.size());
    return s.substr(0, n) == head.substr(0, n);
  }

  /// Parses and applies one line; false for an unparsable last line (a torn
  /// write). A bad line in the middle is an error naming it; nothing is written.
  static bool consume_line(state& st, std::string_view line, bool last_in_file) {
    const std::int64_t number = st.lines + 1;
    if (line.empty() || line.find_first_not_of(" \t\r") == std::string_view::npos) {
      ++st.lines;  // Optuna's reader fails on it; we accept the blank line a recovered tail leaves
      return true;
    }
    nlohmann::json r;
    try {
      r = detail::parse_json_line(line);
    } catch (const detail::json_syntax_error& e) {
      if (last_in_file) return false;
      throw storage_error("journal " + detail::quoted(st.path) + ": line " + std::to_string(number) +
                          " is corrupted (" + e.what() + "); the file was left untouched. " +
                          (number == 1 ? "Is this an Optuna 3.1 JournalFileStorage file? " : "") +
                          "Remove or repair that line to continue.");
    }
    apply(st, r, number, false);
    ++st.lines;
    return true;
  }

  [[noreturn]] static void bad_record(const state& st, std::int64_t line, const std::string& what) {
    throw storage_error("journal " + detail::quoted(st.path) + ": line " + std::to_string(line) + ": " + what +
                        "; the file was left untouched");
  }

  static std::int64_t int_field(const state& st, const nlohmann::json& r, const char* key, std::int64_t line) {
    auto it = r.find(key);
    if (it == r.end() || !it->is_number_integer()) bad_record(st, line, std::string("field '") + key + "' is missing or not an integer");
    return it->get<std::int64_t>();
  }

  static const nlohmann::json& field(const state& st, const nlohmann::json& r, const char* key, std::int64_t line) {
    auto it = r.find(key);
    if (it == r.end()) bad_record(st, line, std::string("field '") + key + "' is missing");
    return *it;
  }

  static double number_of(const state& st, const nlohmann::json& v, const char* what, std::int64_t line) {
    if (!v.is_number()) bad_record(st, line, std::string(what) + " is not a number");
    return v.get<double>();
  }

  static std::vector<double> values_of(const state& st, const nlohmann::json& r, std::int64_t line) {
    std::vector<double> out;
    if (auto v = r.find("values"); v != r.end() && !v->is_null()) {
      if (!v->is_array()) bad_record(st, line, "'values' is not a list");
      for (const auto& x : *v) out.push_back(number_of(st, x, "a value", line));
    } else if (auto one = r.find("value"); one != r.end() && !one->is_null()) {
      out.push_back(number_of(st, *one, "'value'", line));
    }
    return out;
  }

  static std::optional<frozen_trial::clock::time_point> time_of(const state& st, const nlohmann::json& r, const char* key,
                                                              std::int64_t line) {
    auto it = r.find(key);
    if (it == r.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) bad_record(st, line, std::string("'") + key + "' is not a date");
    auto t = detail::journal::parse_time(it->get_ref<const std::string&>());
    if (!t) bad_record(st, line, std::string("'") + key + "' is not an ISO date: " + it->dump());
    return t;
  }

  static void apply_system_attr(frozen_trial& t, const std::string& key, const nlohmann::json& v) {
    t.system_attrs[key] = v;
    if (key == detail::journal::fail_reason_key && v.is_string()) t.fail_reason = v.get<std::string>();
    if (key == detail::journal::resources_key && v.is_object()) {
      t.resources.wall_seconds = v.value("wall_seconds", 0.0);
      t.resources.cpu_seconds = v.value("cpu_seconds", 0.0);
      t.resources.peak_memory_growth_bytes = v.value("peak_memory_growth_bytes", std::int64_t{0});
    }
  }

  /// Parameters repeat the same few distributions: parse each text once.
  static distribution dist_of(state& st, const nlohmann::json& text, std::string_view name, std::int64_t line) {
    if (!text.is_string()) bad_record(st, line, "the distribution of parameter " + detail::quoted(name) + " is not a JSON text");
    const std::string& key = text.get_ref<const std::string&>();
    if (auto hit = st.dist_cache.find(key); hit != st.dist_cache.end()) return hit->second;
    try {
      distribution d = detail::journal::distribution_from_json(key, name);
      if (st.dist_cache.size() >= 4096) st.dist_cache.clear();
      st.dist_cache.emplace(key, d);
      return d;
    } catch (const invalid_argument& e) {
      bad_record(st, line, e.what());
    }
  }

  static void note_param(study_rec& s, const std::string& name, std::int64_t number, const distribution& d) {
    auto f = s.first_dist.find(name);
    if (f == s.first_dist.end()) s.first_dist.emplace(name, std::pair{number, d});
    else if (number < f->second.first) f->second = {number, d};
  }

  /// Applies one record with Optuna 3.1's replay rules: operations on a
  /// deleted study or a finished trial are ignored, so every reader of the
  /// file, in either library, ends in the same state.
  static void apply(state& st, const nlohmann::json& r, std::int64_t line, bool ours) {
    if (!r.is_object()) bad_record(st, line, "a record must be a JSON object");
    if (auto v = r.find(detail::journal::format_key); v != r.end())
      if (!v->is_number_integer() || v->get<std::int64_t>() > detail::journal::format_version)
        bad_record(st, line, "written in tunekit journal format " + v->dump() + ", newer than this build reads (" +
                                 std::to_string(detail::journal::format_version) + "); upgrade tunekit");
    const std::int64_t code = int_field(st, r, "op_code", line);
    if (code < 0 || code > detail::journal::max_op)
      bad_record(st, line, "unknown op code " + std::to_string(code) +
                               " (Optuna 3.1 journals use 0 to 9); was it written by a newer Optuna or tunekit?");
    using detail::journal::op;
    switch (static_cast<op>(code)) {
      case op::create_study: {
        const auto& name = field(st, r, "study_name", line);
        if (!name.is_string()) bad_record(st, line, "'study_name' is not a string");
        const auto& dirs = field(st, r, "directions", line);
        if (!dirs.is_array() || dirs.empty()) bad_record(st, line, "'directions' is not a non-empty list");
        std::vector<direction> directions;
        for (const auto& d : dirs) {
          if (!d.is_number_integer() || (d.template get<int>() != 1 && d.template get<int>() != 2))
            bad_record(st, line, "direction " + d.dump() + " is neither 1 (minimize) nor 2 (maximize)");
          directions.push_back(d.template get<int>() == 1 ? direction::minimize : direction::maximize);
        }
        // Optuna's rule: a second study of a live name is ignored (its writer got an error).
        if (find_locked(st, name.template get_ref<const std::string&>())) return;
        auto s = std::make_unique<study_rec>();
        s->info = std::make_shared<const study_info>(study_info{name.template get<std::string>(), std::move(directions)});
        st.studies.push_back(std::move(s));
        return;
      }
      case op::delete_study: {
        const auto id = int_field(st, r, "study_id", line);
        if (live_study(st, id)) st.studies[static_cast<std::size_t>(id)].reset();
        return;
      }
      case op::set_study_user_attr:
      case op::set_study_system_attr: {
        const bool user = static_cast<op>(code) == op::set_study_user_attr;
        const auto id = int_field(st, r, "study_id", line);
        const auto& kv = field(st, r, user ? "user_attr" : "system_attr", line);
        if (!kv.is_object()) bad_record(st, line, "the attribute is not an object");
        if (study_rec* s = live_study(st, id))
          for (const auto& [k, v] : kv.items()) (user ? s->user_attrs : s->system_attrs)[k] = v;
        return;
      }
      case op::create_trial: {
        const auto sid = int_field(st, r, "study_id", line);
        study_rec* s = live_study(st, sid);
        if (!s) return;
        auto t = std::make_shared<frozen_trial>();
        t->id = static_cast<std::int64_t>(st.trials.size());
        t->number = static_cast<std::int64_t>(s->trial_ids.size());
        if (auto sv = r.find("state"); sv != r.end()) {
          if (!sv->is_number_integer() || !detail::journal::state_from_code(sv->get<std::int64_t>()))
            bad_record(st, line, "unknown trial state " + sv->dump());
          t->state = *detail::journal::state_from_code(sv->get<std::int64_t>());
        }
        t->values = values_of(st, r, line);
        t->datetime_start = time_of(st, r, "datetime_start", line);
        t->datetime_complete = time_of(st, r, "datetime_complete", line);
        if (auto d = r.find("distributions"); d != r.end() && d->is_object())
          for (const auto& [k, v] : d->items()) t->distributions.insert_or_assign(k, dist_of(st, v, k, line));
        if (auto p = r.find("params"); p != r.end() && p->is_object())
          for (const auto& [k, v] : p->items()) {
            auto dist = t->distributions.find(k);
            if (dist == t->distributions.end()) bad_record(st, line, "parameter " + detail::quoted(k) + " has no distribution");
            t->params[k] = number_of(st, v, "a parameter value", line);
            note_param(*s, k, t->number, dist->second);
          }
        if (auto u = r.find("user_attrs"); u != r.end() && u->is_object())
          for (const auto& [k, v] : u->items()) t->user_attrs[k] = v;
        if (auto u = r.find("system_attrs"); u != r.end() && u->is_object())
          for (const auto& [k, v] : u->items()) apply_system_attr(*t, k, v);
        if (auto iv = r.find("intermediate_values"); iv != r.end() && iv->is_object())
          for (const auto& [k, v] : iv->items()) {
            std::int64_t step = 0;
            const auto res = std::from_chars(k.data(), k.data() + k.size(), step);
            if (res.ec != std::errc{} || res.ptr != k.data() + k.size()) bad_record(st, line, "step " + detail::quoted(k) + " is not an integer");
            t->intermediate_values[step] = number_of(st, v, "an intermediate value", line);
          }
        s->trial_ids.push_back(t->id);
        st.trials.push_back({sid, t});
        if (t->state == trial_state::running) s->running.insert(t->id);
        else if (t->state == trial_state::waiting) s->waiting.insert(t->id);
        else s->finished.push_back(t);
        if (ours) journal::last_created = t->id;
        return;
      }
      default: break;
    }
    // Trial updates: ignored for unknown or finished trials (Optuna's rule).
    const auto id = int_field(st, r, "trial_id", line);
    if (id < 0 || static_cast<std::size_t>(id) >= st.trials.size()) return;
    trial_rec& tr = st.trials[static_cast<std::size_t>(id)];
    frozen_trial& t = *tr.record;
    if (is_finished(t.state)) return;
    study_rec* s = live_study(st, tr.study);
    switch (static_cast<op>(code)) {
      case op::set_trial_param: {
        const auto& name = field(st, r, "param_name", line);
        if (!name.is_string()) bad_record(st, line, "'param_name' is not a string");
        const std::string& n = name.template get_ref<const std::string&>();
        const distribution d = dist_of(st, field(st, r, "distribution", line), n, line);
        const double v = number_of(st, field(st, r, "param_value_internal", line), "'param_value_internal'", line);
        if (s) {
          if (auto f = s->first_dist.find(n); f != s->first_dist.end() && !detail::journal::compatible(f->second.second, d))
            return;
          note_param(*s, n, t.number, d);
        }
        t.params[n] = v;
        t.distributions.insert_or_assign(n, d);
        return;
      }
      case op::set_trial_state_values: {
        const auto code_state = int_field(st, r, "state", line);
        const auto next = detail::journal::state_from_code(code_state);
        if (!next) bad_record(st, line, "unknown trial state " + std::to_string(code_state));
        if (*next == trial_state::running && t.state == trial_state::running) return;
        if (*next == trial_state::running) {
          t.datetime_start = time_of(st, r, "datetime_start", line);
          if (ours) journal::last_started = id;
        }
        if (is_finished(*next)) t.datetime_complete = time_of(st, r, "datetime_complete", line);
        if (auto v = r.find("values"); v != r.end() && !v->is_null()) t.values = values_of(st, r, line);
        if (s) {
          s->running.erase(id);
          s->waiting.erase(id);
        }
        t.state = *next;
        if (s) {
          if (*next == trial_state::running) s->running.insert(id);
          else if (*next == trial_state::waiting) s->waiting.insert(id);
          else s->finished.push_back(tr.record);
        }
        return;
      }
      case op::set_trial_intermediate_value: {
        const auto step = int_field(st, r, "step", line);
        t.intermediate_values[step] = number_of(st, field(st, r, "intermediate_value", line), "'intermediate_value'", line);
        return;
      }
      case op::set_trial_user_attr:
      case op::set_trial_system_attr: {
        const bool user = static_cast<op>(code) == op::set_trial_user_attr;
        const auto& kv = field(st, r, user ? "user_attr" : "system_attr", line);
        if (!kv.is_object()) bad_record(st, line, "the attribute is not an object");
        for (const auto& [k, v] : kv.items()) {
          if (user) t.user_attrs[k] = v;
          else apply_system_attr(t, k, v);
        }
        return;
      }
      default: return;
    }
  }

  // --- lookups -------------------------------------------------------------

  static std::optional<study_id> find_locked(const state& st, std::string_view name) {
    for (std::size_t i = 0; i < st.studies.size(); ++i)
      if (st.studies[i] && st.studies[i]->info->name == name) return static_cast<study_id>(i);
    return std::nullopt;
  }

  static study_rec* live_study(state& st, std::int64_t id) {
    if (id < 0 || static_cast<std::size_t>(id) >= st.studies.size()) return nullptr;
    return st.studies[static_cast<std::size_t>(id)].get();
  }

  static study_rec& get_study(state& st, study_id id) {
    if (study_rec* s = live_study(st, id)) return *s;
    throw invalid_argument("unknown study id " + std::to_string(id) + " in journal " + detail::quoted(st.path));
  }

  static trial_rec& get_trial(state& st, std::int64_t id) {
    if (id < 0 || static_cast<std::size_t>(id) >= st.trials.size())
      throw invalid_argument("unknown trial id " + std::to_string(id) + " in journal " + detail::quoted(st.path));
    return st.trials[static_cast<std::size_t>(id)];
  }

  static trial_rec& running(state& st, std::int64_t id, const char* what) {
    trial_rec& t = get_trial(st, id);
    if (t.record->state != trial_state::running)
      throw state_error(std::string(what) + ": trial " + std::to_string(t.record->number) + " is " +
                        std::string(to_string(t.record->state)) + ", not RUNNING");
    return t;
  }

  /// The create-trial record of `rec` (a new RUNNING or WAITING trial when
  /// `start_now`, else stored as it is).
  static nlohmann::json create_record(const state& st, study_id sid, const frozen_trial& rec, bool start_now) {
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

  static detail::heartbeat_policy heartbeats(const journal_storage_options& o) {
    return {.interval = o.heartbeat_interval, .grace = o.grace_period, .max_retries = o.max_retries};
  }

  frozen_trial insert_trial(study_id sid, const frozen_trial& rec, bool start_now) {
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

  static bool claim_impl(state* st, study_id sid, std::string_view key, std::int64_t number) {
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

  static double now_seconds() {
    return std::chrono::duration<double>(frozen_trial::clock::now().time_since_epoch()).count();
  }

  static nlohmann::json heartbeat_record(const state& st, std::int64_t id) {
    return record(st, detail::journal::op::set_trial_system_attr,
                  {{"trial_id", id}, {"system_attr", {{std::string(detail::journal::heartbeat_key), now_seconds()}}}});
  }

  /// Records that fail the study's RUNNING trials whose heartbeat expired
  /// (not ours), and re-queue them when retries are allowed.
  std::vector<nlohmann::json> stale_records(state& st, study_id sid) {
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
  static void own(state& st, std::int64_t id) {
    if (!st.options.heartbeat_interval) return;
    st.owned.insert(id);
    if (!st.heartbeat.joinable())
      st.heartbeat = std::jthread([s = &st](std::stop_token stop) { beat(*s, stop); });
  }

  static void beat(state& st, std::stop_token stop) {
    const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(*st.options.heartbeat_interval);
    std::unique_lock lock(st.mutex);
    while (!stop.stop_requested()) {
      st.wake.wait_for(lock, stop, interval, [] { return false; });
      if (stop.stop_requested()) break;
      if (st.owned.empty()) continue;
      try {
        file_lock guard(st);
        sync_locked(st);
        std::string text;
        std::vector<nlohmann::json> records;
        for (auto id : st.owned)
          if (st.trials[static_cast<std::size_t>(id)].record->state == trial_state::running)
            records.push_back(heartbeat_record(st, id));
        for (const auto& r : records) append_record_text(text, r), text += '\n';
        if (text.empty()) continue;
        append_locked(st, text);
        for (const auto& r : records) apply(st, r, st.lines + 1, true), ++st.lines;
        st.offset += text.size();
      } catch (const std::exception&) {
        // A failed beat is retried next interval; the trial's own writes report errors.
      }
    }
  }


  std::shared_ptr<state> state_;
};
TUNEKIT_EXTERN_TEMPLATE(class journal_storage_impl<void>);  // compiled mode: instantiated in src/
}  // namespace detail

/// See `detail::journal_storage_impl` above for what it does.
class journal_storage : public detail::journal_storage_impl<> {
 public:
  explicit journal_storage(const std::filesystem::path& path, journal_storage_options options = {})
      : detail::journal_storage_impl<>(path, std::move(options)) {}
};

static_assert(storage<journal_storage>);

}  // namespace tunekit
