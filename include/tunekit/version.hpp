#pragma once

/// Library version; bumped with every release (semantic versioning).
#define TUNEKIT_VERSION_MAJOR 0
#define TUNEKIT_VERSION_MINOR 1
#define TUNEKIT_VERSION_PATCH 0

namespace tunekit {
/// The version as text, e.g. for exported configurations and reports.
inline constexpr const char* version = "0.1.0";
}  // namespace tunekit
