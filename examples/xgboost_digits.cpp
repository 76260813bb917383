// examples/xgboost_digits.cpp — tune XGBoost on handwritten digits, with early stopping.
//
// The digits (examples/data/digits.csv.gz) are split once, stratified and
// seeded: 60 % train, 20 % validation, 20 % test. tunekit's TPE sampler
// searches the tree booster's usual parameters (xgboost::param_space());
// every trial boosts up to `rounds` rounds, reports the validation
// multi-class log-loss after each, and the median scheduler stops trials
// that fall behind. The study lives in a journal file (run it again and it
// resumes); the best configuration is exported to JSON, read back from that
// file, retrained and scored once on the test split, beside XGBoost's
// default configuration.
//
//   xgboost_digits            40 trials of up to 150 rounds (about 6 s of CPU, one thread per trial)
//   xgboost_digits --small    15 trials of up to 50 rounds, about 2 s (what CTest runs)
//   xgboost_digits --seed 3   another seed for TPE (its own study in the journal)
// What the example uses, rather than the <tunekit/tunekit.hpp> umbrella:
// a quarter less compile time (44 -> 33 s of CPU at -O3 with g++ 12).
#include <tunekit/deploy/export.hpp>
#include <tunekit/integrations/xgboost.hpp>
#include <tunekit/samplers/tpe.hpp>
#include <tunekit/schedulers/median.hpp>
#include <tunekit/storage/journal.hpp>
#include <tunekit/tuner.hpp>

#include "digits.hpp"
#include "example_options.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace xgb = tunekit::xgboost;

/// A digits split as XGBoost data: the pixels (row-major floats) and the labels.
static xgb::dmatrix to_dmatrix(const digits::dataset& d) {
    xgb::dmatrix m{std::span<const float>(d.features.data(), static_cast<std::size_t>(d.features.size())),
                   static_cast<std::size_t>(d.features.rows()), static_cast<std::size_t>(d.features.cols())};
    const std::vector<float> labels(d.labels.begin(), d.labels.end());
    m.set_labels(labels);
    return m;
}

/// A booster for the 10-class task; every trial and the final model use these settings.
static xgb::booster make_booster(const xgb::dmatrix& train, const xgb::dmatrix& valid) {
    xgb::booster b{{train, valid}};
    b.set_params({{"objective", "multi:softprob"}, {"num_class", "10"}, {"eval_metric", "mlogloss"},
                  {"tree_method", "hist"}, {"nthread", "1"}, {"seed", "0"}});
    return b;
}

/// Share of rows whose most probable class is the label.
static double accuracy(const std::vector<float>& probabilities, const std::vector<int>& labels) {
    std::size_t correct = 0;
    for (std::size_t r = 0; r < labels.size(); ++r) {
        const auto row = probabilities.begin() + static_cast<std::ptrdiff_t>(r * 10);
        correct += std::max_element(row, row + 10) - row == labels[r];
    }
    return static_cast<double>(correct) / static_cast<double>(labels.size());
}

