// examples/digits.hpp — the handwritten-digits task used by the examples.
//
// Example-local code, not part of the tunekit library: it is the "training
// program" whose hyperparameters the examples tune. It holds
//   - a loader for examples/data/digits.csv.gz (UCI optical recognition of
//     handwritten digits, 1797 samples of 8x8 pixels in 0..16, label last),
//   - a deterministic stratified train/validation split,
//   - a one-hidden-layer perceptron written with Eigen, trained by mini-batch
//     SGD with momentum or by Adam, with its own seeded random numbers so that
//     a configuration gives the same accuracy on every platform.
//
//   auto data  = digits::load_digits(dir / "digits.csv.gz");
//   auto split = digits::stratified_split(data, 0.2, /*seed=*/0);
//   double acc = digits::train(digits::mlp_config{.hidden = 64}, split,
//       [](int epoch, double validation_accuracy) { /* report, or return false to stop */ });
#pragma once

#include <zlib.h>

#include <Eigen/Dense>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace digits {

// ---------------------------------------------------------------------------
// Random numbers. Our own generator and transforms, not std::*_distribution,
// whose output differs between standard libraries.

/// xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64.
class rng {
public:
    explicit rng(std::uint64_t seed) {
        for (auto& word : s_) word = splitmix64(seed);
    }
    std::uint64_t operator()() {
        const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = std::rotl(s_[3], 45);
        return result;
    }
    /// Uniform in [0, 1) with 53 random bits.
    double uniform01() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
    /// Uniform integer in [0, n), n > 0: rejection of the first 2^64 mod n values
    /// keeps the remainder unbiased.
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t threshold = (0 - n) % n;
        while (true) {
            const std::uint64_t x = (*this)();
            if (x >= threshold) return x % n;
        }
    }
    template <class T>
    void shuffle(std::vector<T>& v) {  // Fisher-Yates
        for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
    }

private:
    static std::uint64_t splitmix64(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t s_[4];
};

// ---------------------------------------------------------------------------
// Data

using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Samples as rows, scaled to [0, 1]; labels 0..n_classes-1.
struct dataset {
    matrix features;
    std::vector<int> labels;
    int n_classes = 0;
    [[nodiscard]] Eigen::Index size() const { return features.rows(); }
};

/// Loads scikit-learn's digits.csv.gz: no header line (scikit-learn reads it with
/// np.loadtxt), one sample per line, 64 pixel counts in 0..16, then the label 0..9.
/// Pixels are divided by 16 so that the inputs lie in [0, 1].
inline dataset load_digits(const std::filesystem::path& file) {
    constexpr int n_pixels = 64;
    gzFile in = gzopen(file.c_str(), "rb");
    if (in == nullptr) throw std::runtime_error("cannot open " + file.string());
    std::vector<float> pixels;
    std::vector<int> labels;
    std::string line;
    char buffer[1024];
    int line_number = 0;
    auto parse_line = [&] {
        ++line_number;
        const std::string where = file.string() + ":" + std::to_string(line_number);
        const char* p = line.data();
        const char* end = line.data() + line.size();
        for (int column = 0; column <= n_pixels; ++column) {
            double v = 0;
            auto [next, ec] = std::from_chars(p, end, v);
            if (ec != std::errc{}) throw std::runtime_error(where + ": expected a number in column " + std::to_string(column + 1));
            p = next;
            if (column < n_pixels) {
                if (p == end || *p != ',') throw std::runtime_error(where + ": expected 65 comma-separated values");
                ++p;
                if (v < 0 || v > 16) throw std::runtime_error(where + ": pixel outside 0..16");
                pixels.push_back(static_cast<float>(v / 16.0));
            } else {
                if (v != std::floor(v) || v < 0 || v > 9) throw std::runtime_error(where + ": label outside 0..9");
                labels.push_back(static_cast<int>(v));
            }
        }
        while (p != end && (*p == '\r' || *p == ' ')) ++p;
        if (p != end) throw std::runtime_error(where + ": more than 65 values");
    };
    while (gzgets(in, buffer, sizeof buffer) != nullptr) {
        line += buffer;
        if (line.empty() || line.back() != '\n') continue;  // a longer line: read on
        line.pop_back();
        if (!line.empty() && line != "\r") parse_line();
        line.clear();
    }
    int gz_error = Z_OK;
    const char* message = gzerror(in, &gz_error);
    const std::string error_text = gz_error == Z_OK ? "" : message;
    gzclose(in);
    if (!error_text.empty()) throw std::runtime_error(file.string() + ": " + error_text);
    if (!line.empty()) parse_line();  // no newline at the end of the file
    if (labels.empty()) throw std::runtime_error(file.string() + ": no samples");

    dataset d;
    d.features = Eigen::Map<matrix>(pixels.data(), static_cast<Eigen::Index>(labels.size()), n_pixels);
    d.labels = std::move(labels);
    d.n_classes = 10;
    return d;
}

