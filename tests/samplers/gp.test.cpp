// Tests of tunekit/samplers/gp.hpp and its maths in samplers/detail/: the GP
// posterior against a closed-form computation, the marginal likelihood and
// its gradient against direct formulas and finite differences, LogEI against
// log(EI) and in its far tail, the bounded L-BFGS on known minima; then the
// sampler: conformance, options, reproducibility, every kind of parameter,
// fantasies for running trials, maximisation, and the bad inputs of issue 4
// (duplicates, constant values, one observation, extreme scales, edges);
// last, several objectives and constraints (issue 17): the box decomposition
// of log EHVI against brute-force hypervolumes, log EHVI against Monte Carlo
// and its gradient against finite differences, constrained and
// multi-objective studies and their bad inputs.
#include <catch2/catch.hpp>

#include <tunekit/tunekit.hpp>

#include "support/test_helpers.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Dense>
#include <tunekit/mo/hypervolume.hpp>
#include <tunekit/samplers/detail/ehvi.hpp>

#include "support/require_invalid.hpp"
#include "support/study_history.hpp"

using tunekit_test::space_of;

namespace {

using tunekit::distribution;
using tunekit::gp_sampler;
using tunekit::gp_sampler_options;
namespace gp = tunekit::detail::gp;
namespace acq = tunekit::detail::acq;

/// A study written straight into a memory storage, for calling the sampler by hand.
struct gp_history : tunekit::testing::study_history {
  explicit gp_history(tunekit::direction d = tunekit::direction::minimize) : study_history(d, "gp-test") {}
};


/// The Matérn 5/2 ARD kernel written out, for the closed-form checks.
double kernel(const Eigen::RowVectorXd& a, const Eigen::RowVectorXd& b, const gp::hyper& h,
              const std::vector<std::uint8_t>& cat) {
  double r2 = 0;
  for (Eigen::Index d = 0; d < a.size(); ++d) {
    const double l = std::exp(h.log_lengthscale[d]);
    const double delta = cat[static_cast<std::size_t>(d)] ? (a[d] != b[d] ? 1.0 : 0.0) : a[d] - b[d];
    r2 += delta * delta / (l * l);
  }
  const double r = std::sqrt(r2);
  return std::exp(h.log_signal) * (1 + std::sqrt(5.0) * r + 5.0 / 3.0 * r2) * std::exp(-std::sqrt(5.0) * r);
}

/// Random data: numeric coordinates in [0, 1], the last dimension categorical with 3 choices.
struct dataset {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
  std::vector<std::uint8_t> cat;
};
dataset make_data(tunekit::random_engine& rng, Eigen::Index n, Eigen::Index D, bool with_categorical) {
  dataset s;
  s.cat.assign(static_cast<std::size_t>(D), 0);
  if (with_categorical) s.cat.back() = 1;
  s.X.resize(n, D);
  s.y.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index d = 0; d < D; ++d)
      s.X(i, d) = s.cat[static_cast<std::size_t>(d)] ? static_cast<double>(rng.below(3)) : rng.uniform();
    s.y[i] = std::sin(6 * s.X(i, 0)) + s.X.row(i).sum() + 0.1 * rng.normal();
  }
  return s;
}

Eigen::VectorXd random_theta(tunekit::random_engine& rng, Eigen::Index D) {
  Eigen::VectorXd t(D + 2);
  for (Eigen::Index d = 0; d < D; ++d) t[d] = std::log(0.1) + 3.0 * rng.uniform();
  t[D] = -1.0 + 2.0 * rng.uniform();
  t[D + 1] = std::log(1e-4) + 6.0 * rng.uniform();
  return t;
}

}  // namespace

// --- the model ----------------------------------------------------------------------

TEST_CASE("gp model: posterior mean and variance match the closed form", "[samplers][gp]") {
  tunekit::random_engine rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    const Eigen::Index n = 2 + static_cast<Eigen::Index>(rng.below(8)), D = 1 + static_cast<Eigen::Index>(rng.below(4));
    const auto s = make_data(rng, n, D, trial % 2 == 1 && D > 1);
    const Eigen::VectorXd theta = random_theta(rng, D);
    const auto h = gp::hyper::unpack(theta);
    gp::gp_data data;
    data.reset(s.cat);
    data.append(s.X);
    gp::posterior post;
    REQUIRE(post.fit(data, s.y, theta));
    // Closed form with an explicit inverse.
    Eigen::MatrixXd K(n, n);
    for (Eigen::Index a = 0; a < n; ++a)
      for (Eigen::Index b = 0; b < n; ++b) K(a, b) = kernel(s.X.row(a), s.X.row(b), h, s.cat) + (a == b ? std::exp(h.log_noise) : 0.0);
    const Eigen::MatrixXd Kinv = K.inverse();
    Eigen::MatrixXd C = make_data(rng, 5, D, trial % 2 == 1 && D > 1).X;
    C.row(0) = s.X.row(0);  // at a data point too
    Eigen::VectorXd mean, var;
    post.predict(C, mean, var);
    for (Eigen::Index j = 0; j < C.rows(); ++j) {
      Eigen::VectorXd k(n);
      for (Eigen::Index a = 0; a < n; ++a) k[a] = kernel(s.X.row(a), C.row(j), h, s.cat);
      const double m = k.dot(Kinv * s.y), v = std::exp(h.log_signal) - k.dot(Kinv * k);
      CHECK(mean[j] == Approx(m).margin(1e-8));
      CHECK(var[j] == Approx(std::max(v, post.var_floor())).margin(1e-8));
      // The single-point path with gradients agrees, and its gradients match finite differences.
      double m1, v1;
      Eigen::VectorXd dm, dv;
      post.predict_grad(C.row(j), m1, v1, dm, dv);
      CHECK(m1 == Approx(mean[j]).margin(1e-10));
      CHECK(v1 == Approx(var[j]).margin(1e-10));
      for (Eigen::Index d = 0; d < D; ++d) {
        if (s.cat[static_cast<std::size_t>(d)] || v < 1e-6) continue;
        const double eps = 1e-6;
        Eigen::RowVectorXd up = C.row(j), down = C.row(j);
        up[d] += eps;
        down[d] -= eps;
        double mu_up, mu_down, v_up, v_down;
        Eigen::VectorXd ignore1, ignore2;
        post.predict_grad(up, mu_up, v_up, ignore1, ignore2);
        post.predict_grad(down, mu_down, v_down, ignore1, ignore2);
        CHECK(dm[d] == Approx((mu_up - mu_down) / (2 * eps)).margin(1e-5));
        CHECK(dv[d] == Approx((v_up - v_down) / (2 * eps)).margin(1e-5));
      }
    }
  }
}

