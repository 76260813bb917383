// examples/early_stopping.cpp — stop hopeless trials early, and train a population with PBT.
//
// The training loop a user writes: train one epoch, report the validation
// accuracy, ask the scheduler whether to go on. Part 1 tunes the digits
// network with ASHA (asynchronous successive halving) and prints how many
// epochs it trained against the epochs a full run of every trial would take.
// Part 2 trains a population with PBT, handing the network from one trial to
// the next with pbt.save / pbt.restore.
//
//   early_stopping            40 trials of up to 30 epochs, then PBT with 8 members
//   early_stopping --small    8 trials of up to 6 epochs, 4 members (what CTest runs)
#include <tunekit/tunekit.hpp>

#include "digits.hpp"
#include "example_options.hpp"

#include <atomic>
#include <cstdio>
#include <exception>
#include <string>

static int run(const examples::options& options) {
    const digits::dataset data = digits::load_digits(options.data_dir / "digits.csv.gz");
    const digits::split_data split = digits::stratified_split(data, 0.2, /*seed=*/0);
    const int max_epochs = options.small ? 6 : 30;
    const int n_trials = options.small ? 8 : 40;

    auto suggest = [&](tunekit::trial& t) {
        digits::mlp_config c;
        c.learning_rate = t.suggest_float("learning_rate", 1e-4, 0.3, {.log = true});
        c.hidden = static_cast<int>(t.suggest_int("hidden", 16, 128));
        c.optimizer = t.suggest_categorical<std::string>("optimizer", {"adam", "sgd"});
        c.batch_size = static_cast<int>(t.suggest_int("batch_size", 16, 256, {.log = true}));
        c.epochs = max_epochs;
        return c;
    };

    // --- Part 1: ASHA ------------------------------------------------------
    // Rungs at epochs 3, 9, 27: at each, only the best third of the trials
    // that reached it go on.
    // snippet-begin
    tunekit::tuner tuner{
        tunekit::asha_scheduler{{.min_resource = options.small ? 1 : 3, .reduction_factor = 3}},
        tunekit::random_sampler{{.seed = 7}},
        tunekit::study_config{.name = "early-stopping", .directions = {tunekit::direction::maximize}},
    };
    std::atomic<int> epochs_trained{0};
    const auto summary = tuner.optimize(
        [&](tunekit::trial& trial) -> tunekit::result {
            digits::model model(suggest(trial), split.train);
            double accuracy = 0;
            for (int epoch = 1; epoch <= max_epochs; ++epoch) {
                model.train_epoch(split.train);
                ++epochs_trained;
                accuracy = model.accuracy_on(split.validation);
                trial.report(epoch, accuracy);
                if (trial.should_prune()) return tunekit::pruned;  // the scheduler says stop
            }
            return accuracy;
        },
        {.n_trials = n_trials, .n_jobs = options.n_jobs});
    // snippet-end
    std::printf("ASHA: %lld complete, %lld stopped early; %d of %d epochs trained (%.0f %%)\n",
                static_cast<long long>(summary.n_complete), static_cast<long long>(summary.n_pruned),
                epochs_trained.load(), n_trials * max_epochs, 100.0 * epochs_trained / (n_trials * max_epochs));
    std::printf("      best validation accuracy %.4f (trial %lld)\n", tuner.best_value(),
                static_cast<long long>(tuner.best_trial().number));

    // --- Part 2: PBT -------------------------------------------------------
    // Every 3 epochs the bottom quarter of the population continues from a
    // copy of a top-quarter network, with its learning rate perturbed.
    tunekit::pbt_scheduler pbt{{
        .population_size = options.small ? 4 : 8,
        .perturbation_interval = options.small ? 2 : 3,
        .mutable_params = {"learning_rate"},
        .max_step = max_epochs,
        .seed = 7,
    }};
    tunekit::tuner population{pbt, pbt.sampler(tunekit::random_sampler{{.seed = 7}}),
                              tunekit::study_config{.directions = {tunekit::direction::maximize}}};
    population.optimize(
        [&](tunekit::trial& trial) -> tunekit::result {
            const digits::mlp_config config = suggest(trial);
            // A continuing member gets its network back; a new one starts from scratch.
            auto checkpoint = pbt.restore<digits::model>(trial);
            digits::model model = checkpoint ? *checkpoint->state : digits::model(config, split.train);
            model.config().learning_rate = config.learning_rate;
            double accuracy = 0;
            for (int epoch = checkpoint ? static_cast<int>(checkpoint->step) + 1 : 1; epoch <= max_epochs; ++epoch) {
                model.train_epoch(split.train);
                accuracy = model.accuracy_on(split.validation);
                trial.report(epoch, accuracy);
                if (trial.should_prune()) {  // end of a segment: hand the network on
                    pbt.save(trial, std::move(model));
                    return tunekit::pruned;
                }
            }
            return accuracy;
        },
        {.n_trials = 1000, .n_jobs = options.n_jobs});  // ends when every member has trained max_epochs
    const auto best = population.best_trial();
    std::printf("PBT:  %lld members, %zu trials; best final validation accuracy %.4f (member %s, lr %.2e)\n",
                static_cast<long long>(pbt.n_members()), population.trials().size(), best.value(),
                best.user_attrs.at("pbt:member").dump().c_str(), best.param<double>("learning_rate"));
    return 0;
}

int main(int argc, char** argv) {
    const auto options = examples::parse_options(argc, argv, "Early stopping with ASHA, and PBT, on the digits network");
    try {
        return run(options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "early_stopping: %s\n", e.what());
        return 1;
    }
}
