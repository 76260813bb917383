#pragma once

#if !defined(TUNEKIT_HAS_POSTGRES)
#error "tunekit/storage/postgres.hpp (PostgreSQL storage) needs the CMake target tunekit::postgres: target_link_libraries(<your target> PRIVATE tunekit::postgres) (it defines TUNEKIT_HAS_POSTGRES and links the library; without CMake, define TUNEKIT_HAS_POSTGRES and link it yourself)"
#endif

// A libpq client for the SQL storages' shared layer (storage/detail/sql.hpp):
// `detail::postgres_connection` satisfies `detail::sql_connection`.
//
// What it adds to libpq, and why:
//  - `?` placeholders become `$1, $2, ...` (the shared layer writes one SQL
//    text for SQLite and PostgreSQL); values are always bound, never spliced.
//  - Statements are prepared once per connection (a trial cycle runs the same
//    dozen statements thousands of times; parsing and planning them once
//    saves a third of the server's work per statement).
//  - Errors name host, port, database and user, never the password: libpq's
//    own messages do not contain it, and the URL is never quoted.
//  - SQLSTATE 40001 (serialization failure), 40P01 (deadlock) and 23503 (a
//    foreign key whose parent a concurrent transaction deleted) throw
//    `sql_retry`: the transaction was rolled back by the server, so re-running
//    it is safe, and the re-run sees the other transaction's outcome.
//  - A lost connection (server restart, admin shutdown 57P01, network) is
//    re-established with exponential back-off, then `sql_retry` is thrown so
//    the shared layer re-runs the whole transaction: the server rolled the
//    in-flight one back, nothing of it is half-written. After the attempts run
//    out, `storage_error`.
//  - Fewer round trips (libpq pipeline mode): `begin()` sends nothing; BEGIN
//    and `SELECT txid_current(), ...` go to the server in one pipeline with the
//    transaction's first statement, and writes whose result only matters if
//    it is an error (`defer`) wait and go with the next statement or with the
//    COMMIT. A transaction that reads once before it writes is two round
//    trips (BEGIN, the read / the writes, COMMIT). The first error of a
//    pipeline is thrown as the same typed error as a lone statement's (the
//    server skips the rest of the pipeline, COMMIT included). Each pipeline
//    ends with one Sync and is read to the end before the next is sent, so a
//    pooler sees ordinary extended-protocol messages.
//  - A COMMIT whose acknowledgement was lost is resolved, not guessed: the
//    transaction's id, the server's start time and the server process that
//    runs it are always read before its COMMIT is sent, and after
//    reconnecting `commit()` asks the server (postgres_in_doubt.hpp):
//    committed, it returns normally; not committed, `sql_retry` and the
//    shared layer re-runs a transaction that left no trace; still in
//    progress, the old server process is ended first, so the write can
//    never land twice; committed across a server restart, `sql_in_doubt`
//    and the shared layer checks the transaction's rows.
//  - Connecting, reconnecting and messages: postgres_link.hpp; values and
//    placeholders: postgres_values.hpp.

#include <libpq-fe.h>

#include <charconv>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core/errors.hpp"
#include "detail/sql.hpp"
#include "postgres_in_doubt.hpp"
#include "postgres_link.hpp"
#include "postgres_values.hpp"

namespace tunekit::detail {

/// One libpq connection to a PostgreSQL database (see the header comment).
/// Not thread-safe: the shared layer serialises its use.
class postgres_connection {
 public:
  static constexpr sql_dialect dialect = sql_dialect::postgres;

  /// Connects to `url` (`postgresql://user[:password]@host[:port]/db?...`, or
  /// any libpq connection string); what the URL leaves out comes from libpq's
  /// environment (PGHOST, PGPASSWORD, ...) and ~/.pgpass.
  explicit postgres_connection(std::string url, postgres_connection_options options = {})
      : link_(std::move(url), checked(options)) {
    link_.connect_or_throw();
  }

