// tunekit::xgboost: the C API wrappers, the pruning callback and the
// search-space fragment, on a small synthetic data set (a few milliseconds
// per model, one thread), so the whole file runs in seconds under ASan+UBSan.
#include <tunekit/integrations/xgboost.hpp>
#include <tunekit/tunekit.hpp>

#include "support/test_helpers.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <variant>
#include <vector>

namespace xgb = tunekit::xgboost;
using Catch::Matchers::Contains;

using tunekit_test::after_three_reports;

namespace {

/// A binary task: y = 1 when a noisy linear score of 5 features passes 0.
struct toy_data {
  std::vector<float> x;
  std::vector<float> y;
  std::size_t rows;
  static constexpr std::size_t cols = 5;
};

toy_data make_data(std::size_t rows, std::uint64_t seed) {
  toy_data d{{}, {}, rows};
  std::uint64_t s = seed * 2862933555777941757ULL + 3037000493ULL;
  auto uniform = [&] {  // our own generator: the same data everywhere
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>((s >> 40) & 0xFFFFFF) / 16777216.0f;
  };
  for (std::size_t r = 0; r < rows; ++r) {
    float score = 0;
    const float w[toy_data::cols] = {1.5f, -1.0f, 0.8f, 0.0f, 0.3f};
    for (std::size_t c = 0; c < toy_data::cols; ++c) {
      const float v = uniform() * 2 - 1;
      d.x.push_back(v);
      score += w[c] * v;
    }
    score += 0.6f * (uniform() - 0.5f);  // label noise
    d.y.push_back(score > 0 ? 1.0f : 0.0f);
  }
  return d;
}

xgb::dmatrix to_dmatrix(const toy_data& d) {
  xgb::dmatrix m{d.x, d.rows, toy_data::cols};
  m.set_labels(d.y);
  return m;
}

/// A booster for the toy task: one thread, fixed seed, logloss.
xgb::booster make_booster(const xgb::dmatrix& train, const xgb::dmatrix& valid, xgb::booster_options options = {}) {
  xgb::booster b{{train, valid}, options};
  b.set_params({{"objective", "binary:logistic"}, {"eval_metric", "logloss"}, {"nthread", "1"}, {"seed", "0"}});
  return b;
}

const toy_data train_data = make_data(200, 1);
const toy_data valid_data = make_data(100, 2);

}  // namespace

// --- errors -----------------------------------------------------------------------

TEST_CASE("xgboost: a bad parameter value is an xgboost::error with XGBoost's message", "[integrations][xgboost]") {
  const auto train = to_dmatrix(train_data);
  auto b = make_booster(train, train);
  b.set_param("max_depth", "abc");
  try {
    b.update(0, train);
    FAIL("update accepted max_depth = abc");
  } catch (const xgb::error& e) {
    CHECK_THAT(e.what(), Contains("[tunekit.xgboost_error] XGBoosterUpdateOneIter(round 0)"));
    CHECK_THAT(e.xgboost_message(), Contains("Invalid Parameter format for max_depth expect int but value='abc'"));
    CHECK_THAT(e.what(), !Contains("Stack trace"));  // libxgboost's internals are cut off
  }
  // XGBoost may crash on a booster whose update failed: it is retired.
  b.set_param("max_depth", 3);
  CHECK_THROWS_AS(b.update(0, train), tunekit::state_error);
  CHECK_THROWS_WITH(b.update(0, train), Contains("an earlier call failed") && Contains("max_depth") &&
                                            Contains("create a new booster"));
  CHECK_THROWS_AS(b.predict(train), tunekit::state_error);

  auto c = make_booster(train, train);
  c.set_param("subsample", 1.5);
  CHECK_THROWS_WITH(c.update(0, train), Contains("value 1.5 for Parameter subsample exceed bound [0,1]"));
  auto d = make_booster(train, train);
  d.set_param("objective", "no:such");
  CHECK_THROWS_WITH(d.update(0, train), Contains("Unknown objective function: `no:such`"));
  auto e = make_booster(train, train);
  e.set_param("eval_metric", "no-such-metric");
  CHECK_THROWS_WITH(e.update(0, train), Contains("Unknown metric function no-such-metric"));
}

