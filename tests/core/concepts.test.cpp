#include <tunekit/core/concepts.hpp>

#include <catch2/catch.hpp>

#include <tunekit/tuner.hpp>

#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tk = tunekit;
using Catch::Contains;

namespace {

// --- user-written components: nothing but the documented members -----------

/// Proposes the golden-ratio sequence in unit space: trial n gets frac(n * phi).
struct golden_sampler {
  int* calls = nullptr;
  double sample_independent(const tk::study_view&, const tk::frozen_trial& t, std::string_view,
                            const tk::distribution& d) {
    if (calls) ++*calls;
    const double u = static_cast<double>(t.number) * 0.6180339887498949;
    return tk::from_unit(d, u - static_cast<double>(static_cast<long long>(u)));
  }
};

/// Relational: every parameter that all finished trials share gets u = 0.25;
/// a parameter seen for the first time gets u = 0.75 (independently).
struct quarter_sampler {
  int relative_calls = 0, independent_calls = 0;
  std::size_t last_space_size = 0;

  double sample_independent(const tk::study_view&, const tk::frozen_trial&, std::string_view,
                            const tk::distribution& d) {
    ++independent_calls;
    return tk::from_unit(d, 0.75);
  }
  tk::search_space infer_relative_search_space(const tk::study_view& view, const tk::frozen_trial&) {
    tk::search_space common;
    if (view.finished().empty()) return common;
    for (const auto& [name, d] : view.finished()[0].distributions) {
      bool everywhere = true;
      for (const auto& t : view.finished()) {
        auto it = t.distributions.find(name);
        everywhere = everywhere && it != t.distributions.end() && it->second == d;
      }
      if (everywhere) common.add(name, d);
    }
    return common;
  }
  tk::param_map sample_relative(const tk::study_view&, const tk::frozen_trial&, const tk::search_space& space) {
    ++relative_calls;
    last_space_size = space.size();
    tk::param_map out;
    for (const auto& [name, d] : space) out[name] = tk::from_unit(d, 0.25);
    return out;
  }
};

/// Stops a trial as soon as a reported value is above a threshold.
struct threshold_scheduler {
  double threshold = 0;
  int* calls = nullptr;
  bool should_prune(const tk::study_view&, const tk::frozen_trial& t) const {
    if (calls) ++*calls;
    const auto last = t.last_intermediate_value();
    return last && *last > threshold;
  }
};

/// A sampler that breaks its contract: values outside the distribution.
struct out_of_range_sampler {
  double sample_independent(const tk::study_view&, const tk::frozen_trial&, std::string_view,
                            const tk::distribution&) {
    return 2.5;
  }
};

// --- types that must not satisfy the concepts --------------------------------

struct empty_type {};
struct sampler_wrong_arity {
  double sample_independent(const tk::frozen_trial&, const tk::distribution&);
};
struct sampler_returns_string {
  std::string sample_independent(const tk::study_view&, const tk::frozen_trial&, std::string_view,
                                 const tk::distribution&);
};
struct sampler_mutable_view {  // takes the view by non-const reference
  double sample_independent(tk::study_view&, const tk::frozen_trial&, std::string_view, const tk::distribution&);
};
struct sampler_misnamed {
  double sample(const tk::study_view&, const tk::frozen_trial&, std::string_view, const tk::distribution&);
};
struct relational_without_infer : golden_sampler {
  tk::param_map sample_relative(const tk::study_view&, const tk::frozen_trial&, const tk::search_space&);
};
struct relational_wrong_result : golden_sampler {
  tk::search_space infer_relative_search_space(const tk::study_view&, const tk::frozen_trial&);
  int sample_relative(const tk::study_view&, const tk::frozen_trial&, const tk::search_space&);
};
struct scheduler_returns_void {
  void should_prune(const tk::study_view&, const tk::frozen_trial&);
};
struct scheduler_wrong_arity {
  bool should_prune(const tk::frozen_trial&);
};
struct scheduler_string_result {
  std::string should_prune(const tk::study_view&, const tk::frozen_trial&);
};

// A storage that forwards everything to memory_storage, with one member left out.
template <bool WithView, bool Copyable = true>
struct forwarding_storage {
  tk::memory_storage inner;
  forwarding_storage() = default;
  forwarding_storage(const forwarding_storage&) requires Copyable = default;
  forwarding_storage(forwarding_storage&&) = default;

