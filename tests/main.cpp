// Catch2's main() for tunekit's test executables.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