TEST_CASE("gp model: log marginal likelihood matches the closed form and its gradient finite differences",
          "[samplers][gp]") {
  tunekit::random_engine rng(5);
  for (int trial = 0; trial < 25; ++trial) {
    const Eigen::Index n = 3 + static_cast<Eigen::Index>(rng.below(20)), D = 1 + static_cast<Eigen::Index>(rng.below(5));
    const auto s = make_data(rng, n, D, trial % 3 == 0 && D > 1);
    const Eigen::VectorXd theta = random_theta(rng, D);
    const auto h = gp::hyper::unpack(theta);
    gp::gp_data data;
    data.reset(s.cat);
    // Appended in two blocks: the incremental pair cache must equal a fresh one.
    data.append(s.X.topRows(n / 2));
    data.append(s.X.bottomRows(n - n / 2));
    gp::lml_workspace ws;
    Eigen::VectorXd grad;
    const double f = gp::neg_log_posterior(data, s.y, theta, &grad, ws);
    Eigen::MatrixXd K(n, n);
    for (Eigen::Index a = 0; a < n; ++a)
      for (Eigen::Index b = 0; b < n; ++b) K(a, b) = kernel(s.X.row(a), s.X.row(b), h, s.cat) + (a == b ? std::exp(h.log_noise) : 0.0);
    const double lml = -0.5 * s.y.dot(K.ldlt().solve(s.y)) - 0.5 * std::log(K.determinant()) -
                       0.5 * static_cast<double>(n) * std::log(2 * M_PI);
    CHECK(f == Approx(-(lml + gp::log_prior(theta, nullptr))).epsilon(1e-8));
    CHECK(gp::neg_log_posterior(data, s.y, theta, nullptr, ws) == Approx(f).epsilon(1e-12));
    for (Eigen::Index j = 0; j < theta.size(); ++j) {
      const double eps = 1e-5;
      Eigen::VectorXd up = theta, down = theta, g;
      up[j] += eps;
      down[j] -= eps;
      const double fd = (gp::neg_log_posterior(data, s.y, up, nullptr, ws) - gp::neg_log_posterior(data, s.y, down, nullptr, ws)) / (2 * eps);
      INFO("case " << trial << " n " << n << " D " << D << " parameter " << j);
      CHECK(grad[j] == Approx(fd).epsilon(1e-5).margin(1e-5));
    }
  }
}

TEST_CASE("gp model: extending the factor with fantasies equals refitting with them", "[samplers][gp]") {
  tunekit::random_engine rng(3);
  const auto s = make_data(rng, 12, 3, true);
  const Eigen::VectorXd theta = random_theta(rng, 3);
  gp::gp_data first, all;
  first.reset(s.cat);
  first.append(s.X.topRows(9));
  all.reset(s.cat);
  all.append(s.X);
  gp::posterior a, b;
  REQUIRE(a.fit(first, s.y.head(9), theta));
  REQUIRE(a.extend(s.X.bottomRows(3), s.y.tail(3)));
  REQUIRE(b.fit(all, s.y, theta));
  const Eigen::MatrixXd C = make_data(rng, 7, 3, true).X;
  Eigen::VectorXd ma, va, mb, vb;
  a.predict(C, ma, va);
  b.predict(C, mb, vb);
  for (Eigen::Index j = 0; j < C.rows(); ++j) {
    CHECK(ma[j] == Approx(mb[j]).margin(1e-9));
    CHECK(va[j] == Approx(vb[j]).margin(1e-9));
  }
}

// --- acquisition --------------------------------------------------------------------

TEST_CASE("LogEI equals log(EI) where EI is representable and stays finite where it underflows", "[samplers][gp]") {
  // Reference: EI = sigma (phi(z) + z Phi(z)) in long double, accurate to
  // ~1e-14 relative for z >= -30 (the cancellation costs log10(z^2) digits).
  auto log_ei_reference = [](long double z, long double sigma) {
    const long double phi = std::exp(-0.5L * z * z) / std::sqrt(2.0L * 3.14159265358979323846L);
    const long double cdf = 0.5L * std::erfc(-z / std::sqrt(2.0L));
    return static_cast<double>(std::log(sigma * (phi + z * cdf)));
  };
  for (double sigma : {1e-3, 0.5, 1.0, 7.0}) {
    for (double z = -30.0; z <= 6.0; z += 0.0625) {
      const double best = 0.3, mu = best - z * sigma;
      const double v = acq::log_ei(mu, sigma, best).value;
      INFO("z = " << z << ", sigma = " << sigma);
      CHECK(v == Approx(log_ei_reference(z, sigma)).epsilon(1e-10).margin(1e-10));
    }
  }
  // Far below: EI is 0 in double, LogEI finite, decreasing and close to the
  // asymptote -z^2/2 - log(sqrt(2 pi)) - 2 log|z|.
  double previous = std::numeric_limits<double>::infinity();
  for (double z = -40.0; z >= -1e12; z *= 1.7) {
    const auto [v, slope] = acq::log_h(z);
    REQUIRE(std::isfinite(v));
    REQUIRE(std::isfinite(slope));
    CHECK(v < previous);
    CHECK(v == Approx(-0.5 * z * z - acq::log_sqrt_2pi - 2 * std::log(-z)).epsilon(1e-3));
    previous = v;
  }
  // Its derivative is Phi/h, checked by finite differences across the three regimes.
  for (double z : {-1e9, -5e7, -1e4, -300.0, -40.0, -36.5, -35.9, -25.0, -8.0, -2.0, -1.0, -0.999, 0.0, 1.5, 5.0}) {
    const double eps = 1e-6 * std::max(1.0, std::abs(z));
    const double fd = (acq::log_h(z + eps).value - acq::log_h(z - eps).value) / (2 * eps);
    INFO("z = " << z);
    CHECK(acq::log_h(z).slope == Approx(fd).epsilon(1e-5));
  }
}

TEST_CASE("log PI and UCB: values and derivatives", "[samplers][gp]") {
  for (double z : {-50.0, -10.0, -1.0, 0.0, 2.0}) {
    const double sigma = 0.7, best = 1.0, mu = best - z * sigma;
    const auto p = acq::log_pi(mu, sigma, best);
    if (z > -8) CHECK(p.value == Approx(std::log(acq::normal_cdf(z))).epsilon(1e-12));
    CHECK(std::isfinite(p.value));
    const double eps = 1e-6;
    CHECK(p.d_mu == Approx((acq::log_pi(mu + eps, sigma, best).value - acq::log_pi(mu - eps, sigma, best).value) / (2 * eps)).epsilon(1e-5));
    CHECK(p.d_sigma == Approx((acq::log_pi(mu, sigma + eps, best).value - acq::log_pi(mu, sigma - eps, best).value) / (2 * eps)).epsilon(1e-5));
    const auto e = acq::log_ei(mu, sigma, best);
    CHECK(e.d_mu == Approx((acq::log_ei(mu + eps, sigma, best).value - acq::log_ei(mu - eps, sigma, best).value) / (2 * eps)).epsilon(1e-5));
    CHECK(e.d_sigma == Approx((acq::log_ei(mu, sigma + eps, best).value - acq::log_ei(mu, sigma - eps, best).value) / (2 * eps)).epsilon(1e-5));
  }
  const auto u = acq::ucb(2.0, 0.5, 3.0);
  CHECK(u.value == Approx(-2.0 + 1.5));
}

