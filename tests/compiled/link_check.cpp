// Linked by tests/compiled/link_check.cmake against tunekit::compiled in
// three ways: as built (must link), without the library, and compiled with
// _GLIBCXX_DEBUG, which changes the standard containers' layout (both must
// fail, naming the target and the option). Issue 15's "mismatched options".
#include <tunekit/tuner.hpp>

int main() {
  tunekit::tuner tuner;
  tuner.optimize([](tunekit::trial& t) { return t.suggest_float("x", 0.0, 1.0); }, {.n_trials = 3});
  return tuner.trials().size() == 3 ? 0 : 1;
}
