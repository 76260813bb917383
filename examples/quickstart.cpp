// examples/quickstart.cpp — tune a small neural network on handwritten digits.
//
// The training program is digits.hpp: a one-hidden-layer perceptron on the
// 8x8 UCI digits, trained for some epochs and scored by its accuracy on a
// held-out stratified 20% of the data. tunekit searches seven of its
// hyperparameters, two trials at a time, and prints each finished trial and
// the best configuration. The study lives in a journal file (the embedded
// default storage, quickstart.journal in the current directory): run it again
// and it resumes, with the trials of the first run known to the sampler; open
// it with `tunekit trials journal:///$PWD/quickstart.journal quickstart` or
// with Optuna 3.1's JournalFileStorage. At the end it writes
// quickstart-report.html next to the journal: one self-contained page with
// the optimization history, parameter importances and more (docs/report.md).
// On a terminal, a progress line on stderr shows trials, best value and ETA.
//
//   quickstart            full run: 100 trials, under a minute on 2 cores
//   quickstart --small    8 short trials, about a second (what CTest runs)
#include <tunekit/report.hpp>
#include <tunekit/tunekit.hpp>

#include "digits_space.hpp"
#include "example_options.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

using digits::describe;
using digits::hyperparameters;

static int run(const examples::options& options) {
    const auto start = std::chrono::steady_clock::now();
    auto seconds_since_start = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };

    const digits::dataset data = digits::load_digits(options.data_dir / "digits.csv.gz");
    const digits::split_data split = digits::stratified_split(data, 0.2, /*seed=*/0);
    std::printf("digits: %ld training and %ld validation samples\n",
                static_cast<long>(split.train.size()), static_cast<long>(split.validation.size()));

    const auto space = digits::hyperparameter_space(options.small);  // examples/digits_space.hpp

    // The small run has another epochs range, hence its own study.
    const std::string study = options.small ? "quickstart-small" : "quickstart";
    tunekit::tuner tuner{
        space,
        tunekit::random_sampler{{.seed = 42}},            // the search strategy: swap in another sampler here
        tunekit::journal_storage{"quickstart.journal"},   // the embedded default storage: one append-only file
        tunekit::study_config{.name = study, .directions = {tunekit::direction::maximize}},
    };
    const auto resumed = tuner.trials().size();
    if (resumed > 0) std::printf("resuming study %s of quickstart.journal: %zu trials so far\n", study.c_str(), resumed);

    // The objective: train with the proposed hyperparameters, return the
    // validation accuracy, and report it after every epoch on the way.
    auto objective = [&](const hyperparameters& h, tunekit::trial& trial) {
        const digits::mlp_config config = digits::to_mlp_config(h);  // seed 0: the score depends only on h
        return digits::train(config, split, [&](int epoch, double accuracy) { trial.report(epoch, accuracy); });
    };

    // Progress: one line per finished trial (callbacks never run concurrently).
    auto print_trial = [&](const tunekit::study_view&, const tunekit::frozen_trial& t) {
        if (t.state == tunekit::trial_state::complete)
            std::printf("trial %3lld  %s  accuracy %.4f  (%.2f s, %.1f s elapsed)\n",
                        static_cast<long long>(t.number), describe(space.from_params(t.params)).c_str(),
                        t.value(), t.resources.wall_seconds, seconds_since_start());
        else
            std::printf("trial %3lld  %s  %s %s\n", static_cast<long long>(t.number),
                        describe(space.from_params(t.params)).c_str(), std::string(tunekit::to_string(t.state)).c_str(),
                        t.fail_reason.c_str());
        std::fflush(stdout);
    };

    const tunekit::optimize_summary summary = tuner.optimize(objective, {
        .n_trials = options.small ? 8 : 100,
        .timeout = std::chrono::seconds(options.small ? 60 : 100),
        .n_jobs = options.n_jobs,
        .callbacks = {print_trial},
    });
    (void)summary;

    const tunekit::frozen_trial& best = tuner.best_trial();
    std::printf("\nbest trial %lld: validation accuracy %.4f\n  %s\n", static_cast<long long>(best.number),
                tuner.best_value(), describe(tuner.best_params()).c_str());
    std::printf("%zu trials, n_jobs=%d, wall time %.1f s\n", tuner.trials().size(), options.n_jobs,
                seconds_since_start());

    // Everything the run did, as one HTML file: open it in a browser.
    // snippet-begin
    tunekit::report::write_html(tuner.storage(), tuner.study(), "quickstart-report.html");
    // snippet-end
    std::printf("report: quickstart-report.html\n");
    return 0;
}

int main(int argc, char** argv) {
    const auto options = examples::parse_options(argc, argv, "Tune a small neural network on handwritten digits");
    try {
        return run(options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "quickstart: %s\n", e.what());
        return 1;
    }
}
