#include <tunekit/core/trial.hpp>

#include <catch2/catch.hpp>

#include "support/require_invalid.hpp"

#include <tunekit/tuner.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace tk = tunekit;
using Catch::Contains;

namespace {

tk::tuner<tk::define_by_run, tk::random_sampler, tk::nop_scheduler, tk::memory_storage> make_tuner(
    std::uint64_t seed = 1) {
  return tk::tuner{tk::random_sampler{{.seed = seed}}};
}

}  // namespace

TEST_CASE("suggest_* draw values inside their distributions", "[core][trial]") {
  auto tuner = make_tuner(3);
  std::set<std::string> activations;
  std::set<std::int64_t> ints;
  for (int k = 0; k < 200; ++k) {
    tk::trial t = tuner.ask();
    CHECK(t.number() == k);
    const double lr = t.suggest_float("lr", 1e-5, 1e-1, {.log = true});
    const double dropout = t.suggest_float("dropout", 0, 0.5, {.step = 0.1});
    const std::int64_t layers = t.suggest_int("layers", 1, 4);
    const std::int64_t units = t.suggest_int("units", 16, 256, {.step = 16});
    const std::string act = t.suggest_categorical("act", {"relu", "tanh", "gelu"});
    REQUIRE(lr >= 1e-5);
    REQUIRE(lr <= 1e-1);
    REQUIRE(tk::float_distribution(0, 0.5, {.step = 0.1}).contains(dropout));
    REQUIRE(layers >= 1);
    REQUIRE(layers <= 4);
    REQUIRE(units % 16 == 0);
    activations.insert(act);
    ints.insert(layers);
    // The live record and the storage agree.
    CHECK(t.params().size() == 5);
    CHECK(t.frozen().distributions.size() == 5);
    const tk::frozen_trial stored = tuner.storage().trial(t.id());
    CHECK(stored.params == t.params());
    CHECK(stored.distributions == t.frozen().distributions);
    tuner.tell(t, lr);
  }
  CHECK(activations.size() == 3);
  CHECK(ints.size() == 4);
}

TEST_CASE("the same name and distribution gives the same value", "[core][trial]") {
  auto tuner = make_tuner();
  tk::trial t = tuner.ask();
  const double x = t.suggest_float("x", -3, 3);
  const auto n = t.suggest_int("n", 0, 1'000'000);
  const std::string c = t.suggest_categorical<std::string>("c", {"a", "b", "c", "d", "e"});
  for (int k = 0; k < 5; ++k) {
    CHECK(t.suggest_float("x", -3, 3) == x);
    CHECK(t.suggest_int("n", 0, 1'000'000) == n);
    CHECK(t.suggest_categorical<std::string>("c", {"a", "b", "c", "d", "e"}) == c);
  }
  CHECK(t.params().size() == 3);
  // Other parameters are drawn independently: with a million values, a
  // repeat of `n` under another name would be a broken sampler.
  CHECK(t.suggest_int("m", 0, 1'000'000) != n);
}

