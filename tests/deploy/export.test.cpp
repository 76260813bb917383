#include <tunekit/deploy/export.hpp>
#include <tunekit/tunekit.hpp>

#include <catch2/catch.hpp>

#include "deploy/study_fixture.hpp"
#include "support/require_invalid.hpp"
#include "support/temp_dir.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
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
  CHECK(doc["format_version"] == 2);
  std::vector<std::string> members;
  for (const auto& [k, v] : doc.items()) members.push_back(k);
  CHECK(members == std::vector<std::string>{"best_trials", "exported_at", "format", "format_version", "study",
                                            "tunekit_version"});  // no second copy of the parameters
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
  CHECK(dp::check_best_config(doc) == 2);
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

TEST_CASE("export: read-back errors name the parameter by its JSON path", "[deploy][export]") {
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
                  Contains("field best_trials[0].params.layers is missing") && Contains("int in [1, 8]"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["dropout"] = 0.1; })),
                  Contains("field best_trials[0].params.dropout is in the file but not bound"));
  REQUIRE_NOTHROW(dp::read_config(sp, with([](auto& p) { p["dropout"] = 0.1; }), {.allow_extra = true}));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["lr"] = "fast"; })),
                  Contains("field best_trials[0].params.lr has the wrong type (string \"fast\"); the struct expects float"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["act"] = 3; })),
                  Contains("field best_trials[0].params.act has the wrong type (integer 3)"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["layers"] = true; })),
                  Contains("field best_trials[0].params.layers has the wrong type (boolean true)"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["layers"] = nlohmann::json::array(); })),
                  Contains("field best_trials[0].params.layers has the wrong type (array []); expected a parameter value"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["layers"] = nullptr; })),
                  Contains("field best_trials[0].params.layers has the wrong type (null"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["layers"] = 9; })),
                  Contains("field best_trials[0].params.layers = 9 is outside its distribution; allowed: int in [1, 8]"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["layers"] = 2.5; })),
                  Contains("field best_trials[0].params.layers = 2.5 is outside"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["lr"] = 2.0; })),
                  Contains("field best_trials[0].params.lr = 2.0 is outside"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["lr"] = 18446744073709551615ULL; })),
                  Contains("field best_trials[0].params.lr = 18446744073709551615 is outside"));
  REQUIRE_INVALID(dp::read_config(sp, with([](auto& p) { p["act"] = "gelu"; })),
                  Contains("field best_trials[0].params.act = \"gelu\" is outside") && Contains("one of {\"relu\", \"tanh\"}"));
  // A float member takes an integer JSON number inside its range.
  auto lr_only = with([](auto& p) { p = {{"lr", 1}}; });
  lr_only["best_trials"][0]["distributions"] = {{"lr", lr_only["best_trials"][0]["distributions"]["lr"]}};
  REQUIRE_NOTHROW(dp::read_config(tk::space<config>{tk::float_param("lr", &config::lr, 0.0, 4.0)}, lr_only));
  // A name that is not an identifier is shown in brackets, quoted as JSON.
  struct odd {
    double x = 0;
  };
  auto odd_doc = good;
  odd_doc["best_trials"][0]["params"] = {{"model.lr", 0.5}};
  odd_doc["best_trials"][0]["distributions"] = nlohmann::json::object();
  REQUIRE_INVALID(dp::read_config(tk::space<odd>{tk::float_param("model.lr", &odd::x, 0.0, 0.1)}, odd_doc),
                  Contains("field best_trials[0].params[\"model.lr\"] = 0.5 is outside"));

  auto doc = good;
  doc["format"] = "something else";
  REQUIRE_INVALID(dp::read_config(sp, doc), Contains("not a tunekit best-config document"));
  doc.erase("format");
  REQUIRE_INVALID(dp::read_config(sp, doc), Contains("not a tunekit best-config document"));
  REQUIRE_INVALID(dp::read_config(sp, nlohmann::json::array()), Contains("not a tunekit best-config document"));
  for (const auto& v : {nlohmann::json(99), nlohmann::json(4), nlohmann::json(0), nlohmann::json(-1), nlohmann::json("2"),
                                 nlohmann::json(2.0)}) {
    doc = good;
    doc["format_version"] = v;
    INFO(v.dump());
    REQUIRE_INVALID(dp::read_config(sp, doc),
                    Contains("format_version " + v.dump()) && Contains("this tunekit reads versions 1 to 3"));
  }
  doc = good;
  doc.erase("format_version");
  REQUIRE_INVALID(dp::read_config(sp, doc), Contains("format_version (none)"));
  REQUIRE_INVALID(dp::read_config(sp, good, {.index = 1}), Contains("index = 1 but the file has 1 best trial"));
}

