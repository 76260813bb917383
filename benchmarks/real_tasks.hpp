#pragma once
// Real multi-fidelity tasks for bohb_bench (issue 19): a model trained step
// by step, its validation loss reported after each step.
//
//   xgboost_digits         XGBoost (tunekit's integration, `hist`, nthread 1,
//                          seed 0) on scikit-learn's digits, multi:softprob,
//                          validation mlogloss after each boosting round
//   xgboost_breast_cancer  the same on scikit-learn's breast-cancer data,
//                          binary:logistic, validation logloss
//   digits_net             the examples' one-hidden-layer network
//                          (examples/digits.hpp), validation cross-entropy
//                          after each epoch
//
// The split is fixed per task and easy to repeat in Python (the Optuna peer
// uses the same one): row i of the data file is a validation row when
// i % 4 == 3, a training row otherwise (digits: 1348 / 449; breast cancer:
// 427 / 142). The trial's hyperparameters are the only thing that varies:
// XGBoost's and the network's own seeds are fixed at 0, so the benchmark's
// seed varies the sampler (and the scheduler's tie-breaking) only.
//
// The XGBoost space is the integration's `xgboost::param_space()` (eta,
// max_depth, min_child_weight, subsample, colsample_bytree, lambda, alpha,
// gamma with its default ranges); the network's is scheduler_savings.cpp's
// (learning_rate, l2, hidden, activation, optimizer, batch_size).
#include <tunekit/core/trial.hpp>
#include <tunekit/integrations/xgboost/booster.hpp>
#include <tunekit/integrations/xgboost/dmatrix.hpp>
#include <tunekit/integrations/xgboost/search_space.hpp>

#include "../examples/digits.hpp"
#include "digits_trial.hpp"
#include "multi_fidelity.hpp"  // training_run, task_start

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tunekit_bench {

/// Features (row-major floats) and labels of one split.
struct split_rows {
  std::vector<float> x, y;
  std::size_t rows = 0;
};

/// A task's data: the fixed split (row i is a validation row when i % 4 == 3).
struct task_data {
  split_rows train, valid;
  std::size_t cols = 0;
  int classes = 0;
};

inline task_data split_every_fourth(const std::vector<std::vector<float>>& features, const std::vector<int>& labels) {
  task_data d;
  d.cols = features.empty() ? 0 : features[0].size();
  for (std::size_t i = 0; i < features.size(); ++i) {
    split_rows& s = i % 4 == 3 ? d.valid : d.train;
    s.x.insert(s.x.end(), features[i].begin(), features[i].end());
    s.y.push_back(static_cast<float>(labels[i]));
    ++s.rows;
    d.classes = std::max(d.classes, labels[i] + 1);
  }
  return d;
}

/// The digits (examples/data/digits.csv.gz, pixels / 16 as the examples read them).
inline task_data load_digits_task(const std::filesystem::path& file) {
  const digits::dataset data = digits::load_digits(file);
  std::vector<std::vector<float>> features(static_cast<std::size_t>(data.size()));
  for (Eigen::Index r = 0; r < data.size(); ++r)
    features[static_cast<std::size_t>(r)].assign(data.features.row(r).data(),
                                                 data.features.row(r).data() + data.features.cols());
  return split_every_fourth(features, data.labels);
}

/// A CSV of features then an integer label, no header (export_breast_cancer.py writes one).
inline task_data load_csv_task(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    throw std::runtime_error("cannot read " + file.string() +
                             "; write it with /usr/bin/python3 benchmarks/export_breast_cancer.py " + file.string() +
                             " (the bench build does, when python3-sklearn is installed)");
  std::vector<std::vector<float>> features;
  std::vector<int> labels;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::vector<float> row;
    std::stringstream fields(line);
    for (std::string field; std::getline(fields, field, ',');) row.push_back(std::stof(field));
    labels.push_back(static_cast<int>(row.back()));
    row.pop_back();
    features.push_back(std::move(row));
  }
  return split_every_fourth(features, labels);
}

/// XGBoost through tunekit's integration: the trial's parameters from
/// `xgboost::suggest_params`, one boosting round per step, the validation
/// log-loss (mlogloss for more than two classes) after each.
inline task_start xgboost_task(std::shared_ptr<const task_data> data) {
  return [data](tunekit::trial& t, std::int64_t) -> training_run {
    namespace xgb = tunekit::xgboost;
    const xgb::booster_params params = xgb::suggest_params(t);
    struct state {
      xgb::dmatrix train, valid;
      xgb::booster booster;
      int round = 0;
      std::string metric;
    };
    auto s = std::make_shared<state>(state{
        xgb::dmatrix{data->train.x, data->train.rows, data->cols}, xgb::dmatrix{data->valid.x, data->valid.rows, data->cols},
        xgb::booster{}, 0, data->classes > 2 ? "mlogloss" : "logloss"});
    s->train.set_labels(data->train.y);
    s->valid.set_labels(data->valid.y);
    s->booster = xgb::booster{{s->train, s->valid}};
    if (data->classes > 2)
      s->booster.set_params({{"objective", "multi:softprob"}, {"num_class", std::to_string(data->classes)}});
    else
      s->booster.set_params({{"objective", "binary:logistic"}});
    s->booster.set_params({{"eval_metric", s->metric}, {"tree_method", "hist"}, {"nthread", "1"}, {"seed", "0"}});
    xgb::set_params(s->booster, params);
    return [s] {
      s->booster.update(s->round, s->train);
      const double loss = s->booster.evaluate(s->round, {{s->valid, "validation"}}).at("validation-" + s->metric);
      ++s->round;
      return loss;
    };
  };
}

/// The digits network, one epoch per step; the validation cross-entropy
/// (mean −log p(label)) after each. A diverged network (non-finite weights
/// or loss) scores ln(10), the loss of the uniform guess.
inline task_start digits_net_task(std::shared_ptr<const digits::split_data> split) {
  return [split](tunekit::trial& t, std::int64_t max_steps) -> training_run {
    const digits::mlp_config c = digits::suggest_mlp_config(t, static_cast<int>(max_steps));
    auto m = std::make_shared<digits::model>(c, split->train);
    return [m, split] {
      const double uniform = std::log(static_cast<double>(split->validation.n_classes));
      m->train_epoch(split->train);
      if (m->diverged()) return uniform;
      const digits::matrix z = m->weights().logits(split->validation.features);
      double loss = 0;
      for (Eigen::Index r = 0; r < z.rows(); ++r) {
        const double top = z.row(r).maxCoeff();
        const double log_sum = top + std::log((z.row(r).array() - static_cast<float>(top)).exp().sum());
        loss += log_sum - z(r, split->validation.labels[static_cast<std::size_t>(r)]);
      }
      loss /= static_cast<double>(z.rows());
      return std::isfinite(loss) ? loss : uniform;
    };
  };
}

/// The digits as the network's split (the same rows as the XGBoost task's).
inline digits::split_data digits_net_split(const std::filesystem::path& file) {
  const digits::dataset data = digits::load_digits(file);
  std::vector<Eigen::Index> train_rows, valid_rows;
  for (Eigen::Index i = 0; i < data.size(); ++i) (i % 4 == 3 ? valid_rows : train_rows).push_back(i);
  return {digits::subset(data, train_rows), digits::subset(data, valid_rows)};
}

}  // namespace tunekit_bench
