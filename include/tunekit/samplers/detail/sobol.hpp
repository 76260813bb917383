#pragma once

/// The 64-bit Sobol sequence of `boost::random::sobol` (Joe–Kuo direction
/// numbers, Antonov–Saleev Gray-code order, the first all-zero point
/// skipped), bit for bit, without `<boost/random/sobol.hpp>`: that header
/// pulls in Boost.Multiprecision (for one `lsb`/`msb`) and costs ~4 s of
/// compile time in every translation unit. Only the direction-number table
/// is taken from Boost. The subset of the engine's interface that the qmc
/// and GP samplers use: construct with a dimension, `dimension()`,
/// `seed(n)` (position at point n, 0-based), `operator()` (the next
/// coordinate, point by point).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/random/detail/sobol_table.hpp>

namespace tunekit::detail {

class sobol_engine {
 public:
  using result_type = std::uint64_t;
  static constexpr unsigned bit_count = 64;

  explicit sobol_engine(std::size_t dimension) : state_(check_dimension(dimension)) {
    using table = boost::random::detail::qrng_tables::sobol;
    // sobol_lattice::resize: direction numbers, bit k of every dimension.
    bits_.assign(bit_count * dimension, 0);
    for (unsigned k = 0; k != bit_count; ++k) bits_[dimension * k] = 1;
    for (std::size_t dim = 1; dim < dimension; ++dim) {
      const auto poly = static_cast<std::uint64_t>(table::polynomial(dim - 1));
      const unsigned degree = static_cast<unsigned>(std::bit_width(poly)) - 1;  // msb
      for (unsigned k = 0; k != degree; ++k) bits_[dimension * k + dim] = table::minit(dim - 1, k);
      for (unsigned j = degree; j < bit_count; ++j) {
        std::uint64_t p_i = poly;
        const std::size_t offset = dimension * j + dim;
        bits_[offset] = bits_[dimension * (j - degree) + dim];
        for (unsigned k = 0; k != degree; ++k, p_i >>= 1) {
          const unsigned rem = degree - k;
          bits_[offset] ^= ((p_i & 1) * bits_[dimension * (j - rem) + dim]) << rem;
        }
      }
    }
    unsigned p = 1;
    for (int j = static_cast<int>(bit_count) - 2; j >= 0; --j, ++p)
      for (std::size_t dim = 0; dim != dimension; ++dim) bits_[dimension * static_cast<std::size_t>(j) + dim] <<= p;
    // gray_coded_qrng::seed()
    update(0);
    reset(0);
  }

  std::size_t dimension() const { return state_.size(); }

  /// Positions the engine at point `init` (0 is the first point after the skipped zero).
  void seed(std::uint64_t init) {
    if (init != seq_) {
      std::uint64_t code = init + 1;
      if (code < init) throw std::range_error("gray_coded_qrng: seed");
      code ^= code >> 1;
      for (auto& x : state_) x = 0;
      for (unsigned r = 0; code != 0; ++r, code >>= 1)
        if (code & 1) update(r);
    }
    reset(init);
  }

  result_type operator()() {
    if (elem_ == state_.size()) {
      const std::uint64_t next = seq_ + 1;
      if (next < seq_) throw std::range_error("qrng_base: next_state");
      update(static_cast<unsigned>(std::countr_zero(~next)));  // lsb(next ^ max)
      reset(next);
    }
    return state_[elem_++];
  }

 private:
  static std::size_t check_dimension(std::size_t dimension) {
    if (dimension == 0) throw std::invalid_argument("qrng_base: zero dimension");
    constexpr std::size_t max = boost::random::detail::qrng_tables::sobol::max_dimension;
    if (dimension > max)
      throw std::invalid_argument("The Sobol quasi-random number generator only supports dimensions in range [1; " +
                                  std::to_string(max) + "], but dimension " + std::to_string(dimension) +
                                  " was supplied.");
    return dimension;
  }
  void update(unsigned r) {
    const std::uint64_t* row = bits_.data() + static_cast<std::size_t>(r) * state_.size();
    for (std::size_t i = 0; i < state_.size(); ++i) state_[i] ^= row[i];
  }
  void reset(std::uint64_t seq) {
    seq_ = seq;
    elem_ = 0;
  }

  std::vector<std::uint64_t> bits_;
  std::vector<std::uint64_t> state_;
  std::uint64_t seq_ = 0;
  std::size_t elem_ = 0;
};

}  // namespace tunekit::detail
