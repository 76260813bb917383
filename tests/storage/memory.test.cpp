#include <tunekit/storage/memory.hpp>

#include <catch2/catch.hpp>

#include "support/require_invalid.hpp"
#include "support/storage_checks.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tk = tunekit;
using Catch::Contains;

using tk::testing::minimize_one;
using tk::testing::maximize_one;

namespace {


tk::frozen_trial running_record() {
  tk::frozen_trial r;
  r.state = tk::trial_state::running;
  return r;
}

tk::frozen_trial waiting_record(double x) {
  tk::frozen_trial r;
  r.state = tk::trial_state::waiting;
  r.system_attrs["fixed_params"] = {{"x", x}};
  return r;
}

tk::frozen_trial complete(tk::memory_storage& s, std::int64_t id, double value) {
  const double v[] = {value};
  return s.finish_trial(id, tk::trial_state::complete, v, {}, "");
}

}  // namespace

TEST_CASE("memory_storage satisfies the storage concept and is a handle", "[storage][memory][concepts]") {
  STATIC_REQUIRE(tk::storage<tk::memory_storage>);
  tk::memory_storage a;
  const tk::memory_storage b = a;  // a copy refers to the same studies
  const auto sid = a.create_study("shared", minimize_one);
  CHECK(b.find_study("shared") == sid);
  a.create_trial(sid, running_record());
  CHECK(b.trials(sid).size() == 1);
  tk::memory_storage other;  // a new storage is a new, empty one
  CHECK_FALSE(other.find_study("shared").has_value());
}

TEST_CASE("studies: create, find, names, directions, duplicates, delete", "[storage][memory]") {
  tk::memory_storage s;
  const std::array<tk::direction, 2> two{tk::direction::maximize, tk::direction::minimize};
  const auto a = s.create_study("alpha", minimize_one);
  const auto b = s.create_study("beta", two);
  CHECK(a != b);
  CHECK(s.find_study("alpha") == a);
  CHECK(s.find_study("beta") == b);
  CHECK_FALSE(s.find_study("gamma").has_value());
  CHECK_FALSE(s.find_study("").has_value());
  CHECK(s.study_name(b) == "beta");
  CHECK(s.study_directions(b) == std::vector<tk::direction>(two.begin(), two.end()));
  CHECK(s.study_names() == std::vector<std::string>{"alpha", "beta"});

  REQUIRE_INVALID(s.create_study("alpha", minimize_one), Contains("'alpha'") && Contains("already exists"));
  REQUIRE_INVALID(s.create_study("empty", std::span<const tk::direction>{}), Contains("at least one direction"));

  // Trials of a deleted study are gone with it; the name is free again.
  const auto t = s.create_trial(a, running_record());
  s.delete_study(a);
  CHECK_FALSE(s.find_study("alpha").has_value());
  CHECK(s.study_names() == std::vector<std::string>{"beta"});
  REQUIRE_INVALID(s.study_name(a), Contains("unknown study id"));
  REQUIRE_INVALID(s.view(a), Contains("unknown study id"));
  REQUIRE_INVALID(s.trial(t.id), Contains("unknown"));
  REQUIRE_INVALID(s.delete_study(a), Contains("unknown study id"));
  const auto again = s.create_study("alpha", minimize_one);
  CHECK(again != a);  // ids are not reused
  CHECK(s.trials(again).empty());
  CHECK(s.find_study("alpha") == again);
  CHECK(s.trials(b).empty());
}