static int run(const examples::options& options, std::uint64_t seed) {
    const digits::dataset data = digits::load_digits(options.data_dir / "digits.csv.gz");
    const digits::split_data outer = digits::stratified_split(data, 0.2, /*seed=*/0);          // 20 % test
    const digits::split_data inner = digits::stratified_split(outer.train, 0.25, /*seed=*/1);  // 20 % validation
    std::printf("digits: %ld train, %ld validation, %ld test samples\n", static_cast<long>(inner.train.size()),
                static_cast<long>(inner.validation.size()), static_cast<long>(outer.validation.size()));

    const int rounds = options.small ? 50 : 150;
    const std::string study =
        std::string(options.small ? "xgboost-digits-small" : "xgboost-digits") + "-seed" + std::to_string(seed);
    const std::string journal = "xgboost_digits.journal";
    tunekit::tuner tuner{
        xgb::param_space(),  // eta, max_depth, min_child_weight, subsample, colsample_bytree, lambda, alpha, gamma
        tunekit::tpe_sampler{{.seed = seed}},
        tunekit::median_scheduler{{.n_startup_trials = 5, .n_warmup_steps = 5}},
        tunekit::journal_storage{journal},
        tunekit::study_config{.name = study, .directions = {tunekit::direction::minimize}},
    };

    // snippet-begin
    // The glue: XGBoost's parameters from the trial, the validation log-loss
    // reported after every round, the trial stopped when the scheduler says so.
    // Each trial has its own matrices: trials run on n_jobs threads, and
    // XGBoost fills a matrix's caches on first use without a lock.
    auto objective = [&](const xgb::booster_params& params, tunekit::trial& trial) {
        const xgb::dmatrix train = to_dmatrix(inner.train), valid = to_dmatrix(inner.validation);
        xgb::booster booster = make_booster(train, valid);
        xgb::set_params(booster, params);
        return xgb::train(booster, train, {{valid, "validation"}}, {.rounds = rounds},
                          xgb::pruning_callback(trial, "validation-mlogloss"))
            .at("validation-mlogloss");
    };
    const auto summary = tuner.optimize(objective, {.n_trials = options.small ? 15 : 40, .n_jobs = options.n_jobs});
    // snippet-end
    std::printf("%lld complete, %lld stopped early by the median scheduler, %lld failed\n",
                static_cast<long long>(summary.n_complete), static_cast<long long>(summary.n_pruned),
                static_cast<long long>(summary.n_fail));
    std::printf("best trial %lld: validation log-loss %.4f\n", static_cast<long long>(tuner.best_trial().number),
                tuner.best_value());

    // Export the best configuration, then read it back as a deployment would.
    const std::string exported = "xgboost_digits-best.json";
    tunekit::deploy::write_json_file(
        tunekit::deploy::best_config_json(tuner.storage(), study, {.storage_url = "journal:" + journal}), exported);
    const xgb::booster_params best = tunekit::deploy::load_config(xgb::param_space(), exported);
    std::printf("exported to %s: eta %.4g, max_depth %d, min_child_weight %.3g, subsample %.3f, "
                "colsample_bytree %.3f, lambda %.3g, alpha %.3g, gamma %.3g\n",
                exported.c_str(), best.eta, best.max_depth, best.min_child_weight, best.subsample,
                best.colsample_bytree, best.lambda, best.alpha, best.gamma);

    // Retrain from the file and score once on the test split, beside XGBoost's defaults.
    const xgb::dmatrix train = to_dmatrix(inner.train), valid = to_dmatrix(inner.validation),
                       test = to_dmatrix(outer.validation);
    struct scores {
        double validation_loss, test_loss, test_accuracy;
    };
    auto score = [&](const xgb::booster_params& params) {
        xgb::booster booster = make_booster(train, valid);
        xgb::set_params(booster, params);
        const auto last = xgb::train(booster, train, {{valid, "validation"}, {test, "test"}}, {.rounds = rounds});
        return scores{last.at("validation-mlogloss"), last.at("test-mlogloss"),
                      accuracy(booster.predict(test), outer.validation.labels)};
    };
    const scores tuned = score(best), defaults = score(xgb::booster_params{});
    std::printf("log-loss, validation / test: tuned %.4f / %.4f, XGBoost's defaults %.4f / %.4f (%d rounds)\n",
                tuned.validation_loss, tuned.test_loss, defaults.validation_loss, defaults.test_loss, rounds);
    std::printf("test accuracy: %.4f (XGBoost's defaults: %.4f)\n", tuned.test_accuracy, defaults.test_accuracy);
    return 0;
}

int main(int argc, char** argv) {
    // --seed N is this example's own option; the shared ones go to parse_options.
    auto [seed, args] = examples::take_seed_option(argc, argv);
    const auto options = examples::parse_options(static_cast<int>(args.size()), args.data(),
                                                 "Tune XGBoost on handwritten digits, with early stopping "
                                                 "(--seed N: the sampler's seed, default 0)");
    try {
        return run(options, seed);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xgboost_digits: %s\n", e.what());
        return 1;
    }
}
