// postgres_storage: the shared RDB layer over libpq, against a real server
// (TUNEKIT_TEST_POSTGRES_URL, see tests/support/postgres.hpp; skips without).
// Bad input: hostile strings, a foreign schema version, a read-only role,
// a wrong password or host, a study deleted under running workers.

#include <tunekit/samplers/random.hpp>
#include <tunekit/storage/postgres.hpp>
#include <tunekit/tuner.hpp>

#include <catch2/catch.hpp>

#include "support/postgres.hpp"
#include "support/postgres_cut.hpp"
#include "support/scratch_database.hpp"
#include "support/require_invalid.hpp"
#include "support/storage_checks.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tk = tunekit;
using Catch::Contains;
using tk::testing::describe_all;
using tk::testing::scratch_database;
using tk::testing::with_database;
using tk::testing::unique_name;

using tk::testing::minimize_one;
using tk::testing::maximize_one;

namespace {

// A libpq connection whose next COMMIT is answered with `sql_in_doubt`
// after committing it (`landed`) or rolling it back (`lost`): what a worker
// sees when a server crash cut a COMMIT's answer and the transaction's id
// may since belong to another transaction (postgres_connection::committed).
struct pg_in_doubt_connection {
  enum class next { pass, landed, lost };
  static constexpr tk::detail::sql_dialect dialect = tk::detail::sql_dialect::postgres;
  using rows = std::vector<tk::detail::sql_row>;
  using values = std::span<const tk::detail::sql_value>;
  tk::detail::postgres_connection inner;
  std::shared_ptr<next> mode = std::make_shared<next>(next::pass);
  rows query(std::string_view sql, values p) { return inner.query(sql, p); }
  std::int64_t execute(std::string_view sql, values p) { return inner.execute(sql, p); }
  void defer(std::string_view sql, values p) { inner.defer(sql, p); }
  void defer(std::string_view sql, values p, std::function<void(rows)> on_rows) { inner.defer(sql, p, std::move(on_rows)); }
  void begin() { inner.begin(); }
  void commit() {
    const next m = std::exchange(*mode, next::pass);
    if (m == next::lost) {
      inner.rollback();
      throw tk::detail::sql_in_doubt("test: a COMMIT in doubt that did not take effect");
    }
    inner.commit();
    if (m == next::landed) throw tk::detail::sql_in_doubt("test: a COMMIT in doubt that took effect");
  }
  void rollback() noexcept { inner.rollback(); }
  void flush_commits(bool) noexcept {}
};

}  // namespace

TEST_CASE("postgres_storage satisfies the storage concept", "[storage][postgres]") {
  STATIC_REQUIRE(tk::storage<tk::postgres_storage>);
}

