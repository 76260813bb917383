#pragma once
// Small helpers several test files share. Test files are compiled in unity
// batches (TUNEKIT_TEST_UNITY_BATCH), so a helper two files need lives here
// once, not in each file's anonymous namespace, where the copies would collide.

#include <tunekit/core/frozen_trial.hpp>
#include <tunekit/core/search_space.hpp>
#include <tunekit/core/study_view.hpp>

#include <string>
#include <utility>
#include <vector>

namespace tunekit_test {

/// The message of the exception of type E that `f` throws, or "" if none.
template <class E, class F>
std::string thrown_message(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

/// A search space of the given (name, distribution) pairs, in order.
inline tunekit::search_space space_of(const std::vector<std::pair<std::string, tunekit::distribution>>& dims) {
  tunekit::search_space s;
  for (const auto& [name, d] : dims) s.add(name, d);
  return s;
}

/// A scheduler that stops every trial once it has reported three values.
struct after_three_reports {
  bool should_prune(const tunekit::study_view&, const tunekit::frozen_trial& t) const {
    return t.intermediate_values.size() >= 3;
  }
};

}  // namespace tunekit_test