TEST_CASE("the same name with another distribution is an error", "[core][trial][errors]") {
  SECTION("through ask/tell, naming both distributions") {
    auto tuner = make_tuner();
    tk::trial t = tuner.ask();
    t.suggest_float("x", 0, 1);
    REQUIRE_INVALID(t.suggest_float("x", 0, 2), Contains("'x'") && Contains("already suggested") &&
                                                    Contains("float in [0, 1]") && Contains("float in [0, 2]"));
    REQUIRE_INVALID(t.suggest_int("x", 0, 1), Contains("int in [0, 1]"));
    REQUIRE_INVALID(t.suggest_float("x", 0, 1, {.step = 0.5}), Contains("step 0.5"));
    REQUIRE_INVALID(t.suggest_categorical("x", {1.0, 0.0}), Contains("one of {1, 0}"));
    t.suggest_categorical("act", {"relu", "tanh"});
    REQUIRE_INVALID(t.suggest_categorical("act", {"tanh", "relu"}), Contains("'act'"));  // order matters
    CHECK(t.params().size() == 2);
  }
  SECTION("inside optimize it fails the trial with the reason stored, and the study goes on") {
    auto tuner = make_tuner();
    const auto summary = tuner.optimize(
        [](tk::trial& t) {
          const double a = t.suggest_float("x", 0, 1);
          if (t.number() % 2 == 1) return a + t.suggest_float("x", 0, 5);
          return a;
        },
        {.n_trials = 6});
    CHECK(summary.n_complete == 3);
    CHECK(summary.n_fail == 3);
    for (const auto& t : tuner.trials()) {
      if (t.number % 2 == 0) {
        CHECK(t.state == tk::trial_state::complete);
        CHECK(t.fail_reason.empty());
      } else {
        CHECK(t.state == tk::trial_state::fail);
        CHECK_THAT(t.fail_reason, Contains("invalid_argument") && Contains("'x'") && Contains("float in [0, 5]"));
        CHECK(t.values.empty());
      }
    }
  }
  SECTION("with catch_exceptions = false the error reaches the caller") {
    auto tuner = make_tuner();
    REQUIRE_THROWS_AS(tuner.optimize(
                          [](tk::trial& t) {
                            t.suggest_int("n", 0, 3);
                            return static_cast<double>(t.suggest_int("n", 0, 4));
                          },
                          {.n_trials = 5, .catch_exceptions = false}),
                      tk::invalid_argument);
    REQUIRE(tuner.trials().size() == 1);
    CHECK(tuner.trials()[0].state == tk::trial_state::fail);
  }
  SECTION("bad arguments to suggest_* name the parameter") {
    auto tuner = make_tuner();
    tk::trial t = tuner.ask();
    REQUIRE_INVALID(t.suggest_float("lr", 0, 1, {.log = true}), Contains("'lr'") && Contains("low > 0"));
    REQUIRE_INVALID(t.suggest_int("k", 5, 1), Contains("'k'") && Contains("low = 5"));
    REQUIRE_INVALID(t.suggest_categorical("act", std::vector<std::string>{}), Contains("'act'"));
    CHECK(t.params().empty());  // nothing was recorded
  }
}

TEST_CASE("suggest_categorical returns the caller's type", "[core][trial]") {
  auto tuner = make_tuner(9);
  for (int k = 0; k < 20; ++k) {
    tk::trial t = tuner.ask();
    const std::vector<std::string> names = {"adam", "sgd", "rmsprop"};
    auto optimizer = t.suggest_categorical("optimizer", names);
    STATIC_REQUIRE(std::is_same_v<decltype(optimizer), std::string>);
    auto width = t.suggest_categorical("width", {32, 64, 128});
    STATIC_REQUIRE(std::is_same_v<decltype(width), int>);
    auto scale = t.suggest_categorical("scale", {0.5, 1.0, 2.0});
    STATIC_REQUIRE(std::is_same_v<decltype(scale), double>);
    auto flag = t.suggest_categorical("flag", {true, false});
    STATIC_REQUIRE(std::is_same_v<decltype(flag), bool>);
    auto big = t.suggest_categorical("big", {std::int64_t{1} << 40, std::int64_t{3}});
    STATIC_REQUIRE(std::is_same_v<decltype(big), std::int64_t>);
    const std::string act = t.suggest_categorical("act", {"relu", "tanh"});

    CHECK((optimizer == "adam" || optimizer == "sgd" || optimizer == "rmsprop"));
    CHECK((width == 32 || width == 64 || width == 128));
    CHECK((scale == 0.5 || scale == 1.0 || scale == 2.0));
    CHECK((big == (std::int64_t{1} << 40) || big == 3));
    CHECK((act == "relu" || act == "tanh"));
    // Internally a categorical is its index; externally the choice.
    const tk::frozen_trial& f = t.frozen();
    CHECK(names.at(static_cast<std::size_t>(f.params.at("optimizer"))) == optimizer);
    CHECK(f.param<std::string>("optimizer") == optimizer);
    CHECK(f.param<std::int64_t>("width") == width);
    CHECK(f.param<int>("width") == width);
    CHECK(f.param<double>("scale") == scale);
    CHECK(f.param<bool>("flag") == flag);
    CHECK(f.param<std::int64_t>("big") == big);
    CHECK(f.external_param("act") == tk::category(act));
    tuner.tell(t, 0.0);
  }
}