TEST_CASE("xgboost: a misspelt parameter name is rejected, naming it and the option", "[integrations][xgboost]") {
  const auto train = to_dmatrix(train_data);
  auto b = make_booster(train, train);
  b.set_param("etaa", 0.1);  // XGBoost itself accepts and ignores it
  CHECK_THROWS_WITH(b.update(0, train), Contains("parameter 'etaa' is not used by this XGBoost model") &&
                                            Contains("booster_options::reject_unused_params = false"));
  // Names XGBoost does use, wherever its configuration keeps them, pass.
  auto ok = make_booster(train, train);
  ok.set_params({{"verbosity", "0"}, {"eval_metric", "error"}, {"max_bin", "64"}, {"validate_parameters", "1"}});
  xgb::set_params(ok, xgb::booster_params{});
  CHECK_NOTHROW(ok.update(0, train));
  // Opted out: passed on and ignored, as XGBoost does.
  auto lax = make_booster(train, train, {.reject_unused_params = false});
  lax.set_param("etaa", 0.1);
  CHECK_NOTHROW(lax.update(0, train));
}

TEST_CASE("xgboost: bad data is rejected before XGBoost reads it, or with XGBoost's message", "[integrations][xgboost]") {
  const std::vector<float> values(12, 0.5f);
  CHECK_THROWS_WITH((xgb::dmatrix{values, 5, 3}),
                    Contains("xgboost::dmatrix: 12 values for 5 rows x 3 columns; pass rows * cols = 15 floats"));
  CHECK_THROWS_AS((xgb::dmatrix{values, 5, 3}), tunekit::invalid_argument);
  CHECK_THROWS_WITH((xgb::dmatrix{std::span<const float>{}, 0, 3}), Contains("0 rows x 3 columns is empty"));

  xgb::dmatrix m{values, 4, 3};
  CHECK(m.rows() == 4);
  CHECK(m.cols() == 3);
  const std::vector<float> three_labels{0, 1, 0};
  CHECK_THROWS_WITH(m.set_labels(three_labels), Contains("XGDMatrixSetFloatInfo(\"label\")") &&
                                                    Contains("Incorrect size for labels"));
  const std::vector<float> nan_label{0, 1, std::numeric_limits<float>::quiet_NaN(), 0};
  CHECK_THROWS_WITH(m.set_labels(nan_label), Contains("Label contains NaN"));
}

TEST_CASE("xgboost: an XGBoost error in an objective fails only that trial", "[integrations][xgboost]") {
  const auto train = to_dmatrix(train_data);
  const auto valid = to_dmatrix(valid_data);
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 1}}};
  tuner.optimize(
      [&](tunekit::trial& t) {
        auto b = make_booster(train, valid);
        xgb::set_params(b, xgb::suggest_params(t));
        if (t.number() == 1) b.set_param("max_depth", -3);
        return xgb::train(b, train, {{valid, "validation"}}, {.rounds = 3}).at("validation-logloss");
      },
      {.n_trials = 3});
  const auto trials = tuner.trials();
  REQUIRE(trials.size() == 3);
  CHECK(trials[0].state == tunekit::trial_state::complete);
  CHECK(trials[1].state == tunekit::trial_state::fail);
  CHECK_THAT(trials[1].fail_reason, Contains("max_depth"));
  CHECK(trials[2].state == tunekit::trial_state::complete);
}

// --- RAII -------------------------------------------------------------------------