TEST_CASE("trials: numbers per study, ids per storage, records as stored", "[storage][memory]") {
  tk::memory_storage s;
  const auto a = s.create_study("a", minimize_one);
  const auto b = s.create_study("b", minimize_one);
  std::set<std::int64_t> ids;
  for (int k = 0; k < 5; ++k) {
    const auto ta = s.create_trial(a, running_record());
    const auto tb = s.create_trial(b, running_record());
    CHECK(ta.number == k);
    CHECK(tb.number == k);
    CHECK(ta.state == tk::trial_state::running);
    CHECK(ta.datetime_start.has_value());
    CHECK_FALSE(ta.datetime_complete.has_value());
    ids.insert(ta.id);
    ids.insert(tb.id);
  }
  CHECK(ids.size() == 10);

  // What the caller puts in the record is kept; number and id are the storage's.
  tk::frozen_trial r = running_record();
  r.number = 77;
  r.id = 77;
  r.user_attrs["origin"] = "test";
  const auto stored = s.create_trial(a, r);
  CHECK(stored.number == 5);
  CHECK(stored.id != 77);
  CHECK(s.trial(stored.id).user_attrs.at("origin") == "test");

  const tk::distribution d = tk::float_distribution(0, 1);
  s.set_param(stored.id, "x", 0.25, d);
  s.set_intermediate_value(stored.id, 3, 1.5);
  s.set_user_attr(stored.id, "k", {1, 2, 3});
  const tk::resource_usage usage{.wall_seconds = 1.5, .cpu_seconds = 1.0, .peak_memory_growth_bytes = 4096};
  const double values[] = {0.75};
  const auto done = s.finish_trial(stored.id, tk::trial_state::complete, values, usage, "");
  CHECK(done.state == tk::trial_state::complete);
  CHECK(done.values == std::vector<double>{0.75});
  CHECK(done.params.at("x") == 0.25);
  CHECK(done.distributions.at("x") == d);
  CHECK(done.intermediate_values.at(3) == 1.5);
  CHECK(done.user_attrs.at("k") == nlohmann::json({1, 2, 3}));
  CHECK(done.resources == usage);
  CHECK(done.datetime_complete.has_value());
  CHECK(*done.datetime_complete >= *done.datetime_start);
  CHECK(s.trial(stored.id).values == done.values);
  const auto all = s.trials(a);
  REQUIRE(all.size() == 6);
  for (std::size_t k = 0; k < all.size(); ++k) CHECK(all[k].number == static_cast<std::int64_t>(k));

  REQUIRE_INVALID(s.create_trial(a, [] {
    tk::frozen_trial c;
    c.state = tk::trial_state::complete;
    return c;
  }()),
                  Contains("RUNNING or WAITING") && Contains("COMPLETE"));
}

TEST_CASE("trial numbers stay dense and unique under 8 threads", "[storage][memory][threads]") {
  tk::memory_storage s;
  const auto a = s.create_study("a", minimize_one);
  const auto b = s.create_study("b", minimize_one);
  constexpr int threads = 8, per_thread = 400;
  struct made_trial {
    tk::study_id study;
    std::int64_t number, id;
  };
  std::vector<std::vector<made_trial>> made(threads);
  std::atomic<int> ready{0};
  {
    std::vector<std::jthread> pool;
    for (int w = 0; w < threads; ++w)
      pool.emplace_back([&, w] {
        ++ready;
        while (ready < threads) std::this_thread::yield();  // start together
        for (int k = 0; k < per_thread; ++k) {
          const auto sid = (w + k) % 2 ? a : b;
          const auto t = s.create_trial(sid, running_record());
          s.set_param(t.id, "w", w, tk::float_distribution(0, threads));
          if (k % 3 == 0) complete(s, t.id, k);
          made[static_cast<std::size_t>(w)].push_back({sid, t.number, t.id});
        }
      });
  }
  std::map<tk::study_id, std::vector<std::int64_t>> numbers;
  std::set<std::int64_t> ids;
  for (const auto& list : made)
    for (const auto& t : list) {
      numbers[t.study].push_back(t.number);
      ids.insert(t.id);
      REQUIRE(s.trial(t.id).number == t.number);
    }
  CHECK(ids.size() == threads * per_thread);
  for (auto sid : {a, b}) {
    auto& n = numbers[sid];
    std::sort(n.begin(), n.end());
    REQUIRE(n.size() == threads * per_thread / 2);
    for (std::size_t k = 0; k < n.size(); ++k) REQUIRE(n[k] == static_cast<std::int64_t>(k));
    const auto stored = s.trials(sid);
    REQUIRE(stored.size() == n.size());
    for (std::size_t k = 0; k < stored.size(); ++k) CHECK(stored[k].number == static_cast<std::int64_t>(k));
  }
  // Every trial kept its own parameter, and finished ones their value.
  for (std::size_t w = 0; w < made.size(); ++w)
    for (const auto& t : made[w]) REQUIRE(s.trial(t.id).params.at("w") == static_cast<double>(w));
  CHECK(s.view(a).finished().size() + s.view(b).finished().size() == threads * ((per_thread + 2) / 3));
}

