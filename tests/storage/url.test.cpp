#include <tunekit/storage/any_storage.hpp>
#include <tunekit/storage/copy.hpp>
#include <tunekit/storage/url.hpp>
#include <tunekit/tuner.hpp>

#include <catch2/catch.hpp>

#include "support/require_invalid.hpp"
#include "support/temp_dir.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

namespace tk = tunekit;
using Catch::Contains;

TEST_CASE("open_storage: memory and journal URLs, with options", "[storage][url]") {
  tk::testing::temp_dir dir;
  auto mem = tk::open_storage("memory:");
  CHECK(mem.get_if<tk::memory_storage>() != nullptr);
  const std::string url = "journal://" + (dir.path() / "u.log").string() + "?fsync=true&heartbeat=0.5&grace=2&retries=1";
  auto j = tk::open_storage(url);
  REQUIRE(j.get_if<tk::journal_storage>() != nullptr);
  const auto sid = j.create_study("s", std::array{tk::direction::maximize});
  auto again = tk::open_storage("journal:" + (dir.path() / "u.log").string());
  CHECK(again.study_directions(again.study_by_name("s")) == std::vector{tk::direction::maximize});
  CHECK(sid == 0);
}

TEST_CASE("open_storage: bad URLs name what is wrong", "[storage][url]") {
  REQUIRE_INVALID(tk::open_storage("ftp://x"), Contains("'ftp'") && Contains("journal:"));
  REQUIRE_INVALID(tk::open_storage("no scheme"), Contains("no scheme"));
  REQUIRE_INVALID(tk::open_storage("journal://"), Contains("no file path"));
  REQUIRE_INVALID(tk::open_storage("journal:///tmp/x.log?speed=11"), Contains("'speed'"));
  REQUIRE_INVALID(tk::open_storage("journal:///tmp/x.log?fsync=maybe"), Contains("'fsync'"));
  REQUIRE_INVALID(tk::open_storage("journal:///tmp/x.log?lock=nfs"), Contains("flock, symlink"));
  REQUIRE_THROWS_AS(tk::open_storage("journal:///no/such/dir/x.log"), tk::storage_error);
}

TEST_CASE("any_storage runs a tuner, and copy_study moves a study between storages", "[storage][url]") {
  tk::testing::temp_dir dir;
  tk::any_storage mem = tk::memory_storage{};
  tk::tuner tuner{tk::random_sampler{{.seed = 1}}, mem, tk::study_config{.name = "src"}};
  tuner.optimize([](tk::trial& t) { return t.suggest_float("x", 0, 1); }, {.n_trials = 6});
  mem.set_study_user_attr(tuner.study(), "k", "v");
  tk::any_storage journal = tk::open_storage("journal://" + (dir.path() / "copy.log").string());
  tk::copy_study(mem, "src", journal, "dst");
  const auto a = mem.trials(mem.study_by_name("src"));
  const auto b = journal.trials(journal.study_by_name("dst"));
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].params == b[i].params);
    CHECK(a[i].values == b[i].values);
    CHECK(a[i].state == b[i].state);
  }
  CHECK(journal.study_user_attrs(journal.study_by_name("dst")).at("k") == "v");
  REQUIRE_INVALID(tk::copy_study(mem, "src", journal, "dst"), Contains("already has"));
  REQUIRE_INVALID(mem.study_by_name("missing"), Contains("'src'"));
  journal.delete_study(journal.study_by_name("dst"));
  CHECK(journal.study_names().empty());
}

TEST_CASE("tuner::warm_start maps trials by name, dropping or clipping what falls outside", "[storage][warm_start]") {
  tk::memory_storage source;
  tk::tuner src{tk::random_sampler{{.seed = 3}}, source, tk::study_config{.name = "src"}};
  src.optimize([](tk::trial& t) {
    const double x = t.suggest_float("x", -10, 10);
    t.suggest_categorical("act", {"relu", "tanh"});
    t.suggest_int("old", 0, 3);  // not in the new space
    return x * x;
  }, {.n_trials = 40});
  std::size_t inside = 0;
  for (const auto& t : src.trials()) inside += std::abs(t.param<double>("x")) <= 5;
  const tk::search_space space{{"x", tk::float_distribution(-5, 5)}, {"act", tk::categorical_distribution({"tanh", "relu"})}};

  tk::tuner drop{tk::random_sampler{{.seed = 4}}, tk::study_config{.name = "drop"}};
  CHECK(drop.warm_start(source, "src", {.space = space}) == inside);
  for (const auto& t : drop.trials()) {
    CHECK_FALSE(t.has_param("old"));
    CHECK(std::abs(t.param<double>("x")) <= 5);
    CHECK(t.system_attrs.count("warm_start") == 1);
  }
  tk::tuner clip{tk::random_sampler{{.seed = 4}}, tk::study_config{.name = "clip"}};
  CHECK(clip.warm_start(source, "src", {.out_of_range = tk::warm_start_options::outside::clip, .space = space}) == 40);
  const auto a = src.trials(), b = clip.trials();
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(b[i].param<double>("x") == std::clamp(a[i].param<double>("x"), -5.0, 5.0));
    CHECK(b[i].param<std::string>("act") == a[i].param<std::string>("act"));  // by value, not by index
    CHECK(b[i].values == a[i].values);
  }
  CHECK(clip.view().finished().size() == 40);  // samplers see them as finished trials
  tk::tuner other{tk::study_config{.name = "max", .directions = {tk::direction::maximize}}};
  REQUIRE_INVALID(other.warm_start(source, "src"), Contains("directions"));
  REQUIRE_INVALID(other.warm_start(source, "nope"), Contains("'nope'"));
}