TEST_CASE("xgboost: handles are owned once and freed once (ASan checks the leaks)", "[integrations][xgboost]") {
  auto train = to_dmatrix(train_data);
  const DMatrixHandle h = train.handle();
  xgb::dmatrix moved = std::move(train);
  CHECK(moved.handle() == h);
  CHECK(train.handle() == nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  moved = to_dmatrix(valid_data);    // the old handle is freed

  for (int i = 0; i < 20; ++i) {  // a leak per iteration would show under ASan
    auto d = to_dmatrix(train_data);
    auto b = make_booster(d, d);
    b.update(0, d);
    xgb::booster other = std::move(b);
    CHECK(other.boosted_rounds() == 1);
    CHECK(b.handle() == nullptr);  // NOLINT(bugprone-use-after-move)
    if (i % 2) b = std::move(other);
  }
  // An exception between creation and destruction frees too.
  CHECK_THROWS_AS(
      [&] {
        auto b = make_booster(moved, moved);
        b.set_param("max_depth", "x");
        b.update(0, moved);
      }(),
      xgb::error);
}

// --- evaluation lines --------------------------------------------------------------

TEST_CASE("xgboost: evaluation lines parse into keyed metrics", "[integrations][xgboost]") {
  const auto r = xgb::eval_result::parse("[7]\ttrain-logloss:0.25\tvalidation-logloss:0.5\tvalidation-error:0.125");
  CHECK(r.round() == 7);
  REQUIRE(r.entries().size() == 3);
  CHECK(r.at("validation-logloss") == 0.5);
  CHECK(r.entries().back().first == "validation-error");
  CHECK_THROWS_WITH(r.at("valid-logloss"), Contains("no metric 'valid-logloss' in round 7") &&
                                               Contains("'train-logloss', 'validation-logloss'"));
  CHECK_THROWS_AS(xgb::eval_result::parse("validation-logloss:0.5"), tunekit::invalid_argument);
  CHECK_THROWS_WITH(xgb::eval_result::parse("[0]\tvalidation-logloss:abc"), Contains("a value is not a number"));

  // What XGBoost writes: full double precision, sets in the order given.
  const auto train = to_dmatrix(train_data);
  const auto valid = to_dmatrix(valid_data);
  auto b = make_booster(train, valid);
  b.set_param("eval_metric", "error");
  b.update(0, train);
  const auto e = b.evaluate(0, {{train, "train"}, {valid, "validation"}});
  std::vector<std::string> keys;
  for (const auto& [k, v] : e.entries()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"train-logloss", "train-error", "validation-logloss", "validation-error"});
  CHECK(e.at("validation-logloss") > 0);
}

// --- the callback ------------------------------------------------------------------

TEST_CASE("xgboost: the pruning callback reports every round at step = round", "[integrations][xgboost]") {
  const auto train = to_dmatrix(train_data);
  const auto valid = to_dmatrix(valid_data);
  // The reference: the same model trained alone, its metric per round.
  std::vector<double> expected;
  {
    auto b = make_booster(train, valid);
    xgb::train(b, train, {{valid, "validation"}}, {.rounds = 6},
               [&](int, const xgb::eval_result& r) { expected.push_back(r.at("validation-logloss")); });
  }
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 2}}};
  tuner.optimize(
      [&](tunekit::trial& t) {
        auto b = make_booster(train, valid);
        return xgb::train(b, train, {{valid, "validation"}}, {.rounds = 6},
                          xgb::pruning_callback(t, "validation-logloss"))
            .at("validation-logloss");
      },
      {.n_trials = 1});
  const auto t = tuner.trials().at(0);
  CHECK(t.state == tunekit::trial_state::complete);
  REQUIRE(t.intermediate_values.size() == 6);
  for (std::int64_t step = 0; step < 6; ++step) {
    INFO("step " << step);
    CHECK(t.intermediate_values.at(step) == expected[static_cast<std::size_t>(step)]);
  }
  CHECK(t.value() == expected.back());
}

TEST_CASE("xgboost: the pruning callback stops a trial the scheduler prunes", "[integrations][xgboost]") {
  const auto train = to_dmatrix(train_data);
  const auto valid = to_dmatrix(valid_data);
  tunekit::tuner tuner{after_three_reports{}, tunekit::random_sampler{{.seed = 3}}};
  std::vector<int> rounds_boosted;
  tuner.optimize(
      [&](tunekit::trial& t) {
        auto b = make_booster(train, valid);
        xgb::set_params(b, xgb::suggest_params(t));
        try {
          return xgb::train(b, train, {{valid, "validation"}}, {.rounds = 20},
                            xgb::pruning_callback(t, "validation-logloss"))
              .at("validation-logloss");
        } catch (const tunekit::trial_pruned&) {
          rounds_boosted.push_back(b.boosted_rounds());
          throw;
        }
      },
      {.n_trials = 2});
  CHECK(rounds_boosted == std::vector<int>{3, 3});
  for (const auto& t : tuner.trials()) {
    CHECK(t.state == tunekit::trial_state::pruned);
    CHECK(t.intermediate_values.size() == 3);
  }
  // A key the evaluation does not have fails the trial, naming the keys it has.
  tunekit::tuner wrong_key{tunekit::random_sampler{{.seed = 3}}};
  wrong_key.optimize(
      [&](tunekit::trial& t) {
        auto b = make_booster(train, valid);
        return xgb::train(b, train, {{valid, "validation"}}, {.rounds = 2},
                          xgb::pruning_callback(t, "valid-logloss"))
            .at("validation-logloss");
      },
      {.n_trials = 1});
  CHECK_THAT(wrong_key.trials().at(0).fail_reason, Contains("it has 'validation-logloss'"));
  CHECK_THROWS_WITH(xgb::train(*std::make_unique<xgb::booster>(), train, {}, {.rounds = 1}),
                    Contains("no eval sets"));
  auto b = make_booster(train, valid);
  CHECK_THROWS_WITH(xgb::train(b, train, {{valid, "validation"}}, {.rounds = 0}),
                    Contains("xgboost::train_options::rounds = 0 is not allowed"));
}

