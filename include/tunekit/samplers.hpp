#pragma once

/// Every sampler of the core: random, grid, quasi-random (Sobol), TPE, GP.
#include "samplers/gp.hpp"
#include "samplers/grid.hpp"
#include "samplers/qmc.hpp"
#include "samplers/random.hpp"
#include "samplers/tpe.hpp"
