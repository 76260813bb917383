#pragma once

#include "detail/requires_target.hpp"

/// `xgboost::error`: a failed XGBoost C API call, with XGBoost's own message.

#include <string>
#include <string_view>

#include <xgboost/c_api.h>

#include "../../core/errors.hpp"

namespace tunekit::xgboost {

/// An XGBoost C API call returned an error. `what()` is
/// `[tunekit.xgboost_error] <call>: <XGBoost's message>`; thrown from an objective,
/// it fails that trial (with this text as the reason) and the study goes on.
class error : public tunekit::error {
 public:
  error(std::string_view call, std::string message)
      : tunekit::error("xgboost_error", std::string(call) + ": " + message), message_(std::move(message)) {}

  /// XGBoost's text alone, without its time stamp and stack trace.
  const std::string& xgboost_message() const noexcept { return message_; }

 private:
  std::string message_;
};

namespace detail {

/// XGBGetLastError() (thread-local in XGBoost) cut down to what a user reads:
/// the "[hh:mm:ss] " prefix and the stack trace of libxgboost's internals go.
inline std::string last_error_message() {
  const char* raw = XGBGetLastError();
  std::string_view text = raw ? raw : "";
  if (text.size() > 11 && text[0] == '[' && text[9] == ']' && text[10] == ' ') text.remove_prefix(11);
  if (auto trace = text.find("Stack trace:"); trace != std::string_view::npos) text = text.substr(0, trace);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return text.empty() ? std::string("(XGBoost gave no message)") : std::string(text);
}

/// Turns a C API return code into an exception naming the call.
inline void check(int rc, std::string_view call) {
  if (rc != 0) throw error(call, last_error_message());
}

}  // namespace detail
}  // namespace tunekit::xgboost
