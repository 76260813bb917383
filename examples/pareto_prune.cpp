// examples/pareto_prune.cpp — a Pareto front of pruned networks, found with
// multi-objective early stopping, and one point of it chosen for deployment.
//
// The digits network (64 -> hidden -> 10) is tuned for three objectives at
// once: validation error, number of non-zero weights after global magnitude
// pruning, and measured inference time of the pruned network (sparse
// weights, the whole validation set). The tuner chooses the hidden width,
// the pruning fraction and the learning rate. After every epoch the trial
// reports the vector (error, non-zeros, time) and `pareto_scheduler` stops
// it when at least 2 completed trials' vectors at that epoch dominate it.
// Finally the most accurate network of the front whose inference time meets
// a budget (the median time on the front) is picked for deployment.
//
//   pareto_prune                       40 trials of 20 epochs, with early stopping
//   pareto_prune --small               8 trials of 4 epochs (what CTest runs)
//   pareto_prune --scheduler none      no early stopping (for the comparison)
//   pareto_prune --seed S --trials N --epochs E --n-dominating K --json
//                                      benchmark mode: one JSON line of results
//
// The random sampler draws the same parameters for a trial number in every
// run of one seed, so `--scheduler none` and `--scheduler pareto` evaluate the
// same configurations: what early stopping costs in hypervolume is exactly
// what it stopped.
#include <tunekit/mo/hypervolume.hpp>
#include <tunekit/tunekit.hpp>

#include "digits.hpp"
#include "example_options.hpp"

#include <Eigen/SparseCore>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace {

using sparse = Eigen::SparseMatrix<float, Eigen::RowMajor>;

/// Fastest of `repeats` runs of the pruned network on `d`, sparse weights
/// (the minimum is the least disturbed by other processes on the machine).
double inference_seconds(const digits::model& m, const digits::dataset& d, int repeats) {
    const sparse w1 = m.w1().sparseView(), w2 = m.w2().sparseView();
    double best = 1e300;
    digits::matrix h, logits;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        h = (d.features * w1).rowwise() + m.b1().row(0);
        if (m.relu()) h = h.cwiseMax(0.0f);
        else h = h.array().tanh().matrix();
        logits = (h * w2).rowwise() + m.b2().row(0);
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    if (!logits.allFinite() && !m.diverged()) std::abort();  // keeps the product from being optimised away
    return best;
}

struct settings {
    std::string scheduler = "pareto";
    std::uint64_t seed = 7;
    int trials = 0, epochs = 0, n_dominating = 2;
    bool json = false;
};

