#pragma once

/// Every scheduler (early stopping of trials).
#include "schedulers/nop.hpp"