TEST_CASE("frozen_trial::param converts, and refuses what does not convert", "[core][trial]") {
  auto tuner = make_tuner();
  tk::trial t = tuner.ask();
  const double x = t.suggest_float("x", 0.5, 1.5);
  const auto n = t.suggest_int("n", 10, 20);
  t.suggest_categorical("act", {"relu", "tanh"});
  const tk::frozen_trial done = tuner.tell(t, 1.0);

  CHECK(done.param<double>("x") == x);
  CHECK(done.param<float>("x") == static_cast<float>(x));
  CHECK(done.param<std::int64_t>("n") == n);
  CHECK(done.param<double>("n") == static_cast<double>(n));
  CHECK(std::holds_alternative<std::int64_t>(done.external_param("n")));
  CHECK(std::holds_alternative<double>(done.external_param("x")));
  CHECK(std::holds_alternative<std::string>(done.external_param("act")));
  CHECK(done.has_param("x"));
  CHECK_FALSE(done.has_param("y"));

  REQUIRE_INVALID(done.param<double>("act"), Contains("'act'") && Contains("does not convert"));
  REQUIRE_INVALID(done.param<std::string>("x"), Contains("'x'"));
  REQUIRE_INVALID(done.param<double>("missing"), Contains("no parameter 'missing'"));
  CHECK(done.value() == 1.0);
}

TEST_CASE("report stores intermediate values, for the scheduler and the record", "[core][trial]") {
  struct recording_scheduler {
    std::vector<std::size_t>* seen;
    bool should_prune(const tk::study_view&, const tk::frozen_trial& t) {
      seen->push_back(t.intermediate_values.size());
      return false;
    }
  };
  std::vector<std::size_t> seen;
  tk::tuner tuner{recording_scheduler{&seen}, tk::random_sampler{{.seed = 1}}};
  tk::trial t = tuner.ask();
  t.report(0, 3.0);
  CHECK_FALSE(t.should_prune());
  t.report(5, 2.0);
  t.report(2, 2.5);  // out of order is fine: steps are keys
  CHECK_FALSE(t.should_prune());
  CHECK(seen == std::vector<std::size_t>{1, 3});
  CHECK(t.frozen().intermediate_values == std::map<std::int64_t, double>{{0, 3.0}, {2, 2.5}, {5, 2.0}});
  CHECK(t.frozen().last_intermediate_value() == 2.0);  // the highest step, not the last call
  CHECK(tuner.storage().trial(t.id()).intermediate_values == t.frozen().intermediate_values);

  const tk::frozen_trial done = tuner.tell(t, tk::pruned);
  CHECK(done.state == tk::trial_state::pruned);
  CHECK(done.values == std::vector<double>{2.0});  // a pruned trial carries its last value
  CHECK(done.intermediate_values.size() == 3);
  CHECK_FALSE(tk::frozen_trial{}.last_intermediate_value().has_value());
}

TEST_CASE("user attributes round-trip", "[core][trial]") {
  auto tuner = make_tuner();
  tk::trial t = tuner.ask();
  const nlohmann::json nested = {{"layers", {64, 32}}, {"note", "dropout \"high\"\nline 2 \xF0\x9F\x9A\x80"}, {"ok", true}};
  t.set_user_attr("config", nested);
  t.set_user_attr("score", 0.25);
  t.set_user_attr("score", 0.5);  // the last write wins
  t.set_user_attr("ключ", "значение");
  CHECK(t.frozen().user_attrs.at("config") == nested);
  const tk::frozen_trial done = tuner.tell(t, 1.0);
  CHECK(done.user_attrs.size() == 3);
  CHECK(done.user_attrs.at("config") == nested);
  CHECK(done.user_attrs.at("score") == 0.5);
  CHECK(done.user_attrs.at("ключ") == "значение");
  CHECK(tuner.trials().at(0).user_attrs == done.user_attrs);
}

