#include <tunekit/deploy/export.hpp>
#include <tunekit/tunekit.hpp>

#include <catch2/catch.hpp>

#include "deploy/study_fixture.hpp"
#include "support/require_invalid.hpp"
#include "support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace tk = tunekit;
namespace dp = tunekit::deploy;
using Catch::Contains;
using tk::testing::fixture_trial;

namespace {

struct config {
  double lr = 0;
  int layers = 0;
  std::string act;
};

tk::space<config> config_space() {
  return {tk::float_param("lr", &config::lr, 1e-5, 1.0, {.log = true}), tk::int_param("layers", &config::layers, 1, 8),
          tk::categorical_param("act", &config::act, {"relu", "tanh"})};
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

const auto fixed_time = std::chrono::system_clock::time_point(std::chrono::seconds(1796169600));  // 2026-12-02T00:00:00Z

}  // namespace

TEST_CASE("export: the best trial with study, storage, version, time stamp and resources", "[deploy][export]") {
  const auto s = tk::testing::make_study(
      "demo", {tk::direction::minimize},
      {{.values = {0.5}, .lr = 0.1, .layers = 3, .act = "tanh", .resources = {1.0, 0.5, 1000}},
       {.values = {0.2}, .lr = 0.001, .layers = 5, .act = "relu", .resources = {2.0, 1.5, 4096}},
       {.state = tk::trial_state::pruned, .lr = 0.5},
       {.values = {0.2}, .lr = 0.003, .layers = 1, .resources = {1.0, 1.0, 0}},  // ties: the first wins
       {.state = tk::trial_state::fail}});
  const auto doc = dp::best_config_json(s, "demo", {.storage_url = "postgresql://tk:s3cret@db:5432/studies",
                                                    .exported_at = fixed_time});
  CHECK(doc["format"] == "tunekit.best_config");
  CHECK(doc["format_version"] == 1);
  CHECK(doc["tunekit_version"] == tk::version);
  CHECK(doc["exported_at"] == "2026-12-02T00:00:00Z");
  CHECK(doc["study"]["name"] == "demo");
  CHECK(doc["study"]["directions"] == nlohmann::json::array({"minimize"}));
  CHECK(doc["study"]["storage"]["kind"] == "postgresql");
  CHECK(doc["study"]["storage"]["url"] == "postgresql://tk:***@db:5432/studies");  // never the password
  CHECK(doc.dump().find("s3cret") == std::string::npos);
  CHECK(doc["study"]["n_trials"] == 5);
  CHECK(doc["study"]["n_complete"] == 3);
  REQUIRE(doc["best_trials"].size() == 1);
  const auto& best = doc["best_trials"][0];
  CHECK(best["number"] == 1);
  CHECK(best["values"] == nlohmann::json::array({0.2}));
  CHECK(best["params"] == nlohmann::json({{"lr", 0.001}, {"layers", 5}, {"act", "relu"}}));
  CHECK(best["distributions"]["layers"]["name"] == "IntDistribution");
  CHECK(best["resources"]["wall_seconds"] == 2.0);
  CHECK(best["resources"]["cpu_seconds"] == 1.5);
  CHECK(best["resources"]["peak_memory_growth_bytes"] == 4096);
  CHECK(doc["params"] == best["params"]);
}

TEST_CASE("export: a multi-objective study exports its Pareto front by trial number", "[deploy][export]") {
  const auto s = tk::testing::make_study("mo", {tk::direction::minimize, tk::direction::maximize},
                                         {{.values = {1, 1}}, {.values = {2, 3}}, {.values = {2, 2}}, {.values = {0, 0}},
                                          {.values = {3, 3}}});
  const auto doc = dp::best_config_json(s, "mo");
  std::vector<std::int64_t> numbers;
  for (const auto& t : doc["best_trials"]) numbers.push_back(t["number"].get<std::int64_t>());
  CHECK(numbers == std::vector<std::int64_t>{0, 1, 3});
  CHECK(doc["study"]["storage"]["url"].is_null());
}

TEST_CASE("export: the Pareto front is exactly the non-dominated set, over seeds", "[deploy][export]") {
  for (std::uint32_t seed = 0; seed < 50; ++seed) {
    std::mt19937 rng(seed);
    std::vector<fixture_trial> trials;
    for (int k = 0; k < 20; ++k)
      trials.push_back({.values = {static_cast<double>(rng() % 6), static_cast<double>(rng() % 6)}});
    const auto s = tk::testing::make_study("mo", {tk::direction::minimize, tk::direction::minimize}, trials);
    const auto doc = dp::best_config_json(s, "mo");
    std::vector<bool> in_front(trials.size(), false);
    for (const auto& t : doc["best_trials"]) in_front[t["number"].get<std::size_t>()] = true;
    for (std::size_t a = 0; a < trials.size(); ++a) {
      bool dominated = false;
      for (const auto& b : trials) {
        const auto &x = trials[a].values, &y = b.values;
        dominated = dominated || (y[0] <= x[0] && y[1] <= x[1] && (y[0] < x[0] || y[1] < x[1]));
      }
      INFO("seed " << seed << ", trial " << a);
      CHECK(in_front[a] == !dominated);
    }
  }
}

TEST_CASE("export: a study with no finished trial is a clear error", "[deploy][export]") {
  const auto none = tk::testing::make_study("empty", {tk::direction::minimize}, {});
  REQUIRE_THROWS_AS(dp::best_config_json(none, "empty"), tk::state_error);
  REQUIRE_THROWS_WITH(dp::best_config_json(none, "empty"), Contains("'empty'") && Contains("no trial has completed"));
  const auto unlucky = tk::testing::make_study(
      "unlucky", {tk::direction::minimize},
      {{.state = tk::trial_state::pruned}, {.state = tk::trial_state::fail}, {.state = tk::trial_state::running}});
  REQUIRE_THROWS_WITH(dp::best_config_json(unlucky, "unlucky"), Contains("3 trials, 2 finished as PRUNED or FAIL"));
  REQUIRE_INVALID(dp::best_config_json(unlucky, "nope"), Contains("no study named 'nope'"));
}

TEST_CASE("export: URL redaction keeps everything but the password", "[deploy][export]") {
  CHECK(tk::detail::redact_url("postgresql://u:p@h/db") == "postgresql://u:***@h/db");
  CHECK(tk::detail::redact_url("postgresql://u@h/db") == "postgresql://u@h/db");
  CHECK(tk::detail::redact_url("postgresql://u:p:q@h:5/db?x=1") == "postgresql://u:***@h:5/db?x=1");
  CHECK(tk::detail::redact_url("journal:///tmp/a:b@c.log") == "journal:///tmp/a:b@c.log");  // '@' in the path only
  CHECK(tk::detail::redact_url("memory:") == "memory:");
}

TEST_CASE("export: a file written and read back gives the best trial's struct", "[deploy][export]") {
  tk::testing::temp_dir dir;
  const auto s = tk::testing::make_study(
      "demo", {tk::direction::maximize},
      {{.values = {0.5}, .lr = 0.1, .layers = 3, .act = "tanh"}, {.values = {0.9}, .lr = 2e-4, .layers = 7, .act = "tanh"}});
  const auto path = dir.path() / "best.json";
  dp::write_json_file(dp::best_config_json(s, "demo"), path);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "best.json.tmp"));
  const config c = dp::load_config(config_space(), path);
  CHECK(c.lr == 2e-4);
  CHECK(c.layers == 7);
  CHECK(c.act == "tanh");
  CHECK(read_text(path).back() == '\n');
}

