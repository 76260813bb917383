// tunekit's learning-rate schedules against PyTorch 1.13, step by step:
// tests/data/torch/lr_reference.json (17 schedules x 300 steps, from the
// project's shared reference data) and lr_reference_extra.json (more
// arguments, compositions, momentum, parameter groups; made by
// generate_lr_reference.py next to it). The files are read at test time.
#include <catch2/catch.hpp>

#include <tunekit/lr.hpp>

#include "torch_factory.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using tunekit_test::close_rel;

struct tally {
  std::size_t values = 0, bit_exact = 0;
  void add(double actual, double expected) {
    ++values;
    if (actual == expected) ++bit_exact;
  }
};

}  // namespace

TEST_CASE("every schedule of lr_reference.json matches PyTorch 1.13 on every step", "[lr][torch]") {
  const auto ref = tunekit_test::load_json("lr_reference.json");
  REQUIRE(ref.at("torch_version").get<std::string>().rfind("1.13", 0) == 0);
  const auto& schedules = ref.at("schedules");
  REQUIRE(schedules.size() == 17);
  const double base_lr = ref.at("protocol").at("base_lr").get<double>();
  tally t;

  for (const auto& s : schedules) {
    const std::string name = s.at("name").get<std::string>();
    const std::string cls = s.at("class").get<std::string>();
    const auto lr = s.at("lr").get<std::vector<double>>();
    REQUIRE(lr.size() == 300);
    INFO("schedule " << name << " (" << cls << ")");

    if (cls == "ReduceLROnPlateau") {
      const auto metrics = s.at("metrics").get<std::vector<double>>();
      auto plateau = tunekit_test::make_plateau(base_lr, s.at("kwargs"));
      for (std::size_t i = 0; i < lr.size(); ++i) {
        INFO("step " << i);
        REQUIRE(close_rel(plateau.lr(), lr[i]));
        t.add(plateau.lr(), lr[i]);
        plateau.step(metrics[i]);
      }
      continue;
    }

    // SGD with momentum 0: the group has a momentum for one-cycle to cycle.
    tunekit::scheduled_lr sched(tunekit::lr_group{.lr = base_lr, .momentum = 0.0},
                                tunekit_test::make_policy(cls, s.at("kwargs"), s));
    std::vector<double> momentum;
    if (s.contains("momentum")) momentum = s.at("momentum").get<std::vector<double>>();
    for (std::size_t i = 0; i < lr.size(); ++i) {
      INFO("step " << i);
      CHECK(sched.last_epoch() == static_cast<std::int64_t>(i));
      REQUIRE(close_rel(sched.lr(), lr[i]));
      t.add(sched.lr(), lr[i]);
      if (!momentum.empty()) {
        REQUIRE(sched.momentum());
        REQUIRE(close_rel(*sched.momentum(), momentum[i]));
        t.add(*sched.momentum(), momentum[i]);
      }
      sched.step();
    }
  }
  // 17 x 300 lrs and 4 x 300 one-cycle momenta. Same libm, same operation
  // order: every value is bit-identical, not merely within 1e-12.
  CHECK(t.values == 17 * 300 + 4 * 300);
  CHECK(t.bit_exact == t.values);
}

TEST_CASE("every case of lr_reference_extra.json matches PyTorch 1.13 on every step", "[lr][torch]") {
  const auto ref = tunekit_test::load_json("lr_reference_extra.json");
  REQUIRE(ref.at("torch_version").get<std::string>().rfind("1.13", 0) == 0);
  tally t;
  std::size_t n_cases = 0;

  for (const auto& c : ref.at("cases")) {
    ++n_cases;
    const std::string name = c.at("name").get<std::string>();
    const auto& spec = c.at("schedule");
    const std::string cls = spec.at("class").get<std::string>();
    const auto lrs = c.at("lrs").get<std::vector<double>>();
    const double sgd_momentum = c.at("momentum").get<double>();
    const auto expected = c.at("lr").get<std::vector<std::vector<double>>>();
    std::vector<std::vector<double>> expected_momentum;
    if (c.contains("momentum_values")) expected_momentum = c.at("momentum_values").get<std::vector<std::vector<double>>>();
    // The step at which PyTorch raised, if any (no std::optional: GCC 12 warns falsely).
    const std::size_t error_at = c.value("error_at_step", std::numeric_limits<std::size_t>::max());
    const nlohmann::json kwargs = spec.value("kwargs", nlohmann::json::object());
    INFO("case " << name);
    REQUIRE(expected.size() == lrs.size());

    // Parameter groups are independent: one schedule per group.
    for (std::size_t g = 0; g < lrs.size(); ++g) {
      INFO("group " << g);
      const auto& want = expected[g];
      if (cls == "ReduceLROnPlateau") {
        const auto metrics = c.at("metrics").get<std::vector<double>>();
        auto plateau = tunekit_test::make_plateau(lrs[g], kwargs, g);
        for (std::size_t i = 0; i < want.size(); ++i) {
          INFO("step " << i);
          REQUIRE(close_rel(plateau.lr(), want[i]));
          t.add(plateau.lr(), want[i]);
          plateau.step(metrics[i]);
        }
        continue;
      }
      tunekit::scheduled_lr sched(tunekit::lr_group{.lr = lrs[g], .momentum = sgd_momentum},
                                  tunekit_test::make_policy(cls, kwargs, spec, g));
      for (std::size_t i = 0; i < want.size(); ++i) {
        INFO("step " << i);
        REQUIRE(close_rel(sched.lr(), want[i]));
        t.add(sched.lr(), want[i]);
        if (!expected_momentum.empty()) {
          REQUIRE(close_rel(sched.momentum().value(), expected_momentum[g][i]));
          t.add(*sched.momentum(), expected_momentum[g][i]);
        }
        if (i == error_at) {
          // PyTorch raised here (past one-cycle's end, or a division by zero).
          const double before = sched.lr();
          CHECK_THROWS_AS(sched.step(), tunekit::state_error);
          CHECK(sched.lr() == before);
          CHECK_THROWS_AS(sched.step(), tunekit::state_error);
          break;
        }
        sched.step();
      }
    }
  }
  CHECK(n_cases == 57);
  CHECK(t.bit_exact == t.values);
}
