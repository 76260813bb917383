#pragma once

// What storage tests share: a trial's content as comparable text, a study
// filled with trials in every state and every kind of value, and the checks
// every persistent storage (journal, SQLite, PostgreSQL) must pass. A check
// takes the storages it needs, or a factory `open()` / `open(seed)` that
// returns a fresh handle on the same store each time it is called.

#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <tunekit/core/concepts.hpp>
#include <tunekit/core/frozen_trial.hpp>
#include <tunekit/core/random.hpp>
#include <tunekit/detail/format.hpp>
#include <tunekit/samplers/random.hpp>
#include <tunekit/storage/memory.hpp>
#include <tunekit/tuner.hpp>

#include "support/require_invalid.hpp"

namespace tunekit::testing {

/// A trial's content as text, for comparing what two storages hold.
inline std::string describe_trial(const frozen_trial& t) {
  std::string s = std::to_string(t.number) + " " + std::string(to_string(t.state)) + " v=";
  for (double v : t.values) s += tunekit::detail::format_number(v) + ",";
  s += " p=";
  for (const auto& [k, v] : t.params) s += k + ":" + tunekit::detail::format_number(v) + ":" + describe(t.distributions.find(k)->second) + ";";
  s += " iv=";
  for (const auto& [k, v] : t.intermediate_values) s += std::to_string(k) + ":" + tunekit::detail::format_number(v) + ";";
  s += " ua=";
  for (const auto& [k, v] : t.user_attrs) s += k + ":" + v.dump() + ";";
  s += " reason=" + t.fail_reason;
  return s;
}

inline std::vector<std::string> describe_all(const std::vector<frozen_trial>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts) out.push_back(describe_trial(t));
  return out;
}

/// Fills a study with trials in every state and with every kind of value.
template <class Storage>
void fill(Storage& s, study_id sid, int n) {
  for (int i = 0; i < n; ++i) {
    frozen_trial r;
    auto t = s.create_trial(sid, r);
    s.set_param(t.id, "x", 0.25 * i, float_distribution(-10, 10));
    s.set_param(t.id, "lr", 1e-3, float_distribution(1e-5, 1e-1, {.log = true}));
    s.set_param(t.id, "n", 3, int_distribution(1, 9, {.step = 2}));
    s.set_param(t.id, "act", 1, categorical_distribution({"relu", "tanh", 2.5, std::int64_t{7}, true}));
    s.set_intermediate_value(t.id, 0, 1.5);
    s.set_intermediate_value(t.id, 1, std::numeric_limits<double>::infinity());
    s.set_user_attr(t.id, "note", "trial " + std::to_string(i));
    const double v[] = {0.5 * i};
    if (i % 3 == 0) s.finish_trial(t.id, trial_state::complete, v, {.wall_seconds = 0.5}, "");
    else if (i % 3 == 1) s.finish_trial(t.id, trial_state::pruned, v, {}, "");
    else s.finish_trial(t.id, trial_state::fail, {}, {}, "objective threw: boom");
  }
}

inline constexpr std::array<direction, 1> minimize_one{direction::minimize};
inline constexpr std::array<direction, 1> maximize_one{direction::maximize};

/// `fill`s study "s" with 7 trials through one handle and checks a fresh
/// handle reads back every trial exactly.
template <class Open>
void check_study_round_trips(Open open) {
  std::vector<std::string> before;
  {
    auto s = open();
    const auto sid = s.create_study("s", minimize_one);
    fill(s, sid, 7);
    s.set_study_user_attr(sid, "dataset", "mnist");
    before = describe_all(s.trials(sid));
  }
  auto again = open();
  const auto sid = again.find_study("s");
  REQUIRE(sid);
  CHECK(describe_all(again.trials(*sid)) == before);
  CHECK(again.study_user_attrs(*sid).at("dataset") == "mnist");
  CHECK(again.view(*sid).finished().size() == 7);
  const auto t = again.trials(*sid);
  CHECK(t[2].fail_reason == "objective threw: boom");
  CHECK(t[0].resources.wall_seconds == 0.5);
  CHECK(std::isinf(t[0].intermediate_values.at(1)));
  CHECK(t[0].template param<std::string>("act") == "tanh");
  CHECK(t[0].datetime_start.has_value());
  CHECK(t[0].datetime_complete.has_value());
}

