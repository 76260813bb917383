// A "sampler" whose sample_independent has the wrong signature.
#include <tunekit/tuner.hpp>

#include <string_view>

struct my_sampler {
#ifdef TUNEKIT_COMPILE_FAIL_CONTROL
  double sample_independent(const tunekit::study_view&, const tunekit::frozen_trial&, std::string_view,
                            const tunekit::distribution& d) {
    return tunekit::from_unit(d, 0.5);
  }
#else
  double sample_independent(const tunekit::distribution& d) { return tunekit::from_unit(d, 0.5); }
#endif
};

int main() {
  tunekit::tuner tuner{my_sampler{}};
  tuner.optimize([](tunekit::trial& t) { return t.suggest_float("x", 0, 1); }, {.n_trials = 1});
}
