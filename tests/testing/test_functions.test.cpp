#include <tunekit/testing/test_functions.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

namespace tt = tunekit::testing;

namespace {

// A tiny deterministic generator (splitmix64), so that the points checked do
// not depend on the standard library's distributions.
struct splitmix {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31U);
    }
    double unit() { return static_cast<double>(next() >> 11U) * 0x1.0p-53; }
};

// A uniformly random point of the domain, in internal values.
std::vector<double> random_point(const tt::test_function& f, splitmix& rng) {
    std::vector<double> x;
    for (const auto& p : f.domain) {
        const double u = rng.unit();
        switch (p.kind) {
            case tt::parameter_kind::continuous:
                x.push_back(p.log ? std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low)))
                                  : p.low + u * (p.high - p.low));
                break;
            case tt::parameter_kind::integer:
            case tt::parameter_kind::categorical: {
                const auto n = static_cast<std::uint64_t>(p.high - p.low) + 1;
                x.push_back(p.low + static_cast<double>(rng.next() % n));
                break;
            }
        }
    }
    return x;
}

bool in_domain(const tt::test_function& f, const std::vector<double>& x) {
    if (x.size() != f.dim) {
        return false;
    }
    for (std::size_t i = 0; i < x.size(); ++i) {
        const auto& p = f.domain[i];
        if (x[i] < p.low || x[i] > p.high) {
            return false;
        }
        if (p.kind != tt::parameter_kind::continuous && x[i] != std::floor(x[i])) {
            return false;
        }
    }
    return true;
}

}  // namespace

TEST_CASE("the suite lists the functions of BENCHMARKS.md", "[testing]") {
    const auto& s = tt::suite();
    std::vector<std::string> names;
    for (const auto& f : s) {
        names.push_back(f.name);
        CHECK(f.dim == f.domain.size());
        CHECK(f.evaluate != nullptr);
        CHECK_FALSE(f.argmin.empty());
        CHECK_FALSE(f.reference.empty());
    }
    CHECK(names == std::vector<std::string>{"branin", "hartmann3", "hartmann6", "rosenbrock4",
                                            "ackley5", "levy10", "styblinski_tang8",
                                            "mixed_hpo"});
    CHECK(tt::find("levy10") == &s[5]);
    CHECK(tt::find("rosenbrock") == &s[3]);
    CHECK(tt::find("styblinski_tang") == &s[6]);
    CHECK(tt::find("hartmann") == nullptr);  // ambiguous
    CHECK(tt::find("sphere") == nullptr);
}

TEST_CASE("each function reaches its known minimum at its argmin", "[testing]") {
    for (const auto& f : tt::suite()) {
        for (const auto& x : f.argmin) {
            INFO(f.name);
            REQUIRE(in_domain(f, x));
            CHECK(f.evaluate(x) == Approx(f.known_minimum).margin(1e-12).epsilon(1e-12));
        }
    }
}

TEST_CASE("the argmin is a local minimum", "[testing]") {
    // Moving any continuous coordinate by a small step never goes below the
    // known minimum: guards against a typo in a table that shifts the optimum.
    for (const auto& f : tt::suite()) {
        for (const auto& x : f.argmin) {
            for (std::size_t i = 0; i < f.dim; ++i) {
                if (f.domain[i].kind != tt::parameter_kind::continuous) {
                    continue;
                }
                for (const double h : {-1e-4, 1e-4}) {
                    auto y = x;
                    y[i] = f.domain[i].log ? y[i] * std::exp(h) : y[i] + h;
                    INFO(f.name << " coordinate " << i << " step " << h);
                    CHECK(f.evaluate(y) > f.known_minimum - 1e-12);
                }
            }
        }
    }
}