namespace {

/// Every node of an export document with its path as messages show it and,
/// for a member of an object, the object's path; not inside a distribution
/// record (read as a whole by Optuna's rules).
using field_visitor =
    std::function<void(const std::string& path, const nlohmann::json::json_pointer& ptr, const std::string* parent)>;
void each_field(const nlohmann::json& node, const std::string& path, const nlohmann::json::json_pointer& ptr,
                const field_visitor& visit, bool in_distributions = false) {
  if (in_distributions) return;
  if (node.is_object())
    for (const auto& [k, v] : node.items()) {
      const auto p = tk::detail::export_path(path, k);
      visit(p, ptr / k, &path);
      each_field(v, p, ptr / k, visit, path.ends_with("distributions"));
    }
  else if (node.is_array())
    for (std::size_t i = 0; i < node.size(); ++i) {
      const auto p = tk::detail::export_path(path, i);
      visit(p, ptr / i, nullptr);
      each_field(node[i], p, ptr / i, visit);
    }
}

/// k for a path under best_trials[k].
std::size_t trial_index(const std::string& path) {
  return std::stoul(path.substr(std::string_view("best_trials[").size()));
}

/// A value of another JSON kind than `v`.
nlohmann::json other_kind(const nlohmann::json& v) {
  return v.is_array() ? nlohmann::json("surprise") : nlohmann::json::array({1});
}

}  // namespace

TEST_CASE("export: every field of the document is checked: wrong type, missing, unknown", "[deploy][export]") {
  const auto sp = config_space();
  // One objective, and a Pareto front of three (read at each index).
  const auto one = dp::best_config_json(tk::testing::make_study("demo", {tk::direction::minimize}, {{.values = {1}}}),
                                        "demo", {.storage_url = "journal:///x.log", .exported_at = fixed_time});
  const auto front = dp::best_config_json(
      tk::testing::make_study("mo", {tk::direction::minimize, tk::direction::minimize},
                              {{.values = {1, 3}}, {.values = {2, 2}, .layers = 4}, {.values = {3, 1}, .act = "tanh"}}),
      "mo");
  REQUIRE(front["best_trials"].size() == 3);
  for (const auto& good : {one, front}) {
    const std::size_t n = good["best_trials"].size();
    for (std::size_t index = 0; index < n; ++index) REQUIRE_NOTHROW(dp::read_config(sp, good, {.index = index}));
    std::size_t n_fields = 0;
    const auto check_field = [&](const std::string& path, const nlohmann::json::json_pointer& ptr,
                                 const std::string* parent) {
      ++n_fields;
      INFO(path);
      // The wrong JSON kind anywhere is refused, and the message names it.
      auto doc = good;
      doc[ptr] = other_kind(doc[ptr]);
      REQUIRE_INVALID(dp::check_best_config(doc), Contains(path));
      if (!parent) return;
      // Removed: refused by path.
      doc = good;
      doc[ptr.parent_pointer()].erase(ptr.back());
      if (path == "format" || path == "format_version") {
        REQUIRE_INVALID(dp::check_best_config(doc), Contains(path));
      } else if (parent->ends_with(".distributions")) {
        // A distribution record is informational (the struct's space is what
        // a value is checked against), so it may go.
        REQUIRE_NOTHROW(dp::read_config(sp, doc, {.index = trial_index(path)}));
      } else if (parent->ends_with(".params")) {
        // The struct misses it; without a struct (or with it unbound), its
        // distribution record is left describing nothing.
        const std::string record = tk::detail::export_path(parent->substr(0, parent->size() - 7) + ".distributions",
                                                           ptr.back());
        REQUIRE_INVALID(dp::read_config(sp, doc, {.index = trial_index(path)}), Contains("field " + path + " is missing"));
        REQUIRE_INVALID(dp::check_best_config(doc), Contains("field " + record + " describes a parameter that " + *parent));
      } else {
        REQUIRE_INVALID(dp::check_best_config(doc), Contains("field " + path + " is missing (required here: "));
      }
      // An unknown member beside it.
      doc = good;
      doc[ptr.parent_pointer()]["surprise"] = 1;
      const std::string surprise = tk::detail::export_path(*parent, "surprise");
      if (parent->ends_with(".params"))
        REQUIRE_INVALID(dp::read_config(sp, doc, {.index = trial_index(path)}),
                        Contains("field " + surprise + " is in the file but not bound"));
      else if (parent->ends_with(".distributions"))
        REQUIRE_INVALID(dp::check_best_config(doc), Contains("field " + surprise + " is not a distribution in Optuna's "
                                                             "form: distribution of parameter 'surprise' is not an object"));
      else
        REQUIRE_INVALID(dp::check_best_config(doc), Contains("field " + surprise + " is unknown (allowed here: "));
    };
    each_field(good, "", nlohmann::json::json_pointer(), check_field);
    CHECK(n_fields >= 30);
  }
}