  tk::study_id create_study(std::string_view n, std::span<const tk::direction> d) { return inner.create_study(n, d); }
  std::optional<tk::study_id> find_study(std::string_view n) const { return inner.find_study(n); }
  std::string study_name(tk::study_id s) const { return inner.study_name(s); }
  std::vector<tk::direction> study_directions(tk::study_id s) const { return inner.study_directions(s); }
  tk::frozen_trial create_trial(tk::study_id s, const tk::frozen_trial& r) { return inner.create_trial(s, r); }
  std::optional<tk::frozen_trial> pop_waiting_trial(tk::study_id s) { return inner.pop_waiting_trial(s); }
  void set_param(std::int64_t id, std::string_view n, double v, const tk::distribution& d) { inner.set_param(id, n, v, d); }
  void set_intermediate_value(std::int64_t id, std::int64_t step, double v) { inner.set_intermediate_value(id, step, v); }
  void set_user_attr(std::int64_t id, std::string_view k, const nlohmann::json& v) { inner.set_user_attr(id, k, v); }
  tk::frozen_trial finish_trial(std::int64_t id, tk::trial_state s, std::span<const double> v,
                                const tk::resource_usage& u, const std::string& r) {
    return inner.finish_trial(id, s, v, u, r);
  }
  tk::study_view view(tk::study_id s) const
    requires WithView
  {
    return inner.view(s);
  }
  tk::frozen_trial trial(std::int64_t id) const { return inner.trial(id); }
  std::vector<tk::frozen_trial> trials(tk::study_id s) const { return inner.trials(s); }
};

struct concept_params {
  double x = 0;
};

}  // namespace

// --- the concepts themselves -------------------------------------------------

TEST_CASE("sampler concept", "[core][concepts]") {
  STATIC_REQUIRE(tk::sampler<golden_sampler>);
  STATIC_REQUIRE(tk::sampler<quarter_sampler>);
  STATIC_REQUIRE(tk::sampler<tk::random_sampler>);
  STATIC_REQUIRE_FALSE(tk::sampler<empty_type>);
  STATIC_REQUIRE_FALSE(tk::sampler<int>);
  STATIC_REQUIRE_FALSE(tk::sampler<sampler_wrong_arity>);
  STATIC_REQUIRE_FALSE(tk::sampler<sampler_returns_string>);
  STATIC_REQUIRE_FALSE(tk::sampler<sampler_mutable_view>);
  STATIC_REQUIRE_FALSE(tk::sampler<sampler_misnamed>);
}

TEST_CASE("relational_sampler concept refines sampler", "[core][concepts]") {
  STATIC_REQUIRE(tk::relational_sampler<quarter_sampler>);
  STATIC_REQUIRE_FALSE(tk::relational_sampler<golden_sampler>);  // a sampler, not relational
  STATIC_REQUIRE_FALSE(tk::relational_sampler<relational_without_infer>);
  STATIC_REQUIRE_FALSE(tk::relational_sampler<relational_wrong_result>);
  STATIC_REQUIRE_FALSE(tk::relational_sampler<empty_type>);
}

TEST_CASE("scheduler concept", "[core][concepts]") {
  STATIC_REQUIRE(tk::scheduler<threshold_scheduler>);
  STATIC_REQUIRE(tk::scheduler<tk::nop_scheduler>);
  STATIC_REQUIRE_FALSE(tk::scheduler<scheduler_returns_void>);
  STATIC_REQUIRE_FALSE(tk::scheduler<scheduler_wrong_arity>);
  STATIC_REQUIRE_FALSE(tk::scheduler<scheduler_string_result>);
  STATIC_REQUIRE_FALSE(tk::scheduler<golden_sampler>);
  STATIC_REQUIRE_FALSE(tk::sampler<threshold_scheduler>);
}

TEST_CASE("storage concept", "[core][concepts][storage]") {
  STATIC_REQUIRE(tk::storage<tk::memory_storage>);
  STATIC_REQUIRE(tk::storage<forwarding_storage<true>>);         // the control: everything present
  STATIC_REQUIRE_FALSE(tk::storage<forwarding_storage<false>>);  // no view()
  STATIC_REQUIRE_FALSE(tk::storage<forwarding_storage<true, false>>);  // not copyable: storages are handles
  STATIC_REQUIRE_FALSE(tk::storage<int>);
  STATIC_REQUIRE_FALSE(tk::storage<empty_type>);
}

