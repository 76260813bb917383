// The program every consumer project of tests/package builds and runs: a
// define-by-run study through the public API, as a user would write it.
#include <tunekit/tunekit.hpp>
#include <tunekit/version.hpp>

#include <cmath>
#include <iostream>

int main() {
    tunekit::tuner tuner{tunekit::random_sampler{{.seed = 1}}};
    tuner.optimize(
        [](tunekit::trial& t) {
            const double x = t.suggest_float("x", -10.0, 10.0);
            return x * x;
        },
        {.n_trials = 50});

    // The default sampler (TPE) and storage: what tunekit::compiled holds.
    tunekit::tuner tpe_tuner{tunekit::tpe_sampler{{.seed = 2}}};
    tpe_tuner.optimize([](tunekit::trial& t) { return std::abs(t.suggest_float("x", -10.0, 10.0)); },
                       {.n_trials = 30});

    const double best = tuner.best_value();
    const auto n = tuner.trials().size();
    std::cout << "tunekit " << tunekit::version << ": best x*x = " << best << " after "
              << n << " trials\n";
    // A random sampler lands within |x| < 1 in 50 trials with probability 0.995.
    std::cout << "tpe: best |x| = " << tpe_tuner.best_value() << " after 30 trials\n";
    return best < 1.0 && n == 50 && tpe_tuner.best_value() < 1.0 ? 0 : 1;
}
