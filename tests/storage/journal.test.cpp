#include <tunekit/storage/journal.hpp>
#include <tunekit/storage/memory.hpp>
#include <tunekit/tuner.hpp>
#include <tunekit/samplers/random.hpp>

#include <catch2/catch.hpp>

#include "support/require_invalid.hpp"
#include "support/storage_checks.hpp"
#include "support/temp_dir.hpp"

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace tk = tunekit;
namespace fs = std::filesystem;
using tk::testing::describe_all;
using tk::testing::describe_trial;
using tk::testing::fill;
using Catch::Contains;

using tk::testing::minimize_one;
using tk::testing::maximize_one;

namespace {


std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

TEST_CASE("journal_storage satisfies the storage concept", "[storage][journal]") {
  STATIC_REQUIRE(tk::storage<tk::journal_storage>);
}

TEST_CASE("journal_storage: a study reads back identically from a fresh handle", "[storage][journal]") {
  tk::testing::temp_dir dir;
  tk::testing::check_study_round_trips([&] { return tk::journal_storage(dir.path() / "study.log"); });
}

TEST_CASE("journal_storage: two handles see each other's records", "[storage][journal]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "shared.log";
  tk::journal_storage a(path), b(path);
  const auto [t, u] = tk::testing::check_two_handles_share(a, b);
  CHECK(u.id == 1);
}

namespace {

/// Cuts the journal of a small study at the given bytes (every byte when
/// `cuts` is empty) and checks each cut loads exactly the complete records.
void check_cuts(std::size_t n_random_cuts) {
  tk::testing::temp_dir dir;
  const auto full_path = dir.path() / "full.log";
  {
    tk::journal_storage s(full_path);
    fill(s, s.create_study("cut", minimize_one), 3);
  }
  const std::string full = slurp(full_path);
  // Expected state after each prefix of whole lines, from files of whole lines.
  std::vector<std::size_t> line_ends;
  for (std::size_t i = 0; i < full.size(); ++i)
    if (full[i] == '\n') line_ends.push_back(i + 1);
  std::map<std::size_t, std::vector<std::string>> expected;  // by number of whole lines
  for (std::size_t k = 0; k <= line_ends.size(); ++k) {
    const auto p = dir.path() / ("lines" + std::to_string(k) + ".log");
    spit(p, full.substr(0, k ? line_ends[k - 1] : 0));
    tk::journal_storage s(p);
    auto sid = s.find_study("cut");
    expected[k] = sid ? describe_all(s.trials(*sid)) : std::vector<std::string>{"no study"};
  }
  const auto cut_path = dir.path() / "cut.log";
  std::vector<std::size_t> cuts;
  if (n_random_cuts == 0) {
    for (std::size_t cut = 0; cut <= full.size(); ++cut) cuts.push_back(cut);
  } else {
    tk::random_engine rng(7);
    for (std::size_t k = 0; k < n_random_cuts; ++k) cuts.push_back(rng.below(full.size() + 1));
    for (auto end : line_ends)  // around every line end, where the rules change
      for (std::size_t d : {0, 1, 2}) cuts.push_back(end - std::min(end, d));
  }
  for (const std::size_t cut : cuts) {
    INFO("cut at byte " << cut << " of " << full.size());
    spit(cut_path, full.substr(0, cut));
    std::size_t whole = 0;
    while (whole < line_ends.size() && line_ends[whole] <= cut) ++whole;
    // A cut right before a '\n' leaves a complete record, which is read as Optuna reads it.
    const bool record_complete = whole < line_ends.size() && cut + 1 == line_ends[whole];
    tk::journal_storage s(cut_path);
    auto sid = s.find_study("cut");
    const auto got = sid ? describe_all(s.trials(*sid)) : std::vector<std::string>{"no study"};
    REQUIRE(got == expected[record_complete ? whole + 1 : whole]);
    if (sid && cut % 7 == 0) {
      // The next writer drops the torn tail; the file stays readable.
      s.create_trial(*sid, {});
      tk::journal_storage fresh(cut_path);
      CHECK(fresh.trials(*sid).size() == got.size() + 1);
    }
  }
}

}  // namespace

TEST_CASE("journal_storage: a journal cut at a random byte loads every complete record before the cut",
          "[storage][journal]") {
  check_cuts(150);
}

TEST_CASE("journal_storage: a journal cut at every byte loads every complete record before the cut",
          "[storage][journal][.slow]") {
  check_cuts(0);
}

TEST_CASE("journal_storage: bad input is refused with a clear error and the file left untouched",
          "[storage][journal]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "j.log";
  {
    tk::journal_storage s(path);
    fill(s, s.create_study("ok", minimize_one), 2);
  }
  const std::string good = slurp(path);

  SECTION("a corrupted record in the middle names its line") {
    std::string bad = good;
    const auto second = bad.find('\n') + 1;
    bad.insert(second, "#garbage#");
    spit(path, bad);
    REQUIRE_THROWS_AS(tk::journal_storage(path), tk::storage_error);
    REQUIRE_THROWS_WITH(tk::journal_storage(path), Contains("line 2") && Contains("corrupted"));
    CHECK(slurp(path) == bad);
  }
  SECTION("an unknown op code") {
    spit(path, good + "{\"op_code\": 42, \"worker_id\": \"w\"}\n" + good.substr(0, good.find('\n') + 1));
    REQUIRE_THROWS_WITH(tk::journal_storage(path), Contains("unknown op code 42"));
  }
  SECTION("a newer tunekit format") {
    spit(path, "{\"op_code\": 0, \"worker_id\": \"w\", \"study_name\": \"n\", \"directions\": [1], \"tunekit_format\": 99}\n");
    REQUIRE_THROWS_WITH(tk::journal_storage(path), Contains("newer"));
  }
  SECTION("a file that is not a journal") {
    spit(path, "name,value\na,1\n");
    REQUIRE_THROWS_WITH(tk::journal_storage(path), Contains("line 1") && Contains("JournalFileStorage"));
    spit(path, "just some text without a newline");
    REQUIRE_THROWS_WITH(tk::journal_storage(path), Contains("not a journal record"));
    CHECK(slurp(path) == "just some text without a newline");
    spit(path, std::string("\x89PNG\r\n\x1a\n\0\0", 10));
    REQUIRE_THROWS_AS(tk::journal_storage(path), tk::storage_error);
  }
  SECTION("a record with a missing field") {
    spit(path, "{\"op_code\": 4, \"worker_id\": \"w\"}\n{\"op_code\": 1, \"worker_id\": \"w\", \"study_id\": 0}\n");
    REQUIRE_THROWS_WITH(tk::journal_storage(path), Contains("line 1") && Contains("'study_id'"));
  }
  SECTION("a date outside what the clock holds (found by the fuzzer)") {
    spit(path, good.substr(0, good.find('\n') + 1) +
                   "{\"op_code\": 4, \"worker_id\": \"w\", \"study_id\": 0, \"datetime_start\": \"9999-12-31T00:00:00\"}\n");
    REQUIRE_THROWS_WITH(tk::journal_storage(path), Contains("line 2") && Contains("ISO date"));
  }
  SECTION("a study name that does not exist lists the existing ones") {
    tk::journal_storage s(path);
    REQUIRE_INVALID(s.study_by_name("nope"), Contains("'nope'") && Contains("'ok'"));
  }
  SECTION("a missing or unwritable directory fails before any trial runs") {
    REQUIRE_THROWS_WITH(tk::journal_storage(dir.path() / "no" / "such" / "dir.log"), Contains("does not exist"));
    REQUIRE_THROWS_AS(tk::journal_storage("/proc/tunekit-study.log"), tk::storage_error);
    REQUIRE_THROWS_AS(tk::journal_storage(dir.path()), tk::storage_error);  // a directory, not a file
  }
}

TEST_CASE("journal_storage: names and attributes with quotes, newlines and unicode round-trip exactly",
          "[storage][journal]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "text.log";
  const std::vector<std::string> nasty = {
      "quote \" and backslash \\", "new\nline\r\ttab", "unicode: héllo ✓ 𝄞 日本", "{\"json\": [1, 2]}",
      std::string("nul\0byte", 8), "\x01\x1f control", "</script><b>", "'; DROP TABLE studies; --"};
  {
    tk::journal_storage s(path);
    tk::testing::write_hostile_names(s, nasty);
    REQUIRE_INVALID(s.create_study("bad \xff utf8", minimize_one), Contains("UTF-8"));
  }
  tk::journal_storage s(path);
  CHECK(s.study_names() == nasty);
  tk::testing::check_hostile_names(s, nasty);
}

TEST_CASE("journal_storage: a changed search space is reported clearly", "[storage][journal]") {
  tk::testing::temp_dir dir;
  tk::journal_storage s(dir.path() / "space.log");
  tk::testing::check_changed_search_space(s);
}

TEST_CASE("journal_storage: concurrent claims have exactly one winner", "[storage][journal]") {
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "claims.log";
  tk::journal_storage a(path), b(path);
  tk::testing::check_claims_have_one_winner(a, b);
}

TEST_CASE("journal_storage: an interrupted study resumes where it stopped", "[storage][journal]") {
  tk::testing::temp_dir dir;
  const auto open = [path = dir.path() / "resume.log"] { return tk::journal_storage(path); };
  tk::testing::check_interrupted_study_resumes(open, open, "resume");
}

TEST_CASE("journal_storage: an expired heartbeat fails the trial and retries it with the same parameters",
          "[storage][journal]") {
  using namespace std::chrono_literals;
  tk::testing::temp_dir dir;
  const auto path = dir.path() / "beat.log";
  const tk::journal_storage_options opts{.heartbeat_interval = 0.05s, .grace_period = 0.3s, .max_retries = 1};
  const auto [sid, dead_id] =
      tk::testing::abandon_running_trial([&] { return tk::journal_storage(path, opts); }, 0.2s);
  tk::journal_storage next(path, opts);
  CHECK(next.trial(dead_id).state == tk::trial_state::running);
  std::this_thread::sleep_for(0.4s);
  auto popped = next.pop_waiting_trial(sid);  // fails the stale trial and queues its retry
  CHECK_FALSE(popped);
  const auto dead = next.trial(dead_id);
  CHECK(dead.state == tk::trial_state::fail);
  CHECK_THAT(dead.fail_reason, Contains("heartbeat expired"));
  popped = next.pop_waiting_trial(sid);
  REQUIRE(popped);
  CHECK(popped->params.at("x") == 0.25);
  CHECK(popped->system_attrs.at("failed_trial") == dead.number);
  CHECK(popped->system_attrs.at("retry_history") == nlohmann::json::array({dead.number}));
  REQUIRE_INVALID(tk::journal_storage(path, {.max_retries = 2}), Contains("heartbeat_interval"));
}

TEST_CASE("journal_storage: random operation sequences match memory_storage after a reopen",
          "[storage][journal]") {
  tk::testing::temp_dir dir;
  tk::testing::check_random_ops_match_memory(
      [&](std::uint64_t seed) {
        // Every 8th case durable (the default); the rest skip the flushes, which
        // the durability tests cover, to keep this check fast.
        return tk::journal_storage(dir.path() / ("prop" + std::to_string(seed) + ".log"),
                                   {.durability = seed % 8 == 0 ? tk::durability::trials : tk::durability::none});
      });
}

TEST_CASE("journal_storage: each durability level flushes what it promises, and threads share flushes",
          "[storage][journal][durability]") {
  tk::testing::temp_dir dir;
  const auto level = GENERATE(tk::durability::none, tk::durability::trials, tk::durability::full);
  const auto path = dir.path() / "flush.log";
  tk::journal_storage s(path, {.durability = level});
  const auto sid = s.create_study("flush", minimize_one);
  const tk::distribution d = tk::float_distribution(0, 1);
  // One trial: create, 3 parameters, 2 reports, finish = 7 writes with the study.
  const auto before = s.flushes();
  const auto t = s.create_trial(sid, tk::frozen_trial{});
  for (const char* name : {"a", "b", "c"}) s.set_param(t.id, name, 0.5, d);
  s.set_intermediate_value(t.id, 0, 1.0);
  s.set_intermediate_value(t.id, 1, 0.5);
  const auto before_finish = s.flushes();
  s.finish_trial(t.id, tk::trial_state::complete, std::array{0.25}, {}, "");
  const auto flushes = s.flushes() - before;
  switch (level) {
    case tk::durability::none: CHECK(flushes == 0); break;
    case tk::durability::trials:
      CHECK(flushes == 2);                         // the trial's creation and its finish
      CHECK(s.flushes() - before_finish == 1);     // the details wait for the finish
      break;
    case tk::durability::full: CHECK(flushes == 7); break;
  }
  // Threads: 4 x 25 trials, each flushed at least at creation and finish
  // (group commit may serve several writers with one flush, never fewer writes).
  const auto threaded_before = s.flushes();
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        const auto r = s.create_trial(sid, tk::frozen_trial{});
        s.finish_trial(r.id, tk::trial_state::complete, std::array{1.0}, {}, "");
      }
    });
  for (auto& th : threads) th.join();
  const auto threaded = s.flushes() - threaded_before;
  if (level == tk::durability::none) CHECK(threaded == 0);
  else CHECK((threaded >= 1 && threaded <= 200));
  CHECK((level == tk::durability::none) != fs::exists(path.string() + ".tunekit-sync"));
  CHECK(tk::journal_storage(path).trials(sid).size() == 101);
}
