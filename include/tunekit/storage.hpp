#pragma once

/// The storages that need nothing beyond the core dependencies.
#include "storage/any_storage.hpp"
#include "storage/copy.hpp"
#include "storage/journal.hpp"
#include "storage/memory.hpp"
#include "storage/url.hpp"