TEST_CASE("xgboost: a short tuning run with the median scheduler improves on its first trial", "[integrations][xgboost]") {
  const auto train = to_dmatrix(train_data);
  const auto valid = to_dmatrix(valid_data);
  tunekit::tuner tuner{xgb::param_space(), tunekit::tpe_sampler{{.n_startup_trials = 5, .seed = 4}},
                       tunekit::median_scheduler{{.n_startup_trials = 3}}};
  tuner.optimize(
      [&](const xgb::booster_params& p, tunekit::trial& t) {
        auto b = make_booster(train, valid);
        xgb::set_params(b, p);
        return xgb::train(b, train, {{valid, "validation"}}, {.rounds = 15},
                          xgb::pruning_callback(t, "validation-logloss"))
            .at("validation-logloss");
      },
      {.n_trials = 16, .n_jobs = 1});
  const auto trials = tuner.trials();
  REQUIRE(trials.at(0).state == tunekit::trial_state::complete);
  CHECK(tuner.best_value() < trials.at(0).value());
  CHECK(tuner.best_value() < 0.45);  // measured: about 0.3; a constant guess scores 0.69
  std::int64_t pruned = 0;
  for (const auto& t : trials) pruned += t.state == tunekit::trial_state::pruned;
  CHECK(pruned > 0);
}

// --- the search-space fragment ------------------------------------------------------

TEST_CASE("xgboost: the search-space fragment's distributions, overrides and checks", "[integrations][xgboost]") {
  const auto space = xgb::param_space();
  const auto& dyn = space.dynamic();
  REQUIRE(dyn.size() == 8);
  auto float_of = [&](const char* name) { return std::get<tunekit::float_distribution>(*dyn.find(name)); };
  CHECK(float_of("eta").log());
  CHECK(float_of("eta").low() == 1e-3);
  CHECK(float_of("eta").high() == 0.5);
  CHECK(float_of("min_child_weight").log());
  CHECK(float_of("lambda").log());
  CHECK(float_of("alpha").log());
  CHECK(!float_of("subsample").log());
  CHECK(!float_of("colsample_bytree").log());
  CHECK(!float_of("gamma").log());
  CHECK(float_of("gamma").low() == 0);
  const auto depth = std::get<tunekit::int_distribution>(*dyn.find("max_depth"));
  CHECK(depth.low() == 2);
  CHECK(depth.high() == 10);

  // Overridden and left out.
  const auto narrow = xgb::param_space({.eta = xgb::float_range{0.01, 0.3}, .gamma = std::nullopt});
  CHECK(narrow.dynamic().size() == 7);
  CHECK(narrow.dynamic().find("gamma") == nullptr);
  CHECK(std::get<tunekit::float_distribution>(*narrow.dynamic().find("eta")).low() == 0.01);
  CHECK(xgb::param_space({.eta = {}, .max_depth = {}, .min_child_weight = {}, .subsample = {},
                          .colsample_bytree = {}, .lambda = {}, .alpha = {}, .gamma = {}})
            .dynamic()
            .empty());

  // Ranges XGBoost would refuse, named with the option.
  CHECK_THROWS_WITH(xgb::param_space({.subsample = xgb::float_range{0.5, 1.5}}),
                    Contains("xgboost::param_ranges::subsample = [0.5, 1.5] is not allowed; use low <= high inside (0, 1]"));
  CHECK_THROWS_WITH(xgb::param_space({.eta = xgb::float_range{0, 0.3}}), Contains("param_ranges::eta = [0, 0.3]"));
  CHECK_THROWS_WITH(xgb::param_space({.max_depth = xgb::int_range{0, 4}}), Contains("param_ranges::max_depth = [0, 4]"));
  CHECK_THROWS_AS(xgb::param_space({.gamma = xgb::float_range{2, 1}}), tunekit::invalid_argument);

  // Define-by-run gives the same names; left-out members keep XGBoost's defaults.
  tunekit::tuner tuner{tunekit::random_sampler{{.seed = 5}}};
  auto t = tuner.ask();
  const auto p = xgb::suggest_params(t, {.eta = std::nullopt});
  CHECK(p.eta == 0.3);
  CHECK(t.params().size() == 7);
  CHECK(t.params().at("subsample") == p.subsample);
  CHECK(p.max_depth >= 2);
  CHECK(p.max_depth <= 10);
}

