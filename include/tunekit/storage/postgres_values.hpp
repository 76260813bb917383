#pragma once

// Values between the SQL storages' shared layer and libpq (internal to
// postgres_connection.hpp, namespace detail::pg): `?` placeholders to `$n`,
// values bound as text with their types, result rows converted by column
// type, and a statement waiting in a pipeline. Needs libpq's header
// (tunekit::postgres).

#include <libpq-fe.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "../core/errors.hpp"
#include "detail/sql.hpp"

namespace tunekit::detail::pg {

// Type OIDs of the built-in types we convert (pg_type.h; stable since 7.x).
inline constexpr Oid bool_oid = 16, int8_oid = 20, int2_oid = 21, int4_oid = 23, oid_oid = 26,
                     float4_oid = 700, float8_oid = 701, numeric_oid = 1700;

// `?` -> `$n` outside quoted text.
inline std::string translate(std::string_view sql, std::size_t& n_params) {
  std::string out;
  out.reserve(sql.size() + 16);
  char quote = 0;
  n_params = 0;
  for (char c : sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;
      out.push_back(c);
    } else if (c == '\'' || c == '"') {
      quote = c;
      out.push_back(c);
    } else if (c == '?') {
      out.push_back('$');
      out.append(std::to_string(++n_params));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

inline std::string text_of(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact
  return std::string(buf, r.ptr);
}

// Statement kinds worth preparing; DDL and the like go through the simple
// protocol (which also allows several statements in one text).
inline bool preparable(std::string_view sql) {
  const auto start = sql.find_first_not_of(" \t\r\n(");
  if (start == std::string_view::npos) return false;
  std::string word;
  for (std::size_t i = start; i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])); ++i) {
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i]))));
  }
  return word == "SELECT" || word == "INSERT" || word == "UPDATE" || word == "DELETE" || word == "WITH";
}

inline double parse_double(std::string_view s) {
  if (s == "Infinity") return HUGE_VAL;
  if (s == "-Infinity") return -HUGE_VAL;
  if (s == "NaN") return std::nan("");
  double x = 0;
  std::from_chars(s.data(), s.data() + s.size(), x);
  return x;
}

inline std::vector<sql_row> rows_of(const PGresult* res) {
  const int rows = PQntuples(res);
  const int cols = PQnfields(res);
  std::vector<sql_row> out;
  out.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    sql_row row;
    row.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(res, r, c)) {
        row.emplace_back(std::monostate{});
        continue;
      }
      const char* v = PQgetvalue(res, r, c);
      const auto len = static_cast<std::size_t>(PQgetlength(res, r, c));
      switch (PQftype(res, c)) {
        case bool_oid:
          row.emplace_back(std::int64_t{*v == 't' ? 1 : 0});
          break;
        case int2_oid:
        case int4_oid:
        case int8_oid:
        case oid_oid: {
          std::int64_t x = 0;
          std::from_chars(v, v + len, x);
          row.emplace_back(x);
          break;
        }
        case float4_oid:
        case float8_oid:
        case numeric_oid:
          row.emplace_back(parse_double(std::string_view(v, len)));
          break;
        default:
          row.emplace_back(std::string(v, len));
      }
    }
    out.push_back(std::move(row));
  }
  return out;
}

// What a statement waiting in the pipeline is for.
enum class role { begin, txid, statement, commit };

// A statement with its values as the text libpq sends (bound, never
// spliced), owned until the pipeline is sent.
struct queued {
  std::string text;  // `$n` placeholders
  std::vector<std::string> texts;
  std::vector<char> null;
  std::vector<Oid> types;
  std::string signature;  // value kinds: the prepared-statement cache key
  role what = role::statement;
  std::function<void(std::vector<sql_row>)> on_rows;  // rows wanted (defer with a callback)
};

inline queued bind(std::string_view sql, std::span<const sql_value> params, role what, const std::string& where) {
  queued out;
  out.what = what;
  std::size_t n = 0;
  out.text = what == role::statement ? translate(sql, n) : std::string(sql);
  if (n != params.size()) {
    throw storage_error(where + ": statement has " + std::to_string(n) + " placeholders but " +
                        std::to_string(params.size()) + " values were bound");
  }
  out.texts.resize(params.size());
  out.null.assign(params.size(), 0);
  out.types.assign(params.size(), 0);
  // Text format for every value. Integers and reals are typed (int8,
  // float8); text and NULL are "unknown", so the server takes the
  // column's type (Optuna's enum columns accept them that way).
  for (std::size_t i = 0; i < params.size(); ++i) {
    const sql_value& v = params[i];
    if (const auto* x = std::get_if<std::int64_t>(&v)) {
      out.texts[i] = std::to_string(*x);
      out.types[i] = int8_oid;
      out.signature.push_back('i');
    } else if (const auto* d = std::get_if<double>(&v)) {
      out.texts[i] = text_of(*d);
      out.types[i] = float8_oid;
      out.signature.push_back('d');
    } else if (const auto* t = std::get_if<std::string>(&v)) {
      if (t->find('\0') != std::string::npos) {
        throw invalid_argument("text bound to a PostgreSQL statement contains a NUL character, which PostgreSQL "
                               "text cannot hold");
      }
      out.texts[i] = *t;
      out.signature.push_back('s');
    } else {
      out.null[i] = 1;
      out.signature.push_back('n');
    }
  }
  return out;
}

}  // namespace tunekit::detail::pg