TEST_CASE("only RUNNING trials can be written to", "[storage][memory][errors]") {
  tk::memory_storage s;
  const auto sid = s.create_study("s", minimize_one);
  const auto t = s.create_trial(sid, running_record());
  const tk::distribution d = tk::float_distribution(0, 1);
  complete(s, t.id, 1.0);
  SECTION("set_* on a finished trial") {
    REQUIRE_THROWS_AS(s.set_param(t.id, "x", 0.5, d), tk::state_error);
    REQUIRE_THROWS_WITH(s.set_param(t.id, "x", 0.5, d),
                        Contains("[tunekit.state_error]") && Contains("set_param") && Contains("COMPLETE") &&
                            Contains("not RUNNING"));
    REQUIRE_THROWS_AS(s.set_intermediate_value(t.id, 0, 1.0), tk::state_error);
    REQUIRE_THROWS_AS(s.set_user_attr(t.id, "k", 1), tk::state_error);
    // Nothing changed.
    const auto stored = s.trial(t.id);
    CHECK(stored.params.empty());
    CHECK(stored.intermediate_values.empty());
    CHECK(stored.user_attrs.empty());
  }
  SECTION("finishing twice") {
    const double v[] = {2.0};
    REQUIRE_THROWS_AS(s.finish_trial(t.id, tk::trial_state::fail, v, {}, "again"), tk::state_error);
    REQUIRE_THROWS_AS(s.finish_trial(t.id, tk::trial_state::complete, v, {}, ""), tk::state_error);
    CHECK(s.trial(t.id).values == std::vector<double>{1.0});
    CHECK(s.trial(t.id).state == tk::trial_state::complete);
    CHECK(s.view(sid).finished().size() == 1);  // logged once
  }
  SECTION("writing to a WAITING trial") {
    const auto w = s.create_trial(sid, waiting_record(0.5));
    CHECK_FALSE(w.datetime_start.has_value());
    REQUIRE_THROWS_WITH(s.set_param(w.id, "x", 0.5, d), Contains("WAITING"));
    REQUIRE_THROWS_AS(s.finish_trial(w.id, tk::trial_state::complete, {}, {}, ""), tk::state_error);
  }
  SECTION("a final state that is not final") {
    const auto r = s.create_trial(sid, running_record());
    REQUIRE_INVALID(s.finish_trial(r.id, tk::trial_state::running, {}, {}, ""), Contains("RUNNING"));
    REQUIRE_INVALID(s.finish_trial(r.id, tk::trial_state::waiting, {}, {}, ""), Contains("WAITING"));
    CHECK(s.trial(r.id).state == tk::trial_state::running);
  }
}

TEST_CASE("unknown ids are invalid arguments", "[storage][memory][errors]") {
  tk::memory_storage s;
  const auto sid = s.create_study("s", minimize_one);
  const tk::distribution d = tk::float_distribution(0, 1);
  for (std::int64_t bad : {std::int64_t{-1}, std::int64_t{0}, std::int64_t{12345}}) {
    INFO("trial id " << bad);
    REQUIRE_INVALID(s.trial(bad), Contains("unknown trial id " + std::to_string(bad)));
    REQUIRE_THROWS_AS(s.set_param(bad, "x", 0.5, d), tk::invalid_argument);
    REQUIRE_THROWS_AS(s.set_intermediate_value(bad, 0, 0.5), tk::invalid_argument);
    REQUIRE_THROWS_AS(s.set_user_attr(bad, "k", 1), tk::invalid_argument);
    REQUIRE_THROWS_AS(s.finish_trial(bad, tk::trial_state::fail, {}, {}, "x"), tk::invalid_argument);
  }
  for (tk::study_id bad : {tk::study_id{-1}, sid + 1, tk::study_id{1} << 40}) {
    INFO("study id " << bad);
    REQUIRE_INVALID(s.view(bad), Contains("unknown study id " + std::to_string(bad)));
    REQUIRE_THROWS_AS(s.study_name(bad), tk::invalid_argument);
    REQUIRE_THROWS_AS(s.study_directions(bad), tk::invalid_argument);
    REQUIRE_THROWS_AS(s.create_trial(bad, running_record()), tk::invalid_argument);
    REQUIRE_THROWS_AS(s.pop_waiting_trial(bad), tk::invalid_argument);
    REQUIRE_THROWS_AS(s.trials(bad), tk::invalid_argument);
    REQUIRE_THROWS_AS(s.delete_study(bad), tk::invalid_argument);
  }
  CHECK(s.trials(sid).empty());  // failed calls left nothing behind
}

