// examples/torch_digits.cpp — a LibTorch network on handwritten digits:
// tuned, pruned to 85 % sparsity with a gradual schedule, fine-tuned,
// materialised into smaller layers and exported (needs tunekit::torch).
//
// The digits (examples/data/digits.csv.gz) are split once, stratified and
// seeded: 60 % train, 20 % validation, 20 % test. A 64-H-10 perceptron with
// dropout is trained by Adam on mini-batches; TPE tunes the learning rate,
// the width H, the dropout and the LR schedule (tunekit's schedules driving
// the optimizer's parameter group), and the median scheduler stops trials
// that fall behind (validation accuracy reported every epoch, early stopping
// after `patience` epochs without improvement).
//
// The best trial's network is then pruned while it fine-tunes: every few
// batches a polynomial schedule (Zhu & Gupta 2017) raises the target, half
// of the hidden units go by their L2 norm (structured) and the smallest
// weights of both layers go until 85 % of all weights are zero (global
// magnitude). The masks stay applied through every optimizer step. The
// hidden units pruned whole are then removed for real (materialised): a
// smaller network that computes the same function. Written out: the best
// configuration (JSON) and the materialised network (torch::save).
//
//   torch_digits            30 trials of up to 40 epochs, then pruning (about a minute)
//   torch_digits --small    6 trials of 6 epochs, a short pruning run (what CTest runs)
//   torch_digits --seed 3   another seed (sampler, weights, batches)
#include <tunekit/deploy/export.hpp>
#include <tunekit/integrations/torch.hpp>
#include <tunekit/lr/any.hpp>
#include <tunekit/lr/cosine_annealing.hpp>
#include <tunekit/lr/scheduled.hpp>
#include <tunekit/lr/tunable.hpp>
#include <tunekit/samplers/tpe.hpp>
#include <tunekit/schedulers/median.hpp>
#include <tunekit/tuner.hpp>

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/dropout.h>
#include <torch/serialize.h>

#include "digits.hpp"
#include "example_options.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tt = tunekit::torch;

