#pragma once

/// Every sampler of the core: random, grid, quasi-random (Sobol), TPE, GP,
/// CMA-ES, NSGA-II, BOHB's model, DEHB, and the automatic choice among them.
#include "samplers/auto.hpp"
#include "samplers/bohb.hpp"
#include "samplers/cmaes.hpp"
#include "samplers/dehb.hpp"
#include "samplers/gp.hpp"
#include "samplers/grid.hpp"
#include "samplers/nsga2.hpp"
#include "samplers/qmc.hpp"
#include "samplers/random.hpp"
#include "samplers/tpe.hpp"