/// Takes this example's own arguments out of argv; the rest go to examples::parse_options.
settings own_arguments(int& argc, char** argv) {
    settings s;
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "missing value after %s\n", a.c_str());
                std::exit(2);
            }
            return std::string(argv[++i]);
        };
        if (a == "--scheduler") s.scheduler = next();
        else if (a == "--seed") s.seed = std::stoull(next());
        else if (a == "--trials") s.trials = std::stoi(next());
        else if (a == "--epochs") s.epochs = std::stoi(next());
        else if (a == "--n-dominating") s.n_dominating = std::stoi(next());
        else if (a == "--json") s.json = true;
        else argv[kept++] = argv[i];
    }
    argc = kept;
    if (s.scheduler != "pareto" && s.scheduler != "none") {
        std::fprintf(stderr, "--scheduler must be pareto or none, got %s\n", s.scheduler.c_str());
        std::exit(2);
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) try {
    const settings s = own_arguments(argc, argv);
    const auto options = examples::parse_options(argc, argv, "A Pareto front of pruned digits networks, with early stopping");
    const digits::dataset data = digits::load_digits(options.data_dir / "digits.csv.gz");
    const digits::split_data split = digits::stratified_split(data, 0.2, /*seed=*/0);
    const int max_epochs = s.epochs > 0 ? s.epochs : options.small ? 4 : 20;
    const int n_trials = s.trials > 0 ? s.trials : options.small ? 8 : 40;
    const int repeats = options.small ? 5 : 15;
    const double max_weights = 64.0 * 256 + 256.0 * 10;  // the widest network, unpruned

    // snippet-begin
    const std::vector<tunekit::direction> minimise_all(3, tunekit::direction::minimize);
    tunekit::tuner tuner{
        // --scheduler none: a threshold no trial reaches, so one program times both runs alike.
        tunekit::pareto_scheduler{{.n_dominating = s.scheduler == "pareto" ? s.n_dominating : 1'000'000, .n_startup_trials = 5}},
        tunekit::random_sampler{{.seed = s.seed}},
        tunekit::study_config{.name = "pareto-prune", .directions = minimise_all},
    };
    std::atomic<int> epochs_trained{0};
    tuner.optimize(
        [&](tunekit::trial& trial) -> tunekit::result {
            digits::mlp_config c;
            c.hidden = static_cast<int>(trial.suggest_int("hidden", 16, 256, {.log = true}));
            const double prune = trial.suggest_float("prune_fraction", 0.0, 0.97);
            c.learning_rate = trial.suggest_float("learning_rate", 1e-4, 3e-2, {.log = true});
            c.epochs = max_epochs;
            digits::model model(c, split.train);
            std::vector<double> values;
            double seconds = 0;
            for (int epoch = 1; epoch <= max_epochs; ++epoch) {
                model.train_epoch(split.train);
                ++epochs_trained;
                if (epoch == 1) {  // one-shot pruning after a warm-up epoch; the mask is kept from here on
                    model.prune_magnitude(prune);
                    seconds = inference_seconds(model, split.validation, repeats);
                }
                const double error = 1.0 - model.accuracy_on(split.validation);
                const double nonzero = static_cast<double>(model.w1().cwiseAbs().cwiseSign().sum() +
                                                           model.w2().cwiseAbs().cwiseSign().sum());
                values = {error, nonzero, seconds * 1e6};
                trial.report_values(epoch, values);
                if (trial.should_prune()) return tunekit::pruned;  // dominated at this epoch
            }
            return values;
        },
        {.n_trials = n_trials, .n_jobs = 1});
    // snippet-end

    // The front, and its hypervolume on normalised objectives: error, the
    // share of the widest network's weights kept, and time over the slowest
    // trial's, stopped ones included, so that both runs of a seed share it
    // (reference point 1.1 in each).
    const auto front = tuner.best_trials();
    double slowest = 0;
    for (const auto& t : tuner.trials())
        if (auto v = tunekit::intermediate_vector(t, 1)) slowest = std::max(slowest, v->at(2));
    tunekit::point_set normalised3, normalised2;
    for (const auto& t : front) {
        normalised3.push_back({t.values[0], t.values[1] / max_weights, t.values[2] / slowest});
        normalised2.push_back({t.values[0], t.values[1] / max_weights});
    }
    const std::vector<double> ref3(3, 1.1), ref2(2, 1.1);
    const double hv3 = tunekit::hypervolume(normalised3, ref3), hv2 = tunekit::hypervolume(normalised2, ref2);
    const int all_epochs = n_trials * max_epochs;
    if (s.json) {
        std::printf("{\"scheduler\": \"%s\", \"seed\": %llu, \"trials\": %d, \"epochs\": %d, \"epochs_trained\": %d, "
                    "\"epochs_all\": %d, \"front\": %zu, \"hv_error_weights\": %.10g, \"hv_error_weights_time\": %.10g}\n",
                    s.scheduler.c_str(), static_cast<unsigned long long>(s.seed), n_trials, max_epochs,
                    epochs_trained.load(), all_epochs, front.size(), hv2, hv3);
        return 0;
    }
    std::printf("%s: %d of %d epochs trained (%.0f %%); Pareto front of %zu trials:\n", s.scheduler.c_str(),
                epochs_trained.load(), all_epochs, 100.0 * epochs_trained / all_epochs, front.size());
    std::printf("  trial  hidden  pruned  error   non-zero weights  inference (us)\n");
    std::vector<double> times;
    for (const auto& t : front) {
        std::printf("  %5lld  %6lld  %5.0f%%  %.4f  %16.0f  %14.1f\n", static_cast<long long>(t.number),
                    static_cast<long long>(t.param<std::int64_t>("hidden")), 100 * t.param<double>("prune_fraction"),
                    t.values[0], t.values[1], t.values[2]);
        times.push_back(t.values[2]);
    }
    std::printf("hypervolume (error, weights kept): %.4f; with time: %.4f\n", hv2, hv3);

    // Deployment: the most accurate network of the front within a latency
    // budget (here the front's median time; in practice the serving SLO),
    // chosen as `tunekit deploy export --pick-best error --budget latency_us=B`
    // would (docs/kubernetes.md); best_config_json(..., {.choice = choice})
    // writes it, with the rule, into the file a server loads.
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
    const double budget = times[times.size() / 2];
    const tunekit::deploy::front_choice choice{.best = "error",
                                               .budgets = {{.objective = "latency_us", .limit = budget}},
                                               .objective_names = {"error", "weights", "latency_us"}};
    const auto all = tuner.trials();
    const auto pick = tunekit::deploy::choose_from_front("pareto-prune", minimise_all, all, choice);
    const tunekit::frozen_trial* chosen = &pick.trial;
    std::printf("deploy: trial %lld (error %.4f, %.0f non-zero weights, %.1f us <= budget %.1f us): hidden=%lld "
                "prune_fraction=%.3f learning_rate=%.2e\n",
                static_cast<long long>(chosen->number), chosen->values[0], chosen->values[1], chosen->values[2], budget,
                static_cast<long long>(chosen->param<std::int64_t>("hidden")), chosen->param<double>("prune_fraction"),
                chosen->param<double>("learning_rate"));
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "pareto_prune: %s\n", e.what());
    return 1;
}