/// The rows of `d` listed in `rows`, in that order.
inline dataset subset(const dataset& d, const std::vector<Eigen::Index>& rows) {
    dataset s;
    s.features = d.features(rows, Eigen::all);
    s.labels.reserve(rows.size());
    for (Eigen::Index r : rows) s.labels.push_back(d.labels[static_cast<std::size_t>(r)]);
    s.n_classes = d.n_classes;
    return s;
}

struct split_data {
    dataset train;
    dataset validation;
};

/// Stratified split: within each class, a seeded shuffle of that class's samples,
/// and the first round(validation_fraction * class size) go to validation. The
/// same data, fraction and seed give the same split everywhere.
inline split_data stratified_split(const dataset& d, double validation_fraction, std::uint64_t seed) {
    if (!(validation_fraction > 0 && validation_fraction < 1))
        throw std::invalid_argument("validation_fraction must be in (0, 1)");
    std::vector<std::vector<Eigen::Index>> by_class(static_cast<std::size_t>(d.n_classes));
    for (Eigen::Index i = 0; i < d.size(); ++i) by_class[static_cast<std::size_t>(d.labels[static_cast<std::size_t>(i)])].push_back(i);
    rng random(seed);
    std::vector<Eigen::Index> train_rows, validation_rows;
    for (auto& members : by_class) {
        random.shuffle(members);
        const auto n_validation = static_cast<std::size_t>(std::lround(validation_fraction * static_cast<double>(members.size())));
        validation_rows.insert(validation_rows.end(), members.begin(), members.begin() + static_cast<std::ptrdiff_t>(n_validation));
        train_rows.insert(train_rows.end(), members.begin() + static_cast<std::ptrdiff_t>(n_validation), members.end());
    }
    std::sort(train_rows.begin(), train_rows.end());
    std::sort(validation_rows.begin(), validation_rows.end());
    return {subset(d, train_rows), subset(d, validation_rows)};
}

// ---------------------------------------------------------------------------
// The model: input -> dense(hidden) -> relu|tanh -> dense(classes) -> softmax,
// cross-entropy loss plus l2/2 * |W|^2 on both weight matrices (not on biases).

/// Hyperparameters and settings of one training run.
struct mlp_config {
    int hidden = 64;                   ///< units in the hidden layer
    std::string activation = "relu";   ///< "relu" or "tanh"
    std::string optimizer = "adam";    ///< "adam" or "sgd" (SGD with classical momentum)
    double learning_rate = 1e-3;
    double l2 = 1e-4;                  ///< weight decay on both weight matrices
    int batch_size = 32;
    int epochs = 20;
    double momentum = 0.9;             ///< "sgd" only
    double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  ///< "adam" only (Kingma & Ba 2015)
    std::uint64_t seed = 0;            ///< initial weights and batch order
};