// --- the optimizer ------------------------------------------------------------------

TEST_CASE("box_lbfgs: finds interior and boundary minima", "[samplers][gp]") {
  auto rosenbrock = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
    g.resize(2);
    g[0] = -400 * x[0] * (x[1] - x[0] * x[0]) - 2 * (1 - x[0]);
    g[1] = 200 * (x[1] - x[0] * x[0]);
    return 100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]) + (1 - x[0]) * (1 - x[0]);
  };
  const Eigen::Vector2d start(-1.2, 1.0);
  auto r = tunekit::detail::box_lbfgs(rosenbrock, start, Eigen::Vector2d(-2, -2), Eigen::Vector2d(2, 2),
                                      {.max_iterations = 200, .gradient_tolerance = 1e-9, .relative_tolerance = 0});
  CHECK(r.x[0] == Approx(1.0).margin(1e-5));
  CHECK(r.x[1] == Approx(1.0).margin(1e-5));
  // With x0 <= 0.5 the minimum is on that bound, where min over x1 gives x1 = 0.25.
  r = tunekit::detail::box_lbfgs(rosenbrock, start, Eigen::Vector2d(-2, -2), Eigen::Vector2d(0.5, 2),
                                 {.max_iterations = 200, .gradient_tolerance = 1e-9, .relative_tolerance = 0});
  CHECK(r.x[0] == Approx(0.5).margin(1e-9));
  CHECK(r.x[1] == Approx(0.25).margin(1e-5));
  // A fixed variable (lo == hi) does not move; +inf regions are backed out of.
  auto bowl = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
    g = 2 * (x.array() - 3).matrix();
    return x[0] > 3.5 ? std::numeric_limits<double>::infinity() : (x.array() - 3).square().sum();
  };
  r = tunekit::detail::box_lbfgs(bowl, Eigen::Vector3d(0, 0, 0), Eigen::Vector3d(-10, 1, -10), Eigen::Vector3d(10, 1, 10));
  CHECK(r.x[0] == Approx(3).margin(1e-6));
  CHECK(r.x[1] == 1.0);
  CHECK(r.x[2] == Approx(3).margin(1e-6));
}

// --- the sampler --------------------------------------------------------------------

TEST_CASE("gp_sampler: satisfies the sampler concepts", "[samplers][gp]") {
  STATIC_REQUIRE(tunekit::relational_sampler<gp_sampler>);
  STATIC_REQUIRE(tunekit::sampler<gp_sampler>);
  const gp_sampler s;
  CHECK(s.options().n_startup_trials == 10);
  CHECK(s.options().acquisition == tunekit::gp_acquisition::log_ei);
}

TEST_CASE("gp_sampler: invalid options throw invalid_argument naming the option", "[samplers][gp]") {
  REQUIRE_INVALID(gp_sampler({.n_startup_trials = -1}), Catch::Contains("n_startup_trials"));
  REQUIRE_INVALID(gp_sampler({.ucb_kappa = -1}), Catch::Contains("ucb_kappa"));
  REQUIRE_INVALID(gp_sampler({.ucb_kappa = std::numeric_limits<double>::infinity()}), Catch::Contains("ucb_kappa"));
  REQUIRE_INVALID(gp_sampler({.n_candidates = 1}), Catch::Contains("n_candidates"));
  REQUIRE_INVALID(gp_sampler({.n_refine = -1}), Catch::Contains("n_refine"));
  REQUIRE_INVALID(gp_sampler({.n_candidates = 8, .n_refine = 9}), Catch::Contains("n_refine"));
  REQUIRE_INVALID(gp_sampler({.n_restarts = -2}), Catch::Contains("n_restarts"));
  REQUIRE_INVALID(gp_sampler({.scalarized_fraction = -0.1}), Catch::Contains("scalarized_fraction"));
  REQUIRE_INVALID(gp_sampler({.scalarized_fraction = 1.5}), Catch::Contains("scalarized_fraction"));
  REQUIRE_INVALID(gp_sampler({.scalarized_fraction = std::nan("")}), Catch::Contains("scalarized_fraction"));
  REQUIRE_INVALID(gp_sampler({.min_noise = 0}), Catch::Contains("min_noise"));
  REQUIRE_INVALID(gp_sampler({.min_noise = std::nan("")}), Catch::Contains("min_noise"));
  REQUIRE_INVALID(gp_sampler({.acquisition = static_cast<tunekit::gp_acquisition>(7)}), Catch::Contains("acquisition"));
}

namespace {
double branin(double x0, double x1) {
  const double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
  const double u = x1 - b * x0 * x0 + c * x0 - 6;
  return u * u + 10 * (1 - t) * std::cos(x0) + 10;
}
std::vector<tunekit::frozen_trial> run_branin(gp_sampler_options options, int n) {
  tunekit::tuner tuner{gp_sampler{options}};
  tuner.optimize([](tunekit::trial& t) { return branin(t.suggest_float("x0", -5, 10), t.suggest_float("x1", 0, 15)); },
                 {.n_trials = n});
  return tuner.trials();
}
}  // namespace

TEST_CASE("gp_sampler: the same seed gives the same trials, and finds branin's minimum", "[samplers][gp]") {
  const auto a = run_branin({.seed = 3}, 30), b = run_branin({.seed = 3}, 30), c = run_branin({.seed = 4}, 30);
  REQUIRE(a.size() == 30);
  bool differs = false;
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].params == b[i].params);
    differs = differs || a[i].params != c[i].params;
    best = std::min(best, a[i].values.at(0));
  }
  CHECK(differs);
  // Known minimum 0.39789; random search at 30 trials: ~1.5. Over five
  // seeds, since one seed can spend its 20 model trials in the wrong basin
  // (seed 3 did, at 0.52, once the noise floor went from 1e-6 to 1e-10).
  int found = best < 0.3979 + 0.01;
  for (std::uint64_t seed : {4, 5, 6, 7}) {
    double b = std::numeric_limits<double>::infinity();
    for (const auto& t : seed == 4 ? c : run_branin({.seed = seed}, 30)) b = std::min(b, t.values.at(0));
    found += b < 0.3979 + 0.01;
  }
  CHECK(found >= 4);
}