TEST_CASE("a view is a stable prefix of finished trials", "[storage][memory][view]") {
  tk::memory_storage s;
  const auto sid = s.create_study("s", minimize_one);
  std::vector<std::int64_t> ids;
  for (int k = 0; k < 200; ++k) ids.push_back(s.create_trial(sid, running_record()).id);
  // Finish in an order that is not the creation order.
  for (int k = 0; k < 3; ++k) complete(s, ids[static_cast<std::size_t>(10 - k)], k);

  const tk::study_view before = s.view(sid);
  REQUIRE(before.finished().size() == 3);
  CHECK(before.n_trials() == 200);
  CHECK(before.name() == "s");
  CHECK(before.single_direction() == tk::direction::minimize);
  std::vector<std::int64_t> order;
  for (const auto& t : before.finished()) order.push_back(t.number);
  CHECK(order == std::vector<std::int64_t>{10, 9, 8});  // finishing order
  const tk::frozen_trial* first = &before.finished()[0];

  // Many more finish (enough to grow the log's storage several times) ...
  for (int k = 3; k < 190; ++k) complete(s, ids[static_cast<std::size_t>(k < 11 ? k - 3 : k)], k);
  s.create_trial(sid, running_record());

  // ... and the old view has not moved.
  REQUIRE(before.finished().size() == 3);
  order.clear();
  for (const auto& t : before.finished()) order.push_back(t.number);
  CHECK(order == std::vector<std::int64_t>{10, 9, 8});
  CHECK(before.n_trials() == 200);
  CHECK(&before.finished()[0] == first);

  // A new view extends it: same prefix, same objects (never copied).
  const tk::study_view after = s.view(sid);
  REQUIRE(after.finished().size() == 190);
  CHECK(after.n_trials() == 201);
  for (std::size_t k = 0; k < before.finished().size(); ++k) CHECK(&after.finished()[k] == &before.finished()[k]);
  std::set<std::int64_t> numbers;
  for (const auto& t : after.finished()) {
    CHECK(tk::is_finished(t.state));
    numbers.insert(t.number);
  }
  CHECK(numbers.size() == 190);
  // The running ones are the rest.
  std::set<std::int64_t> running;
  for (const auto& t : after.running()) {
    CHECK(t.state == tk::trial_state::running);
    running.insert(t.number);
  }
  CHECK(running.size() == 11);
  for (auto n : running) CHECK_FALSE(numbers.count(n));
}

TEST_CASE("a view stays readable while trials finish on other threads", "[storage][memory][view][threads]") {
  tk::memory_storage s;
  const auto sid = s.create_study("s", minimize_one);
  constexpr int writers = 4, per_writer = 300;
  std::atomic<bool> done{false};
  // Catch's assertions are not thread-safe: the reader counts, the test checks.
  std::atomic<std::size_t> checked{0}, shrank{0}, half_written{0};
  std::jthread reader([&] {
    std::size_t last = 0;
    while (!done) {
      const auto v = s.view(sid);
      // Sizes only grow; every visible record is final and complete.
      if (v.finished().size() < last) ++shrank;
      last = v.finished().size();
      for (const auto& t : v.finished())
        if (t.state != tk::trial_state::complete || t.values.size() != 1 || t.values[0] != t.params.at("k"))
          ++half_written;
      ++checked;
    }
  });
  {
    std::vector<std::jthread> pool;
    for (int w = 0; w < writers; ++w)
      pool.emplace_back([&] {
        for (int k = 0; k < per_writer; ++k) {
          const auto id = s.create_trial(sid, running_record()).id;
          s.set_param(id, "k", k, tk::int_distribution(0, per_writer));
          complete(s, id, k);
        }
      });
  }
  done = true;
  reader.join();
  CHECK(checked > 0);
  CHECK(shrank == 0);
  CHECK(half_written == 0);
  CHECK(s.view(sid).finished().size() == writers * per_writer);
}

TEST_CASE("a view's finished trials outlive every handle of its storage", "[storage][memory][view]") {
  // Documented limit: running() must be called while the storage lives; the
  // finished trials and the study's identity are owned by the view.
  tk::study_view kept;
  {
    tk::memory_storage s;
    const auto sid = s.create_study("gone", minimize_one);
    complete(s, s.create_trial(sid, running_record()).id, 1.0);
    s.create_trial(sid, running_record());
    kept = s.view(sid);
    CHECK(kept.running().size() == 1);  // fetched (and cached) while the storage lives
  }
  CHECK(kept.name() == "gone");
  REQUIRE(kept.finished().size() == 1);
  CHECK(kept.finished()[0].values == std::vector<double>{1.0});
  CHECK(kept.running().size() == 1);
  CHECK(kept.n_trials() == 2);
}