  postgres_connection(const postgres_connection&) = delete;
  postgres_connection& operator=(const postgres_connection&) = delete;
  postgres_connection(postgres_connection&&) noexcept = default;
  postgres_connection& operator=(postgres_connection&&) noexcept = default;
  ~postgres_connection() = default;

  /// Runs one statement, returns its rows converted by column type. In a
  /// transaction, what waits in the pipeline (BEGIN, deferred writes) goes
  /// with it in one round trip.
  std::vector<sql_row> query(std::string_view sql, std::span<const sql_value> params) {
    if (!batch_.empty()) {
      batch_.push_back(bound(sql, params, pg::role::statement));
      result res = run_batch();
      return pg::rows_of(res.get());
    }
    result res = run(sql, params);
    return pg::rows_of(res.get());
  }

  /// Runs one statement, returns the number of rows it changed.
  std::int64_t execute(std::string_view sql, std::span<const sql_value> params) {
    result res;
    if (!batch_.empty()) {
      batch_.push_back(bound(sql, params, pg::role::statement));
      res = run_batch();
    } else {
      res = run(sql, params);
    }
    const char* n = PQcmdTuples(res.get());
    std::int64_t out = 0;
    if (n != nullptr && *n != '\0') std::from_chars(n, n + std::char_traits<char>::length(n), out);
    return out;
  }

  /// A write whose result matters only if it fails: in a transaction it
  /// waits in the pipeline and is sent with the next statement or the COMMIT
  /// (whose round trip then reports its error, before anything commits).
  /// Outside a transaction it runs at once.
  void defer(std::string_view sql, std::span<const sql_value> params) {
    if (!in_transaction_) {
      execute(sql, params);
      return;
    }
    batch_.push_back(bound(sql, params, pg::role::statement));
    if (batch_.size() >= 64) run_batch();  // bounded: a pipeline's results are read before the next is sent
  }

  /// A statement whose rows go to `on_rows` when its pipeline is read, in
  /// order: what `on_rows` throws is thrown before any later statement's
  /// error (e.g. "the study does not exist" before the foreign-key error
  /// of the insert that follows). In a pipeline that ends with COMMIT,
  /// `on_rows` runs once the COMMIT has succeeded (and not at all if its
  /// answer was lost), so it must not throw there.
  void defer(std::string_view sql, std::span<const sql_value> params, std::function<void(std::vector<sql_row>)> on_rows) {
    if (!in_transaction_) {
      on_rows(query(sql, params));
      return;
    }
    batch_.push_back(bound(sql, params, pg::role::statement));
    batch_.back().on_rows = std::move(on_rows);
    if (batch_.size() >= 64) run_batch();
  }

  /// Starts a transaction: BEGIN and `pg::transaction_sql` (its id and
  /// server process, for `commit()`'s recovery) wait in the pipeline for the
  /// first statement.
  void begin() {
    ensure_connected();
    batch_.clear();
    txn_ = {};
    batch_.push_back(bound("BEGIN", {}, pg::role::begin));
    batch_.push_back(bound(pg::transaction_sql, {}, pg::role::txid));
    in_transaction_ = true;
  }

  /// Commits; a lost acknowledgement is resolved (postgres_in_doubt.hpp).
  void commit() {
    ensure_connected();
    // The id must be known before COMMIT is sent: a transaction that only
    // wrote sends BEGIN and its writes first, then COMMIT.
    if (!batch_.empty() && batch_.front().what == pg::role::begin) run_batch();
    if (!batch_.empty()) {
      batch_.push_back(bound("COMMIT", {}, pg::role::commit));
      run_batch();
      return;
    }
    ++pg::link::round_trips;
    result res{PQexec(link_.get(), "COMMIT")};
    const ExecStatusType status = PQresultStatus(res.get());
    if (status == PGRES_COMMAND_OK) {
      in_transaction_ = false;
      // "COMMIT" of a transaction that had failed reports ROLLBACK: it did not commit.
      if (std::string_view(PQcmdStatus(res.get())) == "ROLLBACK") {
        throw sql_retry(where() + ": transaction was rolled back by the server");
      }
      return;
    }
    in_transaction_ = false;
    if (!link_.connection_lost(res.get())) check(res.get(), "COMMIT");
    const pg::transaction_ref txn = std::exchange(txn_, {});
    reconnect(link_.message_of(res.get()));
    if (!txn.id.empty() && committed(txn)) return;
    throw sql_retry(where() + ": connection lost during COMMIT, which did not take effect; reconnected");
  }

