// open_study: create-or-load as one storage operation (storage/open_study.hpp).
// Threads racing on a new name; a deterministic lost race (the lookup misses a
// study another worker has just created); directions that disagree; a user
// storage through any_storage. The multi-process version, with a start
// barrier, is in tests/integration/*_processes.test.cpp ([fleet_start]).

#include <tunekit/storage/any_storage.hpp>
#include <tunekit/storage/journal.hpp>
#include <tunekit/storage/memory.hpp>
#include <tunekit/storage/open_study.hpp>
#include <tunekit/tuner.hpp>

#include <catch2/catch.hpp>

#include "support/require_invalid.hpp"
#include "support/storage_checks.hpp"
#include "support/temp_dir.hpp"

#include <array>
#include <atomic>
#include <latch>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tk = tunekit;
using Catch::Contains;

using tk::testing::minimize_one;
using tk::testing::maximize_one;

namespace {


/// A memory storage whose first `misses` lookups miss: what a worker sees
/// when another process creates the study between its lookup and its
/// creation.
struct late_lookup_storage : tk::memory_storage {
  std::shared_ptr<std::atomic<int>> misses = std::make_shared<std::atomic<int>>(1);
  std::optional<tk::study_id> find_study(std::string_view name) const {
    if (misses->fetch_sub(1) > 0) return std::nullopt;
    return tk::memory_storage::find_study(name);
  }
};
static_assert(tk::storage<late_lookup_storage>);

/// `n` threads released together open study `name`; returns their ids.
template <class S>
std::vector<tk::study_id> open_together(S storage, const std::string& name, int n) {
  std::latch start(n);
  std::vector<tk::study_id> ids(static_cast<std::size_t>(n), -1);
  std::vector<std::thread> threads;
  for (int k = 0; k < n; ++k)
    threads.emplace_back([&, k] {
      S mine = storage;  // a handle of its own, as a worker would have
      start.arrive_and_wait();
      ids[static_cast<std::size_t>(k)] = tk::open_study(mine, name, minimize_one);
    });
  for (auto& t : threads) t.join();
  return ids;
}

}  // namespace

TEST_CASE("open_study: threads racing on a new study all get the one study (memory, journal, any_storage)",
          "[storage][open_study]") {
  tk::testing::temp_dir dir;
  for (int round = 0; round < 30; ++round) {
    const std::string name = "race-" + std::to_string(round);
    tk::memory_storage memory;
    tk::journal_storage journal(dir.path() / ("round-" + std::to_string(round) + ".log"));
    tk::any_storage erased{tk::journal_storage(dir.path() / ("erased-" + std::to_string(round) + ".log"))};
    for (const auto& ids : {open_together(memory, name, 8), open_together(journal, name, 8),
                            open_together(erased, name, 8)}) {
      CHECK(std::set<tk::study_id>(ids.begin(), ids.end()).size() == 1);
    }
    CHECK(memory.study_names() == std::vector<std::string>{name});
    CHECK(journal.study_names() == std::vector<std::string>{name});
    CHECK(erased.study_names() == std::vector<std::string>{name});
  }
}

TEST_CASE("open_study: a lookup that misses a just-created study loads it instead of failing", "[storage][open_study]") {
  late_lookup_storage s;
  const tk::study_id id = s.create_study("fleet", minimize_one);  // "another worker" created it
  *s.misses = 1;
  CHECK(tk::open_study(s, "fleet", minimize_one) == id);
  CHECK(s.study_names().size() == 1);

  // The tuner goes through the same path.
  *s.misses = 1;
  tk::tuner t{s, tk::study_config{.name = "fleet"}};
  CHECK(t.study() == id);
}

TEST_CASE("open_study: other directions name both, whoever created the study", "[storage][open_study]") {
  late_lookup_storage s;
  s.create_study("fleet", minimize_one);
  for (int misses : {0, 1}) {  // found at once, or only after the lost creation race
    *s.misses = misses;
    REQUIRE_INVALID(tk::open_study(s, "fleet", maximize_one),
                    Contains("'fleet'") && Contains("exists with directions [minimize]") &&
                        Contains("directions [maximize] were asked for"));
  }
  const std::array two{tk::direction::minimize, tk::direction::maximize};
  REQUIRE_INVALID(tk::open_study(s, "fleet", two), Contains("[minimize, maximize] were asked for"));
}

TEST_CASE("open_study: load_if_exists = false refuses an existing name, also after a lost race",
          "[storage][open_study]") {
  late_lookup_storage s;
  s.create_study("fleet", minimize_one);
  for (int misses : {0, 1}) {
    *s.misses = misses;
    REQUIRE_INVALID(tk::open_study(s, "fleet", minimize_one, {.load_if_exists = false}),
                    Contains("already exists") && Contains("load_if_exists"));
  }
  REQUIRE_INVALID(tk::open_study(s, "", minimize_one), Contains("name is empty"));
  REQUIRE_INVALID(tk::open_study(s, "x", std::span<const tk::direction>{}), Contains("directions is empty"));
}

TEST_CASE("create_study throws study_exists, an invalid_argument, on every storage", "[storage][open_study]") {
  tk::testing::temp_dir dir;
  tk::memory_storage memory;
  tk::journal_storage journal(dir.path() / "j.log");
  tk::any_storage erased{tk::memory_storage{}};
  memory.create_study("s", minimize_one);
  journal.create_study("s", minimize_one);
  erased.create_study("s", minimize_one);
  CHECK_THROWS_AS(memory.create_study("s", minimize_one), tk::study_exists);
  CHECK_THROWS_AS(journal.create_study("s", maximize_one), tk::study_exists);
  CHECK_THROWS_AS(erased.create_study("s", minimize_one), tk::study_exists);
  CHECK_THROWS_AS(memory.create_study("s", minimize_one), tk::invalid_argument);
}