TEST_CASE("gp_sampler: every kind of parameter stays inside its domain, with all three acquisitions", "[samplers][gp]") {
  for (auto acquisition : {tunekit::gp_acquisition::log_ei, tunekit::gp_acquisition::ucb, tunekit::gp_acquisition::log_pi}) {
    tunekit::tuner tuner{gp_sampler{{.n_startup_trials = 5, .acquisition = acquisition, .n_candidates = 256, .seed = 2}}};
    std::map<std::string, int> seen_b;
    tuner.optimize(
        [&](tunekit::trial& t) {
          const double f = t.suggest_float("float", -3, 5);
          const double lf = t.suggest_float("log_float", 1e-5, 1e-1, {.log = true});
          const double sf = t.suggest_float("step_float", 0, 1, {.step = 0.1});
          const auto i = t.suggest_int("int", -5, 10);
          const auto li = t.suggest_int("log_int", 1, 64, {.log = true});
          const std::string s = t.suggest_categorical("cat", {"a", "b", "c"});
          return (f - 1) * (f - 1) + std::abs(std::log10(lf) + 3) + (sf - 0.3) * (sf - 0.3) +
                 static_cast<double>((i - 2) * (i - 2) + std::abs(li - 8)) + (s == "b" ? 0.0 : 1.0);
        },
        {.n_trials = 25, .catch_exceptions = false});
    const auto trials = tuner.trials();
    REQUIRE(trials.size() == 25);
    for (const auto& t : trials) {
      REQUIRE(t.state == tunekit::trial_state::complete);
      for (const auto& [name, value] : t.params) CHECK(tunekit::contains(t.distributions.at(name), value));
    }
    // The model proposed the later trials and learnt something (random search: ~9 at 25 trials;
    // one seed, so the margin is wide: this seed gave 6.13 with an intermediate version of the fit).
    if (acquisition == tunekit::gp_acquisition::log_ei) CHECK(tuner.best_value() < 7.0);
  }
}

TEST_CASE("gp_sampler: running trials enter as fantasies, so a second asker goes elsewhere", "[samplers][gp]") {
  const std::vector<std::pair<std::string, distribution>> dims{{"x", tunekit::float_distribution(0, 1)},
                                                               {"y", tunekit::float_distribution(0, 1)}};
  gp_history h;
  tunekit::random_engine rng(8);
  for (int i = 0; i < 12; ++i) {
    const double x = rng.uniform(), y = rng.uniform();
    h.add(dims, {x, y}, (x - 0.3) * (x - 0.3) + (y - 0.6) * (y - 0.6));
  }
  const auto space = space_of(dims);
  gp_sampler s{{.seed = 1}};
  const auto first_trial = h.start();
  const auto first = s.sample_relative(h.view(), first_trial, space);
  CHECK(s.diagnostics().n_fantasies == 0);
  CHECK(s.diagnostics().fallback.empty());
  // The first trial is now running at its proposal; the second ask must avoid it.
  for (const auto& [name, d] : dims) h.storage.set_param(first_trial.id, name, first.at(name), d);
  const auto second_trial = h.start();
  const auto second = s.sample_relative(h.view(), second_trial, space);
  CHECK(s.diagnostics().n_fantasies == 1);
  const double dx = first.at("x") - second.at("x"), dy = first.at("y") - second.at("y");
  CHECK(std::sqrt(dx * dx + dy * dy) > 1e-3);
  // Without fantasies, the same state gives the same point again.
  gp_sampler plain{{.fantasize_running = false, .seed = 1}};
  const auto again = plain.sample_relative(h.view(), second_trial, space);
  CHECK(plain.diagnostics().n_fantasies == 0);
  gp_sampler fresh{{.fantasize_running = false, .seed = 1}};
  CHECK(again == fresh.sample_relative(h.view(), second_trial, space));
}

TEST_CASE("gp_sampler: n_jobs = 2 runs and stays in the domain", "[samplers][gp]") {
  tunekit::tuner tuner{gp_sampler{{.n_startup_trials = 4, .n_candidates = 256, .seed = 5}}};
  const auto summary = tuner.optimize(
      [](tunekit::trial& t) {
        const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
        return (x - 0.3) * (x - 0.3) + (y - 0.6) * (y - 0.6);
      },
      {.n_trials = 24, .n_jobs = 2, .catch_exceptions = false});
  CHECK(summary.n_complete == 24);
  CHECK(tuner.best_value() < 0.01);
}

TEST_CASE("gp_sampler: maximisation, and failed and pruned trials are ignored", "[samplers][gp]") {
  const std::vector<std::pair<std::string, distribution>> dims{{"x", tunekit::float_distribution(-2, 2)}};
  gp_history h(tunekit::direction::maximize);
  for (int i = 0; i < 10; ++i) {
    const double x = -2 + 4 * (i + 0.5) / 10;
    h.add(dims, {x}, -(x - 0.7) * (x - 0.7));
  }
  // A pruned trial with a huge value and a failed trial must not attract the search.
  h.add(dims, {-1.9}, 1e6, tunekit::trial_state::pruned);
  h.add(dims, {-1.8}, 0, tunekit::trial_state::fail);
  gp_sampler s{{.acquisition = tunekit::gp_acquisition::log_pi, .seed = 1}};
  const auto p = s.sample_relative(h.view(), h.start(), space_of(dims));
  CHECK(s.diagnostics().n_observations == 10);
  CHECK(p.at("x") == Approx(0.7).margin(0.15));
}