namespace {

/// A digits split as tensors.
struct tensors {
    torch::Tensor x, y;
};

tensors to_tensors(const digits::dataset& d) {
    const auto n = static_cast<std::int64_t>(d.size());
    tensors t;
    t.x = torch::from_blob(const_cast<float*>(d.features.data()), {n, 64}, torch::kFloat).clone();
    t.y = torch::tensor(std::vector<std::int64_t>(d.labels.begin(), d.labels.end()), torch::kLong);
    return t;
}

/// 64 -> width -> 10 with ReLU and dropout; layers named "0", "3" (named_parameters: "0.weight", "3.weight").
struct network {
    torch::nn::Linear hidden, output;
    torch::nn::Sequential net;
    network(std::int64_t width, double dropout)
        : hidden(64, width), output(width, 10),
          net(hidden, torch::nn::ReLU(), torch::nn::Dropout(dropout), output) {}
};

double accuracy(torch::nn::Sequential& net, const tensors& d) {
    torch::NoGradGuard no_grad;
    net->eval();
    const double acc = net->forward(d.x).argmax(1).eq(d.y).to(torch::kFloat).mean().item<double>();
    net->train();
    return acc;
}

/// One epoch of mini-batches of 64 in an order from torch's seeded generator; `masked_step(opt)` steps.
template <class Step>
void train_epoch(torch::nn::Sequential& net, torch::optim::Optimizer& opt, const tensors& d, Step&& masked_step) {
    const std::int64_t n = d.x.size(0);
    const torch::Tensor order = torch::randperm(n, torch::TensorOptions().dtype(torch::kLong));
    for (std::int64_t start = 0; start < n; start += 64) {
        const torch::Tensor idx = order.slice(0, start, std::min(n, start + 64));
        opt.zero_grad();
        torch::nn::functional::cross_entropy(net->forward(d.x.index_select(0, idx)), d.y.index_select(0, idx))
            .backward();
        masked_step(opt);
    }
}

/// CPU seconds of `reps` forward passes over `x`.
double inference_seconds(torch::nn::Sequential& net, const torch::Tensor& x, int reps) {
    torch::NoGradGuard no_grad;
    net->eval();
    const std::clock_t start = std::clock();
    for (int r = 0; r < reps; ++r) (void)net->forward(x);
    return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

}  // namespace

static int run(const examples::options& options, std::uint64_t seed) {
    torch::set_num_threads(1);  // trials run on n_jobs threads already; and CPU time is what we report
    const digits::dataset data = digits::load_digits(options.data_dir / "digits.csv.gz");
    const digits::split_data outer = digits::stratified_split(data, 0.2, /*seed=*/0);          // 20 % test
    const digits::split_data inner = digits::stratified_split(outer.train, 0.25, /*seed=*/1);  // 20 % validation
    const tensors train = to_tensors(inner.train), valid = to_tensors(inner.validation), test = to_tensors(outer.validation);
    const int epochs = options.small ? 6 : 40;
    const std::string study = "torch-digits-seed" + std::to_string(seed);

    // --- tune ---------------------------------------------------------------
    tunekit::tuner tuner{tunekit::tpe_sampler{{.n_startup_trials = options.small ? 3 : 10, .seed = seed}},
                         tunekit::median_scheduler{{.n_startup_trials = 5, .n_warmup_steps = 5}},
                         tunekit::study_config{.name = study, .directions = {tunekit::direction::maximize}}};
    std::optional<tt::checkpoint> best_state;
    double best_seen = -1;
    std::mutex best_mutex;
    // snippet-begin
    auto objective = [&](tunekit::trial& trial) {
        const double lr = trial.suggest_float("lr", 1e-4, 3e-2, {.log = true});
        const std::int64_t width = trial.suggest_int("width", 16, 256, {.log = true});
        const double dropout = trial.suggest_float("dropout", 0.0, 0.5);
        torch::manual_seed(seed * 1000 + static_cast<std::uint64_t>(trial.number()));
        network m(width, dropout);
        torch::optim::Adam opt(m.net->parameters(), torch::optim::AdamOptions(lr));
        tt::optimizer_lr schedule(opt, tunekit::scheduled_lr{lr, tunekit::suggest_lr_schedule(
            trial, lr, {.horizon = epochs, .kinds = {"none", "step", "cosine", "one_cycle", "warmup_cosine"}})});
        tt::epoch_reporter report(trial, {.patience = 8});  // throws trial_pruned when the scheduler says so
        for (int epoch = 0; epoch < epochs; ++epoch) {
            train_epoch(m.net, opt, train, [](torch::optim::Optimizer& o) { o.step(); });
            schedule.step();
            if (!report(epoch, accuracy(m.net, valid))) break;
        }
        // snippet-end
        std::lock_guard lock(best_mutex);
        if (report.best() > best_seen) {  // keep the best network for pruning (the last epoch's weights)
            best_seen = report.best();
            best_state = tt::save_checkpoint(*m.net);
        }
        return report.best();
    };
    // One trial at a time: torch's generator is global, and a seed should give one result.
    (void)options.n_jobs;
    const auto summary = tuner.optimize(objective, {.n_trials = options.small ? 6 : 30, .n_jobs = 1});
    const auto best = tuner.best_trial();
    const auto width = best.param<std::int64_t>("width");
    std::printf("%lld complete, %lld stopped early; best trial %lld: validation accuracy %.4f, lr %.3g, width %lld, "
                "dropout %.2f, schedule %s\n",
                static_cast<long long>(summary.n_complete), static_cast<long long>(summary.n_pruned),
                static_cast<long long>(best.number), best.values.front(), best.param<double>("lr"),
                static_cast<long long>(width), best.param<double>("dropout"),
                best.param<std::string>("lr_schedule").c_str());
    const std::string exported = "torch_digits-best.json";
    tunekit::deploy::write_json_file(tunekit::deploy::best_config_json(tuner.storage(), study), exported);

    // --- the dense network, and its pruned copy -----------------------------
    network dense(width, best.param<double>("dropout"));
    tt::load_checkpoint(*best_state, *dense.net);
    const double dense_test = accuracy(dense.net, test);

    // Fine-tuning from the best trial's weights: once with the gradual pruning,
    // once without (the dense baseline gets the same extra epochs).
    const std::int64_t batches = (train.x.size(0) + 63) / 64;
    const int prune_epochs = options.small ? 4 : 30, tune_epochs = options.small ? 2 : 20;
    const std::int64_t end_step = batches * prune_epochs;
    // Gradual: the targets rise every 10 batches from 0 to the final sparsity over prune_epochs.
    const tunekit::polynomial_schedule units{.final_sparsity = 0.5, .begin_step = 0, .end_step = end_step, .frequency = 10};
    const tunekit::polynomial_schedule all{.final_sparsity = 0.85, .begin_step = 0, .end_step = end_step, .frequency = 10};
    const std::vector<std::string> weights = {"0.weight", "3.weight"};
    auto fine_tune = [&](network& m, bool prune) {
        tt::load_checkpoint(*best_state, *m.net);
        torch::manual_seed(seed + 77);
        const double fine_lr = best.param<double>("lr") * 0.3;
        torch::optim::Adam opt(m.net->parameters(), torch::optim::AdamOptions(fine_lr));
        tt::parameter_masks masks(*m.net);
        tt::optimizer_lr lr(opt, tunekit::scheduled_lr{fine_lr, tunekit::cosine_annealing_lr{{.t_max = prune_epochs + tune_epochs}}});
        std::int64_t step = 0;
        for (int epoch = 0; epoch < prune_epochs + tune_epochs; ++epoch) {
            train_epoch(m.net, opt, train, [&](torch::optim::Optimizer& o) {
                if (prune && units.is_update_step(step)) {  // hidden units (rows of the hidden layer), then single weights
                    const std::size_t rows_pruned =
                        masks.contains("0.weight") ? static_cast<std::size_t>(width) - tunekit::kept_channels(masks.mask("0.weight")).size() : 0;
                    const auto amount = tunekit::amount_to_reach(units.target_sparsity(step), {static_cast<std::size_t>(width), rows_pruned});
                    masks.prune("0.weight", tunekit::ln_structured{.amount = amount});
                    masks.prune_on_schedule(step, all, weights);
                }
                masks.step(o);  // masked gradients, the step, masked weights (no masks: just the step)
                ++step;
            });
            lr.step();
        }
        return masks;
    };
    network tuned_dense(width, best.param<double>("dropout"));
    fine_tune(tuned_dense, false);
    const double dense_tuned_test = accuracy(tuned_dense.net, test);
    network sparse(width, best.param<double>("dropout"));
    const tt::parameter_masks masks = fine_tune(sparse, true);
    const double sparse_test = accuracy(sparse.net, test);
    const tunekit::sparsity_stats s = masks.stats();

    // --- materialise: the pruned hidden units removed ----------------------
    const std::vector<torch::nn::Linear> chain = {sparse.hidden, sparse.output};
    const std::vector<tunekit::pruning_mask> chain_masks = {masks.mask("0.weight"), {}};
    const auto small = tt::materialize(chain, chain_masks);
    torch::nn::Sequential compact(small[0], torch::nn::ReLU(), small[1]);
    const double compact_test = accuracy(compact, test);
    const std::string model_file = "torch_digits-model.pt";
    torch::save(compact, model_file);
    std::int64_t nonzero = 0;
    for (const auto& p : compact->parameters()) nonzero += p.ne(0).sum().item<std::int64_t>();

    const int reps = options.small ? 20 : 400;
    const double t_dense = inference_seconds(dense.net, test.x, reps), t_compact = inference_seconds(compact, test.x, reps);
    std::printf("pruned: %.1f %% of the weights zero (%zu of %zu); hidden units %lld -> %lld\n", 100 * s.sparsity(),
                s.pruned, s.size, static_cast<long long>(width), static_cast<long long>(small[0]->weight.size(0)));
    std::printf("test accuracy: dense %.4f (fine-tuned as long: %.4f), 85%%-sparse %.4f, materialised %.4f\n", dense_test,
                dense_tuned_test, sparse_test, compact_test);
    std::printf("size: dense %lld parameters, materialised %lld (%lld non-zero); CPU inference of the test split "
                "(%lld rows): dense %.1f us, materialised %.1f us (ratio %.2f)\n",
                static_cast<long long>(tt::parameter_count(*dense.net)), static_cast<long long>(tt::parameter_count(*compact)),
                static_cast<long long>(nonzero), static_cast<long long>(test.x.size(0)), 1e6 * t_dense / reps,
                1e6 * t_compact / reps, t_compact / t_dense);
    std::printf("exported: %s (best configuration), %s (materialised network, torch::load)\n", exported.c_str(),
                model_file.c_str());
    std::printf("RESULT seed=%llu dense_test=%.4f dense_finetuned_test=%.4f sparse_test=%.4f materialised_test=%.4f sparsity=%.4f hidden=%lld "
                "hidden_kept=%lld params_dense=%lld params_materialised=%lld nonzero_materialised=%lld "
                "infer_us_dense=%.2f infer_us_materialised=%.2f\n",
                static_cast<unsigned long long>(seed), dense_test, dense_tuned_test, sparse_test, compact_test, s.sparsity(),
                static_cast<long long>(width), static_cast<long long>(small[0]->weight.size(0)),
                static_cast<long long>(tt::parameter_count(*dense.net)), static_cast<long long>(tt::parameter_count(*compact)),
                static_cast<long long>(nonzero), 1e6 * t_dense / reps, 1e6 * t_compact / reps);
    // The materialised network computes what the masked one did.
    return std::abs(compact_test - sparse_test) < 1e-9 && s.sparsity() > 0.84 ? 0 : 1;
}

int main(int argc, char** argv) {
    // --seed N is this example's own option; the shared ones go to parse_options.
    auto [seed, args] = examples::take_seed_option(argc, argv);
    const auto options = examples::parse_options(static_cast<int>(args.size()), args.data(),
                                                 "Tune, prune (85 %), materialise and export a LibTorch network on "
                                                 "handwritten digits (--seed N: default 0)");
    try {
        return run(options, seed);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "torch_digits: %s\n", e.what());
        return 1;
    }
}