TEST_CASE("export: values the format forbids are refused by path", "[deploy][export]") {
  const auto good = dp::best_config_json(tk::testing::make_study("demo", {tk::direction::minimize}, {{.values = {1}}}),
                                         "demo", {.exported_at = fixed_time});
  auto with = [&](auto edit) {
    auto doc = good;
    edit(doc);
    return doc;
  };
  REQUIRE_INVALID(dp::check_best_config(with([](auto& d) { d["exported_at"] = "yesterday"; })),
                  Contains("field exported_at = \"yesterday\" is not a UTC time stamp"));
  REQUIRE_INVALID(dp::check_best_config(with([](auto& d) { d["study"]["directions"][0] = "minimise"; })),
                  Contains("field study.directions[0] = \"minimise\"; expected \"minimize\" or \"maximize\""));
  REQUIRE_INVALID(dp::check_best_config(with([](auto& d) { d["study"]["directions"] = nlohmann::json::array(); })),
                  Contains("field study.directions has the wrong type (array [])"));
  REQUIRE_INVALID(dp::check_best_config(with([](auto& d) { d["study"]["n_trials"] = -1; })),
                  Contains("field study.n_trials = -1 is negative"));
  REQUIRE_INVALID(dp::check_best_config(with([](auto& d) { d["study"]["n_trials"] = 1.5; })),
                  Contains("field study.n_trials has the wrong type (number 1.5)"));
  REQUIRE_INVALID(dp::check_best_config(with([](auto& d) { d["study"]["n_complete"] = 7; })),
                  Contains("field study.n_complete = 7 exceeds study.n_trials = 1"));
  REQUIRE_INVALID(dp::check_best_config(with([](auto& d) { d["best_trials"] = nlohmann::json::array(); })),
                  Contains("field best_trials is empty"));
  REQUIRE_INVALID(dp::check_best_config(with([](auto& d) { d["best_trials"].push_back(d["best_trials"][0]); })),
                  Contains("field best_trials holds 2 trials; a single-objective study exports exactly one"));
  REQUIRE_INVALID(dp::check_best_config(with([](auto& d) { d["best_trials"][0]["values"].push_back(2.0); })),
                  Contains("field best_trials[0].values holds 2 values but study.directions has 1"));
  REQUIRE_INVALID(dp::check_best_config(with([](auto& d) { d["best_trials"][0]["number"] = -4; })),
                  Contains("field best_trials[0].number = -4 is negative"));
  REQUIRE_INVALID(dp::check_best_config(with([](auto& d) {
                    d["best_trials"][0]["distributions"]["layers"] = {{"name", "IntDistribution"},
                                                                      {"attributes", {{"low", 9}, {"high", 1}}}};
                  })),
                  Contains("field best_trials[0].distributions.layers is not a distribution in Optuna's form") &&
                      Contains("greater than high"));
  // A Pareto front is listed by trial number, each once.
  auto front = dp::best_config_json(tk::testing::make_study("mo", {tk::direction::minimize, tk::direction::minimize},
                                                            {{.values = {1, 2}}, {.values = {2, 1}}}),
                                    "mo");
  REQUIRE_NOTHROW(dp::check_best_config(front));
  front["best_trials"][1]["number"] = 0;
  REQUIRE_INVALID(dp::check_best_config(front),
                  Contains("field best_trials[1].number = 0 does not follow best_trials[0].number = 0"));
}

TEST_CASE("export: a format_version 1 file (parameters twice) is read only when both copies agree", "[deploy][export]") {
  const auto s = tk::testing::make_study("demo", {tk::direction::minimize},
                                         {{.values = {1}, .lr = 0.001, .layers = 5, .act = "relu"}});
  const auto sp = config_space();
  auto v1 = dp::best_config_json(s, "demo");
  v1["format_version"] = 1;
  v1["params"] = v1["best_trials"][0]["params"];  // as version 1 wrote it
  const config c = dp::read_config(sp, v1);
  CHECK(c.lr == 0.001);
  CHECK(c.layers == 5);
  CHECK(c.act == "relu");
  CHECK(dp::check_best_config(v1) == 1);
  // 5 and 5.0 are the same number.
  auto same = v1;
  same["params"]["layers"] = 5.0;
  REQUIRE_NOTHROW(dp::read_config(sp, same));

  // The hand edit version 1 silently ignored: the top-level copy changed.
  auto edited = v1;
  edited["params"]["lr"] = 0.002;
  REQUIRE_INVALID(dp::read_config(sp, edited),
                  Contains("field params.lr = 0.002 but best_trials[0].params.lr = 0.001; the copies disagree") &&
                      Contains("delete the top-level \"params\" and set \"format_version\": 2"));
  edited = v1;
  edited["best_trials"][0]["params"]["act"] = "tanh";
  REQUIRE_INVALID(dp::read_config(sp, edited),
                  Contains("field params.act = \"relu\" but best_trials[0].params.act = \"tanh\""));
  edited = v1;
  edited["params"].erase("layers");
  REQUIRE_INVALID(dp::read_config(sp, edited),
                  Contains("field params.layers is missing but best_trials[0].params.layers = 5"));
  edited = v1;
  edited["params"]["dropout"] = 0.1;
  REQUIRE_INVALID(dp::read_config(sp, edited, {.allow_extra = true}),
                  Contains("field params.dropout = 0.1 but best_trials[0].params.dropout is missing"));
  edited = v1;
  edited["params"] = "lr=0.1";
  REQUIRE_INVALID(dp::read_config(sp, edited), Contains("field params has the wrong type (string"));
  edited = v1;
  edited.erase("params");
  REQUIRE_INVALID(dp::read_config(sp, edited), Contains("field params is missing"));
  // Version 2 holds them once: a top-level copy is an unknown field, with the reason.
  auto v2 = v1;
  v2["format_version"] = 2;
  REQUIRE_INVALID(dp::read_config(sp, v2), Contains("field params is unknown; the parameters live in "
                                                    "best_trials[i].params only"));
  v2.erase("params");
  REQUIRE_NOTHROW(dp::read_config(sp, v2));
}

