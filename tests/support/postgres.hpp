#pragma once

// Tests that need a PostgreSQL server find it through the environment, which
// CTest sets for every test case whose name starts with "postgres" together
// with the fixture that starts the server (tests/cmake/services.cmake;
// by hand: `eval "$(.ci/postgres.sh start)"`):
//   TUNEKIT_TEST_POSTGRES_URL      owner of the test database, may CREATE DATABASE
//   TUNEKIT_TEST_POSTGRES_RO_URL   a role with login only (tests grant it SELECT)
//   TUNEKIT_TEST_POSTGRES_RESTART  a command that restarts the server
// Without a URL such a test prints TUNEKIT_TEST_SKIPPED and returns, which
// CTest reports as skipped (tests/cmake/discover_tests.cmake).

#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <string>

namespace tunekit::testing {

/// The environment variable `name`, if set and not empty.
inline std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

/// A name no other test run uses (studies in the shared test database).
inline std::string unique_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd()) + std::to_string(rd());
}

}  // namespace tunekit::testing

/// Binds `var` to the environment variable, or skips the test case.
#define TUNEKIT_REQUIRE_ENV(var, name)                                                        \
  const auto var##_opt = ::tunekit::testing::env(name);                                       \
  if (!var##_opt) {                                                                           \
    std::cout << "TUNEKIT_TEST_SKIPPED: " name " is not set (start a server with "            \
                 "`eval \"$(.ci/postgres.sh start)\"`)\n";                                    \
    WARN("SKIPPED: " name " is not set");                                                     \
    return;                                                                                   \
  }                                                                                           \
  const std::string& var = *var##_opt

/// Binds `var` to the test server's URL, or skips the test case.
#define TUNEKIT_REQUIRE_POSTGRES(var) TUNEKIT_REQUIRE_ENV(var, "TUNEKIT_TEST_POSTGRES_URL")
