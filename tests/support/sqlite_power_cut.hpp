#pragma once

// A simulated power cut for SQLite (tests/integration/sqlite_processes.test.cpp).
//
// `logging_vfs` wraps SQLite's default VFS ("unix"): every file operation
// goes through to the real file, and while tests/support/power_cut.hpp's
// log is open, each open, write, sync, truncation and deletion of a
// database, WAL or rollback journal is also appended to it (the -shm file is
// a memory map, not durable state, and is never logged). tunekit flushes the
// WAL itself with fdatasync on a descriptor of its own; power_cut.hpp's
// fdatasync logs those flushes in the same log.
//
// `rebuild_after_power_cut` then builds, from empty files, the disk as a
// power cut could leave it: every write that a completed flush of its file
// covered (written before the flush began), and of the later writes a random
// part: a prefix in log order, a random subset, or a random subset in which
// some writes are torn (a prefix of their bytes, or some of their 512-byte
// sectors). Bytes nobody wrote are never damaged (SQLite's
// "powersafe overwrite" assumption). Names are not modelled: a deleted file
// stays deleted and a created one exists (SQLite syncs the directory at a
// new WAL's first sync, tunekit at its first flush of it).

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "power_cut.hpp"

namespace tunekit::testing {

/// Registers itself as SQLite's default VFS for its lifetime. One at a time.
class logging_vfs {
 public:
  logging_vfs() {
    real_ = sqlite3_vfs_find(nullptr);
    vfs_ = *real_;
    vfs_.szOsFile = static_cast<int>(sizeof(file)) + real_->szOsFile;
    vfs_.pNext = nullptr;
    vfs_.zName = "tunekit-power-cut";
    vfs_.xOpen = &open;
    vfs_.xDelete = &remove;
    sqlite3_vfs_register(&vfs_, 1);
  }
  ~logging_vfs() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(real_, 1);
  }
  logging_vfs(const logging_vfs&) = delete;
  logging_vfs& operator=(const logging_vfs&) = delete;

 private:
  struct file {
    sqlite3_file base;
    std::uint64_t ino;
    int logged;
    sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
  };
  static_assert(sizeof(file) % 8 == 0);

  static file* self(sqlite3_file* f) { return reinterpret_cast<file*>(f); }
  static sqlite3_file* real(sqlite3_file* f) { return self(f)->real(); }

