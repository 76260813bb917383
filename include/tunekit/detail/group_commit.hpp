#pragma once

// Group commit for the file storages: a writer that needs its bytes on disk
// waits for an fdatasync that *started after its write*; one such fdatasync
// serves every writer (thread or process) that wrote before it began, as a
// database's group commit does (Helland et al. 1987, "Group Commit Timers and
// High Volume Transaction Systems"; PostgreSQL's WAL flush works the same way).
//
// Processes share two counters in a small side file next to the data file
// (`<path>.tunekit-sync`): how many flushes were started and how many
// completed. A flock on the side file makes one flusher at a time; a thread
// mutex does the same for the threads of a process (flock does not separate
// threads that share a file description). fdatasync writes back every dirty
// page of the file, whichever process wrote it, which is what lets one
// process's flush serve another's write.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>

#include "../core/errors.hpp"

namespace tunekit::detail {

class group_commit {
 public:
  group_commit() = default;
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;
  ~group_commit() {
    if (side_fd_ >= 0) ::close(side_fd_);
  }

  /// Opens (creating) the side file. If that fails (a read-only directory),
  /// flushes are still shared between threads, not between processes.
  void open(const std::string& side_path) {
    side_fd_ = ::open(side_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (side_fd_ < 0) return;
    // Both counters' bytes exist from now on, so writing them cannot fail
    // for want of space (growing, never shrinking, a file others may use).
    side_lock guard(side_fd_);
    struct stat info{};
    if (::fstat(side_fd_, &info) != 0 || (info.st_size < 16 && ::ftruncate(side_fd_, 16) != 0)) {
      ::close(side_fd_);
      side_fd_ = -1;
    }
  }

  /// Returns once every byte written to `fd` before the call is on disk.
  /// `what` names the file in the error.
  void sync(int fd, const std::string& what) {
    // Flushes started so far: those may have begun before our write ended.
    const std::uint64_t seen = load(started_slot);
    std::lock_guard lock(mutex_);
    side_lock flock_guard(side_fd_);
    const std::uint64_t started = load(started_slot);
    if (load(completed_slot) > seen) return;  // a flush begun after our write has ended
    store(started_slot, started + 1);
    if (::fdatasync(fd) != 0) {
      const int err = errno;
      throw storage_error(what + ": fdatasync: " + std::strerror(err) + " (the write may not be on disk)");
    }
    store(completed_slot, started + 1);
    flushes_.fetch_add(1, std::memory_order_relaxed);
  }

  /// fdatasync calls this process made (tests and benchmarks).
  std::uint64_t flushes() const noexcept { return flushes_.load(std::memory_order_relaxed); }

 private:
  static constexpr int started_slot = 0, completed_slot = 1;

  struct side_lock {
    explicit side_lock(int fd) : fd(fd) {
      if (fd < 0) return;
      while (::flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) throw storage_error(std::string("group commit: flock: ") + std::strerror(errno));
    }
    ~side_lock() {
      if (fd >= 0) ::flock(fd, LOCK_UN);
    }
    side_lock(const side_lock&) = delete;
    side_lock& operator=(const side_lock&) = delete;
    int fd;
  };

  std::uint64_t load(int slot) const {
    if (side_fd_ < 0) return local_[slot].load();
    std::uint64_t v = 0;
    // A short read (a new, empty side file) counts as zero.
    if (::pread(side_fd_, &v, sizeof v, slot * static_cast<off_t>(sizeof v)) != static_cast<ssize_t>(sizeof v)) v = 0;
    return v;
  }
  void store(int slot, std::uint64_t v) {
    local_[slot].store(v);
    if (side_fd_ >= 0 && ::pwrite(side_fd_, &v, sizeof v, slot * static_cast<off_t>(sizeof v)) != static_cast<ssize_t>(sizeof v))
      throw storage_error(std::string("group commit: cannot write the shared flush counters: ") + std::strerror(errno));
  }

  std::mutex mutex_;
  int side_fd_ = -1;
  std::atomic<std::uint64_t> local_[2] = {0, 0};
  std::atomic<std::uint64_t> flushes_{0};
};

/// fsyncs the directory holding `path`, so that a file just created there
/// survives a power cut (its name is data of the directory). Best effort.
inline void sync_parent_directory(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace tunekit::detail