TEST_CASE("xgboost: set_params puts every value on the booster, exactly", "[integrations][xgboost]") {
  const auto train = to_dmatrix(train_data);
  auto b = make_booster(train, train);
  xgb::set_params(b, {.eta = 0.1234567890123, .max_depth = 4, .subsample = 0.75, .gamma = 0.5});
  b.update(0, train);
  bst_ulong length = 0;
  const char* config = nullptr;
  REQUIRE(XGBoosterSaveJsonConfig(b.handle(), &length, &config) == 0);
  const auto j = nlohmann::json::parse(config, config + length);
  const auto& tp = j["learner"]["gradient_booster"]["updater"].begin().value()["train_param"];
  CHECK(tp["max_depth"] == "4");
  CHECK(tp["subsample"] == "0.75");
  CHECK(tp["gamma"] == "0.5");
  CHECK(std::stof(tp["eta"].get<std::string>()) == 0.1234567890123f);  // XGBoost keeps eta as a float
}

// --- parity with XGBoost's Python package ---------------------------------------------

TEST_CASE("xgboost: every round's validation metrics equal python3-xgboost 1.7.4's", "[integrations][xgboost][parity]") {
  // tests/data/xgboost/generate_parity_reference.py: xgboost.train in Python,
  // one fixed configuration, the first 400 digits (300 train, 100 validation).
  std::ifstream file(TUNEKIT_TEST_DATA_DIR "/xgboost/parity_reference.json");
  REQUIRE(file);
  const auto ref = nlohmann::json::parse(file);
  REQUIRE(ref["xgboost_version"] == "1.7.4");
  const auto rows = ref["rows"].get<std::size_t>(), train_rows = ref["train_rows"].get<std::size_t>();
  const int rounds = ref["rounds"].get<int>();
  std::vector<float> x;
  for (const auto& row : ref["pixels"])
    for (const auto& v : row) x.push_back(static_cast<float>(v.get<int>() / 16.0));
  std::vector<float> y;
  for (const auto& v : ref["labels"]) y.push_back(static_cast<float>(v.get<int>()));
  REQUIRE(x.size() == rows * 64);

  xgb::dmatrix train{std::span(x).first(train_rows * 64), train_rows, 64};
  train.set_labels(std::span(y).first(train_rows));
  xgb::dmatrix valid{std::span(x).subspan(train_rows * 64), rows - train_rows, 64};
  valid.set_labels(std::span(y).subspan(train_rows));

  xgb::booster b{{train, valid}};
  for (const auto& [name, value] : ref["params"].items()) {
    if (value.is_array())
      for (const auto& v : value) b.set_param(name, v.get<std::string>());
    else
      b.set_param(name, value.get<std::string>());
  }
  std::vector<double> mlogloss, merror;
  xgb::train(b, train, {{valid, "validation"}}, {.rounds = rounds}, [&](int, const xgb::eval_result& r) {
    mlogloss.push_back(r.at("validation-mlogloss"));
    merror.push_back(r.at("validation-merror"));
  });
  CHECK(mlogloss == ref["validation_mlogloss"].get<std::vector<double>>());
  CHECK(merror == ref["validation_merror"].get<std::vector<double>>());
  const std::vector<float> proba = b.predict(valid);
  const auto expected = ref["validation_proba"].get<std::vector<double>>();
  REQUIRE(proba.size() == expected.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < proba.size(); ++i) differing += static_cast<double>(proba[i]) != expected[i];
  CHECK(differing == 0);
}
