#pragma once

/// The storages that need nothing beyond the core dependencies.
#include "storage/memory.hpp"
