// The libpq client of the SQL storages: values, placeholders, errors (no
// password in them), retries and reconnection. Needs a server
// (TUNEKIT_TEST_POSTGRES_URL, see tests/support/postgres.hpp); skips without.

#include <tunekit/storage/postgres_connection.hpp>

#include <catch2/catch.hpp>

#include "support/postgres.hpp"
#include "support/postgres_cut.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tk = tunekit;
using tk::detail::postgres_connection;
using tk::detail::sql_row;
using tk::detail::sql_value;
using Catch::Contains;

namespace {

std::vector<sql_row> q(postgres_connection& c, std::string_view sql, std::vector<sql_value> params = {}) {
  return c.query(sql, params);
}

std::int64_t x(postgres_connection& c, std::string_view sql, std::vector<sql_value> params = {}) {
  return c.execute(sql, params);
}

// Replaces the password of a postgresql:// URL.
std::string with_password(const std::string& url, const std::string& password) {
  const auto scheme = url.find("://") + 3;
  const auto at = url.find('@', scheme);
  const auto colon = url.find(':', scheme);
  return url.substr(0, colon + 1) + password + url.substr(at);
}

// Hostile strings: quotes, SQL metacharacters, placeholders, unicode.
const std::vector<std::string> hostile = {
    "",
    "'",
    "''; DROP TABLE studies; --",
    "\"quoted\" identifier\"",
    "? ?? $1 $2 :name @p %s",
    "back\\slash\\'",
    "tab\tnew\nline\rcr",
    "\xF0\x9F\x98\x80 \xE4\xB8\xAD\xE6\x96\x87 \xD0\xBA\xD0\xB8\xD1\x80\xD0\xB8\xD0\xBB\xD0\xBB\xD0\xB8\xD1\x86\xD0\xB0",
    "Robert'); DELETE FROM trials WHERE ('1'='1",
    std::string(10000, 'x') + "'",
};

}  // namespace

TEST_CASE("postgres connection round-trips integers, reals, text and NULL", "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  postgres_connection c(url);
  x(c, "CREATE TEMPORARY TABLE t (i BIGINT, d DOUBLE PRECISION, s TEXT, v VARCHAR(20000))");
  const std::vector<double> reals = {0.0,
                                     -0.0,
                                     0.1,
                                     1.0 / 3.0,
                                     1e-300,
                                     -2.5e300,
                                     std::numeric_limits<double>::denorm_min(),
                                     std::numeric_limits<double>::max(),
                                     std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity()};
  std::int64_t i = std::numeric_limits<std::int64_t>::min();
  for (double d : reals) {
    for (const std::string& s : hostile) {
      REQUIRE(x(c, "INSERT INTO t (i, d, s, v) VALUES (?, ?, ?, ?)", {i, d, s, s}) == 1);
      const auto rows = q(c, "SELECT i, d, s, v FROM t WHERE s = ? AND i = ?", {s, i});
      REQUIRE(rows.size() == 1);
      CHECK(std::get<std::int64_t>(rows[0][0]) == i);
      CHECK(std::get<double>(rows[0][1]) == d);
      CHECK(std::signbit(std::get<double>(rows[0][1])) == std::signbit(d));
      CHECK(std::get<std::string>(rows[0][2]) == s);
      CHECK(std::get<std::string>(rows[0][3]) == s);
      i += 987654321987LL;  // distinct values across the whole range
    }
  }
  x(c, "INSERT INTO t (i, d, s) VALUES (?, ?, ?)", {std::monostate{}, std::nan(""), std::monostate{}});
  const auto nulls = q(c, "SELECT i, d, s FROM t WHERE i IS NULL");
  REQUIRE(nulls.size() == 1);
  CHECK(std::holds_alternative<std::monostate>(nulls[0][0]));
  CHECK(std::isnan(std::get<double>(nulls[0][1])));
  CHECK(std::holds_alternative<std::monostate>(nulls[0][2]));
  // The table is still there: nothing was injected.
  CHECK(std::get<std::int64_t>(q(c, "SELECT count(*) FROM t")[0][0]) ==
        static_cast<std::int64_t>(reals.size() * hostile.size() + 1));
}

