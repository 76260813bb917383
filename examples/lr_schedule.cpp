// examples/lr_schedule.cpp — tune a learning-rate schedule with the learning rate.
//
// Softmax regression on iris, trained by minibatch SGD for 30 epochs. One
// study tunes a constant learning rate; the other also lets the tuner pick
// the schedule (step, cosine, one-cycle, warm-up then cosine, ...) and its
// parameters, with tunekit::suggest_lr_schedule. Both report the validation
// cross-entropy of their best trial.
//
//   lr_schedule            80 trials per study
//   lr_schedule --small    15 trials per study (what CTest runs)
#include <tunekit/tunekit.hpp>

#include "example_options.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct sample {
  std::array<double, 4> x;
  int label;
};

/// iris.csv (scikit-learn's copy): a header line, then 4 features and the class.
/// Features are standardised; every fifth sample goes to validation.
void load_iris(const std::filesystem::path& file, std::vector<sample>& train, std::vector<sample>& validation) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  std::string line;
  std::getline(in, line);
  std::vector<sample> all;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    sample s{};
    char comma;
    fields >> s.x[0] >> comma >> s.x[1] >> comma >> s.x[2] >> comma >> s.x[3] >> comma >> s.label;
    all.push_back(s);
  }
  for (std::size_t j = 0; j < 4; ++j) {
    double mean = 0, sq = 0;
    for (const auto& s : all) mean += s.x[j] / static_cast<double>(all.size());
    for (const auto& s : all) sq += (s.x[j] - mean) * (s.x[j] - mean) / static_cast<double>(all.size());
    for (auto& s : all) s.x[j] = (s.x[j] - mean) / std::sqrt(sq);
  }
  for (std::size_t i = 0; i < all.size(); ++i) (i % 5 == 4 ? validation : train).push_back(all[i]);
}

/// Softmax regression: 3 classes x (4 weights + bias).
struct model {
  std::array<std::array<double, 5>, 3> w{};

  std::array<double, 3> probabilities(const sample& s) const {
    std::array<double, 3> z{};
    double top = -1e300, sum = 0;
    for (int k = 0; k < 3; ++k) {
      z[k] = w[k][4];
      for (int j = 0; j < 4; ++j) z[k] += w[k][j] * s.x[j];
      top = std::max(top, z[k]);
    }
    for (auto& v : z) sum += v = std::exp(v - top);
    for (auto& v : z) v /= sum;
    return z;
  }

  /// One epoch of minibatch SGD (batches of 10, in a fixed shuffled order).
  void train_epoch(const std::vector<sample>& data, double lr, int epoch) {
    std::vector<std::size_t> order(data.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = (i * 37 + static_cast<std::size_t>(epoch) * 11) % data.size();
    for (std::size_t start = 0; start < order.size(); start += 10) {
      std::array<std::array<double, 5>, 3> grad{};
      const std::size_t end = std::min(order.size(), start + 10);
      for (std::size_t i = start; i < end; ++i) {
        const sample& s = data[order[i]];
        const auto p = probabilities(s);
        for (int k = 0; k < 3; ++k) {
          const double d = (p[k] - (k == s.label ? 1.0 : 0.0)) / static_cast<double>(end - start);
          for (int j = 0; j < 4; ++j) grad[k][j] += d * s.x[j];
          grad[k][4] += d;
        }
      }
      for (int k = 0; k < 3; ++k)
        for (int j = 0; j < 5; ++j) w[k][j] -= lr * grad[k][j];
    }
  }

  double cross_entropy(const std::vector<sample>& data) const {
    double loss = 0;
    for (const auto& s : data) loss -= std::log(std::max(probabilities(s)[static_cast<std::size_t>(s.label)], 1e-300));
    return loss / static_cast<double>(data.size());
  }
};

std::vector<sample> train_set, validation_set;
constexpr int epochs = 30;

double tune(std::vector<std::string> kinds, int n_trials) {
  tunekit::tuner tuner{tunekit::tpe_sampler{{.seed = 1}}};
  // snippet-begin
tuner.optimize([&](tunekit::trial& t) {
  const double lr = t.suggest_float("lr", 1e-3, 10.0, {.log = true});
  tunekit::scheduled_lr schedule{lr, tunekit::suggest_lr_schedule(t, lr, {.horizon = epochs, .kinds = kinds})};
  model m;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    m.train_epoch(train_set, schedule.lr(), epoch);
    schedule.step();  // after the epoch, as in PyTorch
  }
  return m.cross_entropy(validation_set);
}, {.n_trials = n_trials});
  // snippet-end
  const auto best = tuner.best_trial();
  const auto kind = tunekit::lr_schedule_kinds()[static_cast<std::size_t>(best.params.find("lr_schedule")->second)];
  std::printf("  best validation cross-entropy %.4f: lr=%.3g, schedule %s\n", best.value(),
              best.params.find("lr")->second, kind.c_str());
  return best.value();
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = examples::parse_options(argc, argv, "Tune a learning-rate schedule for softmax regression on iris");
  load_iris(options.data_dir / "iris.csv", train_set, validation_set);
  const int n_trials = options.small ? 15 : 80;
  std::printf("constant learning rate, %d trials:\n", n_trials);
  const double constant = tune({"none"}, n_trials);
  std::printf("learning rate and schedule, %d trials:\n", n_trials);
  const double scheduled = tune({}, n_trials);
  std::printf("schedule / constant: %.2f\n", scheduled / constant);
}