TEST_CASE("postgres_storage: a study reads back identically from a fresh handle", "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  const std::string name = unique_name("roundtrip");
  std::vector<std::string> before;
  {
    tk::postgres_storage s(url);
    const auto sid = s.create_study(name, minimize_one);
    for (int i = 0; i < 6; ++i) {
      auto t = s.create_trial(sid, {});
      s.set_param(t.id, "x", 0.25 * i, tk::float_distribution(-10, 10));
      s.set_param(t.id, "lr", 1e-3, tk::float_distribution(1e-5, 1e-1, {.log = true}));
      s.set_param(t.id, "n", 3, tk::int_distribution(1, 9, {.step = 2}));
      s.set_param(t.id, "act", 1, tk::categorical_distribution({"relu", "tanh", 2.5, std::int64_t{7}, true}));
      s.set_intermediate_value(t.id, 0, 1.5);
      s.set_intermediate_value(t.id, 1, std::numeric_limits<double>::infinity());
      s.set_intermediate_value(t.id, 2, std::numeric_limits<double>::quiet_NaN());
      s.set_user_attr(t.id, "note", "trial " + std::to_string(i));
      const double v[] = {i == 4 ? -std::numeric_limits<double>::infinity() : 0.1 * i};
      if (i % 3 == 0) s.finish_trial(t.id, tk::trial_state::complete, v, {.wall_seconds = 0.5}, "");
      else if (i % 3 == 1) s.finish_trial(t.id, tk::trial_state::pruned, v, {}, "");
      else s.finish_trial(t.id, tk::trial_state::fail, {}, {}, "objective threw: boom");
    }
    before = describe_all(s.trials(sid));
  }
  tk::postgres_storage again(url);
  const auto sid = again.study_by_name(name);
  CHECK(describe_all(again.trials(sid)) == before);
  CHECK(again.view(sid).finished().size() == 6);
  const auto t = again.trials(sid);
  CHECK(t[2].fail_reason == "objective threw: boom");
  CHECK(t[0].resources.wall_seconds == 0.5);
  CHECK(std::isinf(t[0].intermediate_values.at(1)));
  CHECK(std::isnan(t[0].intermediate_values.at(2)));
  CHECK(t[4].values.at(0) == -std::numeric_limits<double>::infinity());
  CHECK(t[0].param<std::string>("act") == "tanh");
  again.delete_study(sid);
  // Several objectives come back in objective order through another handle
  // (its trial load returns each table's rows in no promised order).
  const std::array three{tk::direction::minimize, tk::direction::maximize, tk::direction::minimize};
  const auto msid = again.create_study(name + "-mo", three);
  tk::postgres_storage other(url);
  (void)other.view(msid);
  for (int i = 0; i < 4; ++i) {
    const auto mt = again.create_trial(msid, {});
    const double mv[] = {3.0 + i, -1.0 - i, 2.0 * i};
    again.finish_trial(mt.id, tk::trial_state::complete, mv, {}, "");
  }
  const auto seen = other.view(msid).finished();
  REQUIRE(seen.size() == 4);
  for (const auto& mt : seen) {
    const double i = static_cast<double>(mt.number);
    CHECK(mt.values == std::vector<double>{3.0 + i, -1.0 - i, 2.0 * i});
  }
  again.delete_study(msid);
}

TEST_CASE("postgres_storage: a tuner resumes a study and numbers stay dense", "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  const auto open = [&] { return tk::postgres_storage(url); };
  tk::testing::check_interrupted_study_resumes(open, open, unique_name("resume"));
}

TEST_CASE("postgres_storage: hostile names and attributes round-trip exactly, nothing is injected",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  const std::string tag = unique_name("");
  const std::vector<std::string> nasty = {
      "quote \" and backslash \\",
      "single ' quote '' and ''' more",
      "'; DROP TABLE studies; --",
      "Robert'); DELETE FROM trials WHERE ('1'='1",
      "? ?? $1 $$ $tag$ :name %s @p",
      "new\nline\r\ttab",
      "unicode: h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9D\x84\x9E \xE6\x97\xA5\xE6\x9C\xAC",
      "{\"json\": [1, 2]}",
      "\x01\x1f control",
      "</script><b>",
      "a LIKE '%_%' ESCAPE '\\'",
  };
  tk::postgres_storage s(url);
  const auto ids = tk::testing::write_hostile_names(s, nasty, tag);
  REQUIRE_INVALID(s.create_study("bad \xff utf8" + tag, minimize_one), Contains("UTF-8"));
  REQUIRE_INVALID(s.create_study(std::string("nul\0byte", 8) + tag, minimize_one), Contains("NUL"));

  tk::postgres_storage again(url);
  const auto found = tk::testing::check_hostile_names(again, nasty, tag);
  for (std::size_t i = 0; i < nasty.size(); ++i) CHECK(found[i] == ids[i]);
  // Every table is still there and holds what it should.
  for (auto sid : ids) {
    CHECK(again.trials(sid).size() == 1);
    again.delete_study(sid);
  }
}