TEST_CASE("postgres connection leaves question marks inside quoted text alone", "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  postgres_connection c(url);
  const auto rows = q(c, "SELECT 'a?b', ?::text, \"n?\" FROM (SELECT 1 AS \"n?\") AS s", {std::string("c?")});
  REQUIRE(rows.size() == 1);
  CHECK(std::get<std::string>(rows[0][0]) == "a?b");
  CHECK(std::get<std::string>(rows[0][1]) == "c?");
  CHECK(std::get<std::int64_t>(rows[0][2]) == 1);
  CHECK_THROWS_AS(q(c, "SELECT ?::int", {}), tk::storage_error);
  CHECK_THROWS_AS(q(c, "SELECT ?::text", {std::string("a\0b", 3)}), tk::invalid_argument);
}

TEST_CASE("postgres connection error for a wrong password names host and database, not the password",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  const std::string secret = "S3cret-Wr0ng-pw";
  try {
    postgres_connection c(with_password(url, secret));
    FAIL("connected with a wrong password");
  } catch (const tk::storage_error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("127.0.0.1") != std::string::npos);
    CHECK(msg.find("tunekit_test") != std::string::npos);
    CHECK(msg.find("password authentication failed") != std::string::npos);
    CHECK(msg.find(secret) == std::string::npos);
  }
}

TEST_CASE("postgres connection error for an unreachable host names it", "[storage][postgres]") {
  const std::string secret = "pw-Not-In-Message";
  for (const std::string host : {"127.0.0.1:1", "no-such-host.invalid"}) {
    try {
      postgres_connection c("postgresql://someone:" + secret + "@" + host + "/somedb?connect_timeout=5",
                            {.connect_attempts = 1, .reconnect_attempts = 0});
      FAIL("connected to " << host);
    } catch (const tk::storage_error& e) {
      const std::string msg = e.what();
      INFO(msg);
      CHECK(msg.find(host.substr(0, host.find(':'))) != std::string::npos);
      CHECK(msg.find("somedb") != std::string::npos);
      CHECK(msg.find(secret) == std::string::npos);
    }
  }
  // A URL libpq cannot parse: still no password in the message.
  try {
    postgres_connection c("postgresql://u:" + secret + "@h/db?nonsense_option=1");
    FAIL("parsed a bad URL");
  } catch (const tk::storage_error& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find(secret) == std::string::npos);
  }
}

TEST_CASE("postgres connection turns serialization failures and deadlocks into sql_retry", "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  postgres_connection c(url);
  for (const std::string code : {"40001", "40P01"}) {
    c.begin();
    CHECK_THROWS_AS(x(c, "DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '" + code + "'; END $$"),
                    tk::detail::sql_retry);
    c.rollback();
  }
  // Any other error is a storage_error, not a retry.
  try {
    x(c, "INSERT INTO no_such_table VALUES (1)");
    FAIL("no error");
  } catch (const tk::detail::sql_retry&) {
    FAIL("a missing table is not retryable");
  } catch (const tk::storage_error& e) {
    CHECK(std::string(e.what()).find("no_such_table") != std::string::npos);
  }
}