TEST_CASE("export: round trip through a real tuner, over seeds", "[deploy][export]") {
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    tk::tuner tuner{config_space(), tk::random_sampler{{.seed = seed}}};
    tuner.optimize([](const config& c, tk::trial&) { return c.lr * c.layers + (c.act == "relu" ? 0.0 : 0.1); },
                   {.n_trials = 15});
    const auto best = tuner.best_params();
    const auto trials = tuner.view().finished();
    std::vector<tk::frozen_trial> all(trials.begin(), trials.end());
    const std::vector<tk::direction> dirs = {tk::direction::minimize};
    const auto doc = nlohmann::json::parse(dp::best_config_json("s", dirs, all).dump());  // through text
    const config back = dp::read_config(config_space(), doc);
    INFO("seed " << seed);
    CHECK(back.lr == best.lr);
    CHECK(back.layers == best.layers);
    CHECK(back.act == best.act);
  }
}

TEST_CASE("export: read-back errors name the field", "[deploy][export]") {
  const auto s = tk::testing::make_study("demo", {tk::direction::minimize}, {{.values = {1}}});
  const auto good = dp::best_config_json(s, "demo");
  const auto sp = config_space();
  auto with = [&](auto edit) {
    auto doc = good;
    edit(doc["best_trials"][0]["params"]);
    return doc;
  };
  REQUIRE_NOTHROW(dp::read_config(sp, good));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p.erase("layers"); })),
                  Contains("field 'layers' is missing") && Contains("int in [1, 8]"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["dropout"] = 0.1; })),
                  Contains("field 'dropout' is in the file but not bound"));
  REQUIRE_NOTHROW(dp::read_config(sp, with([](auto& p) { p["dropout"] = 0.1; }), {.allow_extra = true}));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["lr"] = "fast"; })),
                  Contains("field 'lr' has the wrong type (string \"fast\")"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["act"] = 3; })), Contains("field 'act' has the wrong type"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["layers"] = nlohmann::json::array(); })),
                  Contains("field 'layers' has the wrong type (array"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["layers"] = 9; })),
                  Contains("field 'layers' = 9 is outside its distribution"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["layers"] = 2.5; })), Contains("field 'layers' = 2.5"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["lr"] = 2.0; })), Contains("field 'lr' = 2.0 is outside"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["act"] = "gelu"; })),
                  Contains("field 'act' = \"gelu\" is outside") && Contains("one of {\"relu\", \"tanh\"}"));
  // A float member takes an integer JSON number inside its range.
  REQUIRE_NOTHROW(dp::read_config(tk::space<config>{tk::float_param("lr", &config::lr, 0.0, 4.0)},
                                  with([](auto& p) { p = {{"lr", 1}}; })));

  auto doc = good;
  doc["format"] = "something else";
  REQUIRE_INVALID(dp::read_config(sp, doc), Contains("not a tunekit best-config document"));
  doc = good;
  doc["format_version"] = 99;
  REQUIRE_INVALID(dp::read_config(sp, doc), Contains("format_version 99"));
  REQUIRE_INVALID(dp::read_config(sp, good, {.index = 1}), Contains("index = 1 but the file has 1 best trial"));
}

TEST_CASE("export: unreadable, malformed and unwritable files name the path", "[deploy][export]") {
  tk::testing::temp_dir dir;
  const auto s = tk::testing::make_study("demo", {tk::direction::minimize}, {{.values = {1}}});
  const auto doc = dp::best_config_json(s, "demo");
  const auto missing_dir = dir.path() / "no" / "such" / "dir" / "best.json";
  REQUIRE_THROWS_AS(dp::write_json_file(doc, missing_dir), tk::storage_error);
  REQUIRE_THROWS_WITH(dp::write_json_file(doc, missing_dir), Contains(missing_dir.string()));
  REQUIRE_THROWS_AS(dp::load_config(config_space(), missing_dir), tk::storage_error);
  REQUIRE_THROWS_WITH(dp::load_config(config_space(), missing_dir), Contains(missing_dir.string()));
  const auto bad = dir.path() / "bad.json";
  std::ofstream(bad) << "{not json";
  REQUIRE_INVALID(dp::load_config(config_space(), bad), Contains("bad.json") && Contains("is not JSON"));
  // A directory where the file should go.
  REQUIRE_THROWS_AS(dp::write_json_file(doc, dir.path()), tk::storage_error);
}
