#pragma once
// The bad input of issue 19 in one objective body, shared by the tests of
// the budget-aware samplers (BOHB, DEHB) run through a tuner.

#include <catch2/catch.hpp>

#include <tunekit/core/result.hpp>
#include <tunekit/core/trial.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace tunekit_test {

/// Reports for a trial whose final loss is `f`, by trial number: ≡ 3 (mod 7)
/// never reports and returns f; ≡ 5 (mod 11) first reports at decreasing and
/// then repeated steps (20, 4, 4: the repeat must be ignored); ≡ 8 (mod 17)
/// reports NaN at step 1 (when `with_nan`); then f + 1/step at every 2nd step
/// from 2 to 28 (off the rungs), where ≡ 6 (mod 13) throws after the report
/// at step 2 (a worker dying mid-rung). Stops when the scheduler says so.
inline tunekit::result awkward_reports(tunekit::trial& t, double f, bool with_nan = true) {
  if (t.number() % 7 == 3) return f;
  if (t.number() % 11 == 5) {
    t.report(20, f + 0.05);
    t.report(4, f + 0.25);
    CHECK_FALSE(t.report(4, -100.0));
    if (t.should_prune()) return tunekit::pruned;
  }
  if (with_nan && t.number() % 17 == 8) t.report(1, std::nan(""));
  for (std::int64_t step = 2; step <= 28; step += 2) {
    t.report(step, f + 1.0 / static_cast<double>(step));
    if (t.number() % 13 == 6 && step == 2) throw std::runtime_error("worker died");
    if (t.should_prune()) return tunekit::pruned;
  }
  return f;
}

}  // namespace tunekit_test
