#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "concepts.hpp"
#include "group.hpp"

namespace tunekit {

/// Any `chainable_lr` policy, chosen at run time: the members of
/// `chained_lr` and `sequential_lr`, and what `suggest_lr_schedule` returns.
/// A value type (copies are deep).
class any_chainable_lr {
 public:
  template <class P>
    requires(!std::same_as<std::remove_cvref_t<P>, any_chainable_lr> && chainable_lr<std::remove_cvref_t<P>>)
  any_chainable_lr(P&& policy)  // NOLINT(google-explicit-constructor): a policy is-a chainable lr
      : self_(std::make_unique<model<std::remove_cvref_t<P>>>(std::forward<P>(policy))) {}

  any_chainable_lr(const any_chainable_lr& other) : self_(other.self_->clone()) {}
  any_chainable_lr(any_chainable_lr&&) noexcept = default;
  any_chainable_lr& operator=(const any_chainable_lr& other) {
    if (this != &other) self_ = other.self_->clone();
    return *this;
  }
  any_chainable_lr& operator=(any_chainable_lr&&) noexcept = default;

  void attach(lr_group& g) { self_->attach(g); }
  void step(lr_group& g) { self_->step(g); }
  void restart(lr_group& g) { self_->restart(g); }
  void rewind() { self_->rewind(); }
  std::int64_t last_epoch() const { return self_->last_epoch(); }
  /// Whether the policy is a composition that cannot sit inside `sequential_lr`.
  bool composite() const { return self_->composite(); }

  /// The policy, if it is a P (else nullptr).
  template <class P>
  const P* target() const noexcept {
    auto* m = dynamic_cast<const model<P>*>(self_.get());
    return m ? &m->policy : nullptr;
  }

 private:
  struct concept_t {
    virtual ~concept_t() = default;
    virtual std::unique_ptr<concept_t> clone() const = 0;
    virtual void attach(lr_group&) = 0;
    virtual void step(lr_group&) = 0;
    virtual void restart(lr_group&) = 0;
    virtual void rewind() = 0;
    virtual std::int64_t last_epoch() const = 0;
    virtual bool composite() const = 0;
  };
  template <class P>
  struct model final : concept_t {
    explicit model(P p) : policy(std::move(p)) {}
    std::unique_ptr<concept_t> clone() const override { return std::make_unique<model>(policy); }
    void attach(lr_group& g) override { policy.attach(g); }
    void step(lr_group& g) override { policy.step(g); }
    void restart(lr_group& g) override { policy.restart(g); }
    void rewind() override { policy.rewind(); }
    std::int64_t last_epoch() const override { return static_cast<std::int64_t>(policy.last_epoch()); }
    bool composite() const override {
      if constexpr (requires { P::composite; }) return P::composite;
      else return false;
    }
    P policy;
  };

  std::unique_ptr<concept_t> self_;
};

static_assert(chainable_lr<any_chainable_lr>);

}  // namespace tunekit