  static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
    file* me = self(f);
    me->base.pMethods = nullptr;
    me->logged = 0;
    const int rc = real_->xOpen(real_, name, me->real(), flags, out_flags);
    if (me->real()->pMethods) me->base.pMethods = &methods;  // SQLite then calls xClose, even after a failure
    if (rc != SQLITE_OK) return rc;
    struct stat info{};
    if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)) && ::stat(name, &info) == 0) {
      me->logged = 1;
      me->ino = static_cast<std::uint64_t>(info.st_ino);
      log_disk_op(disk_op::open, me->ino, 0, 0, name);
    }
    return rc;
  }
  static int remove(sqlite3_vfs*, const char* name, int sync_dir) {
    const int rc = real_->xDelete(real_, name, sync_dir);
    if (rc == SQLITE_OK) log_disk_op(disk_op::remove, 0, 0, 0, name);
    return rc;
  }

  static int close(sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); }
  static int read(sqlite3_file* f, void* p, int n, sqlite3_int64 at) { return real(f)->pMethods->xRead(real(f), p, n, at); }
  static int write(sqlite3_file* f, const void* p, int n, sqlite3_int64 at) {
    const int rc = real(f)->pMethods->xWrite(real(f), p, n, at);
    // Logged after the write is done: a flush that began before this record may not cover it.
    if (rc == SQLITE_OK && self(f)->logged)
      log_disk_op(disk_op::write, self(f)->ino, static_cast<std::uint64_t>(at), 0, {},
                  {static_cast<const char*>(p), static_cast<std::size_t>(n)});
    return rc;
  }
  static int truncate(sqlite3_file* f, sqlite3_int64 size) {
    const int rc = real(f)->pMethods->xTruncate(real(f), size);
    if (rc == SQLITE_OK && self(f)->logged) log_disk_op(disk_op::truncate, self(f)->ino, static_cast<std::uint64_t>(size), 0);
    return rc;
  }
  static int sync(sqlite3_file* f, int flags) {
    const std::uint64_t began = disk_log_length();
    const int rc = real(f)->pMethods->xSync(real(f), flags);
    if (rc == SQLITE_OK && self(f)->logged) log_disk_op(disk_op::sync, self(f)->ino, began, 0);
    return rc;
  }
  static int file_size(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
  static int lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
  static int unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
  static int check_reserved(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
  static int control(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
  static int sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
  static int characteristics(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
  static int shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
    return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
  }
  static int shm_lock(sqlite3_file* f, int offset, int n, int flags) { return real(f)->pMethods->xShmLock(real(f), offset, n, flags); }
  static void shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
  static int shm_unmap(sqlite3_file* f, int remove_it) { return real(f)->pMethods->xShmUnmap(real(f), remove_it); }
  static int fetch(sqlite3_file* f, sqlite3_int64 at, int n, void** out) { return real(f)->pMethods->xFetch(real(f), at, n, out); }
  static int unfetch(sqlite3_file* f, sqlite3_int64 at, void* p) { return real(f)->pMethods->xUnfetch(real(f), at, p); }

  static constexpr sqlite3_io_methods methods = {
      3,    &close,      &read,        &write,           &truncate, &sync,      &file_size, &lock,     &unlock,
      &check_reserved, &control, &sector_size, &characteristics, &shm_map,  &shm_lock, &shm_barrier, &shm_unmap,
      &fetch,          &unfetch};

  static inline sqlite3_vfs* real_ = nullptr;
  sqlite3_vfs vfs_{};
};

/// What `rebuild_after_power_cut` kept.
struct power_cut_disk {
  std::size_t unsynced = 0, kept = 0, torn = 0;
  const char* style = "";
};

/// Writes into the directory `into` (by their file names) the files of the
/// disk log `log` as a power cut at its end could leave them (see the top of
/// this file).
inline power_cut_disk rebuild_after_power_cut(const std::filesystem::path& log, const std::filesystem::path& into,
                                              std::mt19937_64& rng) {
  struct op {
    const disk_record* record;
    std::string* image;
  };
  struct file_model {
    std::string durable;
    std::vector<const disk_record*> pending;  // writes and truncations no completed flush covered, in log order
  };
  auto apply = [](std::string& image, const disk_record& r, std::size_t keep_from, std::size_t keep_to) {
    if (r.op == disk_op::truncate) {
      image.resize(r.a);
      return;
    }
    if (image.size() < r.a + r.data.size()) image.resize(r.a + r.data.size(), '\0');
    std::copy(r.data.begin() + static_cast<std::ptrdiff_t>(keep_from), r.data.begin() + static_cast<std::ptrdiff_t>(keep_to),
              image.begin() + static_cast<std::ptrdiff_t>(r.a + keep_from));
  };

  const auto records = read_disk_log(log);
  std::map<std::string, file_model> files;
  std::map<std::uint64_t, std::string> names;  // inode -> file
  for (const auto& r : records) {
    if (r.op == disk_op::open) {
      names[r.ino] = r.name;
      files[r.name];
      continue;
    }
    if (r.op == disk_op::remove) {
      files.erase(r.name);
      std::erase_if(names, [&](const auto& entry) { return entry.second == r.name; });
      continue;
    }
    const auto name = names.find(r.ino);
    if (name == names.end()) continue;  // not a file of the database (a directory, the acknowledgements)
    file_model& f = files.at(name->second);
    if (r.op == disk_op::sync) {
      // Everything logged before the flush began is on disk.
      auto covered = f.pending.begin();
      for (; covered != f.pending.end() && (*covered)->position < r.a; ++covered)
        apply(f.durable, **covered, 0, (*covered)->data.size());
      f.pending.erase(f.pending.begin(), covered);
    } else {
      f.pending.push_back(&r);
    }
  }

  std::vector<op> unsynced;
  for (auto& [name, f] : files)
    for (const auto* r : f.pending) unsynced.push_back({r, &f.durable});
  std::sort(unsynced.begin(), unsynced.end(), [](const op& a, const op& b) { return a.record->position < b.record->position; });
  power_cut_disk disk{.unsynced = unsynced.size()};
  const int style = static_cast<int>(rng() % 3);
  disk.style = style == 0 ? "prefix" : style == 1 ? "subset" : "subset with torn writes";
  const std::size_t prefix = rng() % (unsynced.size() + 1);
  const double p = std::uniform_real_distribution<double>(0, 1)(rng);
  for (std::size_t i = 0; i < unsynced.size(); ++i) {
    const disk_record& r = *unsynced[i].record;
    const bool keep = style == 0 ? i < prefix : std::uniform_real_distribution<double>(0, 1)(rng) < p;
    if (!keep) continue;
    ++disk.kept;
    if (style == 2 && r.op == disk_op::write && r.data.size() > 1 && rng() % 3 == 0) {
      ++disk.torn;
      if (rng() % 2 == 0) {
        apply(*unsynced[i].image, r, 0, rng() % r.data.size());  // a prefix of its bytes
      } else {
        for (std::size_t from = 0; from < r.data.size();) {  // some of its sectors
          const std::size_t to = std::min(r.data.size(), static_cast<std::size_t>((r.a + from) / 512 + 1) * 512 - r.a);
          if (rng() % 2 == 0) apply(*unsynced[i].image, r, from, to);
          from = to;
        }
      }
      continue;
    }
    apply(*unsynced[i].image, r, 0, r.data.size());
  }

  std::filesystem::create_directories(into);
  for (const auto& [name, f] : files) {
    std::ofstream out(into / std::filesystem::path(name).filename(), std::ios::binary);
    out.write(f.durable.data(), static_cast<std::streamsize>(f.durable.size()));
  }
  return disk;
}

}  // namespace tunekit::testing