TEST_CASE("postgres_storage: a database of another schema version is refused with a clear message",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  scratch_database db(url);
  { tk::postgres_storage fresh(db.url()); }  // creates Optuna 3.1's schema
  {
    tk::detail::postgres_connection c(db.url());
    c.execute("UPDATE alembic_version SET version_num = 'v2.4.0.a'", {});
    c.execute("UPDATE version_info SET schema_version = 11, library_version = '2.10.0'", {});
  }
  try {
    tk::postgres_storage old(db.url());
    FAIL("opened a database of schema v2.4.0.a");
  } catch (const tk::storage_error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK_THAT(msg, Contains("v2.4.0.a") && Contains("v3.0.0.d") && Contains("2.10.0"));
    CHECK_THAT(msg, Contains("127.0.0.1") && Contains("database"));
  }
}

TEST_CASE("postgres_storage: a wrong password or an unreachable host names host and database only",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  const std::string secret = "Wr0ng-S3cret";
  const auto scheme = url.find("://") + 3;
  const std::string bad = url.substr(0, url.find(':', scheme) + 1) + secret + url.substr(url.find('@', scheme));
  try {
    tk::postgres_storage s(bad);
    FAIL("connected with a wrong password");
  } catch (const tk::storage_error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK_THAT(msg, Contains("127.0.0.1") && Contains("tunekit_test") && Contains("password authentication failed"));
    CHECK(msg.find(secret) == std::string::npos);
  }
  try {
    tk::postgres_storage s("postgresql://alice:" + secret + "@127.0.0.1:1/studies", {.connect_attempts = 1, .reconnect_attempts = 0});
    FAIL("connected to port 1");
  } catch (const tk::storage_error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK_THAT(msg, Contains("127.0.0.1") && Contains("port 1") && Contains("studies"));
    CHECK(msg.find(secret) == std::string::npos);
  }
  REQUIRE_INVALID(tk::postgres_storage(url, {.max_attempts = 0}), Contains("max_attempts"));
  REQUIRE_INVALID(tk::postgres_storage(url, {.reconnect_attempts = -1}), Contains("reconnect_attempts"));
}

TEST_CASE("postgres_storage: a read-only role reads studies and its writes fail clearly", "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  TUNEKIT_REQUIRE_ENV(ro_url, "TUNEKIT_TEST_POSTGRES_RO_URL");
  scratch_database db(url);
  const std::string ro = with_database(ro_url, db.url().substr(db.url().rfind('/') + 1));
  tk::study_id sid;
  {
    tk::postgres_storage owner(db.url());
    sid = owner.create_study("readable", minimize_one);
    auto t = owner.create_trial(sid, {});
    const double v[] = {1.5};
    owner.finish_trial(t.id, tk::trial_state::complete, v, {}, "");
    tk::detail::postgres_connection c(db.url());
    c.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO tunekit_ro", {});
  }
  tk::postgres_storage reader(ro);
  CHECK(reader.study_names() == std::vector<std::string>{"readable"});
  CHECK(reader.trials(sid).at(0).values.at(0) == 1.5);
  try {
    reader.create_study("not allowed", minimize_one);
    FAIL("a read-only role created a study");
  } catch (const tk::storage_error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK_THAT(msg, Contains("permission denied") && Contains("tunekit_ro") && Contains("42501"));
    CHECK(msg.find("tunekit_ro@") == std::string::npos);
  }
  CHECK_THROWS_AS(reader.create_trial(sid, {}), tk::storage_error);
  CHECK(reader.trials(sid).size() == 1);
}