TEST_CASE("gp_sampler: bad inputs give a finite proposal inside the domain, never an exception", "[samplers][gp]") {
  const std::vector<std::pair<std::string, distribution>> dims{
      {"x", tunekit::float_distribution(-1, 1)},
      {"lr", tunekit::float_distribution(1e-5, 1, {.log = true})},
      {"n", tunekit::int_distribution(1, 8)},
      {"act", tunekit::categorical_distribution({"relu", "tanh", "gelu"})}};
  const auto space = space_of(dims);
  auto check = [&](gp_history& h, const char* what, gp_sampler_options options = {.n_startup_trials = 1, .seed = 4}) {
    INFO(what);
    gp_sampler s{options};
    tunekit::param_map p;
    REQUIRE_NOTHROW(p = s.sample_relative(h.view(), h.start(), space));
    REQUIRE(p.size() == dims.size());
    for (const auto& [name, d] : dims) {
      CHECK(std::isfinite(p.at(name)));
      CHECK(tunekit::contains(d, p.at(name)));
    }
    return s.diagnostics();
  };
  // The GP proposed the point (or, when its best point was already observed, explored on purpose).
  auto modelled = [](const tunekit::gp_diagnostics& d) { return d.fallback.empty() || d.fallback.rfind("duplicate", 0) == 0; };
  tunekit::random_engine rng(21);
  auto random_point = [&] {
    return std::vector<double>{rng.uniform(-1, 1), std::exp(rng.uniform(std::log(1e-5), 0.0)),
                               static_cast<double>(1 + rng.below(8)), static_cast<double>(rng.below(3))};
  };
  {
    gp_history h;  // one observation
    h.add(dims, random_point(), 3.0);
    CHECK(modelled(check(h, "single observation")));
  }
  {
    gp_history h;  // the same point, many times, with the same and with different values
    const auto p = random_point();
    for (int i = 0; i < 15; ++i) h.add(dims, p, i % 2 ? 1.0 : 2.0);
    CHECK(modelled(check(h, "duplicates")));
  }
  {
    gp_history h;  // constant observations
    for (int i = 0; i < 15; ++i) h.add(dims, random_point(), 42.0);
    CHECK(modelled(check(h, "constant")));
  }
  for (double scale : {1e-12, 1e12, 1e-300, 1e300}) {
    gp_history h;  // tiny and huge scales, and an offset far larger than the spread
    for (int i = 0; i < 15; ++i) {
      const auto p = random_point();
      h.add(dims, p, scale * (p[0] * p[0] + std::log10(p[1]) / 5));
    }
    CHECK(modelled(check(h, "scale")));
    gp_history offset;
    for (int i = 0; i < 15; ++i) {
      const auto p = random_point();
      offset.add(dims, p, 1e12 + scale * p[0]);
    }
    check(offset, "offset");
  }
  {
    gp_history h;  // every point on a corner of the domain
    for (int i = 0; i < 16; ++i) {
      h.add(dims, {i & 1 ? 1.0 : -1.0, i & 2 ? 1.0 : 1e-5, i & 4 ? 8.0 : 1.0, static_cast<double>(i % 3)},
            static_cast<double>(i % 5));
    }
    CHECK(modelled(check(h, "edges")));
  }
  {
    gp_history h;  // fewer complete trials than n_startup_trials: the Sobol point, and the reason
    h.add(dims, random_point(), 1.0);
    CHECK(check(h, "startup", {.seed = 4}).fallback == "startup");
  }
}

TEST_CASE("gp_sampler: converges past the old 1e-3 duplicate guard on a smooth minimum", "[samplers][gp]") {
  // Issue 18: proposals within 1e-3 of a finished trial used to be replaced
  // by random points, which stalled a converging search at (1e-3)^2 here.
  for (std::uint64_t seed : {1, 2, 3}) {
    tunekit::tuner tuner{gp_sampler{{.n_startup_trials = 5, .n_candidates = 256, .seed = seed}}};
    int duplicates = 0;
    tuner.optimize(
        [&](tunekit::trial& t) {
          const double x = t.suggest_float("x", 0, 1);
          duplicates += tuner.sampler().diagnostics().fallback.rfind("duplicate", 0) == 0;
          return (x - 0.3137) * (x - 0.3137);
        },
        {.n_trials = 30, .catch_exceptions = false});
    CHECK(duplicates <= 2);
    CHECK(tuner.best_value() < 1e-8);
  }
}

TEST_CASE("gp_sampler: the trust region keeps proposals in its box, its length replayed from the trials", "[samplers][gp]") {
  // TuRBO-1's rule (gp.hpp): length from 0.8, x2 after 3 improving trials in
  // a row (at most 1.6), /2 after max(4, D) = 4 without one, back to 0.8
  // below 0.5^7. Histories of improving and non-improving trials at random.
  const std::vector<std::pair<std::string, distribution>> dims{{"a", tunekit::float_distribution(0, 1)},
                                                               {"b", tunekit::float_distribution(0, 1)},
                                                               {"c", tunekit::float_distribution(0, 1)}};
  const auto space = space_of(dims);
  int restarts = 0, doubled = 0;
  // Per case: the chance that a trial improves, and how many follow the start
  // (all failures for 30 trials reach the restart; all successes the cap).
  const std::array<std::pair<double, int>, 4> cases{{{0.0, 30}, {0.15, 25}, {0.6, 20}, {1.0, 12}}};
  for (std::uint64_t seed = 0; seed < cases.size(); ++seed) {
    tunekit::random_engine rng(100 + seed);
    gp_history h;
    std::vector<std::vector<double>> points;
    std::vector<double> values;
    auto add = [&](double v) {
      points.push_back({rng.uniform(), rng.uniform(), rng.uniform()});
      values.push_back(v);
      h.add(dims, points.back(), v);
    };
    for (int i = 0; i < 10; ++i) add(1 + rng.uniform());  // the Sobol start's place
    double best = *std::min_element(values.begin(), values.end()), length = 0.8;
    int successes = 0, failures = 0;
    for (int i = 0; i < cases[seed].second; ++i) {
      const bool improve = rng.uniform() < cases[seed].first;
      add(improve ? best * 0.5 : 3.0);
      if (improve) ++successes, failures = 0, best *= 0.5;
      else ++failures, successes = 0;
      if (successes == 3) length = std::min(2 * length, 1.6), successes = 0, ++doubled;
      if (failures == 4) length /= 2, failures = 0;
      if (length < 0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5) length = 0.8, successes = failures = 0, ++restarts;
    }
    gp_sampler s{{.n_candidates = 64, .n_restarts = 2, .trust_region = true, .seed = seed}};
    const auto x = s.sample_relative(h.view(), h.start(), space);
    const auto& d = s.diagnostics();
    REQUIRE(d.fallback.empty());
    CHECK(d.trust_region_length == Approx(length));
    // The proposal lies in the box around the best trial, sides length x lengthscale / their geometric mean.
    const auto centre = points[static_cast<std::size_t>(std::min_element(values.begin(), values.end()) - values.begin())];
    double log_mean = 0;
    for (double l : d.lengthscales) log_mean += std::log(l) / 3;
    for (std::size_t i = 0; i < dims.size(); ++i)
      CHECK(std::abs(x.at(dims[i].first) - centre[i]) <= 0.5 * length * d.lengthscales[i] / std::exp(log_mean) + 1e-9);
    if (seed == 0) {  // off (the default): no box
      gp_sampler plain{{.n_candidates = 64, .n_restarts = 2, .seed = seed}};
      plain.sample_relative(h.view(), h.start(), space);
      CHECK(plain.diagnostics().trust_region_length == 0);
    }
  }
  CHECK(restarts > 0);  // the histories reached every rule
  CHECK(doubled > 0);
}

