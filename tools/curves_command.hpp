// `tunekit curves <url> <study>`: how well the study's early values rank its
// final ones, rung by rung (tunekit/schedulers/curve_agreement.hpp), to choose
// an early-stopping setup (docs/schedulers.md, "Which early stopping?").
// Kept apart from tunekit.cpp, which only parses the arguments.
#pragma once

#include <tunekit/schedulers/curve_agreement.hpp>
#include <tunekit/storage.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

namespace tunekit::cli {

inline constexpr const char* curves_help =
    "usage: tunekit curves <url> <study> [--max-step N] [--min-step 1] [--reduction-factor 3]\n"
    "                      [--format table|json]\n\n"
    "How well the trials' early values rank their final ones, at each rung\n"
    "min-step * reduction-factor^k below max-step (default: the largest step a\n"
    "COMPLETE trial reported). Per rung: the trials with values there and at\n"
    "max-step; Spearman's rho over them; rho over the best third (1/reduction-\n"
    "factor) of them at the rung, the ones later cuts must tell apart; and the\n"
    "fraction of the trials best at the end that a cut at the rung keeps. Run it\n"
    "on trials that were not stopped early (stopped ones have no final value).\n";

/// Prints `curve_agreement` of `study` in the storage at `url`.
inline int run_curves_command(const std::string& url, const std::string& study, std::int64_t min_step,
                              std::optional<std::int64_t> max_step, std::int64_t reduction_factor,
                              const std::string& format) {
  tunekit::any_storage storage = tunekit::open_storage(url);
  const auto id = storage.study_by_name(study);  // names the study if it is missing
  const tunekit::study_view view = storage.view(id);
  if (!max_step) {
    for (const auto& t : view.finished())
      if (t.state == tunekit::trial_state::complete && !t.intermediate_values.empty())
        max_step = std::max(max_step.value_or(t.intermediate_values.rbegin()->first), t.intermediate_values.rbegin()->first);
    if (!max_step)
      throw tunekit::state_error("study " + tunekit::detail::quoted(study) +
                                 " has no COMPLETE trial with reports; give --max-step");
  }
  if (min_step > *max_step)
    throw tunekit::invalid_argument("--min-step " + std::to_string(min_step) + " is past the last step " +
                                    std::to_string(*max_step) + "; give a smaller --min-step or a larger --max-step");
  const auto rungs = tunekit::curve_agreement(
      view, {.min_resource = min_step, .max_resource = max_step, .reduction_factor = reduction_factor});
  auto number = [](double x, const char* missing) {
    if (std::isnan(x)) return std::string(missing);
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", x);
    return std::string(text);
  };
  if (format == "json") {
    std::cout << "{\"max_step\": " << *max_step << ", \"rungs\": [";
    for (std::size_t k = 0; k < rungs.size(); ++k) {
      const auto& r = rungs[k];
      std::cout << (k ? ", " : "") << "{\"step\": " << r.step << ", \"trials\": " << r.trials
                << ", \"rank_correlation\": " << number(r.rank_correlation, "null")
                << ", \"top_rank_correlation\": " << number(r.top_rank_correlation, "null")
                << ", \"best_kept\": " << number(r.best_kept, "null") << "}";
    }
    std::cout << "]}\n";
    return 0;
  }
  std::cout << "against step " << *max_step << " (rungs every x" << reduction_factor << " from step " << min_step << ")\n"
            << "step  trials  rho    rho among the kept  best kept\n";
  for (const auto& r : rungs) {
    char line[128];
    std::snprintf(line, sizeof line, "%-5lld %-7zu %-6s %-19s %s\n", static_cast<long long>(r.step), r.trials,
                  number(r.rank_correlation, "-").c_str(), number(r.top_rank_correlation, "-").c_str(),
                  number(r.best_kept, "-").c_str());
    std::cout << line;
  }
  return 0;
}

}  // namespace tunekit::cli