TEST_CASE("postgres_storage: workers stop cleanly when their study is deleted under them", "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  const std::string name = unique_name("deleted");
  tk::postgres_storage admin(url);
  const auto sid = admin.create_study(name, minimize_one);
  std::atomic<int> started{0};
  std::vector<std::string> errors(3);
  {
    std::vector<std::jthread> workers;
    for (int w = 0; w < 3; ++w)
      workers.emplace_back([&, w] {
        try {
          tk::tuner t{tk::random_sampler{{.seed = static_cast<std::uint64_t>(w)}}, tk::postgres_storage(url),
                      tk::study_config{.name = name}};
          t.optimize(
              [&](tk::trial& tr) {
                ++started;
                const double x = tr.suggest_float("x", 0, 1);
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                tr.report(0, x);
                return x;
              },
              {.n_trials = 100000, .catch_exceptions = false});
          errors[static_cast<std::size_t>(w)] = "optimize returned";
        } catch (const tk::error& e) {
          errors[static_cast<std::size_t>(w)] = e.what();
        } catch (const std::exception& e) {
          errors[static_cast<std::size_t>(w)] = std::string("not a tunekit::error: ") + e.what();
        }
      });
    while (started < 30) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    admin.delete_study(sid);
  }  // joins: every worker has stopped
  for (const auto& e : errors) {
    INFO(e);
    CHECK_THAT(e, Contains("does not exist") || Contains("deleted"));
  }
  CHECK_FALSE(admin.find_study(name));
}

TEST_CASE("postgres_storage: tunekit's URL options are taken out, libpq's are kept", "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  const std::string sep = url.find('?') == std::string::npos ? "?" : "&";
  {
    tk::postgres_storage s(url + sep + "heartbeat=0.5&connect_timeout=7&grace=2&retries=1");
    const auto sid = s.create_study(unique_name("url-options"), minimize_one);
    auto t = s.create_trial(sid, {});  // heartbeats on: the trial is beaten
    const double v[] = {1};
    s.finish_trial(t.id, tk::trial_state::complete, v, {}, "");
    s.delete_study(sid);
  }
  REQUIRE_INVALID(tk::postgres_storage(url + sep + "heartbeat=soon"), Contains("heartbeat") && Contains("soon"));
  REQUIRE_INVALID(tk::postgres_storage(url + sep + "retries=1"), Contains("heartbeat_interval"));
  CHECK_THROWS_WITH(tk::postgres_storage(url + sep + "no_such_libpq_option=1"), Contains("no_such_libpq_option"));
  REQUIRE_INVALID(tk::postgres_storage(url + sep + "async_create=yes"), Contains("async_create") && Contains("0 or 1"));
}