TEST_CASE("gp_sampler: parameters of one branch of a conditional space are modelled, not drawn at random",
          "[samplers][gp]") {
  // Two branches, each with its own parameter; the GP's relational space is
  // the union, and proposals on a branch leave the other branch's parameter out.
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    tunekit::tuner tuner{gp_sampler{{.n_startup_trials = 6, .n_candidates = 256, .seed = seed}}};
    int modelled = 0;
    tuner.optimize(
        [&](tunekit::trial& t) {
          const std::string branch = t.suggest_categorical("branch", {"a", "b"});
          modelled += tuner.sampler().diagnostics().fallback.empty();
          if (branch == "a") {
            const double x = t.suggest_float("a_x", 0, 1);
            return (x - 0.2) * (x - 0.2);
          }
          const double y = t.suggest_float("b_y", 0, 1);
          return 0.5 + (y - 0.7) * (y - 0.7);
        },
        {.n_trials = 24, .catch_exceptions = false});
    CHECK(modelled >= 12);
    // Random draws of a_x on about 12 branch-a trials land this close with probability ~0.02.
    CHECK(tuner.best_value() < 1e-6);
    for (const auto& t : tuner.trials()) CHECK(t.params.count("a_x") + t.params.count("b_y") == 1);
  }
}

// --- several objectives and constraints (issue 17) ---------------------------------

namespace {

namespace ehvi = tunekit::detail::ehvi;

/// A random front-like set of m-objective points in [0, 1]^m: some on a
/// curved front, some dominated, duplicates, and some beyond the reference.
tunekit::point_set ehvi_random_points(tunekit::random_engine& rng, std::size_t m, std::size_t n) {
  tunekit::point_set p;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> q(m);
    double norm = 0;
    for (auto& v : q) v = rng.uniform(0.05, 1), norm += v * v;
    const double scale = (0.6 + 0.6 * rng.uniform()) / std::sqrt(norm);
    for (auto& v : q) v = std::round(v * scale * 64) / 64;  // a grid: ties on an axis happen
    p.push_back(q);
    if (rng.uniform() < 0.1) p.push_back(q);  // a duplicate
  }
  return p;
}

/// A study of `dirs` in a memory storage with `n` trials of two parameters,
/// objectives `f(x, y)` and optionally constraints `c(x, y)`.
struct mo_history {
  tunekit::memory_storage storage;
  tunekit::study_id study;
  std::vector<std::pair<std::string, distribution>> dims{{"x", tunekit::float_distribution(0, 1)},
                                                         {"y", tunekit::float_distribution(0, 1)}};
  explicit mo_history(std::vector<tunekit::direction> dirs) : study(storage.create_study("gp-mo", dirs)) {}
  void add(double x, double y, std::vector<double> values, std::optional<std::vector<double>> constraints = {}) {
    const auto t = storage.create_trial(study, tunekit::frozen_trial{});
    storage.set_param(t.id, "x", x, dims[0].second);
    storage.set_param(t.id, "y", y, dims[1].second);
    if (constraints)
      for (const auto& [k, v] : tunekit::constraint_attributes(*constraints)) storage.set_system_attr(t.id, k, v);
    storage.finish_trial(t.id, tunekit::trial_state::complete, values, {}, "");
  }
  tunekit::frozen_trial start() { return storage.trial(storage.create_trial(study, tunekit::frozen_trial{}).id); }
  tunekit::study_view view() const { return storage.view(study); }
};

/// ZDT1 on two parameters (f1 = x, g from y), hypervolume against (1.1, 11).
double zdt1_2d_hv(const std::vector<tunekit::frozen_trial>& trials) {
  tunekit::point_set p;
  for (const auto& t : trials)
    if (t.state == tunekit::trial_state::complete) p.push_back(t.values);
  const std::vector<double> ref{1.1, 11};
  return tunekit::hypervolume(p, ref, tunekit::outside_reference::ignore);
}
std::vector<double> zdt1_2d(tunekit::trial& t) {
  const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
  const double g = 1 + 9 * y;
  return {x, g * (1 - std::sqrt(x / g))};
}

}  // namespace

TEST_CASE("ehvi: the box decomposition gives brute-force hypervolume improvements (2-D, 3-D)", "[samplers][gp][ehvi]") {
  tunekit::random_engine rng(17);
  for (int c = 0; c < 200; ++c) {
    const std::size_t m = 2 + static_cast<std::size_t>(c % 2), n = rng.below(14);
    INFO("case " << c << ", m = " << m << ", n = " << n);
    const auto front = ehvi_random_points(rng, m, n);
    const std::vector<double> ref(m, 1.1);
    const auto boxes = ehvi::nondominated_boxes(front, ref);
    const double hv = tunekit::hypervolume(front, ref, tunekit::outside_reference::ignore);
    for (int j = 0; j < 12; ++j) {
      // Random points, points of the grid the front lives on, and the corner
      // below everything (its improvement is the whole non-dominated region).
      std::vector<double> y(m);
      for (auto& v : y) v = j == 0 ? -0.5 : j % 2 ? rng.uniform(-0.2, 1.2) : std::round(rng.uniform(0, 72)) / 64;
      auto with = front;
      with.push_back(y);
      const double brute = tunekit::hypervolume(with, ref, tunekit::outside_reference::ignore) - hv;
      CHECK(ehvi::improvement(boxes, y) == Approx(brute).margin(1e-12));
    }
  }
}

TEST_CASE("ehvi: log EHVI equals a Monte-Carlo estimate, and its gradient finite differences", "[samplers][gp][ehvi]") {
  tunekit::random_engine rng(29);
  for (int c = 0; c < 24; ++c) {
    const std::size_t m = 2 + static_cast<std::size_t>(c % 2);
    INFO("case " << c << ", m = " << m);
    const auto front = ehvi_random_points(rng, m, 1 + rng.below(10));
    const std::vector<double> ref(m, 1.1);
    const auto boxes = ehvi::nondominated_boxes(front, ref);
    std::vector<double> mu(m), sigma(m);
    for (std::size_t k = 0; k < m; ++k) mu[k] = rng.uniform(0.2, 1.0), sigma[k] = std::exp(rng.uniform(-3, 0));
    const auto e = ehvi::log_ehvi(boxes, mu, sigma);
    REQUIRE(std::isfinite(e.value));
    // Monte Carlo: mean and standard error of the improvement of draws.
    const int draws = 20000;
    double sum = 0, sum2 = 0;
    std::vector<double> y(m);
    for (int i = 0; i < draws; ++i) {
      for (std::size_t k = 0; k < m; ++k) y[k] = mu[k] + sigma[k] * rng.normal();
      const double v = ehvi::improvement(boxes, y);
      sum += v, sum2 += v * v;
    }
    const double mean = sum / draws, se = std::sqrt(std::max(sum2 / draws - mean * mean, 0.0) / draws);
    CHECK(std::abs(std::exp(e.value) - mean) <= 4.5 * se + 1e-9);
    // Gradient, central differences.
    for (std::size_t k = 0; k < m; ++k) {
      const double h = 1e-6;
      auto at = [&](double dmu, double dsigma) {
        auto mu2 = mu, s2 = sigma;
        mu2[k] += dmu, s2[k] += dsigma;
        return ehvi::log_ehvi(boxes, mu2, s2).value;
      };
      CHECK(e.d_mu[k] == Approx((at(h, 0) - at(-h, 0)) / (2 * h)).epsilon(1e-4).margin(1e-6));
      CHECK(e.d_sigma[k] == Approx((at(0, h) - at(0, -h)) / (2 * h)).epsilon(1e-4).margin(1e-6));
    }
  }
  // Far from the front, with a small sd, EHVI underflows but log EHVI stays
  // finite, decreasing as the mean moves away, with a finite gradient.
  const tunekit::point_set front{{0.2, 0.8}, {0.5, 0.5}, {0.8, 0.2}};
  const std::vector<double> ref{1.1, 1.1};
  const auto boxes = ehvi::nondominated_boxes(front, ref);
  double previous = 0;
  for (double offset : {2.0, 10.0, 50.0}) {
    const std::vector<double> mu{0.6 + offset, 0.6 + offset}, sigma{0.01, 0.01};
    const auto e = ehvi::log_ehvi(boxes, mu, sigma);
    REQUIRE(std::isfinite(e.value));
    CHECK(std::isfinite(e.d_mu[0]));
    CHECK(e.d_mu[0] < 0);
    if (offset > 2.0) CHECK(e.value < previous);
    previous = e.value;
  }
}