TEST_CASE("export: a tampered file names the file and the field", "[deploy][export]") {
  tk::testing::temp_dir dir;
  const auto s = tk::testing::make_study("demo", {tk::direction::minimize},
                                         {{.values = {1}, .lr = 0.001, .layers = 5, .act = "relu"}});
  const auto path = dir.path() / "best.json";
  dp::write_json_file(dp::best_config_json(s, "demo"), path);
  const auto sp = config_space();
  auto tamper = [&](const std::string& from, const std::string& to) {
    std::string text = read_text(path);
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    const auto out = dir.path() / "tampered.json";
    std::ofstream(out, std::ios::binary | std::ios::trunc) << text;
    return out;
  };
  REQUIRE(dp::load_config(sp, path).layers == 5);
  CHECK(dp::load_config(sp, tamper("\"layers\": 5", "\"layers\": 6")).layers == 6);  // the one place edits go
  REQUIRE_INVALID(dp::load_config(sp, tamper("\"layers\": 5", "\"layers\": 12")),
                  Contains("best-config file '" + (dir.path() / "tampered.json").string() + "'") &&
                      Contains("field best_trials[0].params.layers = 12 is outside its distribution"));
  REQUIRE_INVALID(dp::load_config(sp, tamper("\"layers\": 5", "\"layres\": 5")),
                  Contains("field best_trials[0].params.layers is missing; the struct binds it to int in [1, 8]"));
  // Renamed in both places: the struct does not bind the new name.
  const auto renamed = tamper("\"layers\": 5", "\"layres\": 5");
  {
    std::string text = read_text(renamed);
    const std::string record = "\"layers\": {";
    text.replace(text.find(record), record.size(), "\"layres\": {");
    std::ofstream(renamed, std::ios::binary | std::ios::trunc) << text;
  }
  REQUIRE_INVALID(dp::load_config(tk::space<config>{tk::float_param("lr", &config::lr, 1e-5, 1.0, {.log = true}),
                                                    tk::categorical_param("act", &config::act, {"relu", "tanh"})},
                                  renamed),
                  Contains("field best_trials[0].params.layres is in the file but not bound"));
  // Removed from the parameters only, with a struct that does not bind it: the stale record is named.
  REQUIRE_INVALID(dp::load_config(tk::space<config>{tk::float_param("lr", &config::lr, 1e-5, 1.0, {.log = true}),
                                                    tk::categorical_param("act", &config::act, {"relu", "tanh"})},
                                  tamper("\"layers\": 5,", "")),
                  Contains("field best_trials[0].distributions.layers describes a parameter that best_trials[0].params "
                           "does not hold (renamed or removed?"));
  REQUIRE_INVALID(dp::load_config(sp, tamper("\"layers\": 5", "\"layers\": \"5\"")),
                  Contains("field best_trials[0].params.layers has the wrong type (string \"5\")"));
  REQUIRE_INVALID(dp::load_config(sp, tamper("\"layers\": 5", "\"layers\": 5, \"dropout\": 0.2")),
                  Contains("field best_trials[0].params.dropout is in the file but not bound"));
  REQUIRE_INVALID(dp::load_config(sp, tamper("\"format_version\": 2", "\"format_version\": 2, \"params\": {}")),
                  Contains("field params is unknown"));
  REQUIRE_INVALID(dp::load_config(sp, tamper("\"format_version\": 2,", "")), Contains("format_version (none)"));
  // A parameter added instead of changed: JSON parsers would keep one of the two.
  REQUIRE_INVALID(dp::load_config(sp, tamper("\"layers\": 5,", "\"layers\": 5, \"layers\": 4,")),
                  Contains("field best_trials[0].params.layers appears twice in its object"));
  REQUIRE_INVALID(dp::load_config(sp, tamper("\"format_version\": 2,", "\"format_version\": 2, \"format_version\": 1,")),
                  Contains("field format_version appears twice"));
}

TEST_CASE("export: a member twice in an object is named by its path through arrays and objects", "[deploy][export]") {
  using tk::detail::export_parse_text;
  CHECK(export_parse_text(R"({"a": [{"x": 1}, [1, {"y": 2}], {"x": 1}], "b": {"x": 2}})", "t") ==
        nlohmann::json::parse(R"({"a": [{"x": 1}, [1, {"y": 2}], {"x": 1}], "b": {"x": 2}})"));
  REQUIRE_INVALID(export_parse_text(R"({"a": [{"x": 1}, [1, {"y": 2}], {"z": 1, "z": 2}]})", "t"),
                  Contains("best-config t: field a[2].z appears twice"));
  REQUIRE_INVALID(export_parse_text(R"({"a": [{"x": 1}, [1, {"y": 2, "y": 3}]]})", "t"), Contains("field a[1][1].y appears"));
  REQUIRE_INVALID(export_parse_text(R"({"a": {"b c": {"d": 1, "d": 1}}})", "t"), Contains("field a[\"b c\"].d appears"));
  REQUIRE_INVALID(export_parse_text(R"({"a": 1, "a": 1})", "t"), Contains("field a appears twice"));
  REQUIRE_INVALID(export_parse_text(R"({"a": 1,)", "t"), Contains("best-config t is not JSON"));
}