TEST_CASE("postgres_storage: a trial created without waiting for the flush is never written into another trial's row "
          "(creation lost in a crash, id and number given again)",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  tk::postgres_storage s(url), admin(url);  // async_creation is the default
  tk::detail::postgres_connection raw(url);
  const auto sid = s.create_study(unique_name("async-create"), minimize_one);
  // What a server crash before the creation's WAL flush can leave behind:
  // the row gone and, the sequence's advance lost too, its id (and the
  // study's next number) given to another worker's trial.
  auto lose_creation = [&](const tk::frozen_trial& t, bool reuse) {
    const std::vector<tk::detail::sql_value> id{t.id};
    raw.execute("DELETE FROM trials WHERE trial_id = ?", id);
    if (!reuse) return;
    const std::vector<tk::detail::sql_value> row{t.id, t.number, sid, std::string("2001-02-03 04:05:06.789")};
    raw.execute("INSERT INTO trials (trial_id, number, study_id, state, datetime_start) VALUES (?, ?, ?, 'RUNNING', "
                "CAST(? AS TIMESTAMP))",
                row);
  };
  auto untouched = [&](std::int64_t id) {
    const auto other = admin.trial(id);
    CHECK(other.state == tk::trial_state::running);
    CHECK(other.params.empty());
    CHECK(other.intermediate_values.empty());
    CHECK(other.values.empty());
    REQUIRE(other.datetime_start);
    CHECK(tk::detail::rdb::format_time(*other.datetime_start) == "2001-02-03 04:05:06.789000");
  };
  const double v[] = {0.5};
  {
    const auto t = s.create_trial(sid, {});
    s.set_param(t.id, "x", 0.5, tk::float_distribution(0, 1));  // held back
    lose_creation(t, true);
    CHECK_THROWS_AS(s.finish_trial(t.id, tk::trial_state::complete, v, {}, ""), tk::state_error);
    // Tried again: still checked, still refused.
    CHECK_THROWS_WITH(s.finish_trial(t.id, tk::trial_state::complete, v, {}, ""), Contains("lost that creation in a crash"));
    untouched(t.id);
  }
  {
    const auto t = s.create_trial(sid, {});
    s.set_param(t.id, "x", 0.5, tk::float_distribution(0, 1));
    lose_creation(t, true);
    // The first report writes the parameters: refused, nothing written.
    CHECK_THROWS_WITH(s.set_intermediate_value(t.id, 0, 1.0),
                      Contains("trial id " + std::to_string(t.id)) && Contains("lost that creation in a crash"));
    untouched(t.id);
  }
  {
    const auto t = s.create_trial(sid, {});
    lose_creation(t, false);
    CHECK_THROWS_WITH(s.finish_trial(t.id, tk::trial_state::complete, v, {}, ""),
                      Contains("does not exist") && Contains("creation lost in a server crash"));
  }
  {
    // The sequence gives the lost trial's id again, to this same handle (a
    // scratch database: the sequence is set back): the creation is re-run
    // with the next id, and the lost trial's finish is still refused.
    scratch_database db(url);
    tk::postgres_storage w(db.url());
    tk::detail::postgres_connection c(db.url());
    const auto sid2 = w.create_study("reuse", minimize_one);
    w.finish_trial(w.create_trial(sid2, {}).id, tk::trial_state::complete, v, {}, "");  // ids start at 1
    const auto lost = w.create_trial(sid2, {});
    const std::vector<tk::detail::sql_value> id{lost.id}, before{lost.id - 1};
    c.execute("DELETE FROM trials WHERE trial_id = ?", id);
    c.query("SELECT setval('trials_trial_id_seq', CAST(? AS bigint))", before);
    const auto fresh = w.create_trial(sid2, {});
    CHECK(fresh.id == lost.id + 1);
    CHECK(fresh.number == lost.number);  // the lost trial is gone, its number is free
    CHECK_THROWS_WITH(w.finish_trial(lost.id, tk::trial_state::complete, v, {}, ""),
                      Contains("creation lost in a server crash"));
    CHECK(w.finish_trial(fresh.id, tk::trial_state::complete, v, {}, "").state == tk::trial_state::complete);
  }
  {
    // Nothing lost: the finish goes through and the creation is durable with it.
    const auto t = s.create_trial(sid, {});
    s.set_param(t.id, "x", 0.25, tk::float_distribution(0, 1));
    s.set_intermediate_value(t.id, 0, 1.0);
    const auto done = s.finish_trial(t.id, tk::trial_state::complete, v, {}, "");
    CHECK(done.state == tk::trial_state::complete);
    CHECK(admin.trial(t.id).params.at("x") == 0.25);
  }
  s.delete_study(sid);
}

