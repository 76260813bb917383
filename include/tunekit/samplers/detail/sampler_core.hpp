#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "../../core/distribution.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../core/search_space.hpp"
#include "../../core/study_view.hpp"

/// The seam between a heavy sampler's public handle (`tpe_sampler`,
/// `gp_sampler`) and its implementation (`detail::tpe_sampler_impl<>`, ...).
///
/// Why: the implementations need Eigen, Boost.Math and a thousand lines of
/// their own. Behind this small virtual interface, a translation unit that
/// only names the handle (the tuner, any user code) needs none of it: in
/// compiled mode (detail/compiled_lib.hpp) the implementation is compiled
/// once in the library and never parsed by the user's translation units; in
/// header-only mode the handle's constructor is a template, so a translation
/// unit instantiates the implementation only if it constructs that sampler.
namespace tunekit::detail {

/// What the handle forwards: the `relational_sampler` requirements plus the
/// options and the seed actually used.
template <class Options>
class sampler_core {
 public:
  using options_type = Options;

  virtual ~sampler_core() = default;
  virtual const Options& options() const noexcept = 0;
  virtual std::uint64_t seed() const noexcept = 0;
  virtual search_space infer_relative_search_space(const study_view& view, const frozen_trial& t) = 0;
  virtual param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) = 0;
  virtual double sample_independent(const study_view& view, const frozen_trial& t, std::string_view name,
                                    const distribution& d) = 0;

 protected:
  sampler_core() = default;
  sampler_core(const sampler_core&) = delete;
  sampler_core& operator=(const sampler_core&) = delete;
};

/// `Core` (a `sampler_core<Options>` or an interface derived from it, which
/// a class derived from this one implements) implemented by forwarding to an
/// `Impl`. Handles own it through a `std::unique_ptr<Core>` (`sampler_handle`):
/// like the implementations, they move but do not copy.
template <class Impl, class Core>
class sampler_model : public Core {
 public:
  explicit sampler_model(typename Core::options_type options) : impl_(std::move(options)) {}

  const typename Core::options_type& options() const noexcept override { return impl_.options(); }
  /// 0 for an implementation without a fixed seed (CMA-ES derives one from
  /// the study); only handles whose implementation has one expose `seed()`.
  std::uint64_t seed() const noexcept override {
    if constexpr (requires(const Impl& i) { i.seed(); })
      return impl_.seed();
    else
      return 0;
  }
  search_space infer_relative_search_space(const study_view& view, const frozen_trial& t) override {
    return impl_.infer_relative_search_space(view, t);
  }
  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) override {
    return impl_.sample_relative(view, t, space);
  }
  double sample_independent(const study_view& view, const frozen_trial& t, std::string_view name,
                            const distribution& d) override {
    return impl_.sample_independent(view, t, name, d);
  }

 protected:
  Impl impl_;
};

/// `sampler_core` plus what the last ask did (`gp_diagnostics`, `cmaes_diagnostics`).
template <class Options, class Diagnostics>
class diagnosed_sampler_core : public sampler_core<Options> {
 public:
  using diagnostics_type = Diagnostics;
  virtual const Diagnostics& diagnostics() const noexcept = 0;
};

/// `sampler_model` for a `diagnosed_sampler_core`.
template <class Impl, class Core>
class diagnosed_sampler_model final : public sampler_model<Impl, Core> {
 public:
  using sampler_model<Impl, Core>::sampler_model;
  const typename Core::diagnostics_type& diagnostics() const noexcept override { return this->impl_.diagnostics(); }
};

/// The public part every sampler handle shares: it owns the core and forwards
/// the `relational_sampler` members to it. Handles add their constructors
/// (a template in header-only mode, defined in the library in compiled mode)
/// and whatever else their core offers (`seed()`, `diagnostics()`).
template <class Core>
class sampler_handle {
 public:
  using options_type = typename Core::options_type;

  /// The options, as validated by the implementation.
  const options_type& options() const noexcept { return core_->options(); }
  /// The parameters the sampler models jointly for the next trial.
  search_space infer_relative_search_space(const study_view& view, const frozen_trial& t) {
    return core_->infer_relative_search_space(view, t);
  }
  /// Internal values for (some of) `space`'s parameters.
  param_map sample_relative(const study_view& view, const frozen_trial& t, const search_space& space) {
    return core_->sample_relative(view, t, space);
  }
  /// The internal value of one parameter that relational sampling left out.
  double sample_independent(const study_view& view, const frozen_trial& t, std::string_view name,
                            const distribution& d) {
    return core_->sample_independent(view, t, name, d);
  }

 protected:
  explicit sampler_handle(std::unique_ptr<Core> core) noexcept : core_(std::move(core)) {}

  std::unique_ptr<Core> core_;
};

}  // namespace tunekit::detail
