#include <tunekit/core/space.hpp>

#include <catch2/catch.hpp>

#include "support/require_invalid.hpp"

#include <tunekit/core/random.hpp>
#include <tunekit/tuner.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tk = tunekit;
using Catch::Contains;

namespace {

struct net_params {
  double lr = 0;
  float dropout = 0;       // float member on a stepped float
  float momentum = 0;      // float member on a continuous float whose bounds are not floats
  int layers = 0;
  std::int64_t batch = 0;  // log int
  std::uint16_t units = 0;
  std::string activation;
  bool batch_norm = false;
  int width = 0;           // int choices
  double scale = 0;        // double choices
  float decay = 0;         // double choices on a float member
  bool operator==(const net_params&) const = default;
};

tk::space<net_params> make_space() {
  return {
      tk::float_param("lr", &net_params::lr, 1e-5, 1e-1, {.log = true}),
      tk::float_param("dropout", &net_params::dropout, 0.0, 0.5, {.step = 0.1}),
      tk::float_param("momentum", &net_params::momentum, 0.0, 0.9),
      tk::int_param("layers", &net_params::layers, 1, 8),
      tk::int_param("batch", &net_params::batch, 16, 1024, {.log = true}),
      tk::int_param("units", &net_params::units, 0, 1000, {.step = 10}),
      tk::categorical_param("activation", &net_params::activation, {"relu", "tanh", "gelu"}),
      tk::categorical_param("batch_norm", &net_params::batch_norm, {true, false}),
      tk::categorical_param("width", &net_params::width, {64, 128, 256}),
      tk::categorical_param("scale", &net_params::scale, {1, 2, 4}),
      tk::categorical_param("decay", &net_params::decay, {0.1, 0.01, 0.001}),
  };
}

const char* const expected_names[] = {"lr",         "dropout",    "momentum", "layers", "batch", "units",
                                      "activation", "batch_norm", "width",    "scale",  "decay"};

// A random point of the space, in internal values.
tk::param_map random_point(const tk::search_space& space, tk::random_engine& rng) {
  tk::param_map p;
  for (const auto& [name, d] : space) p[name] = tk::from_unit(d, rng.uniform());
  return p;
}

}  // namespace

TEST_CASE("space<T> lowers to a dynamic search space in declaration order", "[core][space]") {
  const auto space = make_space();
  const tk::search_space& dyn = space.dynamic();
  REQUIRE(dyn.size() == std::size(expected_names));
  for (std::size_t k = 0; k < dyn.size(); ++k) CHECK(dyn[k].first == expected_names[k]);

  CHECK(*dyn.find("lr") == tk::distribution(tk::float_distribution(1e-5, 1e-1, {.log = true})));
  CHECK(*dyn.find("dropout") == tk::distribution(tk::float_distribution(0, 0.5, {.step = 0.1})));
  CHECK(*dyn.find("momentum") == tk::distribution(tk::float_distribution(0, 0.9)));
  CHECK(*dyn.find("layers") == tk::distribution(tk::int_distribution(1, 8)));
  CHECK(*dyn.find("batch") == tk::distribution(tk::int_distribution(16, 1024, {.log = true})));
  CHECK(*dyn.find("units") == tk::distribution(tk::int_distribution(0, 1000, {.step = 10})));
  // Choices keep the kind the user wrote: strings, bools, integers, doubles.
  CHECK(*dyn.find("activation") == tk::distribution(tk::categorical_distribution{"relu", "tanh", "gelu"}));
  CHECK(*dyn.find("batch_norm") == tk::distribution(tk::categorical_distribution{true, false}));
  CHECK(*dyn.find("width") == tk::distribution(tk::categorical_distribution{
                                  std::int64_t{64}, std::int64_t{128}, std::int64_t{256}}));
  CHECK(*dyn.find("scale") ==
        tk::distribution(tk::categorical_distribution{std::int64_t{1}, std::int64_t{2}, std::int64_t{4}}));
  CHECK(*dyn.find("decay") == tk::distribution(tk::categorical_distribution{0.1, 0.01, 0.001}));
  CHECK(dyn.find("nope") == nullptr);

  // bindings() carries the same names and distributions.
  REQUIRE(space.bindings().size() == dyn.size());
  for (std::size_t k = 0; k < dyn.size(); ++k) {
    CHECK(space.bindings()[k].name == dyn[k].first);
    CHECK(space.bindings()[k].dist == dyn[k].second);
  }
}