/// Two handles on one store see each other's writes; returns the trials
/// {finished through b, created through a} for store-specific checks.
template <class Storage>
std::pair<frozen_trial, frozen_trial> check_two_handles_share(Storage& a, Storage& b) {
  const auto sid = a.create_study("shared", minimize_one);
  REQUIRE(b.find_study("shared") == sid);
  auto t = b.create_trial(sid, {});
  CHECK(a.view(sid).running().size() == 1);
  const double v[] = {1.0};
  b.finish_trial(t.id, trial_state::complete, v, {}, "");
  CHECK(a.view(sid).finished().size() == 1);
  auto u = a.create_trial(sid, {});
  CHECK(u.number == 1);
  CHECK_THROWS_AS(a.create_study("shared", minimize_one), invalid_argument);
  CHECK_THROWS_AS(b.finish_trial(t.id, trial_state::complete, v, {}, ""), state_error);
  return {t, u};
}

/// Writes one study per name (named name + suffix) whose attributes,
/// parameter and category are that name; returns the studies' ids.
template <class Storage>
std::vector<study_id> write_hostile_names(Storage& s, const std::vector<std::string>& names,
                                          const std::string& suffix = "") {
  std::vector<study_id> ids;
  for (const auto& name : names) {
    const auto sid = s.create_study(name + suffix, minimize_one);
    ids.push_back(sid);
    s.set_study_user_attr(sid, name, name);
    auto t = s.create_trial(sid, {});
    s.set_param(t.id, name, 0, categorical_distribution({name, "other"}));
    s.set_user_attr(t.id, name, nlohmann::json{{name, {name, 1.5, nullptr}}});
    // A storage that coalesces a running trial's writes (postgres_storage)
    // writes them now, for the other handle that reads them back.
    if constexpr (requires { s.flush(t.id); }) s.flush(t.id);
  }
  return ids;
}

/// Checks what `write_hostile_names` wrote reads back exactly; returns the
/// ids found by name.
template <class Storage>
std::vector<study_id> check_hostile_names(Storage& s, const std::vector<std::string>& names,
                                          const std::string& suffix = "") {
  std::vector<study_id> ids;
  for (const auto& name : names) {
    const auto sid = s.study_by_name(name + suffix);
    ids.push_back(sid);
    CHECK(s.study_name(sid) == name + suffix);
    CHECK(s.study_user_attrs(sid).at(name) == name);
    const auto t = s.trials(sid).at(0);
    CHECK(t.template param<std::string>(name) == name);
    CHECK(t.user_attrs.at(name) == nlohmann::json{{name, {name, 1.5, nullptr}}});
  }
  return ids;
}

/// A distribution that is no longer compatible is refused naming the
/// parameter and the trial that set it first; a wider range is accepted.
template <class Storage>
void check_changed_search_space(Storage& s) {
  const auto sid = s.create_study("space", minimize_one);
  auto a = s.create_trial(sid, {});
  s.set_param(a.id, "lr", 0.01, float_distribution(1e-4, 1, {.log = true}));
  auto b = s.create_trial(sid, {});
  s.set_param(b.id, "lr", 0.5, float_distribution(1e-5, 2, {.log = true}));  // wider range: compatible, as in Optuna
  REQUIRE_INVALID(s.set_param(b.id, "lr", 1, categorical_distribution({"a", "b"})),
                  Catch::Contains("'lr'") && Catch::Contains("search space changed") && Catch::Contains("trial 0"));
}

/// Eight threads on two handles claim 20 keys: each key has one winner, and
/// the winner's claim holds again.
template <class Storage>
void check_claims_have_one_winner(Storage& a, Storage& b) {
  const auto sid = a.create_study("c", minimize_one);
  std::atomic<int> wins{0};
  std::vector<std::jthread> threads;
  for (int k = 0; k < 8; ++k)
    threads.emplace_back([&, k] {
      Storage& s = k % 2 ? a : b;
      for (int key = 0; key < 20; ++key)
        if (s.claim(sid, "grid:" + std::to_string(key), k)) ++wins;
    });
  threads.clear();
  CHECK(wins == 20);
  CHECK(a.claim(sid, "grid:0", a.study_system_attrs(sid).at("tunekit:claim:grid:0").template get<std::int64_t>()));
}