namespace detail {

/// One trainable tensor with its optimizer state.
struct parameter {
    explicit parameter(matrix initial)
        : value(std::move(initial)),
          m(matrix::Zero(value.rows(), value.cols())),
          v(matrix::Zero(value.rows(), value.cols())) {}
    matrix value, m, v;  // m, v: Adam's moment estimates; m is the velocity for SGD

    void step(const matrix& grad, const mlp_config& c, int t) {
        if (c.optimizer == "adam") {
            m = static_cast<float>(c.beta1) * m + static_cast<float>(1 - c.beta1) * grad;
            v = static_cast<float>(c.beta2) * v + static_cast<float>(1 - c.beta2) * grad.cwiseAbs2();
            const double correction1 = 1 - std::pow(c.beta1, t);
            const double correction2 = 1 - std::pow(c.beta2, t);
            const auto step_size = static_cast<float>(c.learning_rate * std::sqrt(correction2) / correction1);
            const auto eps = static_cast<float>(c.epsilon * std::sqrt(correction2));
            value.array() -= step_size * m.array() / (v.array().sqrt() + eps);
        } else {  // velocity form of classical momentum
            m = static_cast<float>(c.momentum) * m - static_cast<float>(c.learning_rate) * grad;
            value += m;
        }
    }
};

inline void uniform_init(matrix& w, float limit, rng& random) {
    for (Eigen::Index i = 0; i < w.size(); ++i)
        w.data()[i] = static_cast<float>((2 * random.uniform01() - 1) * limit);
}

}  // namespace detail

/// Fraction of rows whose largest logit is at the true label; a row with a
/// non-finite logit counts as wrong.
inline double accuracy(const matrix& logits, const std::vector<int>& labels) {
    std::size_t correct = 0;
    for (Eigen::Index r = 0; r < logits.rows(); ++r) {
        if (!logits.row(r).allFinite()) continue;
        Eigen::Index best = 0;
        logits.row(r).maxCoeff(&best);
        correct += best == labels[static_cast<std::size_t>(r)];
    }
    return static_cast<double>(correct) / static_cast<double>(logits.rows());
}

/// A trained network without its optimizer state: what a serving program
/// loads and runs (`model::weights()`; serve_digits.cpp stores it as JSON).
struct network {
    bool relu = true;
    matrix w1, b1, w2, b2;  ///< n_in x hidden, 1 x hidden, hidden x n_classes, 1 x n_classes

    /// The logits of each row of `x` (n x n_in).
    [[nodiscard]] matrix logits(const matrix& x) const {
        matrix h = (x * w1).rowwise() + b1.row(0);
        if (relu) h = h.cwiseMax(0.0f);
        else h = h.array().tanh().matrix();
        return (h * w2).rowwise() + b2.row(0);
    }
    /// The class probabilities (softmax of the logits) of one sample.
    [[nodiscard]] std::vector<float> probabilities(const matrix& sample) const {
        matrix z = logits(sample);
        z = (z.array() - z.maxCoeff()).exp().matrix();
        z /= z.sum();
        return {z.data(), z.data() + z.size()};
    }
};

