#pragma once

#include "detail/requires_target.hpp"

/// `xgboost::eval_result`: one round's evaluation line, parsed.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../core/errors.hpp"
#include "../../detail/format.hpp"

namespace tunekit::xgboost {

/// The metrics of one round, as XGBoosterEvalOneIter prints them
/// (`[3]\tvalidation-mlogloss:0.21\tvalidation-merror:0.05`): each keyed
/// `<eval set name>-<metric>`, in XGBoost's order (sets in the order given,
/// metrics in the order of `eval_metric`; the last one is what XGBoost's own
/// early stopping watches).
class eval_result {
 public:
  eval_result() = default;

  /// Parses an evaluation line; throws `invalid_argument` quoting a line that
  /// is not one.
  static eval_result parse(std::string_view line) {
    eval_result r;
    r.text_ = std::string(line);
    auto fail = [&](std::string_view why) {
      throw invalid_argument("xgboost::eval_result: cannot parse the evaluation line " + tunekit::detail::quoted(line) +
                             ": " + std::string(why));
    };
    if (line.empty() || line.front() != '[') fail("it does not start with [round]");
    const auto close = line.find(']');
    if (close == std::string_view::npos) fail("it does not start with [round]");
    r.round_ = std::strtoll(std::string(line.substr(1, close - 1)).c_str(), nullptr, 10);
    line.remove_prefix(close + 1);
    while (!line.empty()) {
      if (line.front() == '\t' || line.front() == ' ') {
        line.remove_prefix(1);
        continue;
      }
      const auto end = line.find('\t');
      const std::string_view entry = line.substr(0, end);
      // Metric names may hold ':' themselves (none do today); the value follows the last one.
      const auto colon = entry.rfind(':');
      if (colon == std::string_view::npos || colon == 0) fail("an entry is not <set>-<metric>:<value>");
      const std::string value(entry.substr(colon + 1));
      char* parsed_end = nullptr;
      const double v = std::strtod(value.c_str(), &parsed_end);
      if (value.empty() || parsed_end != value.c_str() + value.size()) fail("a value is not a number");
      r.entries_.emplace_back(std::string(entry.substr(0, colon)), v);
      line.remove_prefix(end == std::string_view::npos ? line.size() : end);
    }
    return r;
  }

  /// The value of `key` (e.g. "validation-mlogloss"); throws
  /// `invalid_argument` listing the keys there are.
  double at(std::string_view key) const {
    for (const auto& [k, v] : entries_)
      if (k == key) return v;
    std::string known;
    for (const auto& e : entries_) known += (known.empty() ? "" : ", ") + tunekit::detail::quoted(e.first);
    throw invalid_argument("xgboost::eval_result: no metric " + tunekit::detail::quoted(key) + " in round " + std::to_string(round_) +
                           "'s evaluation; it has " + (known.empty() ? std::string("none") : known) +
                           " (keys are <eval set name>-<metric>, e.g. \"validation-mlogloss\")");
  }
  bool contains(std::string_view key) const noexcept {
    for (const auto& e : entries_)
      if (e.first == key) return true;
    return false;
  }

  /// The round the line is about (0-based, as XGBoost counts).
  std::int64_t round() const noexcept { return round_; }
  /// Every (key, value), in XGBoost's order.
  const std::vector<std::pair<std::string, double>>& entries() const noexcept { return entries_; }
  /// The line as XGBoost wrote it.
  const std::string& text() const noexcept { return text_; }

 private:
  std::int64_t round_ = 0;
  std::vector<std::pair<std::string, double>> entries_;
  std::string text_;
};

}  // namespace tunekit::xgboost