  /// Nothing to do: a COMMIT that returned is durable on the server (its
  /// `synchronous_commit`, which shares WAL flushes between sessions itself).
  void flush_commits(bool /*trial_detail*/) noexcept {}

  /// Rolls back; harmless when there is no transaction or no connection.
  void rollback() noexcept {
    const bool sent = batch_.empty() || batch_.front().what != pg::role::begin;
    batch_.clear();
    const bool was = std::exchange(in_transaction_, false);
    txn_ = {};
    if (!was || !sent || !link_.open()) return;  // nothing reached the server
    ++pg::link::round_trips;
    PQclear(PQexec(link_.get(), "ROLLBACK"));
  }

  /// Round trips to the server so far by every connection of the process
  /// (each waits for the server once), for benchmarks.
  static std::int64_t round_trips() noexcept { return pg::link::round_trips.load(); }

  /// "host 127.0.0.1 port 5432, database tunekit, user alice": for messages.
  [[nodiscard]] const std::string& where() const noexcept { return link_.where(); }

  /// The server's process id for this connection (tests terminate it).
  [[nodiscard]] int backend_pid() const noexcept { return link_.get() ? PQbackendPID(link_.get()) : 0; }

  /// Did transaction `t` commit? What `commit()` asks after a lost answer
  /// (postgres_in_doubt.hpp); public for tests.
  bool committed(const pg::transaction_ref& t) {
    const auto before = link_.generation();
    // Asking may reconnect again: a new session has none of our statements.
    struct forget {
      postgres_connection& c;
      std::uint64_t before;
      ~forget() {
        if (c.link_.generation() != before) c.prepared_.clear();
      }
    } guard{*this, before};
    return pg::committed(link_, t);
  }

 private:
  struct result_deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  using result = std::unique_ptr<PGresult, result_deleter>;

  static postgres_connection_options checked(const postgres_connection_options& o) {
    if (o.connect_attempts < 1)
      throw invalid_argument("postgres connect_attempts = " + std::to_string(o.connect_attempts) + ": must be >= 1");
    if (o.reconnect_attempts < 0)
      throw invalid_argument("postgres reconnect_attempts = " + std::to_string(o.reconnect_attempts) + ": must be >= 0");
    if (o.reconnect_initial.count() < 0 || o.reconnect_max < o.reconnect_initial)
      throw invalid_argument("postgres reconnect back-off: reconnect_initial must be >= 0 and <= reconnect_max");
    if (o.in_doubt_grace.count() < 0 || o.in_doubt_end_wait.count() < 0)
      throw invalid_argument("postgres in_doubt_grace and in_doubt_end_wait must be >= 0");
    return o;
  }

  void close() noexcept {
    batch_.clear();
    link_.close();
    prepared_.clear();
  }

  // A new connection (its server session has none of our prepared statements).
  void reconnect(const std::string& why) {
    batch_.clear();
    prepared_.clear();
    link_.reconnect(why);
  }

  static std::string random_prefix() {
    std::random_device rd;
    static constexpr char hex[] = "0123456789abcdef";
    std::string p = "tk_";
    for (int i = 0; i < 12; ++i) p.push_back(hex[rd() % 16]);
    return p + "_";
  }

  void ensure_connected() {
    if (!link_.open()) {
      const bool was_in_transaction = std::exchange(in_transaction_, false);
      reconnect("connection is not open");
      if (was_in_transaction) throw sql_retry(where() + ": connection lost in a transaction; reconnected");
    }
  }