TEST_CASE("postgres connection reconnects after its backend is killed; the open transaction left nothing",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  postgres_connection c(url);
  postgres_connection killer(url);
  const std::string table = "reconnect_" + std::to_string(c.backend_pid());
  x(c, "CREATE TABLE IF NOT EXISTS " + table + " (v TEXT)");

  // Killed between statements of a transaction: the write is rolled back,
  // the next statement throws sql_retry, and the connection works again.
  c.begin();
  x(c, "INSERT INTO " + table + " VALUES ('in flight')");
  const int old_pid = c.backend_pid();
  q(killer, "SELECT pg_terminate_backend(?::int)", {std::int64_t{old_pid}});
  CHECK_THROWS_AS(x(c, "INSERT INTO " + table + " VALUES ('second')"), tk::detail::sql_retry);
  c.rollback();
  CHECK(c.backend_pid() != old_pid);
  CHECK(std::get<std::int64_t>(q(c, "SELECT count(*) FROM " + table)[0][0]) == 0);

  // Killed just before COMMIT: the commit reports retry, nothing was written.
  c.begin();
  x(c, "INSERT INTO " + table + " VALUES ('in flight')");
  q(killer, "SELECT pg_terminate_backend(?::int)", {std::int64_t{c.backend_pid()}});
  CHECK_THROWS_AS(c.commit(), tk::detail::sql_retry);
  CHECK(std::get<std::int64_t>(q(c, "SELECT count(*) FROM " + table)[0][0]) == 0);

  // A committed transaction stays committed; a read outside a transaction
  // whose connection was killed is re-run on a new connection, not thrown.
  c.begin();
  x(c, "INSERT INTO " + table + " VALUES ('kept')");
  c.commit();
  const int before = c.backend_pid();
  q(killer, "SELECT pg_terminate_backend(?::int)", {std::int64_t{before}});
  CHECK(std::get<std::int64_t>(q(c, "SELECT count(*) FROM " + table)[0][0]) == 1);
  CHECK(c.backend_pid() != before);
  x(c, "DROP TABLE " + table);
}

TEST_CASE("postgres connection pipelines a transaction: BEGIN with the first statement, deferred writes with the "
          "COMMIT; the first error of a pipeline is thrown typed and nothing commits",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  postgres_connection c(url);
  postgres_connection killer(url);
  const std::string table = "pipeline_" + std::to_string(c.backend_pid());
  x(c, "DROP TABLE IF EXISTS " + table);
  x(c, "CREATE TABLE " + table + " (k INTEGER PRIMARY KEY, v TEXT)");
  auto count = [&] { return std::get<std::int64_t>(q(c, "SELECT count(*) FROM " + table)[0][0]); };
  auto insert = [&](std::int64_t k) {
    const std::vector<sql_value> v{k, std::string("it's ? $1")};
    c.defer("INSERT INTO " + table + " (k, v) VALUES (?, ?)", v);
  };
  // Writes only: BEGIN and the writes in one round trip (the transaction's
  // id must be known before COMMIT is sent), COMMIT in the second.
  auto trips = postgres_connection::round_trips();
  c.begin();
  for (std::int64_t k = 0; k < 5; ++k) insert(k);
  c.commit();
  CHECK(postgres_connection::round_trips() - trips == 2);
  CHECK(count() == 5);
  // A read first: BEGIN goes with it, the writes with the COMMIT.
  trips = postgres_connection::round_trips();
  c.begin();
  CHECK(std::get<std::int64_t>(q(c, "SELECT count(*) FROM " + table)[0][0]) == 5);
  insert(5);
  insert(6);
  c.commit();
  CHECK(postgres_connection::round_trips() - trips == 2);
  CHECK(count() == 7);
  CHECK(std::get<std::string>(q(c, "SELECT v FROM " + table + " WHERE k = 6")[0][0]) == "it's ? $1");

  // A duplicate key in the middle: storage_error naming it, not a retry;
  // the writes after it and the COMMIT are skipped by the server.
  c.begin();
  insert(10);
  insert(0);
  insert(11);
  try {
    c.commit();
    FAIL("no error");
  } catch (const tk::detail::sql_retry&) {
    FAIL("a duplicate key is not retryable");
  } catch (const tk::storage_error& e) {
    CHECK(std::string(e.what()).find("duplicate key") != std::string::npos);
  }
  c.rollback();
  CHECK(count() == 7);
  // A serialization failure or deadlock in a pipeline is sql_retry, as alone.
  for (const std::string code : {"40001", "40P01"}) {
    c.begin();
    insert(20);
    c.defer("DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '" + code + "'; END $$", {});
    insert(21);
    CHECK_THROWS_AS(c.commit(), tk::detail::sql_retry);
    c.rollback();
  }
  CHECK(count() == 7);
  // Rows handed to a callback in order: its error comes before a later
  // statement's (the "study is gone" check before the insert's failure).
  c.begin();
  c.defer("SELECT 1 WHERE false", {}, [](const std::vector<sql_row>& rows) {
    if (rows.empty()) throw tk::invalid_argument("the row is gone");
  });
  insert(0);
  CHECK_THROWS_AS(q(c, "SELECT 1"), tk::invalid_argument);
  c.rollback();
  // Its connection killed before a pipelined COMMIT: the transaction's id
  // was read with the first statement, the server says it did not commit,
  // sql_retry, and nothing was written.
  c.begin();
  CHECK(std::get<std::int64_t>(q(c, "SELECT count(*) FROM " + table)[0][0]) == 7);
  insert(30);
  q(killer, "SELECT pg_terminate_backend(?::int)", {std::int64_t{c.backend_pid()}});
  CHECK_THROWS_AS(c.commit(), tk::detail::sql_retry);
  c.rollback();
  CHECK(count() == 7);
  x(c, "DROP TABLE " + table);
}