namespace {

/// Every kind of parameter a struct can bind, for the round-trip property.
struct rich {
  double lr = 0;
  float momentum = 0;
  double dropout = 0;
  int layers = 0;
  std::int64_t batch = 0;
  std::string act;
  bool batch_norm = false;
  double scale = 0;
};

tk::space<rich> rich_space() {
  return {tk::float_param("lr", &rich::lr, 1e-7, 1.0, {.log = true}),
          tk::float_param("momentum", &rich::momentum, 0.0, 0.99),
          tk::float_param("dropout", &rich::dropout, 0.0, 0.5, {.step = 0.05}),
          tk::int_param("layers", &rich::layers, 1, 64, {.log = true}),
          tk::int_param("batch", &rich::batch, 16, 1024, {.step = 16}),
          tk::categorical_param("act", &rich::act, {"relu", "gelu", "tanh", "silu"}),
          tk::categorical_param("batch_norm", &rich::batch_norm, {false, true}),
          tk::categorical_param("scale", &rich::scale, {0.5, 1.0, 2.0})};
}

}  // namespace

TEST_CASE("export: random studies round-trip exactly through the file text, at every Pareto point", "[deploy][export]") {
  const auto sp = rich_space();
  std::size_t n_read = 0;
  for (std::uint32_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 rng(seed);
    auto unit = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
    std::vector<tk::direction> dirs(1 + rng() % 3);
    for (auto& d : dirs) d = rng() % 2 ? tk::direction::minimize : tk::direction::maximize;
    tk::memory_storage store;
    const auto sid = store.create_study("random", dirs);
    const int n_trials = 1 + static_cast<int>(rng() % 30);
    for (int k = 0; k < n_trials; ++k) {
      tk::frozen_trial r;
      r.state = tk::trial_state::running;
      const auto t = store.create_trial(sid, r);
      for (const auto& b : sp.bindings()) store.set_param(t.id, b.name, tk::from_unit(b.dist, unit()), b.dist);
      std::vector<double> values;
      for (std::size_t j = 0; j < dirs.size(); ++j) values.push_back(std::ldexp(unit() - 0.5, static_cast<int>(rng() % 40) - 20));
      const auto state = k == 0 || rng() % 4 ? tk::trial_state::complete : tk::trial_state::pruned;
      store.finish_trial(t.id, state, state == tk::trial_state::complete ? values : std::vector<double>{},
                         {unit() * 100, unit() * 100, static_cast<std::int64_t>(rng() % (1u << 30))}, "");
    }
    const auto doc = dp::best_config_json(store, "random");
    const std::string text = doc.dump(static_cast<int>(seed % 3) - 1);  // compact and indented
    const auto back = nlohmann::json::parse(text);
    INFO("seed " << seed << "\n" << text);
    REQUIRE(back == doc);
    REQUIRE(dp::check_best_config(back) == 2);  // written without a front choice: version 2
    const auto trials = store.trials(sid);
    for (std::size_t i = 0; i < back["best_trials"].size(); ++i) {
      const auto number = back["best_trials"][i]["number"].get<std::size_t>();
      const rich expected = sp.from_params(trials.at(number).params);
      const rich got = dp::read_config(sp, back, {.index = i});
      CHECK(sp.to_values(got) == sp.to_values(expected));
      CHECK(got.lr == expected.lr);  // bit for bit, not approximately
      CHECK(got.momentum == expected.momentum);
      CHECK(back["best_trials"][i]["values"].get<std::vector<double>>() == trials.at(number).values);
      ++n_read;
    }
  }
  CHECK(n_read > 200);
}