/// A network in training: weights, optimizer state and random stream, one epoch
/// at a time. A `model` is a plain value: copying it is a checkpoint, which is
/// what population-based training hands from one trial to the next. The
/// learning rate and l2 may change between epochs (`config()`), as PBT and
/// learning-rate schedules change them; the architecture may not.
class model {
public:
    model(const mlp_config& c, const dataset& train_set) : config_(c), random_(c.seed) {
        if (c.activation != "relu" && c.activation != "tanh")
            throw std::invalid_argument("activation must be \"relu\" or \"tanh\", got \"" + c.activation + "\"");
        if (c.optimizer != "adam" && c.optimizer != "sgd")
            throw std::invalid_argument("optimizer must be \"adam\" or \"sgd\", got \"" + c.optimizer + "\"");
        if (c.hidden < 1 || c.batch_size < 1 || c.epochs < 1 || !(c.learning_rate > 0) || !(c.l2 >= 0))
            throw std::invalid_argument("hidden, batch_size, epochs and learning_rate must be positive, l2 non-negative");
        const Eigen::Index n_in = train_set.features.cols();
        const Eigen::Index n_out = train_set.n_classes;
        relu_ = c.activation == "relu";
        // He initialisation for relu, Glorot for tanh; biases start at zero.
        auto init_limit = [&](Eigen::Index fan_in, Eigen::Index fan_out) {
            const auto denominator = static_cast<double>(relu_ ? fan_in : fan_in + fan_out);
            return static_cast<float>(std::sqrt(6.0 / denominator));
        };
        matrix w1_initial(n_in, c.hidden), w2_initial(c.hidden, n_out);
        detail::uniform_init(w1_initial, init_limit(n_in, c.hidden), random_);
        detail::uniform_init(w2_initial, init_limit(c.hidden, n_out), random_);
        w1_ = detail::parameter{std::move(w1_initial)};
        b1_ = detail::parameter{matrix::Zero(1, c.hidden)};
        w2_ = detail::parameter{std::move(w2_initial)};
        b2_ = detail::parameter{matrix::Zero(1, n_out)};
        order_.resize(static_cast<std::size_t>(train_set.size()));
        for (Eigen::Index i = 0; i < train_set.size(); ++i) order_[static_cast<std::size_t>(i)] = i;
    }

    /// The settings in use; learning_rate, l2 and momentum may be changed between epochs.
    mlp_config& config() { return config_; }
    const mlp_config& config() const { return config_; }
    int epochs_trained() const { return epoch_; }
    bool diverged() const { return !w1_.value.allFinite() || !w2_.value.allFinite(); }
    /// The trained weights alone, for inference.
    network weights() const { return {relu_, w1_.value, b1_.value, w2_.value, b2_.value}; }

    /// One pass over the training set in a fresh random order.
    void train_epoch(const dataset& train_set) {
        const mlp_config& c = config_;
        const Eigen::Index n = train_set.size();
        const auto l2 = static_cast<float>(c.l2);
        random_.shuffle(order_);
        for (Eigen::Index start = 0; start < n; start += c.batch_size) {
            const Eigen::Index b = std::min<Eigen::Index>(c.batch_size, n - start);
            batch_rows_.assign(order_.begin() + start, order_.begin() + start + b);
            x_ = train_set.features(batch_rows_, Eigen::all);
            probabilities_ = forward(x_, h_);
            // softmax, then d(mean cross-entropy)/d(logits) = (p - onehot) / b
            probabilities_ = (probabilities_.colwise() - probabilities_.rowwise().maxCoeff()).array().exp().matrix();
            probabilities_.array().colwise() /= probabilities_.rowwise().sum().array();
            for (Eigen::Index r = 0; r < b; ++r)
                probabilities_(r, train_set.labels[static_cast<std::size_t>(batch_rows_[static_cast<std::size_t>(r)])]) -= 1.0f;
            probabilities_ /= static_cast<float>(b);

            d_hidden_ = probabilities_ * w2_.value.transpose();
            if (relu_) d_hidden_.array() *= (h_.array() > 0.0f).cast<float>();
            else d_hidden_.array() *= 1.0f - h_.array().square();

            ++t_;
            w2_.step(h_.transpose() * probabilities_ + l2 * w2_.value, c, t_);
            b2_.step(probabilities_.colwise().sum(), c, t_);
            w1_.step(x_.transpose() * d_hidden_ + l2 * w1_.value, c, t_);
            b1_.step(d_hidden_.colwise().sum(), c, t_);
            if (mask1_.size() > 0) w1_.value.array() *= mask1_.array(), w2_.value.array() *= mask2_.array();
        }
        ++epoch_;
    }

