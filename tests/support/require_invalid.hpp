#pragma once

#include <catch2/catch.hpp>

#include <tunekit/core/errors.hpp>

#include <string>
#include <utility>

namespace tunekit::testing {

/// Adapts a string matcher (Catch::Contains("'lr'"), ...) to the message of a
/// tunekit::invalid_argument, so that REQUIRE_INVALID evaluates its expression
/// once: checking the type and the message with two REQUIRE_THROWS_* macros ran
/// it twice, which hides bugs in code with side effects (storages, files).
template <typename StringMatcher>
class invalid_message_matcher final : public Catch::MatcherBase<tunekit::invalid_argument> {
 public:
  explicit invalid_message_matcher(StringMatcher matcher) : matcher_(std::move(matcher)) {}
  bool match(const tunekit::invalid_argument& error) const override { return matcher_.match(std::string(error.what())); }
  std::string describe() const override { return "has a message that " + matcher_.toString(); }

 private:
  StringMatcher matcher_;
};

}  // namespace tunekit::testing

/// Requires `expr` to throw tunekit::invalid_argument whose message matches
/// `matcher` (e.g. Catch::Contains("'lr'")): our errors must name what was wrong.
/// `expr` is evaluated exactly once.
#define REQUIRE_INVALID(expr, matcher) \
  REQUIRE_THROWS_MATCHES(expr, tunekit::invalid_argument, ::tunekit::testing::invalid_message_matcher{matcher})