TEST_CASE("postgres connection: a transaction id reported committed after a server restart is in doubt (the server "
          "may have given it to another transaction); aborted and future ids did not commit",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  postgres_connection c(url);
  auto id_and_start = [&](std::string_view sql) {
    const auto r = q(c, sql);
    return std::pair{std::to_string(std::get<std::int64_t>(r.at(0).at(0))), std::get<std::string>(r.at(0).at(1))};
  };
  // An autocommitted statement with an id: committed.
  const auto [done, started] = id_and_start("SELECT txid_current(), pg_postmaster_start_time()::text");
  CHECK(c.committed({done, started, ""}));
  // The same answer from a server that restarted since: another
  // transaction may hold that id now (PostgreSQL 15 reuses the ids of
  // transactions a crash lost), so the shared layer must check the rows.
  CHECK_THROWS_AS(c.committed({done, "2000-01-01 00:00:00+00", ""}), tk::detail::sql_in_doubt);
  // Rolled back: not committed, restart or not.
  c.begin();
  const auto [rolled, started2] = id_and_start("SELECT txid_current(), pg_postmaster_start_time()::text");
  c.rollback();
  CHECK_FALSE(c.committed({rolled, started2, ""}));
  CHECK_FALSE(c.committed({rolled, "2000-01-01 00:00:00+00", ""}));
  // An id not given out yet (what a crash's lost ids are until reused).
  CHECK_FALSE(c.committed({std::to_string(std::stoll(done) + 1000000), started, ""}));
}