  // Throws for a failed result: sql_retry for serialization failures,
  // deadlocks and lost connections (after reconnecting), storage_error else.
  void check(const PGresult* res, std::string_view what) {
    const ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return;
    const std::string msg = link_.message_of(res);
    if (msg.find("pooling mode") != std::string::npos) {
      // PgBouncer in statement mode: a multi-statement transaction ends the
      // connection. Retrying cannot help; say what to change.
      in_transaction_ = false;
      close();
      link_.set_mode("statement-pooled");
      throw storage_error(where() + " is a pooler in statement pooling mode (PgBouncer pool_mode=statement), which "
                                    "cannot run multi-statement transactions; tunekit's storage needs pool_mode = "
                                    "transaction or session (" + msg + ")");
    }
    if (link_.connection_lost(res)) {
      lost_connection_ = true;
      in_transaction_ = false;
      txn_ = {};
      reconnect(msg);
      throw sql_retry(where() + ": connection lost (" + msg + "); reconnected, the transaction was rolled back");
    }
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    // 23503 (foreign key violation): the parent row was deleted by a
    // concurrent transaction (a study deleted under its workers); re-running
    // the transaction sees the deletion and reports it clearly.
    if (state != nullptr && (std::string_view(state) == "40001" || std::string_view(state) == "40P01" ||
                             std::string_view(state) == "23503")) {
      throw sql_retry(where() + ": " + msg);
    }
    std::string head(what.substr(0, 60));
    if (what.size() > 60) head += "...";
    throw storage_error(where() + ": " + msg + " (in: " + head + ")");
  }

  // Outside a transaction, a statement whose connection was lost is re-run
  // on the new connection: the shared layer's statements outside
  // transactions are reads, safe to repeat. Inside one, `sql_retry` goes up
  // so the whole transaction is re-run.
  result run(std::string_view sql, std::span<const sql_value> params) {
    const bool in_transaction = in_transaction_;
    for (int attempt = 0;; ++attempt) {
      try {
        lost_connection_ = false;
        return run_once(sql, params);
      } catch (const sql_retry&) {
        if (in_transaction || !lost_connection_ || attempt >= 3) throw;
      }
    }
  }

  result run_once(std::string_view sql, std::span<const sql_value> params) {
    ensure_connected();
    const pg::queued q = bound(sql, params, pg::role::statement);
    const std::string& text = q.text;
    std::vector<const char*> values(q.texts.size(), nullptr);
    for (std::size_t i = 0; i < q.texts.size(); ++i)
      if (!q.null[i]) values[i] = q.texts[i].c_str();
    const int n = static_cast<int>(q.texts.size());

    result res;
    ++pg::link::round_trips;
    if (!pg::preparable(text) && params.empty()) {
      res.reset(PQexec(link_.get(), text.c_str()));
    } else if (!named_statements_) {
      // Behind a transaction pooler: unnamed statements only (parse, bind
      // and execute in one round trip, nothing left on the server session).
      res.reset(PQexecParams(link_.get(), text.c_str(), n, q.types.data(), values.data(), nullptr, nullptr, 0));
    } else {
      std::string key = text;
      key.push_back('\x01');
      key += q.signature;
      auto it = prepared_.find(key);
      if (it == prepared_.end()) {
        if (prepared_.size() >= 512) {  // a bounded cache: forget all, the server too
          ++pg::link::round_trips;
          PQclear(PQexec(link_.get(), "DEALLOCATE ALL"));
          prepared_.clear();
        }
        // Named per connection object (a random prefix): behind a pooler in
        // transaction mode, server sessions are shared between clients, and
        // another client's "tk0" must never be mistaken for ours.
        std::string name = statement_prefix_ + std::to_string(next_statement_++);
        ++pg::link::round_trips;
        result prep{PQprepare(link_.get(), name.c_str(), text.c_str(), n, q.types.data())};
        check_prepared(prep.get(), text);
        it = prepared_.emplace(std::move(key), std::move(name)).first;
      }
      res.reset(PQexecPrepared(link_.get(), it->second.c_str(), n, values.data(), nullptr, nullptr, 0));
      check_prepared(res.get(), text);
    }
    check(res.get(), text);
    return res;
  }

