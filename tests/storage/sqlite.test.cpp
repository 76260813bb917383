#include <tunekit/samplers/random.hpp>
#include <tunekit/storage/memory.hpp>
#include <tunekit/storage/sqlite.hpp>
#include <tunekit/storage/url.hpp>
#include <tunekit/tuner.hpp>

#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include "support/require_invalid.hpp"
#include "support/storage_checks.hpp"
#include "support/temp_dir.hpp"

#include <array>
#include <cstdlib>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tk = tunekit;
namespace fs = std::filesystem;
using Catch::Contains;
using tk::testing::describe_all;
using tk::testing::fill;
using namespace std::chrono_literals;

using tk::testing::minimize_one;
using tk::testing::maximize_one;

namespace {


/// Runs one statement on the database with SQLite's own API (not tunekit's),
/// to tamper with it the way another program would.
void raw_exec(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

std::vector<std::string> raw_strings(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  std::vector<std::string> out;
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const auto* t = sqlite3_column_text(st, 0);
    out.emplace_back(t ? reinterpret_cast<const char*>(t) : "NULL");
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

}  // namespace

TEST_CASE("sqlite_storage satisfies the storage concept and creates Optuna 3.1's schema", "[storage][sqlite]") {
  STATIC_REQUIRE(tk::storage<tk::sqlite_storage>);
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "s.db";
  tk::sqlite_storage s(path);
  const auto tables = raw_strings(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  const std::vector<std::string> expected = {"alembic_version", "studies", "study_directions", "study_system_attributes",
                                             "study_user_attributes", "trial_heartbeats", "trial_intermediate_values",
                                             "trial_params", "trial_system_attributes", "trial_user_attributes",
                                             "trial_values", "trials", "version_info"};
  CHECK(tables == expected);
  CHECK(raw_strings(path, "SELECT version_num FROM alembic_version") == std::vector<std::string>{"v3.0.0.d"});
  CHECK(raw_strings(path, "SELECT schema_version FROM version_info") == std::vector<std::string>{"12"});
  CHECK(raw_strings(path, "PRAGMA journal_mode") == std::vector<std::string>{"wal"});
}

TEST_CASE("sqlite_storage: a study round-trips exactly through a fresh handle", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "study.db";
  tk::testing::check_study_round_trips([&] { return tk::sqlite_storage(path); });
  // Optuna's encoding of infinite values: NULL plus a type tag.
  CHECK(raw_strings(path, "SELECT intermediate_value_type FROM trial_intermediate_values WHERE step = 1 LIMIT 1") ==
        std::vector<std::string>{"INF_POS"});
}

TEST_CASE("sqlite_storage: infinite and NaN values are stored as Optuna stores them", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "inf.db";
  tk::sqlite_storage s(path);
  const std::array dirs{tk::direction::minimize, tk::direction::maximize};
  const auto sid = s.create_study("inf", dirs);
  auto t = s.create_trial(sid, {});
  s.set_intermediate_value(t.id, 0, std::numeric_limits<double>::quiet_NaN());
  s.set_intermediate_value(t.id, 1, -std::numeric_limits<double>::infinity());
  const double v[] = {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  const auto done = s.finish_trial(t.id, tk::trial_state::complete, v, {}, "");
  CHECK(std::isnan(done.intermediate_values.at(0)));
  CHECK(done.intermediate_values.at(1) == -std::numeric_limits<double>::infinity());
  CHECK(done.values == std::vector<double>(std::begin(v), std::end(v)));
  CHECK(raw_strings(path, "SELECT value_type FROM trial_values ORDER BY objective") ==
        std::vector<std::string>{"INF_POS", "INF_NEG"});
  CHECK(raw_strings(path, "SELECT intermediate_value_type FROM trial_intermediate_values ORDER BY step") ==
        std::vector<std::string>{"NAN", "INF_NEG"});
  CHECK(s.study_directions(sid) == std::vector<tk::direction>(dirs.begin(), dirs.end()));
  auto u = s.create_trial(sid, {});
  const double nan[] = {std::numeric_limits<double>::quiet_NaN(), 1};
  REQUIRE_INVALID(s.finish_trial(u.id, tk::trial_state::complete, nan, {}, ""), Contains("NaN"));
  // A pruned trial whose last report was NaN has no value Optuna could store.
  CHECK(s.finish_trial(u.id, tk::trial_state::pruned, nan, {}, "").values.empty());
}

TEST_CASE("sqlite_storage: two handles see each other's writes", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "shared.db";
  tk::sqlite_storage a(path), b(path);
  const auto [t, u] = tk::testing::check_two_handles_share(a, b);
  CHECK(a.view(a.study_by_name("shared")).n_trials() == 2);
  CHECK_THROWS_AS(b.set_param(t.id, "x", 0.5, tk::float_distribution(0, 1)), tk::state_error);
}

TEST_CASE("sqlite_storage: enqueued trials are popped oldest first, once", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  tk::sqlite_storage s(dir.path() / "q.db");
  const auto sid = s.create_study("q", minimize_one);
  CHECK_FALSE(s.pop_waiting_trial(sid));
  for (int i = 0; i < 3; ++i) {
    tk::frozen_trial r;
    r.state = tk::trial_state::waiting;
    r.params["x"] = i * 0.25;
    r.distributions.insert_or_assign("x", tk::float_distribution(0, 1));
    s.create_trial(sid, r);
  }
  for (int i = 0; i < 3; ++i) {
    auto p = s.pop_waiting_trial(sid);
    REQUIRE(p);
    CHECK(p->state == tk::trial_state::running);
    CHECK(p->number == i);
    CHECK(p->params.at("x") == i * 0.25);
  }
  CHECK_FALSE(s.pop_waiting_trial(sid));
}

TEST_CASE("sqlite_storage: hostile names and attributes round-trip exactly, without injection", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "text.db";
  const std::vector<std::string> nasty = {"quote \" and backslash \\",
                                          "new\nline\r\ttab",
                                          "unicode: héllo ✓ 𝄞 日本",
                                          "{\"json\": [1, 2]}",
                                          "\x01\x1f control",
                                          "</script><b>",
                                          "'; DROP TABLE trials; --",
                                          "\"; DROP TABLE studies; --",
                                          "Robert'); DELETE FROM studies WHERE ('1'='1",
                                          "?",
                                          "$1 %s %d ? :name @p",
                                          "' OR '1'='1"};
  {
    tk::sqlite_storage s(path);
    tk::testing::write_hostile_names(s, nasty);
    REQUIRE_INVALID(s.create_study("bad \xff utf8", minimize_one), Contains("UTF-8"));
    REQUIRE_INVALID(s.create_study(std::string("nul\0byte", 8), minimize_one), Contains("NUL"));
    REQUIRE_INVALID(s.create_study(std::string(513, 'x'), minimize_one), Contains("512"));
  }
  tk::sqlite_storage s(path);
  CHECK(s.study_names() == nasty);
  CHECK(raw_strings(path, "SELECT COUNT(*) FROM trials") == std::vector<std::string>{std::to_string(nasty.size())});
  tk::testing::check_hostile_names(s, nasty);
}

TEST_CASE("sqlite_storage: bad databases are refused with a clear error", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "v.db";
  { tk::sqlite_storage s(path); }

  SECTION("another schema version names found and supported versions") {
    raw_exec(path, "UPDATE alembic_version SET version_num = 'v2.4.0.a'; UPDATE version_info SET schema_version = 11, "
                   "library_version = '2.10.0'");
    REQUIRE_THROWS_AS(tk::sqlite_storage(path), tk::storage_error);
    REQUIRE_THROWS_WITH(tk::sqlite_storage(path),
                        Contains("'v2.4.0.a'") && Contains("2.10.0") && Contains("'v3.0.0.d'") && Contains("schema_version 12"));
  }
  SECTION("a newer schema version") {
    raw_exec(path, "UPDATE alembic_version SET version_num = 'v3.2.0.a'");
    REQUIRE_THROWS_WITH(tk::sqlite_storage(path), Contains("'v3.2.0.a'") && Contains("supports"));
  }
  SECTION("a database with a studies table that is not Optuna's") {
    const auto other = dir.path() / "other.db";
    raw_exec(other, "CREATE TABLE studies (id INTEGER)");
    REQUIRE_THROWS_WITH(tk::sqlite_storage(other), Contains("not an Optuna RDB database"));
  }
  SECTION("a file that is not a database") {
    const auto text = dir.path() / "text.db";
    std::ofstream(text) << "name,value\na,1\n" << std::string(4096, 'x');
    REQUIRE_THROWS_WITH(tk::sqlite_storage(text), Contains("not a SQLite database") || Contains("not a database"));
  }
  SECTION("a missing directory, or a directory instead of a file") {
    REQUIRE_THROWS_WITH(tk::sqlite_storage(dir.path() / "no" / "such.db"), Contains("does not exist"));
    REQUIRE_THROWS_AS(tk::sqlite_storage(dir.path()), tk::storage_error);
  }
  SECTION("a read-only database file") {
    // Permission bits do not stop root; the immutable attribute does (where
    // the file system has it).
    bool read_only = false;
    if (::geteuid() == 0) {
      read_only = std::system(("chattr +i '" + path.string() + "' 2>/dev/null").c_str()) == 0;
    } else {
      fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
      read_only = true;
    }
    if (!read_only) {
      WARN("cannot make a file read-only here (root without chattr): not checked");
    } else {
      CHECK_THROWS_WITH(tk::sqlite_storage(path), Contains("read-only") && Contains("v.db"));
      if (::geteuid() == 0) (void)std::system(("chattr -i '" + path.string() + "'").c_str());
    }
  }
  SECTION("bad options") {
    REQUIRE_INVALID(tk::sqlite_storage(path, {.max_retries = 2}), Contains("heartbeat_interval"));
    REQUIRE_INVALID(tk::sqlite_storage(path, {.busy_timeout = std::chrono::milliseconds(-1)}), Contains("busy_timeout"));
    REQUIRE_INVALID(tk::sqlite_storage(path).study_by_name("nope"), Contains("'nope'") && Contains("no studies"));
  }
}

TEST_CASE("sqlite_storage: a changed search space is reported clearly", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  tk::sqlite_storage s(dir.path() / "space.db");
  tk::testing::check_changed_search_space(s);
}

TEST_CASE("sqlite_storage: concurrent claims have exactly one winner", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "claims.db";
  tk::sqlite_storage a(path), b(path);
  tk::testing::check_claims_have_one_winner(a, b);
}

TEST_CASE("sqlite_storage: threads of two handles create dense unique numbers", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "threads.db";
  tk::sqlite_storage a(path), b(path);
  const auto sid = a.create_study("t", minimize_one);
  std::vector<std::jthread> threads;
  for (int k = 0; k < 6; ++k)
    threads.emplace_back([&, k] {
      tk::sqlite_storage& s = k % 2 ? a : b;
      for (int i = 0; i < 20; ++i) {
        auto t = s.create_trial(sid, {});
        const double v[] = {1.0 * i};
        s.finish_trial(t.id, tk::trial_state::complete, v, {}, "");
      }
    });
  threads.clear();
  std::set<std::int64_t> numbers;
  for (const auto& t : a.trials(sid)) numbers.insert(t.number);
  CHECK(numbers.size() == 120);
  CHECK(*numbers.rbegin() == 119);
  CHECK(a.view(sid).finished().size() == 120);
  CHECK(b.view(sid).finished().size() == 120);
}

TEST_CASE("sqlite_storage: an interrupted study resumes where it stopped", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "resume.db";
  tk::testing::check_interrupted_study_resumes([&] { return tk::sqlite_storage(path); },
                                               [&] { return tk::open_storage("sqlite://" + path.string()); }, "resume");
}

TEST_CASE("sqlite_storage: an expired heartbeat fails the trial and retries it with the same parameters",
          "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "beat.db";
  const tk::sqlite_storage_options opts{.heartbeat_interval = 0.05s, .grace_period = 0.3s, .max_retries = 1};
  const auto [sid, dead_id] =
      tk::testing::abandon_running_trial([&] { return tk::sqlite_storage(path, opts); }, 0.5s);
  CHECK(raw_strings(path, "SELECT COUNT(*) FROM trial_heartbeats") == std::vector<std::string>{"1"});
  tk::sqlite_storage next(path, opts);
  CHECK(next.trial(dead_id).state == tk::trial_state::running);
  std::this_thread::sleep_for(0.5s);
  auto popped = next.pop_waiting_trial(sid);  // fails the stale trial and queues its retry...
  REQUIRE(popped);                            // ...which it then pops
  const auto dead = next.trial(dead_id);
  CHECK(dead.state == tk::trial_state::fail);
  CHECK_THAT(dead.fail_reason, Contains("heartbeat expired"));
  CHECK(popped->params.at("x") == 0.25);
  CHECK(popped->system_attrs.at("failed_trial") == dead.number);
  CHECK(popped->system_attrs.at("retry_history") == nlohmann::json::array({dead.number}));
  CHECK(popped->system_attrs.at("fixed_params") == nlohmann::json{{"x", 0.25}});
}

TEST_CASE("sqlite_storage: a study deleted while a worker runs stops the worker cleanly", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "del.db";
  tk::sqlite_storage admin(path);
  const auto sid = admin.create_study("doomed", minimize_one);
  std::atomic<int> started{0};
  std::string error;
  std::jthread worker([&] {
    tk::tuner tuner{tk::random_sampler{{.seed = 3}}, tk::sqlite_storage(path), tk::study_config{.name = "doomed"}};
    try {
      tuner.optimize(
          [&](tk::trial& t) {
            ++started;
            std::this_thread::sleep_for(5ms);
            return t.suggest_float("x", 0, 1);
          },
          {.n_trials = 100000, .timeout = std::chrono::seconds(30)});
    } catch (const tk::error& e) {
      error = e.what();
    }
  });
  while (started < 5) std::this_thread::sleep_for(1ms);
  admin.delete_study(sid);
  worker.join();
  CHECK_THAT(error, Contains("does not exist"));
  CHECK_FALSE(admin.find_study("doomed"));
  CHECK(raw_strings(path, "SELECT COUNT(*) FROM trials") == std::vector<std::string>{"0"});
  CHECK(raw_strings(path, "SELECT COUNT(*) FROM trial_params") == std::vector<std::string>{"0"});
  REQUIRE_INVALID(admin.study_name(sid), Contains("does not exist"));
}

TEST_CASE("sqlite_storage: sqlite URLs and their options", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  auto s = tk::open_storage("sqlite://" + (dir.path() / "u.db").string() +
                            "?synchronous=full&heartbeat=0.5&grace=2&retries=1&busy_timeout=500");
  REQUIRE(s.get_if<tk::sqlite_storage>());
  const auto sid = s.create_study("u", minimize_one);
  s.create_trial(sid, {});
  CHECK(tk::open_storage("sqlite:" + (dir.path() / "u.db").string()).study_names() == std::vector<std::string>{"u"});
  REQUIRE_INVALID(tk::open_storage("sqlite://"), Contains("no file path"));
  REQUIRE_INVALID(tk::open_storage("sqlite:///tmp/x.db?speed=11"), Contains("'speed'"));
  REQUIRE_INVALID(tk::open_storage("sqlite:///tmp/x.db?synchronous=sometimes"), Contains("normal, full"));
}

TEST_CASE("sqlite_storage: random operation sequences match memory_storage after a reopen", "[storage][sqlite]") {
  tk::testing::temp_dir dir;
  tk::testing::check_random_ops_match_memory(
      [&](std::uint64_t seed) {
        // Every 8th case durable (the default); the rest skip the WAL flushes to keep this check fast.
        return tk::sqlite_storage(dir.path() / ("prop" + std::to_string(seed) + ".db"),
                                  {.durability = seed % 8 == 0 ? tk::durability::trials : tk::durability::none});
      });
}
