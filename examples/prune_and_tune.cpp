// examples/prune_and_tune.cpp — prune the quick-start digits network, for real.
//
// Part 1, realised savings: train the digits MLP (64 -> 128 -> 10), prune 50 %
// of its hidden units by the L2 norm of their incoming weights (in place, on
// the Eigen matrices, through xt::adapt), fine-tune briefly with the masks
// held, then materialise the physically smaller network and measure its
// parameters, accuracy and inference time against the dense one.
//
// Part 2, tuned sparsity: the tuner chooses the final sparsity and the
// schedule (one-shot after training, or gradual: Zhu & Gupta's cubic, with
// its end point) of global magnitude pruning over both weight matrices, to
// maximise  accuracy + 0.05 * sparsity  (a point of accuracy is worth 20
// points of sparsity), and prints the accuracy/sparsity trade-off it found.
//
//   prune_and_tune            full run (about a minute on 2 cores)
//   prune_and_tune --small    a few seconds (what CTest runs)
#include <tunekit/pruning.hpp>
#include <tunekit/tunekit.hpp>

#include "digits.hpp"
#include "example_options.hpp"

#include <xtensor/xadapt.hpp>
#include <xtensor/xmanipulation.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

using digits::matrix;  // row-major float

/// The network: logits = relu(x W1 + b1) W2 + b2 (Eigen, [in, out] layout).
struct network {
    digits::detail::parameter w1, b1, w2, b2;
    network(Eigen::Index n_in, Eigen::Index hidden, Eigen::Index n_out, std::uint64_t seed)
        : w1{matrix(n_in, hidden)}, b1{matrix::Zero(1, hidden)}, w2{matrix(hidden, n_out)}, b2{matrix::Zero(1, n_out)} {
        digits::rng random(seed);
        digits::detail::uniform_init(w1.value, static_cast<float>(std::sqrt(6.0 / static_cast<double>(n_in))), random);
        digits::detail::uniform_init(w2.value, static_cast<float>(std::sqrt(6.0 / static_cast<double>(hidden))), random);
    }
    matrix forward(const matrix& x, matrix& h) const {
        h = ((x * w1.value).rowwise() + b1.value.row(0)).cwiseMax(0.0f);
        return (h * w2.value).rowwise() + b2.value.row(0);
    }
    double accuracy(const digits::dataset& d) const {
        matrix h;
        return digits::accuracy(forward(d.features, h), d.labels);
    }
};

/// An xtensor view of an Eigen matrix's own memory: pruning it prunes the matrix.
auto as_tensor(matrix& m) {
    return xt::adapt(m.data(), static_cast<std::size_t>(m.size()), xt::no_ownership(),
                     std::vector<std::size_t>{static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())});
}

/// Masks of w1, b1 and w2 (empty: not pruned).
struct masks {
    tunekit::pruning_mask w1, b1, w2;
};