    /// Global magnitude pruning: zeroes the `fraction` smallest-magnitude
    /// weights of both weight matrices together and keeps them at zero in
    /// later epochs (the mask is re-applied after every step).
    void prune_magnitude(double fraction) {
        std::vector<float> magnitudes;
        for (const matrix* w : {&w1_.value, &w2_.value})
            for (Eigen::Index i = 0; i < w->size(); ++i) magnitudes.push_back(std::abs(w->data()[i]));
        const auto k = static_cast<std::size_t>(fraction * static_cast<double>(magnitudes.size()));
        mask1_ = matrix::Ones(w1_.value.rows(), w1_.value.cols());
        mask2_ = matrix::Ones(w2_.value.rows(), w2_.value.cols());
        if (k == 0) return;
        std::nth_element(magnitudes.begin(), magnitudes.begin() + static_cast<std::ptrdiff_t>(k - 1), magnitudes.end());
        const float threshold = magnitudes[k - 1];
        std::size_t removed = 0;  // ties at the threshold: remove only k in all
        for (auto [w, m] : {std::pair{&w1_.value, &mask1_}, std::pair{&w2_.value, &mask2_}})
            for (Eigen::Index i = 0; i < w->size(); ++i)
                if (std::abs(w->data()[i]) <= threshold && removed < k) m->data()[i] = 0.0f, ++removed;
        w1_.value.array() *= mask1_.array();
        w2_.value.array() *= mask2_.array();
    }
    /// The weight matrices, [in, hidden] and [hidden, out], and the biases.
    const matrix& w1() const { return w1_.value; }
    const matrix& w2() const { return w2_.value; }
    const matrix& b1() const { return b1_.value; }
    const matrix& b2() const { return b2_.value; }
    bool relu() const { return relu_; }

    /// Accuracy on `d`; 0 once the weights are no longer finite.
    double accuracy_on(const dataset& d) {
        if (diverged()) return 0.0;
        return accuracy(forward(d.features, h_), d.labels);
    }

private:
    void activate(matrix& z) const {
        if (relu_) z = z.cwiseMax(0.0f);
        else z = z.array().tanh().matrix();
    }
    template <class X>
    matrix forward(const X& x, matrix& h) const {
        h = (x * w1_.value).rowwise() + b1_.value.row(0);
        activate(h);
        return (h * w2_.value).rowwise() + b2_.value.row(0);
    }

    mlp_config config_;
    rng random_;
    bool relu_ = true;
    detail::parameter w1_{matrix()}, b1_{matrix()}, w2_{matrix()}, b2_{matrix()};
    std::vector<Eigen::Index> order_, batch_rows_;
    matrix x_, h_, probabilities_, d_hidden_;
    matrix mask1_, mask2_;  // empty: not pruned
    int t_ = 0, epoch_ = 0;
};

/// Trains on split.train and returns the accuracy on split.validation after the
/// last epoch. After every epoch calls on_epoch(epoch, validation_accuracy)
/// (epochs count from 1); when on_epoch returns bool, `false` stops training
/// there. on_epoch may also throw (e.g. tunekit::trial_pruned) to abandon the run.
/// A run whose weights become non-finite stops and returns 0.
template <class OnEpoch>
double train(const mlp_config& c, const split_data& split, OnEpoch&& on_epoch) {
    model m(c, split.train);
    double validation_accuracy = 0;
    for (int epoch = 1; epoch <= c.epochs; ++epoch) {
        m.train_epoch(split.train);
        const bool diverged = m.diverged();
        validation_accuracy = m.accuracy_on(split.validation);
        if constexpr (std::is_same_v<std::invoke_result_t<OnEpoch&, int, double>, bool>) {
            if (!on_epoch(epoch, validation_accuracy)) break;
        } else {
            on_epoch(epoch, validation_accuracy);
        }
        if (diverged) break;
    }
    return validation_accuracy;
}

/// Trains without looking at the epochs.
inline double train(const mlp_config& c, const split_data& split) {
    return train(c, split, [](int, double) {});
}

}  // namespace digits