TEST_CASE("objective_for concept", "[core][concepts]") {
  using dbr = tk::define_by_run;
  using typed = tk::space<concept_params>;
  auto number = [](tk::trial& t) { return t.suggest_float("x", 0, 1); };
  auto integer = [](tk::trial&) { return 3; };
  auto vector = [](tk::trial&) { return std::vector<double>{1, 2}; };
  auto array = [](tk::trial&) { return std::array<double, 2>{1, 2}; };
  auto prune = [](tk::trial&) { return tk::pruned; };
  auto either = [](tk::trial& t) -> tk::result {
    if (t.should_prune()) return tk::pruned;
    return 1.0;
  };
  auto typed_number = [](const concept_params& p, tk::trial&) { return p.x; };
  auto typed_by_value = [](concept_params p, tk::trial&) { return p.x; };

  STATIC_REQUIRE(tk::objective_for<decltype(number), dbr>);
  STATIC_REQUIRE(tk::objective_for<decltype(integer), dbr>);
  STATIC_REQUIRE(tk::objective_for<decltype(vector), dbr>);
  STATIC_REQUIRE(tk::objective_for<decltype(array), dbr>);
  STATIC_REQUIRE(tk::objective_for<decltype(prune), dbr>);
  STATIC_REQUIRE(tk::objective_for<decltype(either), dbr>);
  STATIC_REQUIRE(tk::objective_for<decltype(typed_number), typed>);
  STATIC_REQUIRE(tk::objective_for<decltype(typed_by_value), typed>);

  auto returns_void = [](tk::trial&) {};
  auto returns_string = [](tk::trial&) { return std::string("1.0"); };
  auto returns_optional = [](tk::trial&) { return std::optional<double>(1.0); };
  auto no_trial = []() { return 1.0; };
  auto trial_by_value = [](tk::trial) { return 1.0; };  // trials are not copyable
  auto typed_mutable = [](concept_params& p, tk::trial&) { return p.x; };
  STATIC_REQUIRE_FALSE(tk::objective_for<decltype(returns_void), dbr>);
  STATIC_REQUIRE_FALSE(tk::objective_for<decltype(returns_string), dbr>);
  STATIC_REQUIRE_FALSE(tk::objective_for<decltype(returns_optional), dbr>);
  STATIC_REQUIRE_FALSE(tk::objective_for<decltype(no_trial), dbr>);
  STATIC_REQUIRE_FALSE(tk::objective_for<decltype(trial_by_value), dbr>);
  STATIC_REQUIRE_FALSE(tk::objective_for<decltype(typed_mutable), typed>);  // gets a const T&
  // Each face of the space takes its own signature.
  STATIC_REQUIRE_FALSE(tk::objective_for<decltype(number), typed>);
  STATIC_REQUIRE_FALSE(tk::objective_for<decltype(typed_number), dbr>);
  STATIC_REQUIRE_FALSE(tk::objective_for<decltype(number), tk::search_space>);
  STATIC_REQUIRE_FALSE(tk::objective_for<int, dbr>);
}

// --- user components at work in a tuner ---------------------------------------

TEST_CASE("a user-written sampler drives a tuner", "[core][concepts][tuner]") {
  int calls = 0;
  tk::tuner tuner{golden_sampler{&calls}};
  STATIC_REQUIRE(std::is_same_v<decltype(tuner),
                                tk::tuner<tk::define_by_run, golden_sampler, tk::nop_scheduler, tk::memory_storage>>);
  tuner.optimize([](tk::trial& t) { return t.suggest_float("x", 0, 10) + t.suggest_int("n", 0, 4); }, {.n_trials = 8});
  CHECK(calls == 16);
  const auto trials = tuner.trials();
  REQUIRE(trials.size() == 8);
  for (const auto& t : trials) {
    const double u = static_cast<double>(t.number) * 0.6180339887498949;
    CHECK(t.params.at("x") == tk::from_unit(tk::float_distribution(0, 10), u - std::floor(u)));
    CHECK(t.state == tk::trial_state::complete);
  }
  CHECK(trials[0].params.at("x") == 0.0);
}

