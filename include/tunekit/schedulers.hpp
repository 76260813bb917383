#pragma once

/// Every scheduler (early stopping of trials).
#include "schedulers/bohb.hpp"
#include "schedulers/hyperband.hpp"
#include "schedulers/median.hpp"
#include "schedulers/nop.hpp"
#include "schedulers/pareto.hpp"
#include "schedulers/patient.hpp"
#include "schedulers/pbt.hpp"
#include "schedulers/percentile.hpp"
#include "schedulers/successive_halving.hpp"
#include "schedulers/threshold.hpp"
