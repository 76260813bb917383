// examples/example_options.hpp — command-line handling shared by the examples.
//
// Example-local code, not part of the tunekit library. Every example accepts
//   --small          a run of a few seconds (what the CTest runs)
//   --data-dir DIR   where the data files are (default: the compile-time
//                    TUNEKIT_EXAMPLES_DATA_DIR, i.e. examples/data in the source tree)
//   --n-jobs K       trials run at once (threads in this process)
//   --help
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#ifndef TUNEKIT_EXAMPLES_DATA_DIR
#define TUNEKIT_EXAMPLES_DATA_DIR "examples/data"
#endif

namespace examples {

/// What every example reads from its command line.
struct options {
    bool small = false;
    std::filesystem::path data_dir = TUNEKIT_EXAMPLES_DATA_DIR;
    int n_jobs = 2;
};

/// Parses argv; prints usage and exits on --help or on an unknown argument.
inline options parse_options(int argc, char** argv, std::string_view description) {
    options o;
    auto usage = [&](std::ostream& os) {
        os << description << "\n\n"
           << "usage: " << (argc > 0 ? argv[0] : "example")
           << " [--small] [--data-dir DIR] [--n-jobs K]\n"
           << "  --small          few trials and epochs; finishes in seconds\n"
           << "  --data-dir DIR   data files (default " << TUNEKIT_EXAMPLES_DATA_DIR << ")\n"
           << "  --n-jobs K       trials run at once (default " << o.n_jobs << ")\n";
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) {
                std::cerr << "missing value after " << arg << "\n";
                usage(std::cerr);
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--small") {
            o.small = true;
        } else if (arg == "--data-dir") {
            o.data_dir = value();
        } else if (arg.starts_with("--data-dir=")) {
            o.data_dir = arg.substr(std::string_view("--data-dir=").size());
        } else if (arg == "--n-jobs") {
            o.n_jobs = std::atoi(std::string(value()).c_str());
        } else if (arg == "--help" || arg == "-h") {
            usage(std::cout);
            std::exit(0);
        } else {
            std::cerr << "unknown argument: " << arg << "\n";
            usage(std::cerr);
            std::exit(2);
        }
    }
    if (o.n_jobs < 1) {
        std::cerr << "--n-jobs must be at least 1\n";
        std::exit(2);
    }
    return o;
}

/// An example's own --seed N, taken out of argv; `rest` goes to parse_options.
struct seed_and_rest {
    std::uint64_t seed = 0;
    std::vector<char*> rest;
};

/// For the examples that take a seed (xgboost_digits, torch_digits): a missing
/// or non-numeric value exits with status 2, as parse_options does.
inline seed_and_rest take_seed_option(int argc, char** argv) {
    seed_and_rest out;
    for (int i = 0; i < argc; ++i) {
        if (std::string_view(argv[i]) != "--seed") {
            out.rest.push_back(argv[i]);
            continue;
        }
        char* end = nullptr;
        const char* text = i + 1 < argc ? argv[++i] : "";
        out.seed = std::strtoull(text, &end, 10);
        if (*text == '\0' || *text == '-' || *end != '\0') {
            std::cerr << "--seed needs a non-negative integer, got '" << text << "'\n";
            std::exit(2);
        }
    }
    return out;
}

}  // namespace examples