TEST_CASE("postgres_storage: a running trial's writes are coalesced (parameters at the first report, reports at the "
          "finish) and its own handle sees them at once",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  const tk::float_distribution unit(0, 1);
  for (const bool coalesce : {true, false}) {
    INFO("coalesce = " << coalesce);
    tk::postgres_storage s(url, {.coalesce = coalesce}), other(url);
    const auto sid = s.create_study(unique_name("coalesce"), minimize_one);
    const auto before = s.transactions();
    const auto t = s.create_trial(sid, {});
    const char* const names[] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"};
    for (int i = 0; i < 10; ++i) s.set_param(t.id, names[i], 0.1 * i, unit);
    s.set_user_attr(t.id, "note", "kept");
    CHECK(s.trial(t.id).params.size() == 10);  // the writer's own reads see everything
    CHECK(s.trial(t.id).user_attrs.at("note") == "kept");
    CHECK(other.trial(t.id).params.size() == (coalesce ? 0U : 10U));
    s.set_intermediate_value(t.id, 0, 1.0);  // the first report writes the parameters with it
    CHECK(other.trial(t.id).params.size() == 10);
    CHECK(other.trial(t.id).intermediate_values.size() == 1);
    for (int step = 1; step < 10; ++step) s.set_intermediate_value(t.id, step, 1.0 / step);
    CHECK(s.trial(t.id).intermediate_values.size() == 10);
    CHECK(other.trial(t.id).intermediate_values.size() == (coalesce ? 1U : 10U));
    const double v[] = {0.5};
    const auto done = s.finish_trial(t.id, tk::trial_state::complete, v, {}, "");
    CHECK(done.intermediate_values.size() == 10);
    const auto seen = other.trial(t.id);
    CHECK(seen.params.size() == 10);
    CHECK(seen.intermediate_values.at(9) == 1.0 / 9);
    CHECK(seen.user_attrs.at("note") == "kept");
    // create, first report, finish: 3 commits; one per write without coalescing.
    CHECK(s.transactions() - before == (coalesce ? 3 : 23));
    s.delete_study(sid);
  }
}

TEST_CASE("postgres_storage: coalesced writes of a trial failed by another worker are refused at its finish, nothing "
          "half-written",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  tk::postgres_storage s(url), admin(url);
  const auto sid = s.create_study(unique_name("coalesce-fail"), minimize_one);
  const auto t = s.create_trial(sid, {});
  s.set_param(t.id, "x", 0.5, tk::float_distribution(0, 1));
  s.set_intermediate_value(t.id, 0, 1.0);
  s.set_intermediate_value(t.id, 1, 2.0);  // held back
  admin.finish_trial(t.id, tk::trial_state::fail, {}, {}, "failed elsewhere");
  const double v[] = {0.5};
  CHECK_THROWS_AS(s.finish_trial(t.id, tk::trial_state::complete, v, {}, ""), tk::state_error);
  const auto seen = admin.trial(t.id);
  CHECK(seen.state == tk::trial_state::fail);
  CHECK(seen.intermediate_values.size() == 1);  // step 1 was never written, the finish left nothing
  CHECK(seen.values.empty());
  s.delete_study(sid);
}

TEST_CASE("postgres_storage: a server that refuses connections is retried a bounded number of times; the error names "
          "host, port, database and mode, never the password",
          "[storage][postgres]") {
  const std::string secret = "Refused-S3cret";
  const auto start = std::chrono::steady_clock::now();
  try {
    tk::postgres_storage s("postgresql://alice:" + secret + "@127.0.0.1:1/studies",
                           {.connect_attempts = 3, .reconnect_initial = std::chrono::milliseconds(40)});
    FAIL("connected to port 1");
  } catch (const tk::storage_error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK_THAT(msg, Contains("127.0.0.1") && Contains("port 1") && Contains("database studies") &&
                        Contains("mode session") && Contains("after 3 attempts"));
    CHECK(msg.find(secret) == std::string::npos);
  }
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(waited >= 0.11);  // 40 + 80 ms of back-off
  CHECK(waited < 5);
  REQUIRE_INVALID(tk::postgres_storage("postgresql://a@127.0.0.1:1/x", {.connect_attempts = 0}),
                  Contains("connect_attempts"));
}

