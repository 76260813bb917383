// examples/digits_space.hpp — the hyperparameters of the digits network and
// their search space, shared by the program that tunes them (quickstart.cpp)
// and the one that serves the tuned network (serve_digits.cpp, which reads
// them back from the exported best configuration with the same space).
#pragma once

#include <tunekit/core/space.hpp>

#include "digits.hpp"

#include <cstdio>
#include <string>

namespace digits {

/// What we tune: a plain struct, each member bound to a distribution below.
struct hyperparameters {
    double learning_rate = 1e-3;
    int hidden = 64;
    std::string activation = "relu";
    std::string optimizer = "adam";
    double l2 = 1e-4;
    int batch_size = 32;
    int epochs = 20;
};

/// The search space; `small` (the quickstart's --small run) trains 2..8 epochs, else 10..40.
inline tunekit::space<hyperparameters> hyperparameter_space(bool small) {
    return tunekit::space<hyperparameters>{
        tunekit::float_param("learning_rate", &hyperparameters::learning_rate, 1e-4, 0.3, {.log = true}),
        tunekit::int_param("hidden", &hyperparameters::hidden, 16, 128),
        tunekit::categorical_param("activation", &hyperparameters::activation, {"relu", "tanh"}),
        tunekit::categorical_param("optimizer", &hyperparameters::optimizer, {"adam", "sgd"}),
        tunekit::float_param("l2", &hyperparameters::l2, 1e-6, 1e-2, {.log = true}),
        tunekit::int_param("batch_size", &hyperparameters::batch_size, 16, 256, {.log = true}),
        tunekit::int_param("epochs", &hyperparameters::epochs, small ? 2 : 10, small ? 8 : 40),
    };
}

/// The training settings of a configuration; seed 0: the same initial weights for every trial.
inline mlp_config to_mlp_config(const hyperparameters& h) {
    return {.hidden = h.hidden,
            .activation = h.activation,
            .optimizer = h.optimizer,
            .learning_rate = h.learning_rate,
            .l2 = h.l2,
            .batch_size = h.batch_size,
            .epochs = h.epochs,
            .seed = 0};
}

inline std::string describe(const hyperparameters& h) {
    char text[200];
    std::snprintf(text, sizeof text, "lr=%.2e hidden=%3d %s %s l2=%.1e batch=%3d epochs=%2d",
                  h.learning_rate, h.hidden, h.activation.c_str(), h.optimizer.c_str(), h.l2,
                  h.batch_size, h.epochs);
    return text;
}

}  // namespace digits