TEST_CASE("a trial handle is dead once its trial is told", "[core][trial][errors]") {
  auto tuner = make_tuner();
  tk::trial t = tuner.ask();
  t.suggest_float("x", 0, 1);
  tuner.tell(t, 0.5);
  CHECK_THROWS_AS(tuner.tell(t, 0.5), tk::state_error);
  CHECK_THROWS_AS(t.suggest_float("y", 0, 1), tk::state_error);
  CHECK_THROWS_AS(t.report(0, 1.0), tk::state_error);
  CHECK_THROWS_AS(t.set_user_attr("k", 1), tk::state_error);
  // An already suggested parameter is still readable.
  CHECK(t.suggest_float("x", 0, 1) == t.params().at("x"));
  const auto stored = tuner.trials().at(0);
  CHECK(stored.state == tk::trial_state::complete);
  CHECK(stored.params.size() == 1);
}

TEST_CASE("objective outcomes become trial states", "[core][trial][tuner]") {
  auto tuner = make_tuner();
  const auto summary = tuner.optimize(
      [](tk::trial& t) -> tk::result {
        const auto k = t.number();
        t.suggest_float("x", 0, 1);
        if (k == 0) return std::numeric_limits<double>::quiet_NaN();
        if (k == 1) throw std::runtime_error("out of memory (pretend)");
        if (k == 2) throw tk::trial_pruned{};
        if (k == 3) return tk::pruned;
        if (k == 4) return std::vector<double>{1.0, 2.0};  // two values for one direction
        return 0.5;
      },
      {.n_trials = 6});
  const auto trials = tuner.trials();
  REQUIRE(trials.size() == 6);
  CHECK(trials[0].state == tk::trial_state::fail);
  CHECK_THAT(trials[0].fail_reason, Contains("non-finite") && Contains("nan"));
  CHECK(trials[1].state == tk::trial_state::fail);
  CHECK_THAT(trials[1].fail_reason, Contains("out of memory (pretend)"));
  CHECK(trials[2].state == tk::trial_state::pruned);
  CHECK(trials[3].state == tk::trial_state::pruned);
  CHECK(trials[4].state == tk::trial_state::fail);
  CHECK_THAT(trials[4].fail_reason, Contains("2 value(s)") && Contains("1 direction(s)"));
  CHECK(trials[5].state == tk::trial_state::complete);
  CHECK(trials[5].values == std::vector<double>{0.5});
  CHECK(summary.n_fail == 3);
  CHECK(summary.n_pruned == 2);
  CHECK(summary.n_complete == 1);
  for (const auto& t : trials) {
    CHECK(t.datetime_start.has_value());
    CHECK(t.datetime_complete.has_value());
    CHECK(*t.duration_seconds() >= 0);
  }
}

TEST_CASE("enqueued values are what suggest returns", "[core][trial][tuner]") {
  auto tuner = make_tuner();
  tuner.enqueue({{"x", 0.25}, {"n", std::int64_t{7}}, {"act", "tanh"}});
  tuner.enqueue({{"x", 5.0}});  // outside [0, 1]: that trial fails when it suggests x
  tuner.optimize(
      [](tk::trial& t) {
        const double x = t.suggest_float("x", 0, 1);
        const auto n = t.suggest_int("n", 0, 10);
        const std::string act = t.suggest_categorical("act", {"relu", "tanh"});
        return x + static_cast<double>(n) + (act == "tanh" ? 100 : 0);
      },
      {.n_trials = 3});
  const auto trials = tuner.trials();
  REQUIRE(trials.size() == 3);
  CHECK(trials[0].state == tk::trial_state::complete);
  CHECK(trials[0].value() == 107.25);
  CHECK(trials[1].state == tk::trial_state::fail);
  CHECK_THAT(trials[1].fail_reason, Contains("'x'") && Contains("value 5") && Contains("float in [0, 1]"));
  CHECK(trials[2].state == tk::trial_state::complete);
}