TEST_CASE("no random point of the domain beats the known minimum", "[testing]") {
    splitmix rng{20240601};
    for (const auto& f : tt::suite()) {
        double lowest = std::numeric_limits<double>::infinity();
        for (int k = 0; k < 50'000; ++k) {
            const auto x = random_point(f, rng);
            const double v = f.evaluate(x);
            REQUIRE(std::isfinite(v));
            lowest = std::min(lowest, v);
        }
        INFO(f.name << ": lowest random value " << lowest);
        CHECK(lowest >= f.known_minimum - 1e-9);
        CHECK(lowest > f.known_minimum);  // random search does not hit it exactly
    }
}

TEST_CASE("the corners of each box are above the known minimum", "[testing]") {
    for (const auto& f : tt::suite()) {
        const std::size_t corners = std::size_t{1} << f.dim;
        for (std::size_t c = 0; c < corners; ++c) {
            std::vector<double> x(f.dim);
            for (std::size_t i = 0; i < f.dim; ++i) {
                x[i] = ((c >> i) & 1U) != 0U ? f.domain[i].high : f.domain[i].low;
            }
            INFO(f.name << " corner " << c);
            CHECK(f.evaluate(x) >= f.known_minimum - 1e-9);
        }
    }
}

TEST_CASE("spot values", "[testing]") {
    const std::vector<double> zeros2{0.0, 0.0};
    CHECK(tt::rosenbrock(zeros2) == Approx(1.0));
    CHECK(tt::rosenbrock(std::vector<double>{0.0, 0.0, 0.0, 0.0}) == Approx(3.0));
    CHECK(tt::ackley(std::vector<double>(5, 0.0)) == Approx(0.0).margin(1e-14));
    CHECK(tt::styblinski_tang(std::vector<double>{0.0}) == 0.0);
    // Branin at (0, 0): 36 - ... by hand: (-6)^2 + 10(1 - 1/(8 pi)) + 10.
    CHECK(tt::branin(zeros2) == Approx(36.0 + 10.0 * (1.0 - 1.0 / (8.0 * std::numbers::pi)) + 10.0));
    CHECK(tt::styblinski_tang(std::vector<double>(8, tt::styblinski_tang_argmin)) ==
          Approx(8 * tt::styblinski_tang_minimum_per_dim).epsilon(1e-14));
}

TEST_CASE("mixed_hpo: typed and internal forms agree", "[testing]") {
    CHECK(tt::mixed_hpo(3e-3, 3, "gelu", 0.2, 128) == Approx(0.0).margin(1e-15));
    CHECK(tt::mixed_hpo(3e-3, 3, "relu", 0.2, 128) == Approx(0.1));
    CHECK(tt::mixed_hpo(3e-3, 3, "tanh", 0.2, 128) == Approx(0.25));
    CHECK(tt::mixed_hpo(3e-3, 3, "sigmoid", 0.2, 128) == Approx(0.5));
    CHECK(tt::mixed_hpo(1e-5, 8, "sigmoid", 0.9, 1024) ==
          tt::mixed_hpo(std::vector<double>{1e-5, 8.0, 3.0, 0.9, 1024.0}));
    CHECK_THROWS_AS(tt::mixed_hpo(1e-3, 3, "swish", 0.2, 128), std::invalid_argument);
    CHECK_THROWS_AS(tt::mixed_hpo(std::vector<double>{1e-3, 3.0, 4.0, 0.2, 128.0}),
                    std::invalid_argument);
}

TEST_CASE("wrong dimensions are rejected", "[testing]") {
    CHECK_THROWS_AS(tt::branin(std::vector<double>{1.0}), std::invalid_argument);
    CHECK_THROWS_AS(tt::hartmann3(std::vector<double>(6, 0.5)), std::invalid_argument);
    CHECK_THROWS_AS(tt::hartmann6(std::vector<double>(3, 0.5)), std::invalid_argument);
    CHECK_THROWS_AS(tt::rosenbrock(std::vector<double>{1.0}), std::invalid_argument);
    CHECK_THROWS_AS(tt::levy(std::vector<double>{}), std::invalid_argument);
}
