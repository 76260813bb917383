// The define-by-run example of README.md, compiled and run by the test
// suite; `readme.snippets` checks that README.md shows exactly the snippet.
#include <tunekit/tunekit.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace {
// Stand-ins for a user's training code: a loss that falls with the epochs,
// fastest for an mlp of width ~64 at lr ~3e-3.
double current_loss = 0;
double train_one_epoch(const std::string& model, double lr, std::int64_t width) {
  const double quality = std::pow(std::log10(lr) + 2.5, 2) +
                         (model == "mlp" ? 0.2 * std::pow(std::log2(static_cast<double>(width)) - 6, 2) : 1.0);
  current_loss = current_loss == 0 ? 2.0 + quality : 0.8 * current_loss + 0.2 * quality;
  return current_loss;
}
double evaluate() {
  const double loss = current_loss;
  current_loss = 0;
  return loss;
}
}  // namespace

int main() {
  // snippet-begin
tunekit::tuner tuner{tunekit::qmc_sampler{{.seed = 1}}};
tuner.optimize([](tunekit::trial& t) -> tunekit::result {
  const std::string model = t.suggest_categorical("model", {"linear", "mlp"});
  const double lr = t.suggest_float("lr", 1e-5, 1e-1, {.log = true});
  const auto width = model == "mlp" ? t.suggest_int("width", 16, 256, {.log = true}) : 0;
  for (int epoch = 0; epoch < 20; ++epoch) {
    t.report(epoch, train_one_epoch(model, lr, width));
    if (t.should_prune()) return tunekit::pruned;
  }
  return evaluate();
}, {.n_trials = 100, .timeout = std::chrono::minutes(30)});
  // snippet-end
  const auto best = tuner.best_trial();
  std::printf("best loss %.4f in trial %lld: model=%s lr=%.2e\n", best.value(),
              static_cast<long long>(best.number), best.param<std::string>("model").c_str(),
              best.param<double>("lr"));
  return best.value() < 1.0 ? 0 : 1;
}