TEST_CASE("a user-written relational sampler gets the joint space", "[core][concepts][tuner]") {
  SECTION("define-by-run: the space is inferred from finished trials") {
    tk::tuner tuner{quarter_sampler{}};
    tuner.optimize(
        [](tk::trial& t) {
          const double x = t.suggest_float("x", 0, 8);
          const auto n = t.suggest_int("n", 0, 100);
          return x + static_cast<double>(n);
        },
        {.n_trials = 4});
    const auto trials = tuner.trials();
    // First trial: nothing finished, so nothing relational: u = 0.75.
    CHECK(trials[0].params.at("x") == 6.0);
    CHECK(trials[0].params.at("n") == 75.0);
    // Then both parameters are common to all finished trials: u = 0.25.
    for (std::size_t k = 1; k < trials.size(); ++k) {
      CHECK(trials[k].params.at("x") == 2.0);
      CHECK(trials[k].params.at("n") == 25.0);
    }
    CHECK(tuner.sampler().relative_calls == 4);
    CHECK(tuner.sampler().independent_calls == 2);
    CHECK(tuner.sampler().last_space_size == 2);
  }
  SECTION("typed: the relational space is the typed space") {
    tk::tuner tuner{tk::space<concept_params>{tk::float_param("x", &concept_params::x, 0, 4)}, quarter_sampler{}};
    tuner.optimize([](const concept_params& p, tk::trial&) { return p.x; }, {.n_trials = 3});
    for (const auto& t : tuner.trials()) CHECK(t.params.at("x") == 1.0);
    CHECK(tuner.sampler().independent_calls == 0);
    CHECK(tuner.sampler().last_space_size == 1);
  }
  SECTION("a parameter suggested with another distribution than the relational one falls back") {
    tk::tuner tuner{quarter_sampler{}};
    int k = 0;
    tuner.optimize([&](tk::trial& t) { return t.suggest_float("x", 0, k++ == 0 ? 8.0 : 4.0); }, {.n_trials = 2});
    // Trial 1 asks [0, 4]; the inferred space says [0, 8]: independent, u = 0.75.
    CHECK(tuner.trials()[1].params.at("x") == 3.0);
  }
}

TEST_CASE("a user-written scheduler prunes trials", "[core][concepts][tuner]") {
  int calls = 0;
  tk::tuner tuner{threshold_scheduler{.threshold = 5.0, .calls = &calls}, tk::random_sampler{{.seed = 11}}};
  const auto summary = tuner.optimize(
      [](tk::trial& t) -> tk::result {
        const double peak = t.suggest_float("peak", 0, 10);
        for (int step = 0; step < 4; ++step) {
          t.report(step, peak * (step + 1) / 4.0);
          if (t.should_prune()) return tk::pruned;
        }
        return peak;
      },
      {.n_trials = 40});
  int pruned = 0, complete = 0;
  for (const auto& t : tuner.trials()) {
    const double peak = t.params.at("peak");
    INFO("trial " << t.number << " peak " << peak);
    if (peak > 5.0) {
      // Pruned at the first report above the threshold, carrying that value.
      REQUIRE(t.state == tk::trial_state::pruned);
      REQUIRE(t.values.size() == 1);
      CHECK(t.values[0] > 5.0);
      CHECK(t.values[0] == t.intermediate_values.rbegin()->second);
      std::size_t first_above = 0;
      while (!(peak * static_cast<double>(first_above + 1) / 4.0 > 5.0)) ++first_above;
      CHECK(t.intermediate_values.size() == first_above + 1);
      ++pruned;
    } else {
      REQUIRE(t.state == tk::trial_state::complete);
      CHECK(t.intermediate_values.size() == 4);
      ++complete;
    }
  }
  CHECK(summary.n_pruned == pruned);
  CHECK(summary.n_complete == complete);
  CHECK(pruned > 5);  // the seed gives both outcomes
  CHECK(complete > 5);
  CHECK(calls >= 40);
}

TEST_CASE("a sampler value outside the distribution fails the trial, not the process", "[core][concepts][tuner]") {
  tk::tuner tuner{out_of_range_sampler{}};
  const auto summary = tuner.optimize([](tk::trial& t) { return t.suggest_float("x", 0, 1); }, {.n_trials = 2});
  CHECK(summary.n_fail == 2);
  const auto t = tuner.trials().at(0);
  CHECK(t.state == tk::trial_state::fail);
  CHECK_THAT(t.fail_reason, Contains("2.5") && Contains("'x'") && Contains("float in [0, 1]"));
}