/// A tuner on `open_first()` runs 5 trials of study `name`, a second tuner on
/// `open_second()` resumes it: 10 trials numbered densely.
template <class OpenFirst, class OpenSecond>
void check_interrupted_study_resumes(OpenFirst open_first, OpenSecond open_second, const std::string& name) {
  auto objective = [](trial& t) {
    const double x = t.suggest_float("x", -5, 5);
    for (int step = 0; step < 3; ++step) t.report(step, x * step);
    return x * x;
  };
  {
    tuner first{random_sampler{{.seed = 1}}, open_first(), study_config{.name = name}};
    first.optimize(objective, {.n_trials = 5});
  }
  tuner second{random_sampler{{.seed = 2}}, open_second(), study_config{.name = name}};
  CHECK(second.trials().size() == 5);
  second.optimize(objective, {.n_trials = 5});
  const auto all = second.trials();
  REQUIRE(all.size() == 10);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].number == static_cast<std::int64_t>(i));
  CHECK(second.best_value() >= 0);
}

/// A worker on `open()` creates study "beat" and a trial with x = 0.25,
/// lives `alive` (its heartbeats keep the trial from being failed by another
/// handle), then "dies": its heartbeats stop and the trial stays RUNNING.
/// Returns the study and the abandoned trial's id.
template <class Open, class Rep, class Period>
std::pair<study_id, std::int64_t> abandon_running_trial(Open open, std::chrono::duration<Rep, Period> alive) {
  auto worker = open();
  const auto sid = worker.create_study("beat", minimize_one);
  auto t = worker.create_trial(sid, {});
  worker.set_param(t.id, "x", 0.25, float_distribution(0, 1));
  std::this_thread::sleep_for(alive);  // beats keep it alive
  auto other = open();
  CHECK(other.fail_stale_trials(sid) == 0);
  return {sid, t.id};
}

/// For 20 seeds: 60 random operations (create, set_param, report, user
/// attribute, complete or prune) applied to `open(seed)` and to a
/// memory_storage leave the same trials, every 10 operations and after a reopen.
template <class Open>
void check_random_ops_match_memory(Open open) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    random_engine rng(seed);
    memory_storage mem;
    std::vector<std::string> expected;
    {
      auto db = open(seed);
      const auto ms = mem.create_study("p", minimize_one);
      const auto ds = db.create_study("p", minimize_one);
      std::vector<std::pair<std::int64_t, std::int64_t>> running;  // (memory id, storage id)
      for (int op = 0; op < 60; ++op) {
        const auto pick = rng.below(6);
        if (pick == 0 || running.empty()) {
          running.emplace_back(mem.create_trial(ms, {}).id, db.create_trial(ds, {}).id);
          continue;
        }
        const auto k = rng.below(running.size());
        const auto [mi, di] = running[k];
        const double value = rng.uniform() * 100 - 50;
        if (pick == 1) {
          const distribution d = float_distribution(-50, 50);
          static const std::string names[] = {"p0", "p1", "p2"};
          const std::string& name = names[rng.below(3)];
          mem.set_param(mi, name, value, d);
          db.set_param(di, name, value, d);
        } else if (pick == 2) {
          const auto step = static_cast<std::int64_t>(rng.below(5));
          mem.set_intermediate_value(mi, step, value);
          db.set_intermediate_value(di, step, value);
        } else if (pick == 3) {
          mem.set_user_attr(mi, "a", value);
          db.set_user_attr(di, "a", value);
        } else {
          const double v[] = {value};
          const auto state = pick == 4 ? trial_state::complete : trial_state::pruned;
          mem.finish_trial(mi, state, v, {}, "");
          db.finish_trial(di, state, v, {}, "");
          running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
        }
        if (op % 10 == 0) {
          CHECK(describe_all(db.trials(ds)) == describe_all(mem.trials(ms)));
          CHECK(db.view(ds).finished().size() == mem.view(ms).finished().size());
        }
      }
      expected = describe_all(mem.trials(ms));
    }
    auto reopened = open(seed);
    CHECK(describe_all(reopened.trials(reopened.study_by_name("p"))) == expected);
  }
}

}  // namespace tunekit::testing
