#pragma once

#include "detail/requires_target.hpp"

/// `xgboost::dmatrix`: a dense feature matrix with its labels, owning an
/// XGBoost DMatrix handle.

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <utility>

#include <xgboost/c_api.h>

#include "../../core/errors.hpp"
#include "error.hpp"

namespace tunekit::xgboost {

/// Options of `dmatrix`.
struct dmatrix_options {
  /// The value that marks an absent entry (XGBoost learns where to send those).
  float missing = std::numeric_limits<float>::quiet_NaN();
};

/// Training or evaluation data: `rows` x `cols` floats, row-major, copied into
/// XGBoost. Move-only; the handle is freed with the object.
class dmatrix {
 public:
  dmatrix(std::span<const float> values, std::size_t rows, std::size_t cols, const dmatrix_options& options = {}) {
    // XGBoost reads rows * cols floats whatever the buffer holds, and only
    // warns about empty data (then trains on nothing): both are checked here.
    if (rows == 0 || cols == 0)
      throw invalid_argument("xgboost::dmatrix: " + std::to_string(rows) + " rows x " + std::to_string(cols) +
                             " columns is empty; XGBoost needs at least one row and one column");
    if (values.size() / cols < rows || values.size() != rows * cols)
      throw invalid_argument("xgboost::dmatrix: " + std::to_string(values.size()) + " values for " +
                             std::to_string(rows) + " rows x " + std::to_string(cols) + " columns; pass rows * cols = " +
                             std::to_string(rows * cols) + " floats, row-major");
    detail::check(XGDMatrixCreateFromMat(values.data(), static_cast<bst_ulong>(rows), static_cast<bst_ulong>(cols),
                                         options.missing, &handle_),
                  "XGDMatrixCreateFromMat");
    rows_ = rows;
    cols_ = cols;
  }

  dmatrix(dmatrix&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)), rows_(other.rows_), cols_(other.cols_) {}
  dmatrix& operator=(dmatrix&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
      rows_ = other.rows_;
      cols_ = other.cols_;
    }
    return *this;
  }
  dmatrix(const dmatrix&) = delete;
  dmatrix& operator=(const dmatrix&) = delete;
  ~dmatrix() { reset(); }

  /// One label per row (several per row for multi-output objectives).
  /// XGBoost rejects NaN or infinite labels and a count that is not a
  /// multiple of the rows, with its own message.
  void set_labels(std::span<const float> labels) { set_float_info("label", labels); }
  /// One weight per row.
  void set_weights(std::span<const float> weights) { set_float_info("weight", weights); }

  std::size_t rows() const noexcept { return rows_; }
  std::size_t cols() const noexcept { return cols_; }
  /// The C API handle, for calls this wrapper does not cover. Still owned here.
  DMatrixHandle handle() const noexcept { return handle_; }

 private:
  void set_float_info(const char* field, std::span<const float> values) {
    detail::check(XGDMatrixSetFloatInfo(handle_, field, values.data(), static_cast<bst_ulong>(values.size())),
                  std::string("XGDMatrixSetFloatInfo(\"") + field + "\")");
  }
  void reset() noexcept {
    if (handle_) XGDMatrixFree(handle_);  // cannot fail for a live handle; nothing to report from a destructor
    handle_ = nullptr;
  }

  DMatrixHandle handle_ = nullptr;
  std::size_t rows_ = 0, cols_ = 0;
};

}  // namespace tunekit::xgboost
