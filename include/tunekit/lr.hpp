#pragma once

/// Learning-rate schedules with PyTorch 1.13's `torch.optim.lr_scheduler`
/// semantics, and a tunable search-space fragment over them.
#include "lr/any.hpp"
#include "lr/chained.hpp"
#include "lr/concepts.hpp"
#include "lr/constant.hpp"
#include "lr/cosine_annealing.hpp"
#include "lr/cosine_annealing_warm_restarts.hpp"
#include "lr/cyclic.hpp"
#include "lr/exponential.hpp"
#include "lr/group.hpp"
#include "lr/lambda.hpp"
#include "lr/linear.hpp"
#include "lr/multi_step.hpp"
#include "lr/one_cycle.hpp"
#include "lr/polynomial.hpp"
#include "lr/reduce_on_plateau.hpp"
#include "lr/scheduled.hpp"
#include "lr/sequential.hpp"
#include "lr/step.hpp"
#include "lr/tunable.hpp"