TEST_CASE("from_params binds every member", "[core][space]") {
  const auto space = make_space();
  const tk::param_map p = {{"lr", 1e-3},       {"dropout", 0.2},    {"momentum", 0.5}, {"layers", 3},
                           {"batch", 64},      {"units", 120},      {"activation", 2}, {"batch_norm", 1},
                           {"width", 0},       {"scale", 2},        {"decay", 1}};
  const net_params v = space.from_params(p);
  CHECK(v.lr == 1e-3);
  CHECK(v.dropout == 0.2f);
  CHECK(v.momentum == 0.5f);
  CHECK(v.layers == 3);
  CHECK(v.batch == 64);
  CHECK(v.units == 120);
  CHECK(v.activation == "gelu");
  CHECK(v.batch_norm == false);
  CHECK(v.width == 64);
  CHECK(v.scale == 4.0);
  CHECK(v.decay == 0.01f);

  tk::param_map missing = p;
  missing.erase("units");
  REQUIRE_INVALID(space.from_params(missing), Contains("'units'") && Contains("missing"));
}

TEST_CASE("from_params and to_values round-trip", "[core][space]") {
  const auto space = make_space();
  const tk::search_space& dyn = space.dynamic();
  tk::random_engine rng(31337);
  for (int n = 0; n < 500; ++n) {
    const tk::param_map p = random_point(dyn, rng);
    const net_params v = space.from_params(p);
    const tk::param_values values = space.to_values(v);  // throws if any member left its distribution
    REQUIRE(values.size() == dyn.size());
    for (const auto& [name, d] : dyn) {
      INFO(name << " = " << p.at(name) << " in " << tk::describe(d));
      const double internal = tk::to_internal(d, values.at(name), name);
      if (name == "momentum") {
        // A float member holds the value rounded to float.
        CHECK(static_cast<float>(internal) == static_cast<float>(p.at(name)));
      } else {
        CHECK(internal == p.at(name));
      }
    }
    // ... and back to the same struct.
    tk::param_map again;
    for (const auto& [name, value] : values) again[name] = tk::to_internal(*dyn.find(name), value, name);
    REQUIRE(space.from_params(again) == v);
  }
}

TEST_CASE("to_values works at every grid point of narrow members", "[core][space]") {
  // A float member holds 0.1f, not 0.1: reading it back must still give the
  // grid value the distribution knows, or enqueue(T) would reject it.
  const auto space = make_space();
  tk::random_engine rng(1);
  net_params v = space.from_params(random_point(space.dynamic(), rng));
  for (int k = 0; k <= 5; ++k) {
    v.dropout = static_cast<float>(0.1 * k);
    INFO("dropout = " << v.dropout);
    const auto values = space.to_values(v);
    CHECK(std::get<double>(values.at("dropout")) == tk::from_unit(*space.dynamic().find("dropout"), (k + 0.5) / 6));
  }
  // The same for double choices held by a float member, and int choices by a double member.
  for (double decay : {0.1, 0.01, 0.001}) {
    v.decay = static_cast<float>(decay);
    CHECK(space.to_values(v).at("decay") == tk::category(decay));
  }
  for (std::int64_t scale : {1, 2, 4}) {
    v.scale = static_cast<double>(scale);
    CHECK(space.to_values(v).at("scale") == tk::category(scale));
  }
  // A float member at an upper bound that rounds up as a float.
  struct narrow {
    float x = 0;
  };
  const tk::space<narrow> s{tk::float_param("x", &narrow::x, 0.0, 0.1)};
  const narrow at_high = s.from_params({{"x", 0.1}});
  REQUIRE(static_cast<double>(at_high.x) > 0.1);  // the premise: 0.1f is above 0.1
  CHECK(s.to_values(at_high).at("x") == tk::category(0.1));
}

TEST_CASE("to_values rejects members outside their distribution, naming them", "[core][space]") {
  const auto space = make_space();
  tk::random_engine rng(2);
  net_params v = space.from_params(random_point(space.dynamic(), rng));
  SECTION("an int out of range") {
    v.layers = 9;
    REQUIRE_INVALID(space.to_values(v), Contains("'layers'") && Contains("value 9") && Contains("int in [1, 8]"));
  }
  SECTION("a string that is not a choice") {
    v.activation = "swish";
    REQUIRE_INVALID(space.to_values(v), Contains("'activation'") && Contains("\"swish\""));
  }
  SECTION("a number that is not a choice") {
    v.width = 100;
    REQUIRE_INVALID(space.to_values(v), Contains("'width'") && Contains("value 100"));
  }
  SECTION("a float off its grid") {
    v.dropout = 0.25f;
    REQUIRE_INVALID(space.to_values(v), Contains("'dropout'") && Contains("step 0.1"));
  }
  SECTION("a double below a log range") {
    v.lr = 0;
    REQUIRE_INVALID(space.to_values(v), Contains("'lr'") && Contains("value 0"));
  }
}

TEST_CASE("a duplicated parameter name throws, naming it", "[core][space]") {
  struct two {
    double a = 0, b = 0;
  };
  REQUIRE_INVALID((tk::space<two>{tk::float_param("x", &two::a, 0, 1), tk::float_param("x", &two::b, 0, 2)}),
                  Contains("'x'") && Contains("defined twice"));
  // Bad distributions in a binding name their parameter too.
  REQUIRE_INVALID((tk::space<two>{tk::float_param("alpha", &two::a, 1, 0)}), Contains("'alpha'"));
  REQUIRE_INVALID(tk::float_param("beta", &two::b, 0, 1, {.log = true}), Contains("'beta'") && Contains("low > 0"));
}