TEST_CASE("gp_sampler: two objectives beat random search on ZDT1, three objectives run", "[samplers][gp][ehvi]") {
  // Seeds 1-3, 24 trials of which 8 Sobol; measured: GP above random search in every seed.
  for (std::uint64_t seed : {1, 2, 3}) {
    const tunekit::study_config two{.directions = {tunekit::direction::minimize, tunekit::direction::minimize}};
    tunekit::tuner gp{gp_sampler{{.n_startup_trials = 8, .n_candidates = 256, .seed = seed}}, two};
    int modelled = 0;
    gp.optimize(
        [&](tunekit::trial& t) {
          modelled += gp.sampler().diagnostics().fallback.empty();
          return zdt1_2d(t);
        },
        {.n_trials = 24, .catch_exceptions = false});
    tunekit::tuner rnd{tunekit::random_sampler{{.seed = seed}}, two};
    rnd.optimize(zdt1_2d, {.n_trials = 24, .catch_exceptions = false});
    CHECK(modelled >= 14);
    CHECK(zdt1_2d_hv(gp.trials()) > zdt1_2d_hv(rnd.trials()));
  }
  tunekit::tuner three{gp_sampler{{.n_startup_trials = 6, .n_candidates = 128, .seed = 4}},
                       tunekit::study_config{.directions = std::vector<tunekit::direction>(3, tunekit::direction::minimize)}};
  int modelled = 0;
  three.optimize(
      [&](tunekit::trial& t) {
        modelled += three.sampler().diagnostics().fallback.empty();
        const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
        return std::vector<double>{x, y, 2 - x - y + (x - y) * (x - y)};
      },
      {.n_trials = 14, .catch_exceptions = false});
  CHECK(modelled >= 6);
}

TEST_CASE("chebyshev_scalarised: weights on the simplex, and its minimum is never dominated", "[samplers][gp][ehvi]") {
  // Random clouds of 2 and 3 objectives, some points duplicated or weakly
  // dominated: whatever the weights, a point strictly dominated by another
  // scores strictly higher (the 0.05 linear term breaks weak ties), so the
  // scalarisation's best trial is on the front.
  tunekit::random_engine rng(11);
  for (int rep = 0; rep < 300; ++rep) {
    const std::size_t m = 2 + rng.below(2), n = 1 + rng.below(30);
    std::vector<std::vector<double>> f(m, std::vector<double>(n));
    // Ties, ordinary values, and in a third of the cases values near
    // +-DBL_MAX: those must not overflow, though next to them ordinary values
    // are no longer resolved (then dominated points score no lower, not
    // strictly higher).
    const bool extreme = rep % 3 == 0;
    for (auto& row : f)
      for (double& v : row) {
        const double u = rng.uniform();
        v = u < 0.2 ? std::floor(4 * rng.uniform()) : extreme && u < 0.3 ? (rng.uniform() < 0.5 ? -1 : 1) * 1e308 : 100 * rng.normal();
      }
    std::vector<double> w;
    const auto s = tunekit::detail::gp::chebyshev_scalarised(f, rng, w);
    REQUIRE(w.size() == m);
    double sum = 0;
    for (double x : w) {
      CHECK(x >= 0);
      sum += x;
    }
    CHECK(sum == Approx(1));
    REQUIRE(s.size() == n);
    for (std::size_t a = 0; a < n; ++a) {
      REQUIRE(std::isfinite(s[a]));
      for (std::size_t b = 0; b < n; ++b) {
        bool no_worse = true, better = false;
        for (std::size_t k = 0; k < m; ++k) no_worse = no_worse && f[k][b] <= f[k][a], better = better || f[k][b] < f[k][a];
        if (no_worse && better) {
          if (extreme) CHECK(s[b] <= s[a]);
          else CHECK(s[b] < s[a]);
        }
      }
    }
  }
}

TEST_CASE("gp_sampler: scalarized_fraction chooses between log EHVI and ParEGO asks", "[samplers][gp][ehvi]") {
  const tunekit::study_config two{.directions = {tunekit::direction::minimize, tunekit::direction::minimize}};
  for (double fraction : {0.0, 0.5, 1.0}) {
    tunekit::tuner gp{gp_sampler{{.n_startup_trials = 6, .n_candidates = 128, .scalarized_fraction = fraction, .seed = 5}}, two};
    int ehvi = 0, scalarized = 0;
    gp.optimize(
        [&](tunekit::trial& t) {
          const auto& d = gp.sampler().diagnostics();
          if (d.fallback.empty() && d.n_observations > 0) {  // a modelled ask (trial 0 has no space yet)
            if (d.scalarization_weights.empty()) ++ehvi;
            else {
              ++scalarized;
              CHECK(d.scalarization_weights.size() == 2);
              CHECK(d.scalarization_weights[0] + d.scalarization_weights[1] == Approx(1));
            }
          }
          const auto v = zdt1_2d(t);
          CHECK(t.params().at("x") >= 0);
          CHECK(t.params().at("x") <= 1);
          return v;
        },
        {.n_trials = 26, .catch_exceptions = false});
    INFO("fraction " << fraction);
    CHECK(ehvi + scalarized >= 16);
    if (fraction == 0) CHECK(scalarized == 0);
    if (fraction == 1) CHECK(ehvi == 0);
    if (fraction == 0.5) CHECK((ehvi >= 4 && scalarized >= 4));
  }
}

