#pragma once

namespace tunekit {

/// What an acknowledged write of a file storage (`journal_storage`,
/// `sqlite_storage`) survives; docs/storage.md, "Durability", has the table.
/// Flushes are shared between threads and processes writing the same file
/// (group commit, `detail::group_commit`), so the durable levels cost far
/// less than one disk flush per write.
enum class durability {
  /// Nothing is flushed by tunekit: an acknowledged write survives a killed
  /// process, not an OS crash or a power cut (the page cache is lost).
  none,
  /// The default. Every write that creates, starts, finishes or re-queues a
  /// trial, claims a key or changes a study is on disk before it returns, so
  /// an OS crash or power cut loses no trial whose `tell`/`finish_trial`
  /// returned. Parameters, intermediate values, user attributes and
  /// heartbeats of a RUNNING trial are written at once (a killed process
  /// loses none) and reach the disk with the next flush, at the latest the
  /// trial's finish: a power cut can lose the last of them for a trial that
  /// was running at that instant (and whose worker died with the machine).
  trials,
  /// Every write is on disk before it returns.
  full,
};

}  // namespace tunekit