  // A prepared statement that vanished (26000) or that a server session
  // already has (42P05): server sessions change under this connection, which
  // is what a pooler in transaction mode (PgBouncer's pool_mode=transaction)
  // does. From now on this connection uses unnamed statements only; the
  // statement (outside a transaction) or the transaction is run again.
  void check_prepared(const PGresult* res, std::string_view what) {
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    if (state == nullptr || (std::string_view(state) != "26000" && std::string_view(state) != "42P05")) {
      check(res, what);
      return;
    }
    named_statements_ = false;
    prepared_.clear();
    link_.set_mode("transaction-pooled");
    lost_connection_ = !in_transaction_;  // outside a transaction `run` re-runs the statement itself
    throw sql_retry(where() + ": server session changed under the connection (a pooler in transaction mode); "
                              "using unnamed statements from now on");
  }

  // --- pipeline mode ---------------------------------------------------------

  pg::queued bound(std::string_view sql, std::span<const sql_value> params, pg::role what) const {
    return pg::bind(sql, params, what, where());
  }

  // One query sent in the pipeline: the statement it belongs to, and for a
  // new named statement the Parse that precedes its execution.
  struct slot {
    std::size_t index = 0;
    std::string prepare_key;  // non-empty: this slot is the Parse of that cache entry
  };

  bool send(const pg::queued& q, std::size_t index, std::vector<slot>& slots) {
    std::vector<const char*> values(q.texts.size(), nullptr);
    for (std::size_t i = 0; i < q.texts.size(); ++i)
      if (!q.null[i]) values[i] = q.texts[i].c_str();
    const int n = static_cast<int>(q.texts.size());
    const Oid* types = n > 0 ? q.types.data() : nullptr;
    const char* const* vals = n > 0 ? values.data() : nullptr;
    std::string key;
    if (q.what == pg::role::statement && named_statements_ && pg::preparable(q.text)) {
      key = q.text;
      key.push_back('\x01');
      key += q.signature;
    }
    auto it = key.empty() ? prepared_.end() : prepared_.find(key);
    if (!key.empty() && it == prepared_.end() && prepared_.size() < 512) {
      // Named per connection object (see run_once). Recorded now so a
      // second use in this pipeline reuses it; forgotten if the Parse fails.
      std::string name = statement_prefix_ + std::to_string(next_statement_++);
      slots.push_back({index, key});
      if (PQsendPrepare(link_.get(), name.c_str(), q.text.c_str(), n, types) != 1) return false;
      it = prepared_.emplace(key, std::move(name)).first;
    }
    slots.push_back({index, {}});
    if (it == prepared_.end()) return PQsendQueryParams(link_.get(), q.text.c_str(), n, types, vals, nullptr, nullptr, 0) == 1;
    return PQsendQueryPrepared(link_.get(), it->second.c_str(), n, vals, nullptr, nullptr, 0) == 1;
  }