TEST_CASE("gp_sampler: maximised objectives are negated, and running trials are fantasies", "[samplers][gp][ehvi]") {
  using tunekit::direction;
  mo_history mixed({direction::minimize, direction::maximize}), minimised({direction::minimize, direction::minimize});
  tunekit::random_engine rng(3);
  for (int i = 0; i < 12; ++i) {
    const double x = rng.uniform(), y = rng.uniform();
    mixed.add(x, y, {x + y, -(1 - x) * (1 + y)});
    minimised.add(x, y, {x + y, (1 - x) * (1 + y)});
  }
  const auto space = space_of(mixed.dims);
  gp_sampler a{{.seed = 2}}, b{{.seed = 2}};
  const auto first = mixed.start();
  const auto pa = a.sample_relative(mixed.view(), first, space);
  CHECK(a.diagnostics().fallback.empty());
  CHECK(pa == b.sample_relative(minimised.view(), minimised.start(), space));
  // The first trial now runs at its proposal: the second ask goes elsewhere.
  for (const auto& [name, d] : mixed.dims) mixed.storage.set_param(first.id, name, pa.at(name), d);
  const auto second = a.sample_relative(mixed.view(), mixed.start(), space);
  CHECK(a.diagnostics().n_fantasies == 1);
  CHECK(std::hypot(pa.at("x") - second.at("x"), pa.at("y") - second.at("y")) > 1e-3);
}

TEST_CASE("gp_sampler: bad multi-objective input: arity, NaN, constraints, too many objectives", "[samplers][gp][ehvi]") {
  using tunekit::direction;
  {
    // Trials with the wrong number of values or a NaN value are left out of the model.
    mo_history h({direction::minimize, direction::minimize});
    tunekit::random_engine rng(5);
    for (int i = 0; i < 10; ++i) {
      const double x = rng.uniform(), y = rng.uniform();
      h.add(x, y, {x, 1 - x + y});
    }
    h.add(0.5, 0.5, {1.0});
    h.add(0.5, 0.6, {1.0, 2.0, 3.0});
    h.add(0.5, 0.7, {std::nan(""), 1.0});
    gp_sampler s{{.seed = 1}};
    const auto p = s.sample_relative(h.view(), h.start(), space_of(h.dims));
    CHECK(s.diagnostics().n_observations == 10);
    CHECK(s.diagnostics().fallback.empty());
    CHECK(tunekit::contains(h.dims[0].second, p.at("x")));
  }
  for (bool multi : {false, true}) {
    INFO((multi ? "two objectives" : "one objective"));
    std::vector<direction> dirs(multi ? 2 : 1, direction::minimize);
    // Feasible where x >= 0.5, but the constraint is NaN (unknown: infeasible)
    // wherever it is violated: the search must stay on the feasible side,
    // next to the boundary the objectives push towards.
    mo_history nan_side(dirs), none_feasible(dirs);
    for (int i = 0; i < 12; ++i) {
      const double x = (i + 0.5) / 12, y = std::fmod(0.37 * i, 1.0);
      std::vector<double> f{x + 0.1 * y};
      if (multi) f.push_back(1 + y - x);
      nan_side.add(x, y, f, std::vector<double>{x >= 0.5 ? 0.5 - x : std::nan("")});
      // No trial feasible: x must exceed 0.95; the GP must head there.
      none_feasible.add(0.8 * x, y, f, std::vector<double>{0.95 - 0.8 * x});
    }
    gp_sampler s{{.seed = 7}};
    const auto p = s.sample_relative(nan_side.view(), nan_side.start(), space_of(nan_side.dims));
    CHECK(s.diagnostics().fallback.empty());
    CHECK(p.at("x") >= 0.45);
    if (!multi) CHECK(p.at("x") <= 0.7);
    gp_sampler f{{.seed = 7}};
    const auto q = f.sample_relative(none_feasible.view(), none_feasible.start(), space_of(none_feasible.dims));
    CHECK(f.diagnostics().fallback.empty());
    CHECK(q.at("x") > 0.85);
  }
  {
    tunekit::tuner four{gp_sampler{{.seed = 1}},
                        tunekit::study_config{.directions = std::vector<direction>(4, direction::minimize)}};
    REQUIRE_INVALID(four.ask(), Catch::Contains("1 to 3 objectives") && Catch::Contains("4 objectives"));
    for (const auto& t : four.trials()) CHECK(t.state == tunekit::trial_state::fail);  // recorded, not lost
    tunekit::tuner ucb{gp_sampler{{.acquisition = tunekit::gp_acquisition::ucb, .seed = 1}},
                       tunekit::study_config{.directions = {direction::minimize, direction::maximize}}};
    REQUIRE_INVALID(ucb.ask(), Catch::Contains("acquisition = ucb") && Catch::Contains("log_ei"));
  }
}

TEST_CASE("gp_sampler: a study whose directions change between runs is modelled afresh", "[samplers][gp][ehvi]") {
  // One sampler meets studies of the same name whose directions change
  // between runs (the number of objectives, not only a sign), each with
  // more trials than the last, so that only the directions tell it the
  // data are another study's. Each proposal must equal a fresh sampler's
  // on the same study: nothing of the previous objectives, fits or
  // reference point may remain.
  using tunekit::direction;
  const std::vector<std::vector<direction>> runs{{direction::minimize},
                                                 {direction::minimize, direction::minimize},
                                                 {direction::minimize, direction::maximize},
                                                 {direction::minimize, direction::minimize, direction::minimize},
                                                 {direction::maximize, direction::minimize},
                                                 {direction::minimize}};
  gp_sampler reused{{.seed = 3}};
  tunekit::param_map previous;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    INFO("run " << r << ", " << runs[r].size() << " objectives");
    mo_history h(runs[r]);
    tunekit::random_engine rng(11);  // the same parameters in every run
    const int n = 10 + static_cast<int>(r);
    for (int i = 0; i < n; ++i) {
      const double x = rng.uniform(), y = rng.uniform();
      const std::vector<double> all{(x - 0.3) * (x - 0.3) + y, (1 - x) * (1 + y), (x - 0.6) * (x - 0.6) + (y - 0.4) * (y - 0.4)};
      h.add(x, y, std::vector<double>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(runs[r].size())));
    }
    const auto space = space_of(h.dims);
    const auto t = h.start();
    const auto p = reused.sample_relative(h.view(), t, space);
    CHECK(reused.diagnostics().fallback.empty());
    CHECK(reused.diagnostics().n_observations == n);
    gp_sampler fresh{{.seed = 3}};
    CHECK(p == fresh.sample_relative(h.view(), t, space));
    CHECK(p != previous);  // the runs are different problems: a stale model would show
    previous = p;
  }
}
