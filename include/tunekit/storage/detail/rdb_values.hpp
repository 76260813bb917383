#pragma once

// Values of the SQL storages (rdb_storage.hpp) as Optuna 3.1's RDB schema
// stores them: trial state names, naive timestamps, typed reads of a
// `sql_value`, the NULL-plus-tag encoding of infinite values, and the checks
// on names. Core: no database client is included here.

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../detail/journal_format.hpp"
#include "../../detail/json_line.hpp"
#include "sql.hpp"

namespace tunekit::detail {

namespace rdb {

// Optuna's state names are ours (core/frozen_trial.hpp's to_string).
inline std::string_view state_name(trial_state s) { return to_string(s); }

inline std::optional<trial_state> state_from_name(std::string_view s) {
  if (s == "RUNNING") return trial_state::running;
  if (s == "WAITING") return trial_state::waiting;
  if (s == "COMPLETE") return trial_state::complete;
  if (s == "PRUNED") return trial_state::pruned;
  if (s == "FAIL") return trial_state::fail;
  return std::nullopt;
}

/// A state as an SQL literal: states come from a fixed set, never from
/// users, and a literal needs no cast to PostgreSQL's enum type.
inline std::string state_literal(trial_state s) {
  // Appended piecewise: GCC 12 sees a false -Wstringop-overflow in `"'" + std::string(...) + "'"` once inlined.
  std::string out(1, '\'');
  out.append(state_name(s));
  out.push_back('\'');
  return out;
}

/// Optuna's naive local timestamps, "YYYY-MM-DD HH:MM:SS.ffffff".
inline std::string format_time(frozen_trial::clock::time_point t) {
  std::string s = journal::format_time(t);
  if (auto p = s.find('T'); p != std::string::npos) s[p] = ' ';
  return s;
}

inline std::optional<frozen_trial::clock::time_point> parse_time(const sql_value& v) {
  const auto* s = std::get_if<std::string>(&v);
  if (!s) return std::nullopt;
  std::string text = *s;
  if (auto p = text.find(' '); p != std::string::npos) text[p] = 'T';
  return journal::parse_time(text);
}

inline bool is_null(const sql_value& v) { return std::holds_alternative<std::monostate>(v); }

inline std::int64_t as_int(const sql_value& v) {
  if (auto i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (auto s = std::get_if<std::string>(&v)) {
    try {
      return std::stoll(*s);
    } catch (const std::exception&) {
    }
  }
  throw storage_error("the database returned a non-integer where an integer was expected");
}

inline double as_double(const sql_value& v) {
  if (auto d = std::get_if<double>(&v)) return *d;
  if (auto i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (auto s = std::get_if<std::string>(&v)) {
    try {
      return std::stod(*s);
    } catch (const std::exception&) {
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

inline const std::string& as_text(const sql_value& v) {
  static const std::string empty;
  if (auto s = std::get_if<std::string>(&v)) return *s;
  return empty;
}

/// Optuna's TrialValueModel / TrialIntermediateValueModel encoding: infinite
/// values (and NaN for intermediate values) are NULL plus a type tag.
inline std::pair<sql_value, std::string_view> encode_value(double v) {
  if (std::isnan(v)) return {std::monostate{}, "NAN"};
  if (std::isinf(v)) return {std::monostate{}, v > 0 ? "INF_POS" : "INF_NEG"};
  return {v, "FINITE"};
}

inline double decode_value(const sql_value& v, std::string_view type) {
  if (type == "INF_POS") return std::numeric_limits<double>::infinity();
  if (type == "INF_NEG") return -std::numeric_limits<double>::infinity();
  if (type == "NAN") return std::numeric_limits<double>::quiet_NaN();
  return as_double(v);
}

/// Names, keys and study names: UTF-8 without NUL (PostgreSQL cannot store
/// NUL), at most 512 characters (Optuna's VARCHAR(512)).
inline void check_text(std::string_view what, std::string_view s) {
  if (s.find('\0') != std::string_view::npos)
    throw invalid_argument(std::string(what) + " contains a NUL character, which SQL databases cannot store");
  if (!valid_utf8(s)) throw invalid_argument(std::string(what) + " is not valid UTF-8; names and attributes must be UTF-8");
  std::size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  if (chars > 512)
    throw invalid_argument(std::string(what) + " has " + std::to_string(chars) +
                           " characters; Optuna's schema allows at most 512");
}

}  // namespace rdb

}  // namespace tunekit::detail