  // Sends what waits as one pipeline (one Sync), reads every result, and
  // throws the first failure as a lone statement's would be thrown; returns
  // the last statement's result. A COMMIT whose answer was lost is resolved
  // as `commit()` resolves it (the transaction's id is known by then).
  result run_batch() {
    std::vector<pg::queued> batch = std::move(batch_);
    batch_.clear();
    const bool has_commit = !batch.empty() && batch.back().what == pg::role::commit;
    std::vector<slot> slots;
    std::vector<result> got;
    ++pg::link::round_trips;
    PGconn* const conn = link_.get();
    bool ok = link_.open() && PQenterPipelineMode(conn) == 1;
    for (std::size_t i = 0; ok && i < batch.size(); ++i) ok = send(batch[i], i, slots);
    ok = ok && PQpipelineSync(conn) == 1;
    if (ok) {
      got.resize(slots.size());
      for (std::size_t k = 0; k < slots.size() && ok; ++k) {
        while (PGresult* r = PQgetResult(conn)) got[k].reset(r);
        ok = got[k] != nullptr && PQstatus(conn) == CONNECTION_OK;
      }
      if (ok) {
        result sync{PQgetResult(conn)};
        ok = sync != nullptr && PQresultStatus(sync.get()) == PGRES_PIPELINE_SYNC;
      }
      ok = ok && PQexitPipelineMode(conn) == 1;
    }
    // A pipeline not read to its end leaves the connection unusable: a new one is made below.
    if (!ok) close();
    got.resize(slots.size());
    // A Parse that did not succeed left no statement on the server.
    for (std::size_t k = 0; k < slots.size(); ++k)
      if (!slots[k].prepare_key.empty() && (!got[k] || PQresultStatus(got[k].get()) != PGRES_COMMAND_OK))
        prepared_.erase(slots[k].prepare_key);
    result last;
    std::vector<std::size_t> after_commit;  // slots whose rows go to their callback once committed
    for (std::size_t k = 0; k < slots.size(); ++k) {
      const pg::queued& q = batch[slots[k].index];
      PGresult* r = got[k].get();
      if (r == nullptr) break;  // the connection dropped: below
      const ExecStatusType status = PQresultStatus(r);
      if (status == PGRES_PIPELINE_ABORTED) continue;  // after the failure thrown below (not reached)
      if (status == PGRES_FATAL_ERROR && has_commit && link_.connection_lost(r)) break;
      if (!slots[k].prepare_key.empty()) {
        check_prepared(r, q.text);
        continue;
      }
      switch (q.what) {
        case pg::role::begin:
          check(r, "BEGIN");
          break;
        case pg::role::txid:
          check(r, "SELECT txid_current()");
          if (PQntuples(r) == 1 && PQnfields(r) == 3) txn_ = {PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2)};
          break;
        case pg::role::statement:
          check_prepared(r, q.text);
          if (q.on_rows && has_commit) after_commit.push_back(k);
          else if (q.on_rows) q.on_rows(pg::rows_of(r));
          else last = std::move(got[k]);
          break;
        case pg::role::commit:
          check(r, "COMMIT");
          in_transaction_ = false;
          txn_ = {};
          // "COMMIT" of a transaction that had failed reports ROLLBACK: it did not commit.
          if (std::string_view(PQcmdStatus(r)) == "ROLLBACK")
            throw sql_retry(where() + ": transaction was rolled back by the server");
          for (auto j : after_commit) batch[slots[j].index].on_rows(pg::rows_of(got[j].get()));
          // Committed; if the connection broke after, the next call reconnects.
          return last;
      }
    }
    if (ok && !has_commit) return last;
    // The connection broke before every answer arrived.
    std::string why = link_.message_of(nullptr);
    if (why.empty()) why = "connection lost in a pipeline";
    lost_connection_ = true;
    const bool was_in_transaction = std::exchange(in_transaction_, false);
    const pg::transaction_ref txn = std::exchange(txn_, {});
    reconnect(why);
    if (has_commit && !txn.id.empty() && committed(txn)) return last;
    throw sql_retry(where() + ": connection lost (" + why + ")" +
                    (has_commit ? "; the COMMIT did not take effect; reconnected"
                                : was_in_transaction ? "; reconnected, the transaction was rolled back" : "; reconnected"));
  }

  pg::link link_;
  std::unordered_map<std::string, std::string> prepared_;
  std::uint64_t next_statement_ = 0;
  std::string statement_prefix_ = random_prefix();
  bool named_statements_ = true;  // false once a pooler in transaction mode shows itself
  bool in_transaction_ = false;
  bool lost_connection_ = false;  // the last failure was a lost connection
  pg::transaction_ref txn_;  // the transaction's id, server start time and server process
  std::vector<pg::queued> batch_;  // waiting to go to the server in one pipeline
};

static_assert(sql_connection<postgres_connection>);

}  // namespace tunekit::detail
