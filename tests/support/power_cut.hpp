#pragma once

// A simulated power cut for the file storages' durability tests: a
// filesystem that loses every page not flushed by a completed fdatasync.
//
// The integration test binary defines `fdatasync` itself
// (tests/integration/journal_processes.test.cpp), which the storages'
// calls bind to: it runs the real system call and, while `flush_log_fd` is
// open, appends "<inode> <size>\n" for every completed flush, the size being
// the file's size when the flush began, so everything below it is on disk.
// After killing every writer at a random instant, `cut_to_durable` keeps of
// a file only a random prefix that contains at least its last flushed size:
// pages written after that flush may or may not have reached the disk.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace tunekit::testing {

inline int flush_log_fd = -1;

/// The largest size of `path` that a completed fdatasync made durable (0: none).
inline std::uint64_t flushed_size(const std::filesystem::path& log, const std::filesystem::path& path) {
  struct stat info{};
  if (::stat(path.c_str(), &info) != 0) return 0;
  std::ifstream in(log);
  std::uint64_t ino = 0, size = 0, best = 0;
  while (in >> ino >> size)
    if (ino == static_cast<std::uint64_t>(info.st_ino) && size > best) best = size;
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

}  // namespace tunekit::testing
