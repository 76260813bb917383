// tunekit::compiled (detail/compiled_lib.hpp): the samplers whose
// implementations a compiled-mode translation unit never sees. Their handles'
// constructors, defined here, are the only place those implementations are
// instantiated.
#include <memory>
#include <utility>

#include <tunekit/samplers/auto.hpp>
#include <tunekit/samplers/cmaes.hpp>
#include <tunekit/samplers/gp.hpp>
#include <tunekit/samplers/tpe.hpp>

namespace tunekit {

tpe_sampler::tpe_sampler(tpe_sampler_options options)
    : sampler_handle(
          std::make_unique<detail::sampler_model<detail::tpe_sampler_impl<>, core_type>>(std::move(options))) {}

cmaes_sampler::cmaes_sampler(cmaes_sampler_options options)
    : sampler_handle(std::make_unique<detail::diagnosed_sampler_model<detail::cmaes_sampler_impl<>, core_type>>(
          std::move(options))) {}

gp_sampler::gp_sampler(gp_sampler_options options)
    : sampler_handle(std::make_unique<detail::diagnosed_sampler_model<detail::gp_sampler_impl<>, core_type>>(
          std::move(options))) {}

auto_sampler::auto_sampler(auto_sampler_options options)
    : sampler_handle(std::make_unique<detail::auto_sampler_model<detail::auto_sampler_impl<>>>(std::move(options))) {}

}  // namespace tunekit
