#pragma once

/// The core model: distributions, spaces, trials, study views, concepts.
#include "core/concepts.hpp"
#include "core/distribution.hpp"
#include "core/errors.hpp"
#include "core/frozen_trial.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "core/search_space.hpp"
#include "core/space.hpp"
#include "core/study_view.hpp"
#include "core/trial.hpp"
