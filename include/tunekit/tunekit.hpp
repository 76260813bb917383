#pragma once

/// Umbrella header: everything that needs only the core dependencies
/// (Eigen, Boost, nlohmann_json). Optional modules (SQL storages, pruning)
/// have their own headers and CMake targets.
#include "core.hpp"
#include "deploy.hpp"
#include "lr.hpp"
#include "samplers.hpp"
#include "schedulers.hpp"
#include "storage.hpp"
#include "tuner.hpp"
#include "version.hpp"
