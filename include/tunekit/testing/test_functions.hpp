#pragma once
/// \file
/// The benchmark zoo of test functions for optimizers (see BENCHMARKS.md):
/// deterministic, noise-free functions with a known minimum, used by the
/// quality suite (`benchmarks/suite.cpp`), by statistical sampler tests, and
/// by users who want to compare their own sampler with ours.
///
/// Definitions and tables follow S. Surjanovic and D. Bingham, *Virtual
/// Library of Simulation Experiments: Test Functions and Datasets*
/// (Simon Fraser University, https://www.sfu.ca/~ssurjano/), which in turn
/// cites the original sources given at each function. Every function
/// depends on the standard library only, so that the peer scripts can
/// re-implement it line by line (`benchmarks/peers/optuna_suite.py`).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tunekit::testing {

namespace detail {

[[noreturn]] inline void throw_bad_dim(std::string_view function, std::string_view expected,
                                       std::size_t got) {
    throw std::invalid_argument(std::string(function) + ": expected " + std::string(expected) +
                                " coordinates, got " + std::to_string(got));
}

inline void require_dim(std::string_view function, std::span<const double> x,
                        std::size_t expected) {
    if (x.size() != expected) {
        throw_bad_dim(function, std::to_string(expected), x.size());
    }
}

inline void require_min_dim(std::string_view function, std::span<const double> x,
                            std::size_t minimum) {
    if (x.size() < minimum) {
        throw_bad_dim(function, "at least " + std::to_string(minimum), x.size());
    }
}

/// The Hartmann family: -sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2).
template <std::size_t D>
double hartmann(const double (&a)[4][D], const double (&p)[4][D], std::span<const double> x) {
    constexpr double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    double sum = 0.0;
    for (std::size_t i = 0; i < 4; ++i) {
        double inner = 0.0;
        for (std::size_t j = 0; j < D; ++j) {
            const double d = x[j] - p[i][j];
            inner += a[i][j] * d * d;
        }
        sum += alpha[i] * std::exp(-inner);
    }
    return -sum;
}

}  // namespace detail

// ---------------------------------------------------------------------------
// The functions. All are minimised.
// ---------------------------------------------------------------------------

/// Branin-Hoo (Branin 1972; Dixon & Szegő 1978), 2-D, x0 in [-5, 10],
/// x1 in [0, 15]; three global minima of 0.397887... at (-pi, 12.275),
/// (pi, 2.275) and (3 pi, 2.475).
inline double branin(std::span<const double> x) {
    detail::require_dim("branin", x, 2);
    constexpr double pi = std::numbers::pi;
    constexpr double b = 5.1 / (4.0 * pi * pi);
    constexpr double c = 5.0 / pi;
    constexpr double t = 1.0 / (8.0 * pi);
    const double u = x[1] - b * x[0] * x[0] + c * x[0] - 6.0;
    return u * u + 10.0 * (1.0 - t) * std::cos(x[0]) + 10.0;
}

/// Hartmann 3-D (Dixon & Szegő 1978, "The global optimisation problem: an
/// introduction"), [0, 1]^3, minimum -3.86278 near (0.114589, 0.555649, 0.852547).
inline double hartmann3(std::span<const double> x) {
    detail::require_dim("hartmann3", x, 3);
    static constexpr double a[4][3] = {
        {3.0, 10.0, 30.0}, {0.1, 10.0, 35.0}, {3.0, 10.0, 30.0}, {0.1, 10.0, 35.0}};
    static constexpr double p[4][3] = {{0.3689, 0.1170, 0.2673},
                                       {0.4699, 0.4387, 0.7470},
                                       {0.1091, 0.8732, 0.5547},
                                       {0.0381, 0.5743, 0.8828}};
    return detail::hartmann(a, p, x);
}

