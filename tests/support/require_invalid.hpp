#pragma once

#include <catch2/catch.hpp>

#include <tunekit/core/errors.hpp>

/// Requires `expr` to throw tunekit::invalid_argument whose message matches
/// `matcher` (e.g. Catch::Contains("'lr'")): our errors must name what was wrong.
#define REQUIRE_INVALID(expr, matcher)                  \
  do {                                                  \
    REQUIRE_THROWS_AS(expr, tunekit::invalid_argument); \
    REQUIRE_THROWS_WITH(expr, matcher);                 \
  } while (false)