TEST_CASE("waiting trials are handed out oldest first, exactly once", "[storage][memory][threads]") {
  SECTION("sequentially") {
    tk::memory_storage s;
    const auto sid = s.create_study("q", minimize_one);
    for (int k = 0; k < 5; ++k) s.create_trial(sid, waiting_record(k));
    s.create_trial(sid, running_record());  // not in the queue
    for (int k = 0; k < 5; ++k) {
      const auto t = s.pop_waiting_trial(sid);
      REQUIRE(t.has_value());
      CHECK(t->number == k);
      CHECK(t->state == tk::trial_state::running);
      CHECK(t->datetime_start.has_value());
      CHECK(t->system_attrs.at("fixed_params").at("x") == k);
      CHECK(s.trial(t->id).state == tk::trial_state::running);
    }
    CHECK_FALSE(s.pop_waiting_trial(sid).has_value());
    // Enqueued after a pop: still FIFO.
    s.create_trial(sid, waiting_record(9));
    CHECK(s.pop_waiting_trial(sid)->system_attrs.at("fixed_params").at("x") == 9);
  }
  SECTION("under 8 concurrent consumers") {
    tk::memory_storage s;
    const auto sid = s.create_study("q", minimize_one);
    const auto other = s.create_study("other", minimize_one);
    constexpr int queued = 2000, consumers = 8;
    for (int k = 0; k < queued; ++k) s.create_trial(sid, waiting_record(k));
    s.create_trial(other, waiting_record(-1));
    std::vector<std::vector<std::int64_t>> got(consumers);
    {
      std::vector<std::jthread> pool;
      for (int c = 0; c < consumers; ++c)
        pool.emplace_back([&, c] {
          while (auto t = s.pop_waiting_trial(sid)) {
            got[static_cast<std::size_t>(c)].push_back(t->number);
            if (t->number % 2) complete(s, t->id, 0.0);  // work on it, concurrently
          }
        });
    }
    std::vector<std::int64_t> all;
    for (const auto& g : got) {
      // Each consumer saw the queue in order.
      CHECK(std::is_sorted(g.begin(), g.end()));
      all.insert(all.end(), g.begin(), g.end());
    }
    std::sort(all.begin(), all.end());
    REQUIRE(all.size() == queued);
    for (std::size_t k = 0; k < all.size(); ++k) REQUIRE(all[k] == static_cast<std::int64_t>(k));
    // The other study's queue was untouched.
    const auto o = s.pop_waiting_trial(other);
    REQUIRE(o.has_value());
    CHECK(o->system_attrs.at("fixed_params").at("x") == -1);
  }
}

TEST_CASE("hostile strings round-trip untouched", "[storage][memory]") {
  const std::vector<std::string> hostile = {
      "it's \"quoted\"",
      "new\nline\r\ttab",
      "'); DROP TABLE trials; --",
      "<script>alert(1)</script>",
      "日本語 ✓ 🚀",
      std::string("nul\0inside", 10),
      std::string(10000, 'x'),
      "\\backslash\\",
      " ",
  };
  tk::memory_storage s;
  for (std::size_t k = 0; k < hostile.size(); ++k) {
    const std::string& text = hostile[k];
    INFO("string " << k);
    const auto sid = s.create_study(text, minimize_one);
    CHECK(s.find_study(text) == sid);
    CHECK(s.study_name(sid) == text);
    auto t = s.create_trial(sid, running_record());
    s.set_param(t.id, text, 0.5, tk::categorical_distribution{tk::category(text), tk::category("plain")});
    s.set_user_attr(t.id, text, text);
    s.set_user_attr(t.id, "nested", {{"k", text}, {text, {1, text}}});
    const double v[] = {1.0};
    s.finish_trial(t.id, tk::trial_state::fail, v, {}, text);
    const auto back = s.trial(t.id);
    CHECK(back.params.at(text) == 0.5);
    CHECK(std::get<tk::categorical_distribution>(back.distributions.at(text)).choices()[0] == tk::category(text));
    CHECK(back.user_attrs.at(text) == text);
    CHECK(back.user_attrs.at("nested").at(text).at(1) == text);
    CHECK(back.fail_reason == text);
    CHECK(s.view(sid).name() == text);
  }
  // Names that differ only in what a careless layer would strip are different studies.
  CHECK(s.find_study("nul") == std::nullopt);
  CHECK(s.find_study("") == std::nullopt);
  CHECK(s.study_names().size() == hostile.size());
}
