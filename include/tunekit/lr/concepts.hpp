#pragma once

#include <concepts>
#include <cstdint>

#include "group.hpp"

/// The two faces of a learning-rate schedule. They live here rather than in
/// core/concepts.hpp because they need `lr_group`, which the rest of the core
/// does not.
namespace tunekit {

/// `lr_schedule`: what a training loop uses.
///
///   1. `s.lr()` is the learning rate for the next optimizer step.
///   2. `s.step()` after each epoch (or batch, for per-batch schedules), or
///      `s.step(metric)` for schedules driven by a metric
///      (`reduce_lr_on_plateau`). Call it after the optimizer step, as in
///      PyTorch >= 1.1.
///
/// `scheduled_lr<P>` (any `chainable_lr` policy bound to a learning rate) and
/// `reduce_lr_on_plateau` satisfy it.
///
/// Minimal conforming example:
/// \code
/// struct halving_lr {
///   double value = 0.1;
///   double lr() const { return value; }
///   void step() { value /= 2; }
/// };
/// static_assert(tunekit::lr_schedule<halving_lr>);
/// \endcode
template <class S>
concept lr_schedule = requires(const S& cs) {
  { cs.lr() } -> std::convertible_to<double>;
} && (requires(S& s) { s.step(); } || requires(S& s, double metric) { s.step(metric); });

/// `chainable_lr`: a schedule policy that acts on an `lr_group` it does not
/// own, like a PyTorch scheduler acts on its optimizer. This is what lets
/// `chained_lr` and `sequential_lr` compose policies with PyTorch's exact
/// numbers, and what `scheduled_lr<P>` binds to a learning rate.
///
///   1. `p.attach(g)`: what PyTorch's constructor does to the group,
///      including its initial step (the lr of epoch 0).
///   2. `p.step(g)`: one `scheduler.step()`; recursive policies read `g.lr`
///      (possibly changed by other policies) and write it.
///   3. `p.restart(g)`: `scheduler.step(0)`, which `sequential_lr` calls at
///      a milestone: epoch 0 again, from the closed form where PyTorch has one.
///   4. `p.rewind()`: `last_epoch -= 1` (`sequential_lr` does this when it is
///      built). `p.last_epoch()` is PyTorch's `last_epoch`.
///   5. Optional: `static constexpr bool composite = true` for a policy that
///      must not be a member of a `sequential_lr` (PyTorch cannot step
///      `SequentialLR` or `ChainedScheduler` with an epoch).
///
/// Minimal conforming example (PyTorch's MultiplicativeLR with a constant factor):
/// \code
/// struct times_lr {
///   double factor = 0.9;
///   std::int64_t epoch = -1;
///   void attach(tunekit::lr_group& g) { (void)g; epoch = 0; }
///   void step(tunekit::lr_group& g) { ++epoch; g.lr *= factor; }
///   void restart(tunekit::lr_group&) { epoch = 0; }
///   void rewind() { --epoch; }
///   std::int64_t last_epoch() const { return epoch; }
/// };
/// static_assert(tunekit::chainable_lr<times_lr>);
/// \endcode
template <class P>
concept chainable_lr = std::copy_constructible<P> && requires(P& p, const P& cp, lr_group& g) {
  p.attach(g);
  p.step(g);
  p.restart(g);
  p.rewind();
  { cp.last_epoch() } -> std::convertible_to<std::int64_t>;
};

}  // namespace tunekit