TEST_CASE("postgres_storage: a refused login is not retried", "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  const auto scheme = url.find("://") + 3;
  const std::string bad = url.substr(0, url.find(':', scheme) + 1) + "Wr0ng" + url.substr(url.find('@', scheme));
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(tk::postgres_storage(bad, {.connect_attempts = 8, .reconnect_initial = std::chrono::milliseconds(500)}),
                    Contains("password authentication failed") && !Contains("attempts"));
  // Retried, it would take 0.5 + 1 + 2 + ... s of back-off; 2 s leaves room for
  // a loaded machine (TSan on 2 busy cores once took 0.66 s).
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("postgres_storage: with the advisory creation lock, 4 threads x 4 handles number 200 trials densely",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  const std::string sep = url.find('?') == std::string::npos ? "?" : "&";
  const std::string name = unique_name("advisory");
  tk::postgres_storage admin(url + sep + "lock=advisory");
  const auto sid = admin.create_study(name, minimize_one);
  {
    std::vector<std::jthread> workers;
    for (int w = 0; w < 4; ++w)
      workers.emplace_back([&, w] {
        tk::tuner t{tk::random_sampler{{.seed = static_cast<std::uint64_t>(w)}}, tk::postgres_storage(url + sep + "lock=advisory"),
                    tk::study_config{.name = name}};
        t.optimize([](tk::trial& tr) { return tr.suggest_float("x", 0, 1); }, {.n_trials = 50});
      });
  }
  const auto trials = admin.trials(sid);
  REQUIRE(trials.size() == 200);
  for (std::size_t i = 0; i < trials.size(); ++i) CHECK(trials[i].number == static_cast<std::int64_t>(i));
  REQUIRE_INVALID(tk::postgres_storage(url + sep + "lock=table"), Contains("lock") && Contains("advisory"));
  admin.delete_study(sid);
}

TEST_CASE("postgres_storage: a COMMIT in doubt after a server restart is decided by the trial's row: a landed creation, "
          "finish or added trial is not run twice, a lost one is run again",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  using next = pg_in_doubt_connection::next;
  pg_in_doubt_connection conn{tk::detail::postgres_connection(url)};
  const auto mode = conn.mode;
  tk::detail::rdb_options options;
  options.coalesce = true;
  options.async_creation = true;
  tk::detail::rdb_storage<pg_in_doubt_connection> s(std::move(conn), "test database", options);
  tk::postgres_storage reader(url);
  const auto sid = s.create_study(unique_name("in-doubt"), minimize_one);
  auto stored = [&] { return reader.trials(sid); };
  const double v[] = {0.25};
  // Creation: landed -> one trial (re-running it would make a second);
  // lost -> re-run, so the trial exists.
  *mode = next::landed;
  const auto a = s.create_trial(sid, {});
  CHECK(stored().size() == 1);
  *mode = next::lost;
  const auto b = s.create_trial(sid, {});
  REQUIRE(stored().size() == 2);
  CHECK(b.number == 1);
  CHECK(reader.trial(b.id).state == tk::trial_state::running);
  // Finish: landed -> returned as COMPLETE (re-running it would say "not
  // RUNNING"); lost -> re-run with the held-back report and parameter.
  *mode = next::landed;
  CHECK(s.finish_trial(a.id, tk::trial_state::complete, v, {}, "").state == tk::trial_state::complete);
  s.set_param(b.id, "x", 0.5, tk::float_distribution(0, 1));
  s.set_intermediate_value(b.id, 3, 1.5);
  s.flush(b.id);
  s.set_intermediate_value(b.id, 4, 2.5);  // held back until the finish
  *mode = next::lost;
  CHECK(s.finish_trial(b.id, tk::trial_state::complete, v, {}, "").state == tk::trial_state::complete);
  const auto got = reader.trial(b.id);
  CHECK(got.state == tk::trial_state::complete);
  CHECK(got.values == std::vector<double>{0.25});
  CHECK(got.intermediate_values.at(4) == 2.5);
  CHECK(got.params.at("x") == 0.5);
  CHECK(reader.trial(a.id).state == tk::trial_state::complete);
  // A waiting trial started: landed -> one RUNNING trial, and nothing else popped.
  tk::frozen_trial waiting;
  waiting.state = tk::trial_state::waiting;
  s.add_trial(sid, waiting);
  *mode = next::landed;
  const auto popped = s.pop_waiting_trial(sid);
  REQUIRE(popped);
  CHECK(reader.trial(popped->id).state == tk::trial_state::running);
  CHECK_FALSE(s.pop_waiting_trial(sid));
  // Added trials (a study copy, an enqueued trial): landed -> stored once,
  // found by id, number, state, times and parameters; lost -> added again.
  tk::frozen_trial copy;
  copy.state = tk::trial_state::complete;
  copy.values = {0.5};
  copy.params["x"] = 0.125;
  copy.distributions.insert_or_assign("x", tk::float_distribution(0, 1));
  copy.datetime_start = tk::frozen_trial::clock::now() - std::chrono::seconds(3);
  copy.datetime_complete = tk::frozen_trial::clock::now() - std::chrono::seconds(1);
  *mode = next::landed;
  const auto c1 = s.add_trial(sid, copy);
  CHECK(stored().size() == 4);
  *mode = next::lost;
  const auto c2 = s.add_trial(sid, copy);
  CHECK(stored().size() == 5);
  CHECK(reader.trial(c2.id).params.at("x") == 0.125);
  tk::frozen_trial queued;
  queued.state = tk::trial_state::waiting;
  queued.params["x"] = 0.75;
  queued.distributions.insert_or_assign("x", tk::float_distribution(0, 1));
  *mode = next::landed;
  s.add_trial(sid, queued);
  CHECK(stored().size() == 6);
  CHECK(c1.number == 3);
  CHECK(c2.number == 4);
  // A write without a check (an upsert) is simply re-run.
  *mode = next::landed;
  s.set_study_user_attr(sid, "k", 7);
  CHECK(reader.study_user_attrs(sid).at("k") == 7);
  CHECK(stored().size() == 6);
  s.delete_study(sid);
}

TEST_CASE("postgres_storage: a trial creation whose COMMIT still waits on the server when its connection is cut is "
          "stored once: the old server process is ended before the creation is run again",
          "[storage][postgres]") {
  TUNEKIT_REQUIRE_POSTGRES(url);
  using namespace std::chrono_literals;
  scratch_database db(url);
  tk::detail::rdb_options options;
  options.coalesce = true;
  options.async_creation = true;
  tk::detail::rdb_storage<tk::detail::postgres_connection> s(
      tk::detail::postgres_connection(db.url(), {.in_doubt_grace = 200ms}), "test database", options);
  const auto sid = s.create_study("hang", minimize_one);
  // Every COMMIT that inserted a trial waits for an advisory lock `holder` holds.
  tk::detail::postgres_connection holder(db.url());
  holder.execute("CREATE FUNCTION wait_for_key() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM "
                 "pg_advisory_xact_lock(74150205); RETURN NULL; END $$", {});
  holder.execute("CREATE CONSTRAINT TRIGGER commit_waits AFTER INSERT ON trials DEFERRABLE INITIALLY DEFERRED FOR EACH "
                 "ROW EXECUTE FUNCTION wait_for_key()", {});
  holder.query("SELECT pg_advisory_lock(74150205)", {});
  std::atomic<int> cut{-1};
  std::atomic<bool> ended{false};
  tk::frozen_trial made;
  {
    // The creator's server process waits in its COMMIT: its connection is
    // cut; the lock is released once that process is gone (the storage
    // ends it after the grace), so the re-run can commit.
    std::jthread network([&] {
      tk::detail::postgres_connection w(db.url());
      const auto pid = tk::testing::process_waiting_for(w, "advisory");
      cut = pid == 0 ? 0 : tk::testing::cut_client_side(w, pid);
      ended = cut == 1 && tk::testing::process_gone(w, pid);
      holder.query("SELECT pg_advisory_unlock_all()", {});
    });
    made = s.create_trial(sid, {});
  }
  CHECK(cut == 1);
  CHECK(ended);
  tk::postgres_storage reader(db.url());
  const auto stored = reader.trials(sid);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].id == made.id);
  CHECK(stored[0].number == 0);
  CHECK(stored[0].state == tk::trial_state::running);
}