TEST_CASE("export: random tampering with a parameter is refused by path, over seeds", "[deploy][export]") {
  const auto sp = rich_space();
  tk::memory_storage store;
  const std::vector<tk::direction> dirs = {tk::direction::minimize};
  const auto sid = store.create_study("s", dirs);
  tk::frozen_trial r;
  r.state = tk::trial_state::running;
  const auto t = store.create_trial(sid, r);
  for (const auto& b : sp.bindings()) store.set_param(t.id, b.name, tk::from_unit(b.dist, 0.3), b.dist);
  store.finish_trial(t.id, tk::trial_state::complete, std::vector<double>{1.0}, {}, "");
  const auto good = dp::best_config_json(store, "s");
  REQUIRE_NOTHROW(dp::read_config(sp, good));
  // Out of range, per kind, and of the wrong JSON type: every binding, several values.
  const std::map<std::string, std::vector<nlohmann::json>> outside = {
      {"lr", {0.0, -1.0, 1.5, 1e-8}},
      {"momentum", {-0.01, 0.995, 7}},
      {"dropout", {0.07, 0.55, -0.05}},
      {"layers", {0, 65, 3.5, -2}},
      {"batch", {17, 0, 1040, 8}},
      {"act", {"RELU", "", "gelu "}},
      {"batch_norm", {}},  // a bool has no value outside {false, true}
      {"scale", {0.25, 3.0, 1.5}}};
  const std::map<std::string, std::vector<nlohmann::json>> wrong_type = {
      {"lr", {"0.1", true}},  {"momentum", {false}}, {"dropout", {"none"}}, {"layers", {"3", true}},
      {"batch", {false}},     {"act", {1, true}},    {"batch_norm", {1, 0, "true"}}, {"scale", {"1.0", true}}};
  for (const auto& b : sp.bindings()) {
    const std::string path = "best_trials[0].params." + b.name;
    for (const auto& v : outside.at(b.name)) {
      auto doc = good;
      doc["best_trials"][0]["params"][b.name] = v;
      INFO(path << " = " << v.dump());
      REQUIRE_INVALID(dp::read_config(sp, doc), Contains("field " + path + " = " + v.dump() + " is outside its distribution"));
    }
    for (const auto& v : wrong_type.at(b.name)) {
      auto doc = good;
      doc["best_trials"][0]["params"][b.name] = v;
      INFO(path << " = " << v.dump());
      REQUIRE_INVALID(dp::read_config(sp, doc), Contains("field " + path + " has the wrong type"));
    }
  }
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

namespace {

/// A random constrained multi-objective study for the front-choice checks:
/// `n` trials with values 0..5 per objective (ties are common), about one in
/// four infeasible, directions as given.
std::vector<fixture_trial> choice_trials(std::mt19937& rng, std::size_t m, int n) {
  std::vector<fixture_trial> trials;
  for (int k = 0; k < n; ++k) {
    fixture_trial t{.values = {}, .lr = 1e-3 * (1 + k), .layers = 1 + k % 8};
    for (std::size_t j = 0; j < m; ++j) t.values.push_back(static_cast<double>(rng() % 6));
    t.constraints = {rng() % 4 == 0 ? 0.5 : -1.0};
    trials.push_back(t);
  }
  return trials;
}

bool choice_dominates(const std::vector<double>& a, const std::vector<double>& b, const std::vector<tk::direction>& dirs) {
  bool strictly = false;
  for (std::size_t k = 0; k < dirs.size(); ++k) {
    if (tk::better(dirs[k], b[k], a[k])) return false;
    strictly = strictly || tk::better(dirs[k], a[k], b[k]);
  }
  return strictly;
}

}  // namespace

TEST_CASE("export: the front holds feasible trials only, exactly the feasible non-dominated set", "[deploy][export][choice]") {
  for (std::uint32_t seed = 0; seed < 40; ++seed) {
    std::mt19937 rng(seed);
    const std::vector<tk::direction> dirs{tk::direction::minimize, tk::direction::maximize};
    const auto trials = choice_trials(rng, 2, 20);
    const auto s = tk::testing::make_study("c", dirs, trials);
    std::vector<bool> expected(trials.size(), false);
    for (std::size_t a = 0; a < trials.size(); ++a)
      expected[a] = trials[a].constraints[0] <= 0 && std::none_of(trials.begin(), trials.end(), [&](const auto& b) {
                      return b.constraints[0] <= 0 && choice_dominates(b.values, trials[a].values, dirs);
                    });
    if (std::none_of(expected.begin(), expected.end(), [](bool b) { return b; })) continue;
    std::vector<bool> got(trials.size(), false);
    const auto doc = dp::best_config_json(s, "c");
    for (const auto& t : doc["best_trials"]) got.at(t["number"].get<std::size_t>()) = true;
    INFO("seed " << seed);
    CHECK(got == expected);
  }
  // One objective: the best feasible trial, even when an infeasible one is better.
  const auto one = tk::testing::make_study("one", {tk::direction::minimize},
                                           {{.values = {0.1}, .constraints = {2.0}}, {.values = {0.5}, .constraints = {0.0}},
                                            {.values = {0.3}, .constraints = {std::nan("")}}, {.values = {0.7}}});
  CHECK(dp::best_config_json(one, "one")["best_trials"][0]["number"] == 1);
  // Every COMPLETE trial infeasible: an error that says so.
  const auto none = tk::testing::make_study("none", {tk::direction::minimize, tk::direction::minimize},
                                            {{.values = {1, 2}, .constraints = {0.5}}, {.values = {2, 1}, .constraints = {1.0}}});
  REQUIRE_THROWS_AS(dp::best_config_json(none, "none"), tk::state_error);
  REQUIRE_THROWS_WITH(dp::best_config_json(none, "none"), Contains("'none'") && Contains("none of its 2 COMPLETE trials is feasible"));
}

TEST_CASE("export: a front choice is the best feasible trial meeting every budget, as brute force finds it", "[deploy][export][choice]") {
  std::size_t chosen_cases = 0, refused_cases = 0;
  for (std::uint32_t seed = 0; seed < 150; ++seed) {
    std::mt19937 rng(1000 + seed);
    const std::size_t m = 2 + seed % 2;
    std::vector<tk::direction> dirs;
    for (std::size_t k = 0; k < m; ++k) dirs.push_back(rng() % 2 ? tk::direction::maximize : tk::direction::minimize);
    const auto trials = choice_trials(rng, m, 4 + static_cast<int>(rng() % 20));
    const auto s = tk::testing::make_study("c", dirs, trials);
    const std::size_t best = rng() % m;
    dp::front_choice choice{.best = std::to_string(best), .objective_names = {}};
    if (seed % 3 == 0) choice.objective_names = m == 2 ? std::vector<std::string>{"error", "latency"}
                                                       : std::vector<std::string>{"error", "latency", "size"};
    const std::size_t n_budgets = rng() % 3;
    for (std::size_t b = 0; b < n_budgets; ++b) {
      const std::size_t k = rng() % m;
      choice.budgets.push_back({.objective = choice.objective_names.empty() ? std::to_string(k) : choice.objective_names[k],
                                .limit = static_cast<double>(rng() % 6)});
    }
    if (!choice.objective_names.empty()) choice.best = choice.objective_names[best];
    // Brute force over all feasible COMPLETE trials (not only the front).
    auto index_of = [&](const std::string& spec) {
      for (std::size_t k = 0; k < choice.objective_names.size(); ++k)
        if (choice.objective_names[k] == spec) return k;
      return static_cast<std::size_t>(std::stoul(spec));
    };
    std::optional<double> best_value;
    for (const auto& t : trials) {
      bool ok = t.constraints[0] <= 0;
      for (const auto& b : choice.budgets) {
        const std::size_t k = index_of(b.objective);
        ok = ok && (dirs[k] == tk::direction::minimize ? t.values[k] <= b.limit : t.values[k] >= b.limit);
      }
      if (ok && (!best_value || tk::better(dirs[best], t.values[best], *best_value))) best_value = t.values[best];
    }
    INFO("seed " << seed);
    bool any_feasible = std::any_of(trials.begin(), trials.end(), [](const auto& t) { return t.constraints[0] <= 0; });
    if (!best_value) {
      REQUIRE_THROWS_AS(dp::best_config_json(s, "c", {.choice = choice}), tk::state_error);
      REQUIRE_THROWS_WITH(dp::best_config_json(s, "c", {.choice = choice}),
                          Contains(any_feasible ? "meets every budget; budgets[0]" : "is feasible"));
      ++refused_cases;
      continue;
    }
    const auto doc = dp::best_config_json(s, "c", {.choice = choice});
    REQUIRE(doc["best_trials"].size() == 1);
    CHECK(doc["format_version"] == 3);
    const auto& t = trials[doc["best_trials"][0]["number"].get<std::size_t>()];
    CHECK(t.values[best] == *best_value);
    CHECK(t.constraints[0] <= 0);
    for (const auto& other : trials)  // on the feasible front
      CHECK_FALSE((other.constraints[0] <= 0 && choice_dominates(other.values, t.values, dirs)));
    CHECK(doc["selection"]["objective"]["index"] == best);
    CHECK(doc["selection"]["budgets"].size() == choice.budgets.size());
    CHECK(dp::check_best_config(doc) == 3);
    ++chosen_cases;
  }
  CHECK(chosen_cases > 50);
  CHECK(refused_cases > 5);
}

TEST_CASE("export: a chosen configuration is read back and carried into the serving manifests", "[deploy][export][choice]") {
  const std::vector<tk::direction> dirs{tk::direction::minimize, tk::direction::minimize};
  // error, latency_ms: trial 2 is the most accurate within 20 ms; trial 0 is infeasible.
  const auto s = tk::testing::make_study("pick", dirs,
                                         {{.values = {0.01, 5}, .lr = 0.5, .constraints = {1.0}},
                                          {.values = {0.05, 8}, .lr = 0.1, .layers = 1},
                                          {.values = {0.03, 19}, .lr = 0.01, .layers = 4, .act = "tanh"},
                                          {.values = {0.02, 40}, .lr = 0.001, .layers = 8}});
  const dp::front_choice choice{.best = "error", .budgets = {{.objective = "latency_ms", .limit = 20}},
                                .objective_names = {"error", "latency_ms"}};
  const auto doc = dp::best_config_json(s, "pick", {.exported_at = fixed_time, .choice = choice});
  CHECK(doc["best_trials"][0]["number"] == 2);
  CHECK(doc["selection"] == nlohmann::json::parse(R"({"objective": {"index": 0, "name": "error"},
      "budgets": [{"objective": 1, "name": "latency_ms", "relation": "<=", "limit": 20.0}],
      "front_size": 3, "candidates": 2})"));
  const config c = dp::read_config(config_space(), doc);
  CHECK(c.lr == Approx(0.01));
  CHECK(c.layers == 4);
  CHECK(c.act == "tanh");
  // A maximised objective's budget is a floor.
  const auto acc = tk::testing::make_study("acc", {tk::direction::maximize, tk::direction::minimize},
                                           {{.values = {0.9, 30}}, {.values = {0.8, 10}}, {.values = {0.95, 50}}});
  const auto fast = dp::best_config_json(acc, "acc", {.choice = dp::front_choice{.best = "1", .budgets = {{"0", 0.85}}}});
  CHECK(fast["best_trials"][0]["number"] == 0);
  CHECK(fast["selection"]["budgets"][0]["relation"] == ">=");

  dp::serve_options so;
  so.name = "serve-pick";
  so.image = "registry.example.com/s:1";
  const std::vector<tk::resource_usage> measured{{.wall_seconds = 2, .cpu_seconds = 1, .peak_memory_growth_bytes = 1 << 20}};
  so.resources = dp::size_resources(std::span<const tk::resource_usage>(measured), {});
  const auto list = dp::serving(doc, so);
  const auto& ann = list["items"][1]["spec"]["template"]["metadata"]["annotations"];
  CHECK(ann["tunekit.io/trial"] == "2");
  CHECK(ann["tunekit.io/selection"] == "best on error (minimize) among 2 of 3 feasible front trials with latency_ms <= 20");
  CHECK(nlohmann::json::parse(list["items"][0]["data"]["best.json"].get<std::string>()) == doc);
  // The whole front is not served: a server would load an arbitrary point of it.
  REQUIRE_INVALID(dp::serving(dp::best_config_json(s, "pick"), so),
                  Contains("Pareto front of 3 trials") && Contains("--pick-best"));

  // The selection is checked on read, by path.
  auto tampered = doc;
  tampered["selection"]["budgets"][0]["limit"] = 10;
  REQUIRE_INVALID(dp::read_config(config_space(), tampered),
                  Contains("field selection.budgets[0] is not met by best_trials[0].values[1] = 19 (limit <= 10)"));
  tampered = doc;
  tampered["selection"]["budgets"][0]["relation"] = ">=";
  REQUIRE_INVALID(dp::check_best_config(tampered), Contains("field selection.budgets[0].relation") && Contains("expected \"<=\""));
  tampered = doc;
  tampered["selection"]["objective"]["index"] = 2;
  REQUIRE_INVALID(dp::check_best_config(tampered), Contains("field selection.objective.index must be an objective's index, below 2"));
  tampered = doc;
  tampered["selection"]["why"] = "because";
  REQUIRE_INVALID(dp::check_best_config(tampered), Contains("field selection.why is unknown"));
  tampered = doc;
  tampered["best_trials"].push_back(tampered["best_trials"][0]);
  tampered["best_trials"][1]["number"] = 3;
  REQUIRE_INVALID(dp::check_best_config(tampered), Contains("a document with a selection holds the chosen one"));
  tampered = doc;
  tampered.erase("selection");
  REQUIRE_INVALID(dp::check_best_config(tampered), Contains("field selection is missing"));
  tampered = doc;
  tampered["format_version"] = 2;
  REQUIRE_INVALID(dp::check_best_config(tampered), Contains("field selection is unknown"));
}

TEST_CASE("export: bad front choices name the field, the value and the fix", "[deploy][export][choice]") {
  const std::vector<tk::direction> dirs{tk::direction::minimize, tk::direction::maximize};
  const auto s = tk::testing::make_study("bad", dirs, {{.values = {0.1, 3}}, {.values = {0.2, 5}}, {.values = {0.4, 4}}});
  auto with = [&](dp::front_choice c) { return dp::best_config_json(s, "bad", {.choice = std::move(c)}); };
  REQUIRE_INVALID(with({.best = "latency"}),
                  Contains("front_choice::best = 'latency' is not an objective") && Contains("0 (minimize), 1 (maximize)"));
  REQUIRE_INVALID(with({.best = "2"}), Contains("front_choice::best = '2' is not an objective"));
  REQUIRE_INVALID(with({.best = ""}), Contains("front_choice::best = '' is not an objective"));
  REQUIRE_INVALID(with({.best = "0", .budgets = {{.objective = "size", .limit = 3}}, .objective_names = {"error", "acc"}}),
                  Contains("front_choice::budgets[0].objective = 'size'") && Contains("0 = error (minimize), 1 = acc (maximize)"));
  REQUIRE_INVALID(with({.best = "0", .budgets = {{.objective = "1", .limit = std::nan("")}}}),
                  Contains("front_choice::budgets[0].limit is NaN"));
  REQUIRE_INVALID(with({.best = "error", .objective_names = {"error"}}),
                  Contains("objective_names has 1 names but study 'bad' has 2 objectives"));
  REQUIRE_INVALID(with({.best = "e", .objective_names = {"e", "e"}}), Contains("objective_names[1] = 'e' is given twice"));
  REQUIRE_INVALID(with({.best = "0", .objective_names = {"error", "1"}}), Contains("objective_names[1] = '1'") && Contains("not a number"));
  // Names and indices both work.
  CHECK(with({.best = "acc", .objective_names = {"error", "acc"}})["best_trials"][0]["number"] == 1);
  CHECK(with({.best = "1"})["best_trials"][0]["number"] == 1);
  // No trial meets the budget: the error says how close the front comes.
  REQUIRE_THROWS_AS(with({.best = "0", .budgets = {{.objective = "1", .limit = 6}}}), tk::state_error);
  REQUIRE_THROWS_WITH(with({.best = "0", .budgets = {{.objective = "acc", .limit = 6}}, .objective_names = {"error", "acc"}}),
                      Contains("none of the 2 trials on its feasible Pareto front meets every budget") &&
                          Contains("budgets[0]: acc >= 6 is met by 0 of them (the best acc on the front is 5, trial 1)"));
  // A single-objective study has no front to choose from.
  const auto single = tk::testing::make_study("single", {tk::direction::minimize}, {{.values = {0.1}}});
  REQUIRE_INVALID(dp::best_config_json(single, "single", {.choice = dp::front_choice{.best = "0"}}),
                  Contains("study 'single' has one objective") && Contains("without a choice"));
  // No trial at all.
  const auto empty = tk::testing::make_study("empty", dirs, {});
  REQUIRE_THROWS_WITH(dp::best_config_json(empty, "empty", {.choice = dp::front_choice{.best = "0"}}),
                      Contains("no trial has completed"));
}