/// Adam training; every step the gradients are masked before the update and
/// the weights after it (Adam's moments would otherwise regrow pruned
/// weights). on_step(step) runs before each step and may change the masks.
template <class OnStep>
void train(network& net, const digits::split_data& split, int epochs, double lr, masks& m, std::int64_t& step,
           OnStep&& on_step) {
    const digits::mlp_config c{.learning_rate = lr, .l2 = 1e-4};
    digits::rng random(99);
    const auto& train_set = split.train;
    std::vector<Eigen::Index> order(static_cast<std::size_t>(train_set.size()));
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<Eigen::Index>(i);
    matrix x, h, p, dh;
    int t = 0;
    for (int epoch = 0; epoch < epochs; ++epoch) {
        random.shuffle(order);
        for (std::size_t start = 0; start < order.size(); start += 32) {
            on_step(step);
            const std::size_t b = std::min<std::size_t>(32, order.size() - start);
            std::vector<Eigen::Index> rows(order.begin() + static_cast<std::ptrdiff_t>(start),
                                           order.begin() + static_cast<std::ptrdiff_t>(start + b));
            x = train_set.features(rows, Eigen::all);
            p = net.forward(x, h);
            p = (p.colwise() - p.rowwise().maxCoeff()).array().exp().matrix();
            p.array().colwise() /= p.rowwise().sum().array();
            for (std::size_t r = 0; r < b; ++r) p(static_cast<Eigen::Index>(r), train_set.labels[static_cast<std::size_t>(rows[r])]) -= 1.0f;
            p /= static_cast<float>(b);
            dh = (p * net.w2.value.transpose()).array() * (h.array() > 0.0f).cast<float>();
            matrix g_w2 = h.transpose() * p + 1e-4f * net.w2.value, g_b2 = p.colwise().sum();
            matrix g_w1 = x.transpose() * dh + 1e-4f * net.w1.value, g_b1 = dh.colwise().sum();
            auto masked = [](matrix& g, const tunekit::pruning_mask& mask) {
                if (mask.size() > 1) tunekit::apply_mask(as_tensor(g), mask);  // size <= 1: not pruned
            };
            masked(g_w1, m.w1);
            masked(g_b1, m.b1);
            masked(g_w2, m.w2);
            ++t;
            net.w2.step(g_w2, c, t);
            net.b2.step(g_b2, c, t);
            net.w1.step(g_w1, c, t);
            net.b1.step(g_b1, c, t);
            if (m.w1.size() > 1) tunekit::apply_mask(as_tensor(net.w1.value), m.w1);
            if (m.b1.size() > 1) tunekit::apply_mask(as_tensor(net.b1.value), m.b1);
            if (m.w2.size() > 1) tunekit::apply_mask(as_tensor(net.w2.value), m.w2);
            ++step;
        }
    }
}

template <class F>
double median_seconds(F&& f, int repeats) {
    std::vector<double> s;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(s.size() / 2), s.end());
    return s[s.size() / 2];
}

matrix to_eigen(const xt::xarray<float>& a) {
    return Eigen::Map<const matrix>(a.data(), static_cast<Eigen::Index>(a.shape()[0]),
                                    static_cast<Eigen::Index>(a.dimension() > 1 ? a.shape()[1] : 1));
}

void realised_savings(const digits::split_data& split, const examples::options& options) {
    std::printf("== Part 1: structured pruning of half the hidden units, materialised ==\n");
    const int epochs = options.small ? 5 : 30;
    network net(64, 128, 10, /*seed=*/1);
    masks none;
    std::int64_t step = 0;
    train(net, split, epochs, 3e-3, none, step, [](std::int64_t) {});
    const double dense_accuracy = net.accuracy(split.validation);

    // Hidden unit u is column u of W1 ([64, 128]) and entry u of b1: prune
    // axis 1 of W1 by L2 norm, in place on the Eigen matrix.
    masks m;
    m.w1 = tunekit::prune(tunekit::ln_structured{.amount = tunekit::fraction(0.5), .norm = 2, .axis = 1},
                          as_tensor(net.w1.value));
    const auto kept = tunekit::kept_channels(m.w1, 1);
    m.b1 = tunekit::pruning_mask::from_shape({1, 128});
    std::fill(m.b1.begin(), m.b1.end(), std::uint8_t{0});
    for (std::size_t u : kept) m.b1(0, u) = 1;
    tunekit::apply_mask(as_tensor(net.b1.value), m.b1);
    const double pruned_accuracy = net.accuracy(split.validation);
    train(net, split, options.small ? 2 : 5, 1e-3, m, step, [](std::int64_t) {});
    const double tuned_accuracy = net.accuracy(split.validation);

    // Materialise: PyTorch's [out, in] layout, then back to Eigen.
    std::vector<tunekit::layer_weights> chain(2);
    chain[0].weight = xt::transpose(as_tensor(net.w1.value));
    chain[0].bias = xt::flatten(as_tensor(net.b1.value));
    chain[1].weight = xt::transpose(as_tensor(net.w2.value));
    chain[1].bias = xt::flatten(as_tensor(net.b2.value));
    tunekit::pruning_mask unit_mask = xt::transpose(m.w1);
    const auto small = tunekit::materialize(chain, std::vector<tunekit::pruning_mask>{unit_mask, {}});
    network smaller(64, static_cast<Eigen::Index>(small[0].weight.shape()[0]), 10, 0);
    smaller.w1.value = to_eigen(small[0].weight).transpose();
    smaller.b1.value = to_eigen(small[0].bias).transpose();
    smaller.w2.value = to_eigen(small[1].weight).transpose();
    smaller.b2.value = to_eigen(small[1].bias).transpose();
    const double small_accuracy = smaller.accuracy(split.validation);

    matrix h, out;
    const int repeats = options.small ? 21 : 301;
    const double t_dense = median_seconds([&] { out = net.forward(split.validation.features, h); }, repeats);
    const double t_small = median_seconds([&] { out = smaller.forward(split.validation.features, h); }, repeats);
    const std::size_t p_dense = tunekit::parameter_count(chain), p_small = tunekit::parameter_count(small);
    std::printf("dense   128 hidden: %5zu parameters, accuracy %.4f, inference %7.1f us / %ld samples\n", p_dense,
                dense_accuracy, t_dense * 1e6, static_cast<long>(split.validation.size()));
    std::printf("pruned  (mask only, no fine-tune):  accuracy %.4f\n", pruned_accuracy);
    std::printf("pruned  + %d epochs fine-tune:       accuracy %.4f\n", options.small ? 2 : 5, tuned_accuracy);
    std::printf("smaller %3zu hidden: %5zu parameters, accuracy %.4f, inference %7.1f us\n",
                small[0].weight.shape()[0], p_small, small_accuracy, t_small * 1e6);
    std::printf("realised: parameters x%.3f, inference time x%.3f\n\n",
                static_cast<double>(p_small) / static_cast<double>(p_dense), t_small / t_dense);
    if (std::abs(small_accuracy - tuned_accuracy) > 1e-9)
        throw std::runtime_error("the materialised network disagrees with the masked one");
}

