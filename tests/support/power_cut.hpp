#pragma once

// A simulated power cut for the file storages' durability tests: a
// filesystem that loses every page not flushed by a completed fdatasync.
//
// While `flush_log_fd` is open (O_APPEND, inherited by forked workers), the
// test binary logs disk operations to it as binary records, each appended
// with one write() so that records of concurrent processes never interleave:
//
// - `fdatasync` below, which the storages' calls bind to (a definition in the
//   test executable wins over libc's, and is exported to libsqlite3 too), runs
//   the real system call and then logs a completed flush: the file's inode,
//   its size and the log's length when the flush *began*. Only what was
//   written before that point is known to be on disk.
// - tests/support/sqlite_power_cut.hpp's VFS logs SQLite's file opens,
//   writes, syncs, truncations and deletions the same way.
//
// Both tests run the same workload (`run_until_power_cut`) and count the
// acknowledged trials lost (`lost_trials`). The journal test keeps of its
// file a random prefix at or above the last flushed size (`cut_to_durable`);
// the SQLite test replays the log into fresh files (sqlite_power_cut.hpp).

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <tunekit/core/frozen_trial.hpp>
#include <tunekit/samplers/random.hpp>
#include <tunekit/tuner.hpp>

#include "spawn.hpp"

namespace tunekit::testing {

inline int flush_log_fd = -1;

/// What a record of the disk log says happened.
enum class disk_op : std::uint32_t {
  open = 1,  // `name` now has inode `ino`
  write,     // `data` written at offset `a`
  sync,      // a flush of `ino` completed; it began when the log was `a` bytes long, the file `b` bytes
  truncate,  // the file was cut to `a` bytes
  remove,    // `name` was deleted
};

struct disk_record {
  disk_op op{};
  std::uint64_t ino = 0, a = 0, b = 0;
  std::string name, data;
  std::uint64_t position = 0;  // where the record starts in the log
};

/// Appends one record to the log (no-op while it is closed), with one write().
inline void log_disk_op(disk_op op, std::uint64_t ino, std::uint64_t a, std::uint64_t b, std::string_view name = {},
                        std::string_view data = {}) {
  const int fd = flush_log_fd;
  if (fd < 0) return;
  const std::uint64_t head[6] = {static_cast<std::uint64_t>(op), ino, a, b, name.size(), data.size()};
  std::string buffer(reinterpret_cast<const char*>(head), sizeof head);
  buffer.append(name).append(data);
  [[maybe_unused]] const auto n = ::write(fd, buffer.data(), buffer.size());
}

/// The log's current length: records at positions below it are complete.
inline std::uint64_t disk_log_length() {
  struct stat info{};
  return flush_log_fd >= 0 && ::fstat(flush_log_fd, &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : 0;
}

inline std::vector<disk_record> read_disk_log(const std::filesystem::path& log) {
  std::ifstream in(log, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<disk_record> records;
  std::size_t at = 0;
  std::uint64_t head[6];
  while (at + sizeof head <= bytes.size()) {
    std::memcpy(head, bytes.data() + at, sizeof head);
    if (at + sizeof head + head[4] + head[5] > bytes.size()) break;
    disk_record r{static_cast<disk_op>(head[0]), head[1], head[2], head[3], bytes.substr(at + sizeof head, head[4]),
                  bytes.substr(at + sizeof head + head[4], head[5]), at};
    records.push_back(std::move(r));
    at += sizeof head + head[4] + head[5];
  }
  return records;
}

/// Whether this binary's fdatasync calls reach the log (the definition at
/// the end of this file is the one linked): flushes a scratch file in `dir`.
inline bool fdatasync_is_logged(const std::filesystem::path& dir) {
  const auto log = dir / "fdatasync-check.log", probe = dir / "fdatasync-check";
  flush_log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  const bool flushed = flush_log_fd >= 0 && fd >= 0 && ::write(fd, "x", 1) == 1 && ::fdatasync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (flush_log_fd >= 0) ::close(flush_log_fd);
  flush_log_fd = -1;
  const bool logged = flushed && !read_disk_log(log).empty();
  std::error_code ec;
  std::filesystem::remove(log, ec);
  std::filesystem::remove(probe, ec);
  return logged;
}

/// The largest size of `path` that a completed fdatasync made durable (0: none).
inline std::uint64_t flushed_size(const std::filesystem::path& log, const std::filesystem::path& path) {
  struct stat info{};
  if (::stat(path.c_str(), &info) != 0) return 0;
  std::uint64_t best = 0;
  for (const auto& r : read_disk_log(log))
    if (r.op == disk_op::sync && r.ino == static_cast<std::uint64_t>(info.st_ino) && r.b > best) best = r.b;
  return best;
}

/// Truncates `path` to a random length between what was flushed and its
/// size; returns the flushed size.
inline std::uint64_t cut_to_durable(const std::filesystem::path& log, const std::filesystem::path& path, std::mt19937_64& rng) {
  const std::uint64_t durable = flushed_size(log, path);
  const std::uint64_t size = std::filesystem::file_size(path);
  const std::uint64_t keep = durable >= size ? size : durable + rng() % (size - durable + 1);
  std::filesystem::resize_file(path, keep);
  return durable;
}

/// The trials whose `tell` returned before a power cut: number -> value.
using acknowledged_trials = std::map<std::int64_t, double>;

/// The workload of the power-cut tests: three worker processes (two threads
/// each, one storage handle per process, from `open()`) run trials of the
/// study "cut" (parameters x and y, one report, value x + y) and append
/// "<number> <value>" of every trial whose `tell` returned to `acks`; after
/// `delay` all are killed with SIGKILL. Returns the acknowledged trials.
template <class Open>
acknowledged_trials run_until_power_cut(Open open, std::uint64_t seed, const std::filesystem::path& acks,
                                        std::chrono::milliseconds delay) {
  using namespace std::chrono_literals;
  const int ack_fd = ::open(acks.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  REQUIRE(ack_fd >= 0);
  std::vector<pid_t> workers;
  for (std::uint64_t w = 0; w < 3; ++w)
    workers.push_back(spawn([&, w] {
      tuner tuner{random_sampler{{.seed = seed + w}}, open(), study_config{.name = "cut"}};
      auto run = [&] {
        const auto stop = std::chrono::steady_clock::now() + 5s;  // bounded: the parent kills us long before
        for (int i = 0; i < 2000 && std::chrono::steady_clock::now() < stop; ++i) {
          trial t = tuner.ask();
          const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
          t.report(0, x);
          const auto told = tuner.tell(t, x + y);
          std::ostringstream line;
          line.precision(17);
          line << told.number << ' ' << told.value() << '\n';
          const std::string text = line.str();
          if (::write(ack_fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::_Exit(3);
        }
      };
      std::thread other(run);
      run();
      other.join();
    }));
  std::this_thread::sleep_for(delay);
  for (auto pid : workers) ::kill(pid, SIGKILL);
  for (auto pid : workers) wait_for(pid);
  ::close(ack_fd);
  acknowledged_trials acknowledged;
  std::ifstream in(acks);
  std::int64_t number = 0;
  double value = 0;
  while (in >> number >> value) acknowledged[number] = value;
  return acknowledged;
}

/// How many acknowledged trials `trials` lacks or changed: each must be
/// COMPLETE, with its value, both parameters and its report.
inline int lost_trials(const acknowledged_trials& acknowledged, const std::vector<frozen_trial>& trials) {
  std::map<std::int64_t, const frozen_trial*> by_number;
  for (const auto& t : trials) by_number[t.number] = &t;
  int lost = 0;
  for (const auto& [number, value] : acknowledged) {
    const auto t = by_number.find(number);
    lost += t == by_number.end() || t->second->state != trial_state::complete || t->second->value() != value ||
            t->second->params.size() != 2 || t->second->intermediate_values.size() != 1;
  }
  return lost;
}

}  // namespace tunekit::testing

// The flush log's fdatasync. Weak, so that every test file may include this
// header (the linker keeps one copy); a definition in the executable still
// takes the place of libc's for the storages' calls.
extern "C" __attribute__((weak)) int fdatasync(int fd) {
  struct stat info{};
  const bool log = tunekit::testing::flush_log_fd >= 0 && ::fstat(fd, &info) == 0;
  const std::uint64_t began = tunekit::testing::disk_log_length();
  const int rc = static_cast<int>(::syscall(SYS_fdatasync, fd));
  if (rc == 0 && log)
    tunekit::testing::log_disk_op(tunekit::testing::disk_op::sync, static_cast<std::uint64_t>(info.st_ino), began,
                                  static_cast<std::uint64_t>(info.st_size));
  return rc;
}