TEST_CASE("space<T> is deduced from its bindings", "[core][space]") {
  struct p {
    double x = 0;
    int n = 0;
  };
  tk::space s{tk::float_param("x", &p::x, 0, 1), tk::int_param("n", &p::n, 0, 3)};
  STATIC_REQUIRE(std::is_same_v<decltype(s), tk::space<p>>);
  STATIC_REQUIRE(std::is_same_v<decltype(s)::value_type, p>);
  CHECK(s.dynamic().size() == 2);
}

TEST_CASE("compile-time checks of bindings", "[core][space][concepts]") {
  using tk::detail::choice_fits_v;
  // Strings go to string-like members only.
  STATIC_REQUIRE(choice_fits_v<std::string, const char*>);
  STATIC_REQUIRE(choice_fits_v<std::string, std::string>);
  STATIC_REQUIRE(choice_fits_v<std::string_view, const char*>);
  STATIC_REQUIRE_FALSE(choice_fits_v<double, const char*>);
  STATIC_REQUIRE_FALSE(choice_fits_v<int, const char*>);
  STATIC_REQUIRE_FALSE(choice_fits_v<bool, const char*>);  // a pointer converts to bool; a choice must not
  STATIC_REQUIRE_FALSE(choice_fits_v<double, std::string>);
  // Numbers go to arithmetic members, never to strings.
  STATIC_REQUIRE(choice_fits_v<int, int>);
  STATIC_REQUIRE(choice_fits_v<std::int64_t, int>);
  STATIC_REQUIRE(choice_fits_v<double, int>);
  STATIC_REQUIRE(choice_fits_v<float, double>);
  STATIC_REQUIRE(choice_fits_v<bool, bool>);
  STATIC_REQUIRE_FALSE(choice_fits_v<std::string, int>);
  STATIC_REQUIRE_FALSE(choice_fits_v<std::string, double>);
  STATIC_REQUIRE_FALSE(choice_fits_v<std::string, bool>);
  // A fractional choice would be truncated by an integer member.
  STATIC_REQUIRE_FALSE(choice_fits_v<int, double>);
  STATIC_REQUIRE_FALSE(choice_fits_v<std::int64_t, float>);

  STATIC_REQUIRE(tk::search_space_kind<tk::space<net_params>>);
  STATIC_REQUIRE(tk::search_space_kind<tk::define_by_run>);
  STATIC_REQUIRE_FALSE(tk::search_space_kind<tk::search_space>);
  STATIC_REQUIRE_FALSE(tk::search_space_kind<net_params>);
}

TEST_CASE("a typed tuner hands the objective a T drawn from the space", "[core][space][tuner]") {
  tk::tuner tuner{make_space(), tk::random_sampler{{.seed = 5}}};
  int calls = 0;
  tuner.optimize(
      [&](const net_params& p, tk::trial& t) {
        ++calls;
        // The struct and the trial's parameters agree.
        const auto& dyn = tuner.space().dynamic();
        REQUIRE(t.params().size() == dyn.size());
        const net_params from_trial = tuner.space().from_params(t.params());
        REQUIRE(from_trial == p);
        CHECK(p.layers >= 1);
        CHECK(p.layers <= 8);
        CHECK(p.units % 10 == 0);
        return p.lr * p.layers;
      },
      {.n_trials = 30});
  CHECK(calls == 30);
  const tk::frozen_trial best = tuner.best_trial();
  const net_params best_params = tuner.best_params();
  CHECK(best_params == tuner.space().from_params(best.params));
  CHECK(best.value() == best_params.lr * best_params.layers);
}

TEST_CASE("a typed configuration can be enqueued and comes back unchanged", "[core][space][tuner]") {
  tk::tuner tuner{make_space(), tk::random_sampler{{.seed = 6}}};
  net_params wanted;
  wanted.lr = 3e-4;
  wanted.dropout = 0.3f;
  wanted.momentum = 0.9f;  // the upper bound, as a float
  wanted.layers = 8;
  wanted.batch = 1024;
  wanted.units = 990;
  wanted.activation = "tanh";
  wanted.batch_norm = true;
  wanted.width = 256;
  wanted.scale = 2;
  wanted.decay = 0.001f;
  REQUIRE_NOTHROW(tuner.enqueue(wanted));
  net_params seen;
  tuner.optimize([&](const net_params& p, tk::trial&) { seen = p; return 0.0; }, {.n_trials = 1});
  CHECK(seen == wanted);
  CHECK(tuner.trials().at(0).state == tk::trial_state::complete);

  net_params bad = wanted;
  bad.layers = 0;
  REQUIRE_INVALID(tuner.enqueue(bad), Contains("'layers'"));
}