/// What the tuner chooses.
struct pruning_plan {
    double final_sparsity = 0.9;
    std::string schedule = "gradual";  ///< "one_shot" (after training, then fine-tune) or "gradual" (AGP)
    double end_fraction = 0.6;         ///< gradual: pruning ends at this fraction of training
};

void tuned_sparsity(const digits::split_data& split, const examples::options& options) {
    std::printf("== Part 2: the tuner chooses final sparsity and schedule (objective: accuracy + 0.05 * sparsity) ==\n");
    const int epochs = options.small ? 4 : 20;
    const std::int64_t steps_per_epoch = (split.train.size() + 31) / 32;
    const std::int64_t total_steps = epochs * steps_per_epoch;

    const auto space = tunekit::space<pruning_plan>{
        tunekit::float_param("final_sparsity", &pruning_plan::final_sparsity, 0.5, 0.99),
        tunekit::categorical_param("schedule", &pruning_plan::schedule, {"one_shot", "gradual"}),
        tunekit::float_param("end_fraction", &pruning_plan::end_fraction, 0.2, 0.9),
    };
    tunekit::tuner tuner{space, tunekit::tpe_sampler{{.n_startup_trials = options.small ? 4 : 10, .seed = 7}},
                         tunekit::memory_storage{},
                         tunekit::study_config{.name = "prune_and_tune", .directions = {tunekit::direction::maximize}}};

    auto objective = [&](const pruning_plan& plan, tunekit::trial& trial) {
        network net(64, 64, 10, /*seed=*/0);
        masks m;
        m.w1 = tunekit::full_mask({64, 64});
        m.w2 = tunekit::full_mask({64, 10});
        std::int64_t step = 0;
        const bool gradual = plan.schedule == "gradual";
        // One-shot: prune at 3/4 of training, fine-tune for the rest. Gradual:
        // from step 0 to end_fraction of training, every 20 steps.
        const tunekit::one_shot_schedule one_shot{.sparsity = plan.final_sparsity, .step = total_steps * 3 / 4};
        const tunekit::polynomial_schedule agp{
            .final_sparsity = plan.final_sparsity, .begin_step = 0,
            .end_step = std::max<std::int64_t>(1, static_cast<std::int64_t>(plan.end_fraction * static_cast<double>(total_steps))),
            .frequency = 20};
        auto on_step = [&](std::int64_t s) {
            const bool update = gradual ? agp.is_update_step(s) : one_shot.is_update_step(s);
            if (!update) return;
            const double target = gradual ? agp.target_sparsity(s) : one_shot.target_sparsity(s);
            // Global magnitude pruning over both matrices, on top of the current masks.
            std::vector<tunekit::importance_view> views{tunekit::tensor_ref(as_tensor(net.w1.value)),
                                                        tunekit::tensor_ref(as_tensor(net.w2.value))};
            std::vector<tunekit::pruning_mask> current{m.w1, m.w2};
            const auto amount = tunekit::amount_to_reach(target, tunekit::stats(current));
            auto next = tunekit::global_unstructured(views, {.amount = amount}, current);
            m.w1 = std::move(next[0]);
            m.w2 = std::move(next[1]);
            tunekit::apply_mask(as_tensor(net.w1.value), m.w1);
            tunekit::apply_mask(as_tensor(net.w2.value), m.w2);
        };
        for (int e = 0; e < epochs; ++e) {
            train(net, split, 1, 3e-3, m, step, on_step);
            trial.report(e + 1, net.accuracy(split.validation));
        }
        const double accuracy = net.accuracy(split.validation);
        const double sparsity = tunekit::stats(std::vector<tunekit::pruning_mask>{m.w1, m.w2}).sparsity();
        trial.set_user_attr("accuracy", accuracy);
        trial.set_user_attr("sparsity", sparsity);
        return accuracy + 0.05 * sparsity;
    };

    tuner.optimize(objective, {.n_trials = options.small ? 6 : 40, .n_jobs = options.n_jobs});

    std::vector<tunekit::frozen_trial> done;
    for (const auto& t : tuner.trials())
        if (t.state == tunekit::trial_state::complete) done.push_back(t);
    std::sort(done.begin(), done.end(), [](const auto& a, const auto& b) {
        return a.user_attrs.at("sparsity").template get<double>() < b.user_attrs.at("sparsity").template get<double>();
    });
    std::printf("trade-off (completed trials by sparsity; * = on the accuracy/sparsity Pareto front):\n");
    std::printf("  sparsity  accuracy  objective  schedule   end\n");
    for (std::size_t i = 0; i < done.size(); ++i) {
        const auto& t = done[i];
        const double acc = t.user_attrs.at("accuracy").get<double>(), sp = t.user_attrs.at("sparsity").get<double>();
        bool dominated = false;
        for (const auto& o : done) {
            const double oa = o.user_attrs.at("accuracy").get<double>(), os = o.user_attrs.at("sparsity").get<double>();
            dominated = dominated || (oa >= acc && os >= sp && (oa > acc || os > sp));
        }
        const auto plan = space.from_params(t.params);
        std::printf("  %7.3f   %.4f   %.4f   %-9s  %s %c\n", sp, acc, t.value(), plan.schedule.c_str(),
                    plan.schedule == "gradual" ? std::to_string(plan.end_fraction).substr(0, 4).c_str() : "  - ",
                    dominated ? ' ' : '*');
    }
    const auto best = tuner.best_trial();
    const auto plan = space.from_params(best.params);
    std::printf("best: final_sparsity %.3f, %s schedule%s -> accuracy %.4f at sparsity %.3f\n", plan.final_sparsity,
                plan.schedule.c_str(),
                plan.schedule == "gradual" ? (", ending at " + std::to_string(plan.end_fraction).substr(0, 4) + " of training").c_str() : "",
                best.user_attrs.at("accuracy").get<double>(), best.user_attrs.at("sparsity").get<double>());
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = examples::parse_options(argc, argv, "Prune the digits network: realised savings and tuned sparsity");
    try {
        const digits::dataset data = digits::load_digits(options.data_dir / "digits.csv.gz");
        const digits::split_data split = digits::stratified_split(data, 0.2, /*seed=*/0);
        realised_savings(split, options);
        tuned_sparsity(split, options);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "prune_and_tune: %s\n", e.what());
        return 1;
    }
}