TEST_CASE("postgres connection: a COMMIT whose answer was lost while its transaction still waits on the server is "
          "decided only once that transaction has ended (its server process is ended), so the write exists once",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  TUNEKIT_REQUIRE_ENV(ro_url, "TUNEKIT_TEST_POSTGRES_RO_URL");
  using namespace std::chrono_literals;
  postgres_connection c(url, {.in_doubt_grace = 300ms, .in_doubt_end_wait = 5000ms});
  postgres_connection holder(url);
  const std::string table = "in_doubt_" + std::to_string(c.backend_pid());
  const std::int64_t key = 7415020400 + c.backend_pid();
  // Every COMMIT that inserted into the table waits for advisory lock `key`
  // (a deferred constraint trigger), which `holder` holds.
  x(c, "DROP TABLE IF EXISTS " + table);
  x(c, "CREATE TABLE " + table + " (k INTEGER PRIMARY KEY)");
  x(c, "CREATE OR REPLACE FUNCTION " + table + "_wait() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM "
       "pg_advisory_xact_lock(" + std::to_string(key) + "); RETURN NULL; END $$");
  x(c, "CREATE CONSTRAINT TRIGGER " + table + "_commit_waits AFTER INSERT ON " + table +
       " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " + table + "_wait()");
  auto count = [&] { return std::get<std::int64_t>(q(holder, "SELECT count(*) FROM " + table)[0][0]); };
  auto alive = [&](int pid) {
    return !q(holder, "SELECT 1 FROM pg_stat_activity WHERE pid = ?::int", {std::int64_t{pid}}).empty();
  };

  // 1. The lock is released right after the cut: the old transaction
  // commits while the client asks; COMMIT returns (the write is not re-run).
  q(holder, "SELECT pg_advisory_lock(?)", {key});
  c.begin();
  x(c, "INSERT INTO " + table + " VALUES (1)");  // the COMMIT alone in its round trip
  int pid = c.backend_pid();
  std::atomic<int> cut{-1};
  // Cuts the client side of `pid` once it waits for the lock (in its COMMIT).
  auto cut_when_waiting = [&url](int pid) {
    postgres_connection w(url);
    return tk::testing::process_waiting_for(w, "advisory", pid) == pid ? tk::testing::cut_client_side(w, pid) : 0;
  };
  {
    std::jthread cutter([&] {
      cut = cut_when_waiting(pid);
      q(holder, "SELECT pg_advisory_unlock(?)", {key});
    });
    CHECK_NOTHROW(c.commit());
  }
  CHECK(cut == 1);
  CHECK(count() == 1);
  CHECK(c.backend_pid() != pid);
  q(holder, "SELECT pg_advisory_unlock_all()");

  // 2. The lock stays held: the old transaction is still in progress after
  // the grace, its server process is ended, and only then does COMMIT say
  // "did not take effect". Released later, the lock lets nothing commit.
  q(holder, "SELECT pg_advisory_lock(?)", {key});
  c.begin();
  CHECK(std::get<std::int64_t>(q(c, "SELECT count(*) FROM " + table)[0][0]) == 1);
  c.defer("INSERT INTO " + table + " VALUES (2)", {});  // pipelined with the COMMIT
  pid = c.backend_pid();
  cut = -1;
  const auto t0 = std::chrono::steady_clock::now();
  {
    std::jthread cutter([&] {
      cut = cut_when_waiting(pid);
      if (cut != 1) q(holder, "SELECT pg_advisory_unlock(?)", {key});  // no cut: let the COMMIT finish
    });
    CHECK_THROWS_AS(c.commit(), tk::detail::sql_retry);
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  c.rollback();
  CHECK(cut == 1);
  CHECK(took >= 300ms);
  CHECK(took < 5s);
  CHECK(tk::testing::process_gone(holder, pid));
  q(holder, "SELECT pg_advisory_unlock_all()");
  std::this_thread::sleep_for(200ms);
  CHECK(count() == 1);  // the old transaction did not commit later
  c.begin();
  c.defer("INSERT INTO " + table + " VALUES (2)", {});
  c.commit();  // the re-run
  CHECK(count() == 2);

  // 3. A process that cannot be ended (another role's: a role may end only
  // its own role's processes) leaves the outcome unknown: storage_error,
  // not "did not commit"; and a process that does not run the transaction
  // is never ended.
  postgres_connection ro(ro_url);
  ro.begin();
  const auto r = q(ro, tk::detail::pg::transaction_sql);
  const std::string id = std::to_string(std::get<std::int64_t>(r.at(0).at(0)));
  const std::string started = std::get<std::string>(r.at(0).at(1));
  const std::string ro_pid = std::to_string(std::get<std::int64_t>(r.at(0).at(2)));
  postgres_connection checker(url, {.in_doubt_grace = 0ms, .in_doubt_end_wait = 1000ms});
  CHECK_THROWS_WITH(checker.committed({id, started, ro_pid}),
                    Contains("still in progress in server process " + ro_pid) && Contains("42501") &&
                        Contains("not re-run") && Contains("pg_signal_backend"));
  const std::string other = std::to_string(holder.backend_pid());
  CHECK_THROWS_WITH(checker.committed({id, started, other}), Contains("no server process runs it") && Contains("not re-run"));
  CHECK(alive(holder.backend_pid()));
  CHECK(std::get<std::int64_t>(q(ro, "SELECT 1")[0][0]) == 1);  // still in its transaction
  ro.rollback();
  x(c, "DROP TABLE " + table);
  x(c, "DROP FUNCTION " + table + "_wait()");
}
