#pragma once

#include "detail/requires_target.hpp"

/// Unstructured pruning made physical: a compressed sparse row (CSR) matrix
/// holding only the surviving weights, with a matrix-vector product. At high
/// sparsity it is smaller than the dense matrix and faster to multiply.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "../core/errors.hpp"
#include "mask.hpp"

namespace tunekit {

/// A CSR matrix: row r's non-zeros are values[row_start[r] .. row_start[r+1])
/// at columns column[...].
struct csr_matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<std::size_t> row_start;  ///< rows + 1 entries
  std::vector<std::uint32_t> column;
  std::vector<float> values;

  [[nodiscard]] std::size_t nonzeros() const noexcept { return values.size(); }
  /// Bytes of the three arrays (what the weights now occupy).
  [[nodiscard]] std::size_t bytes() const noexcept {
    return row_start.size() * sizeof(std::size_t) + column.size() * sizeof(std::uint32_t) +
           values.size() * sizeof(float);
  }

  /// y = A x. Sizes: x.size() == cols, y.size() == rows.
  void multiply(std::span<const float> x, std::span<float> y) const {
    if (x.size() != cols || y.size() != rows)
      throw invalid_argument("csr_matrix::multiply: 'x' must have " + std::to_string(cols) + " entries and 'y' " +
                             std::to_string(rows) + ", got " + std::to_string(x.size()) + " and " +
                             std::to_string(y.size()));
    const float* v = values.data();
    const std::uint32_t* c = column.data();
    for (std::size_t r = 0; r < rows; ++r) {
      float sum = 0.0f;
      for (std::size_t j = row_start[r]; j < row_start[r + 1]; ++j) sum += v[j] * x[c[j]];
      y[r] = sum;
    }
  }
};

/// The CSR form of a 2-D [rows, cols] tensor, keeping the entries `mask`
/// keeps (pass the mask: a kept weight that happens to be 0 stays stored).
template <class E>
csr_matrix to_csr(const E& weights, const pruning_mask& mask) {
  const tensor_shape s = detail::shape_of(weights);
  if (s.size() != 2)
    throw invalid_argument("'weights' must be a 2-D [rows, cols] tensor, got shape " + detail::shape_string(s));
  if (detail::shape_of(mask) != s)
    throw invalid_argument("'mask' has shape " + detail::shape_string(detail::shape_of(mask)) +
                           " but the weights have shape " + detail::shape_string(s));
  if (s[1] > std::numeric_limits<std::uint32_t>::max())
    throw invalid_argument("'weights' has more than 2^32 - 1 columns");
  csr_matrix a;
  a.rows = s[0];
  a.cols = s[1];
  a.row_start.reserve(a.rows + 1);
  a.row_start.push_back(0);
  auto w = weights.begin();
  auto m = mask.begin();
  for (std::size_t r = 0; r < a.rows; ++r) {
    for (std::size_t c = 0; c < a.cols; ++c, ++w, ++m)
      if (*m) {
        a.column.push_back(static_cast<std::uint32_t>(c));
        a.values.push_back(static_cast<float>(*w));
      }
    a.row_start.push_back(a.values.size());
  }
  return a;
}

}  // namespace tunekit
