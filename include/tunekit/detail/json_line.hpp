#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

#include "../core/errors.hpp"

/// JSON text as Python's `json` module reads and writes it: the journal is
/// shared with Optuna, whose records may hold `NaN`, `Infinity` and
/// `-Infinity` (e.g. an intermediate value), which strict JSON parsers
/// (nlohmann's included) refuse. This parser is also the journal's fuzzing
/// surface, so it bounds its nesting depth and never trusts a length.
namespace tunekit::detail {

/// A line that is not JSON; `offset` is the byte where reading stopped.
class json_syntax_error : public std::runtime_error {
 public:
  json_syntax_error(std::size_t offset, const std::string& what)
      : std::runtime_error(what + " at byte " + std::to_string(offset)), offset_(offset) {}
  std::size_t offset() const noexcept { return offset_; }

 private:
  std::size_t offset_;
};

// The functions and classes below are `template <class = void>` only so that a
// translation unit compiles just those it calls (compile cost: see
// benchmarks/RESULTS.md, "Compile cost"); callers use them as plain functions.
/// Length of the UTF-8 sequence starting at s[i], or 0 if it is not valid
/// UTF-8 (overlong forms, surrogates and code points above U+10FFFF included).
template <class = void>
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1Fu;
  else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0Fu;
  else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07u;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3Fu);
  }
  static constexpr std::uint32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_length[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

template <class = void>
bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

template <class = void>
class json_line_parser {
 public:
  static constexpr int max_depth = 64;

  explicit json_line_parser(std::string_view text) : s_(text) {}

  nlohmann::json parse() {
    skip_space();
    nlohmann::json out = value(0);
    skip_space();
    if (i_ != s_.size()) fail("unexpected text after the JSON value");
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw json_syntax_error(i_, what); }

  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) ++i_;
  }

  bool take(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  nlohmann::json value(int depth) {
    if (depth > max_depth) fail("JSON nested deeper than " + std::to_string(max_depth) + " levels");
    if (i_ >= s_.size()) fail("unexpected end of line");
    switch (s_[i_]) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string();
      case 't': if (take("true")) return true; break;
      case 'f': if (take("false")) return false; break;
      case 'n': if (take("null")) return nullptr; break;
      case 'N': if (take("NaN")) return std::numeric_limits<double>::quiet_NaN(); break;
      case 'I': if (take("Infinity")) return std::numeric_limits<double>::infinity(); break;
      case '-':
        if (take("-Infinity")) return -std::numeric_limits<double>::infinity();
        return number();
      default:
        if (s_[i_] >= '0' && s_[i_] <= '9') return number();
    }
    fail("unexpected character");
  }

  nlohmann::json object(int depth) {
    ++i_;  // {
    nlohmann::json out = nlohmann::json::object();
    skip_space();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return out;
    }
    while (true) {
      skip_space();
      if (i_ >= s_.size() || s_[i_] != '"') fail("expected a string key");
      std::string key = string_text();
      skip_space();
      if (i_ >= s_.size() || s_[i_] != ':') fail("expected ':'");
      ++i_;
      skip_space();
      out[std::move(key)] = value(depth + 1);  // a repeated key keeps the last value, as Python does
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
      if (i_ < s_.size() && s_[i_] == '}') { ++i_; return out; }
      fail("expected ',' or '}'");
    }
  }

  nlohmann::json array(int depth) {
    ++i_;  // [
    nlohmann::json out = nlohmann::json::array();
    skip_space();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return out;
    }
    while (true) {
      skip_space();
      out.push_back(value(depth + 1));
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
      if (i_ < s_.size() && s_[i_] == ']') { ++i_; return out; }
      fail("expected ',' or ']'");
    }
  }

  nlohmann::json string() { return string_text(); }

  std::uint32_t hex4() {
    if (i_ + 4 > s_.size()) fail("truncated \\u escape");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else fail("bad hex digit in \\u escape");
    }
    return v;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string_text() {
    ++i_;  // opening quote
    std::string out;
    while (true) {
      if (i_ >= s_.size()) fail("unterminated string");
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail("control character inside a string");
      if (c != '\\') {
        const std::size_t n = utf8_sequence_length(s_, i_);
        if (n == 0) fail("invalid UTF-8 inside a string");
        out.append(s_.substr(i_, n));
        i_ += n;
        continue;
      }
      ++i_;
      if (i_ >= s_.size()) fail("unterminated escape");
      switch (s_[i_++]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone low surrogate in \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!take("\\u")) fail("high surrogate without its low half");
            const std::uint32_t low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("high surrogate without its low half");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: --i_; fail("unknown escape");
      }
    }
  }

  nlohmann::json number() {
    const std::size_t start = i_;
    auto digits = [&] {
      const std::size_t from = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ - from;
    };
    if (s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') ++i_;
    else if (digits() == 0) fail("expected a digit");
    bool integral = true;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      integral = false;
      if (digits() == 0) fail("expected a digit after '.'");
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      integral = false;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (digits() == 0) fail("expected a digit in the exponent");
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + i_;
    if (integral) {
      std::int64_t v = 0;
      if (auto r = std::from_chars(first, last, v); r.ec == std::errc{} && r.ptr == last) return v;
      std::uint64_t u = 0;
      if (auto r = std::from_chars(first, last, u); r.ec == std::errc{} && r.ptr == last) return u;
    }
    double d = 0;
    const auto r = std::from_chars(first, last, d);
    if (r.ec == std::errc::result_out_of_range) {
      // Python reads 1e999 as inf and 1e-999 as 0.0; do the same.
      const bool negative = s_[start] == '-';
      const auto e = s_.substr(start, i_ - start).find_first_of("eE");
      const bool tiny = e != std::string_view::npos && s_.substr(start + e + 1, 1) == "-";
      d = tiny ? (negative ? -0.0 : 0.0) : (negative ? -1.0 : 1.0) * std::numeric_limits<double>::infinity();
    } else if (r.ec != std::errc{} || r.ptr != last) {
      fail("bad number");
    }
    return d;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

/// Parses one JSON value (Python's dialect); throws `json_syntax_error`.
template <class = void>
nlohmann::json parse_json_line(std::string_view text) { return json_line_parser<>(text).parse(); }

/// Appends `d` as Python's `json.dumps` would: shortest round-trip digits,
/// always with a '.' or exponent so it reads back as a float, and
/// `NaN`/`Infinity`/`-Infinity` for the non-finite values.
template <class = void>
void write_json_double(std::string& out, double d) {
  if (std::isnan(d)) { out += "NaN"; return; }
  if (std::isinf(d)) { out += d > 0 ? "Infinity" : "-Infinity"; return; }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  out += text;
  if (text.find_first_of(".en") == std::string_view::npos) out += ".0";
}

template <class = void>
void write_json_string(std::string& out, std::string_view s) {
  if (!valid_utf8(s))
    throw invalid_argument("text " + nlohmann::json(std::string(s)).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) +
                           " is not valid UTF-8; names and attributes must be UTF-8");
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\u00";
          out += hex[(c >> 4) & 0xF];
          out += hex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

/// Appends `j` as one line of JSON that Python's `json.loads` reads back to
/// the same value (UTF-8 kept as is; invalid UTF-8 is `invalid_argument`).
template <class = void>
void write_json(std::string& out, const nlohmann::json& j) {
  using t = nlohmann::json::value_t;
  switch (j.type()) {
    case t::null: out += "null"; break;
    case t::boolean: out += j.get<bool>() ? "true" : "false"; break;
    case t::number_integer: out += std::to_string(j.get<std::int64_t>()); break;
    case t::number_unsigned: out += std::to_string(j.get<std::uint64_t>()); break;
    case t::number_float: write_json_double(out, j.get<double>()); break;
    case t::string: write_json_string(out, j.get_ref<const std::string&>()); break;
    case t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : j) {
        if (!first) out += ", ";
        first = false;
        write_json(out, e);
      }
      out += ']';
      break;
    }
    case t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : j.items()) {
        if (!first) out += ", ";
        first = false;
        write_json_string(out, k);
        out += ": ";
        write_json(out, v);
      }
      out += '}';
      break;
    }
    default: throw invalid_argument("a value of JSON type " + std::string(j.type_name()) + " cannot be stored");
  }
}

template <class = void>
std::string to_json_text(const nlohmann::json& j) {
  std::string out;
  write_json(out, j);
  return out;
}

}  // namespace tunekit::detail
