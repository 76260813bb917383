#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace tunekit::detail {

/// Shortest decimal text that reads back as the same double, so error
/// messages show `1e-05` rather than `0.000010` or `1.0000000000000001e-05`.
inline std::string format_number(double x) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

/// Quotes a user-provided name for messages.
inline std::string quoted(std::string_view s) {
  // Appending, not `"'" + std::string(s) + "'"`: GCC 12 at -O3 raises a false
  // -Wrestrict on the latter (GCC bug 105329).
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

}  // namespace tunekit::detail