/// Hartmann 6-D (Dixon & Szegő 1978), [0, 1]^6, minimum -3.32237 near
/// (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
inline double hartmann6(std::span<const double> x) {
    detail::require_dim("hartmann6", x, 6);
    static constexpr double a[4][6] = {{10.0, 3.0, 17.0, 3.5, 1.7, 8.0},
                                       {0.05, 10.0, 17.0, 0.1, 8.0, 14.0},
                                       {3.0, 3.5, 1.7, 10.0, 17.0, 8.0},
                                       {17.0, 8.0, 0.05, 10.0, 0.1, 14.0}};
    static constexpr double p[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                       {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                       {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                       {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
    return detail::hartmann(a, p, x);
}

/// Rosenbrock (1960), any dimension >= 2; minimum 0 at (1, ..., 1).
inline double rosenbrock(std::span<const double> x) {
    detail::require_min_dim("rosenbrock", x, 2);
    double sum = 0.0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) {
        const double u = x[i + 1] - x[i] * x[i];
        const double v = x[i] - 1.0;
        sum += 100.0 * u * u + v * v;
    }
    return sum;
}

/// Ackley (1987) with a = 20, b = 0.2, c = 2 pi, any dimension >= 1;
/// minimum 0 at the origin.
inline double ackley(std::span<const double> x) {
    detail::require_min_dim("ackley", x, 1);
    constexpr double two_pi = 2.0 * std::numbers::pi;
    double squares = 0.0;
    double cosines = 0.0;
    for (const double xi : x) {
        squares += xi * xi;
        cosines += std::cos(two_pi * xi);
    }
    const auto n = static_cast<double>(x.size());
    return -20.0 * std::exp(-0.2 * std::sqrt(squares / n)) - std::exp(cosines / n) + 20.0 +
           std::numbers::e;
}

/// Levy (Laguna & Martí 2005, after Levy & Montalvo), any dimension >= 1;
/// minimum 0 at (1, ..., 1).
inline double levy(std::span<const double> x) {
    detail::require_min_dim("levy", x, 1);
    constexpr double pi = std::numbers::pi;
    const auto w = [&](std::size_t i) { return 1.0 + (x[i] - 1.0) / 4.0; };
    const double s0 = std::sin(pi * w(0));
    double sum = s0 * s0;
    const std::size_t d = x.size();
    for (std::size_t i = 0; i + 1 < d; ++i) {
        const double wi = w(i);
        const double s = std::sin(pi * wi + 1.0);
        sum += (wi - 1.0) * (wi - 1.0) * (1.0 + 10.0 * s * s);
    }
    const double wd = w(d - 1);
    const double sd = std::sin(2.0 * pi * wd);
    return sum + (wd - 1.0) * (wd - 1.0) * (1.0 + sd * sd);
}

/// The coordinate of the minimum of Styblinski–Tang: the smallest root of
/// 2x^3 - 16x + 2.5 = 0.
inline constexpr double styblinski_tang_argmin = -2.9035340277711770951;
/// The minimum of Styblinski–Tang per dimension.
inline constexpr double styblinski_tang_minimum_per_dim = -39.16616570377141546;

/// Styblinski & Tang (1990), any dimension >= 1; minimum
/// -39.166165703771... * d at x_i = -2.903534027771177.
inline double styblinski_tang(std::span<const double> x) {
    detail::require_min_dim("styblinski_tang", x, 1);
    double sum = 0.0;
    for (const double xi : x) {
        const double x2 = xi * xi;
        sum += x2 * x2 - 16.0 * x2 + 5.0 * xi;
    }
    return 0.5 * sum;
}

/// The categories of `mixed_hpo`'s `activation`, in the order of their
/// internal indices.
inline constexpr std::string_view mixed_hpo_activations[4] = {"relu", "tanh", "gelu", "sigmoid"};

/// An HPO-shaped mixed space (tunekit's own, BENCHMARKS.md): a smooth bowl
/// coupling learning rate and batch size, plus a categorical offset; minimum
/// 0 at lr = 3e-3, layers = 3, activation = gelu, dropout = 0.2, batch = 128.
/// Domain: lr in [1e-5, 1] (log), layers in 1..8, activation in
/// {relu, tanh, gelu, sigmoid}, dropout in [0, 0.9], batch in 16..1024 (log).
inline double mixed_hpo(double lr, std::int64_t layers, std::string_view activation,
                        double dropout, std::int64_t batch) {
    double penalty = 0.0;
    if (activation == "gelu") {
        penalty = 0.0;
    } else if (activation == "relu") {
        penalty = 0.1;
    } else if (activation == "tanh") {
        penalty = 0.25;
    } else if (activation == "sigmoid") {
        penalty = 0.5;
    } else {
        throw std::invalid_argument("mixed_hpo: activation '" + std::string(activation) +
                                    "' is not one of relu, tanh, gelu, sigmoid");
    }
    const double u_lr = (std::log(lr) - std::log(3e-3)) / std::log(1e5);
    const double u_b = (std::log(static_cast<double>(batch)) - std::log(128.0)) / std::log(64.0);
    const double u_l = (static_cast<double>(layers) - 3.0) / 7.0;
    const double u_d = (dropout - 0.2) / 0.9;
    return 10.0 * u_lr * u_lr + 5.0 * (u_lr - u_b) * (u_lr - u_b) + 2.0 * u_b * u_b +
           3.0 * u_l * u_l + 2.0 * u_d * u_d + penalty;
}

/// `mixed_hpo` over internal values, as a sampler sees them:
/// (lr, layers, activation index into `mixed_hpo_activations`, dropout, batch).
inline double mixed_hpo(std::span<const double> x) {
    detail::require_dim("mixed_hpo", x, 5);
    const double index = x[2];
    if (!(index >= 0.0 && index < 4.0) || index != std::floor(index)) {
        throw std::invalid_argument("mixed_hpo: activation index " + std::to_string(index) +
                                    " is not one of 0, 1, 2, 3");
    }
    return mixed_hpo(x[0], static_cast<std::int64_t>(std::llround(x[1])),
                     mixed_hpo_activations[static_cast<std::size_t>(index)], x[3],
                     static_cast<std::int64_t>(std::llround(x[4])));
}

// ---------------------------------------------------------------------------
// The suite table.
// ---------------------------------------------------------------------------

/// What kind of values a parameter of a test function takes.
enum class parameter_kind { continuous, integer, categorical };

/// One parameter of a test function's domain. Continuous parameters are named
/// x0, x1, ...; categorical ones are represented internally by the index of
/// their choice, as in tunekit.
struct parameter {
    std::string name;
    parameter_kind kind = parameter_kind::continuous;
    double low = 0.0;   ///< inclusive; for categorical, 0
    double high = 1.0;  ///< inclusive; for categorical, choices.size() - 1
    bool log = false;
    std::vector<std::string> choices{};  ///< categorical only
};

/// A function of the benchmark zoo with its domain and its known minimum.
struct test_function {
    std::string name;                       ///< as in BENCHMARKS.md, e.g. "levy10"
    std::size_t dim = 0;                    ///< == domain.size()
    std::vector<parameter> domain;          ///< search space, in argument order
    double known_minimum = 0.0;             ///< the global minimum over the domain
    std::vector<std::vector<double>> argmin;  ///< the global minimisers (internal values)
    double (*evaluate)(std::span<const double>) = nullptr;  ///< f over internal values
    std::string reference;                  ///< where the definition comes from
};

namespace detail {

inline std::vector<parameter> box(std::size_t dim, double low, double high) {
    std::vector<parameter> params;
    params.reserve(dim);
    for (std::size_t i = 0; i < dim; ++i) {
        std::string name(1, 'x');  // not "x" + ...: GCC 12 -O3 warns falsely (PR 105651)
        name += std::to_string(i);
        params.push_back({.name = std::move(name), .low = low, .high = high});
    }
    return params;
}

}  // namespace detail

/// The quality suite of BENCHMARKS.md, in its order: branin, hartmann3,
/// hartmann6, rosenbrock4, ackley5, levy10, styblinski_tang8, mixed_hpo.
inline const std::vector<test_function>& suite() {
    static const std::vector<test_function> table = [] {
        constexpr double pi = std::numbers::pi;
        constexpr char vlse[] = "Surjanovic & Bingham, Virtual Library of Simulation Experiments";
        std::vector<test_function> t;
        t.push_back({.name = "branin",
                     .dim = 2,
                     .domain = {{.name = "x0", .low = -5.0, .high = 10.0},
                                {.name = "x1", .low = 0.0, .high = 15.0}},
                     .known_minimum = 0.39788735772973816,
                     .argmin = {{-pi, 12.275}, {pi, 2.275}, {3.0 * pi, 2.475}},
                     .evaluate = &branin,
                     .reference = std::string("Branin 1972; Dixon & Szego 1978; ") + vlse});
        t.push_back({.name = "hartmann3",
                     .dim = 3,
                     .domain = detail::box(3, 0.0, 1.0),
                     .known_minimum = -3.862779787332663,
                     .argmin = {{0.11458887668124437, 0.555648895247747, 0.8525469849566709}},
                     .evaluate = &hartmann3,
                     .reference = std::string("Dixon & Szego 1978; ") + vlse});
        t.push_back({.name = "hartmann6",
                     .dim = 6,
                     .domain = detail::box(6, 0.0, 1.0),
                     .known_minimum = -3.322368011415515,
                     .argmin = {{0.2016895108244619, 0.15001069350666973, 0.4768739709409452,
                                 0.2753324296060682, 0.3116516162613493, 0.6573005347455241}},
                     .evaluate = &hartmann6,
                     .reference = std::string("Dixon & Szego 1978; ") + vlse});
        t.push_back({.name = "rosenbrock4",
                     .dim = 4,
                     .domain = detail::box(4, -5.0, 10.0),
                     .known_minimum = 0.0,
                     .argmin = {std::vector<double>(4, 1.0)},
                     .evaluate = &rosenbrock,
                     .reference = std::string("Rosenbrock 1960; ") + vlse});
        t.push_back({.name = "ackley5",
                     .dim = 5,
                     .domain = detail::box(5, -32.768, 32.768),
                     .known_minimum = 0.0,
                     .argmin = {std::vector<double>(5, 0.0)},
                     .evaluate = &ackley,
                     .reference = std::string("Ackley 1987; ") + vlse});
        t.push_back({.name = "levy10",
                     .dim = 10,
                     .domain = detail::box(10, -10.0, 10.0),
                     .known_minimum = 0.0,
                     .argmin = {std::vector<double>(10, 1.0)},
                     .evaluate = &levy,
                     .reference = std::string("Laguna & Marti 2005; ") + vlse});
        t.push_back({.name = "styblinski_tang8",
                     .dim = 8,
                     .domain = detail::box(8, -5.0, 5.0),
                     .known_minimum = -313.3293256301713,
                     .argmin = {std::vector<double>(8, styblinski_tang_argmin)},
                     .evaluate = &styblinski_tang,
                     .reference = std::string("Styblinski & Tang 1990; ") + vlse});
        t.push_back(
            {.name = "mixed_hpo",
             .dim = 5,
             .domain = {{.name = "lr", .low = 1e-5, .high = 1.0, .log = true},
                        {.name = "layers", .kind = parameter_kind::integer, .low = 1, .high = 8},
                        {.name = "activation",
                         .kind = parameter_kind::categorical,
                         .low = 0,
                         .high = 3,
                         .choices = {"relu", "tanh", "gelu", "sigmoid"}},
                        {.name = "dropout", .low = 0.0, .high = 0.9},
                        {.name = "batch",
                         .kind = parameter_kind::integer,
                         .low = 16,
                         .high = 1024,
                         .log = true}},
             .known_minimum = 0.0,
             .argmin = {{3e-3, 3.0, 2.0, 0.2, 128.0}},
             .evaluate = static_cast<double (*)(std::span<const double>)>(&mixed_hpo),
             .reference = "tunekit BENCHMARKS.md"});
        return t;
    }();
    return table;
}

/// The suite entry called `name`, or nullptr. The bare family names
/// ("rosenbrock", "ackley", "levy", "styblinski_tang") find the suite's
/// dimension of that family when it is unique ("hartmann" finds nothing).
inline const test_function* find(std::string_view name) {
    for (const auto& f : suite()) {
        if (f.name == name) {
            return &f;
        }
    }
    const test_function* match = nullptr;
    for (const auto& f : suite()) {
        const bool family = f.name.size() > name.size() && f.name.starts_with(name) &&
                            f.name.find_first_not_of("0123456789", name.size()) ==
                                std::string::npos;
        if (family) {
            if (match != nullptr) {
                return nullptr;  // ambiguous, e.g. "hartmann"
            }
            match = &f;
        }
    }
    return match;
}

}  // namespace tunekit::testing
