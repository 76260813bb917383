#pragma once

#include <chrono>
#include <cmath>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../core/distribution.hpp"
#include "../core/errors.hpp"
#include "../core/frozen_trial.hpp"
#include "json_line.hpp"

/// The vocabulary of Optuna 3.1's journal (optuna/storages/_journal/storage.py):
/// op codes, enum values, distribution JSON and timestamps. Learnt from the
/// format, written here for tunekit's types.
namespace tunekit::detail::journal {

/// JournalOperation in Optuna 3.1.
enum class op : int {
  create_study = 0,
  delete_study = 1,
  set_study_user_attr = 2,
  set_study_system_attr = 3,
  create_trial = 4,
  set_trial_param = 5,
  set_trial_state_values = 6,
  set_trial_intermediate_value = 7,
  set_trial_user_attr = 8,
  set_trial_system_attr = 9,
};
inline constexpr int max_op = 9;

/// Version of tunekit's additions (extra fields Optuna ignores). A record
/// carrying a larger `tunekit_format` was written by a newer tunekit.
inline constexpr int format_version = 1;
inline constexpr std::string_view format_key = "tunekit_format";

/// System attributes tunekit adds to trials and studies.
inline constexpr std::string_view heartbeat_key = "tunekit:heartbeat";
inline constexpr std::string_view resources_key = "tunekit:resources";
inline constexpr std::string_view fail_reason_key = "fail_reason";
inline constexpr std::string_view claim_prefix = "tunekit:claim:";

// The functions and classes below are `template <class = void>` only so that a
// translation unit compiles just those it calls (compile cost: see
// benchmarks/RESULTS.md, "Compile cost"); callers use them as plain functions.
/// Optuna's TrialState values.
template <class = void>
int state_code(trial_state s) {
  switch (s) {
    case trial_state::running: return 0;
    case trial_state::complete: return 1;
    case trial_state::pruned: return 2;
    case trial_state::fail: return 3;
    case trial_state::waiting: return 4;
  }
  return 3;
}
template <class = void>
std::optional<trial_state> state_from_code(std::int64_t c) {
  switch (c) {
    case 0: return trial_state::running;
    case 1: return trial_state::complete;
    case 2: return trial_state::pruned;
    case 3: return trial_state::fail;
    case 4: return trial_state::waiting;
    default: return std::nullopt;
  }
}

/// Optuna's StudyDirection: 1 minimize, 2 maximize (0 NOT_SET is refused).
template <class = void>
int direction_code(direction d) { return d == direction::minimize ? 1 : 2; }

/// Local wall time with microseconds and no zone, as Python's
/// `datetime.now().isoformat(timespec="microseconds")` writes it.
template <class = void>
std::string format_time(frozen_trial::clock::time_point t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  long micro = static_cast<long>(us % 1000000);
  if (micro < 0) micro += 1000000, --secs;
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, micro);
  return buf;
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// days_from_civil), so reading a time needs no mktime (which re-reads the
/// time zone file on every call).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// The local zone's offset from UTC at about `t` (seconds), cached per hour.
template <class = void>
long local_utc_offset(std::int64_t t) {
  thread_local std::int64_t cached_hour = INT64_MIN;
  thread_local long cached_offset = 0;
  if (t / 3600 != cached_hour) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    localtime_r(&tt, &tm);
    cached_offset = tm.tm_gmtoff;
    cached_hour = t / 3600;
  }
  return cached_offset;
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.ffffff][+HH:MM|Z]` (local time when no zone).
template <class = void>
std::optional<frozen_trial::clock::time_point> parse_time(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&](std::size_t n, int& out) {
    if (i + n > s.size()) return false;
    out = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const char c = s[i + k];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    i += n;
    return true;
  };
  auto sep = [&](char a, char b = '\0') {
    if (i < s.size() && (s[i] == a || (b && s[i] == b))) return ++i, true;
    return false;
  };
  int y, mo, d, h, mi, sec;
  if (!(digits(4, y) && sep('-') && digits(2, mo) && sep('-') && digits(2, d) && sep('T', ' ') && digits(2, h) &&
        sep(':') && digits(2, mi) && sep(':') && digits(2, sec)))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: years 1678 to 2261 only.
  if (y < 1679 || y > 2261) return std::nullopt;
  long micro = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 6) micro = micro * 10 + (s[i] - '0'), ++n;
      ++i;
    }
    for (; n < 6; ++n) micro *= 10;
  }
  const std::int64_t as_utc = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                              h * 3600 + mi * 60 + sec;
  std::int64_t secs;
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == 'Z')) {
    long offset = 0;
    if (s[i] != 'Z') {
      const long sign = s[i] == '-' ? -1 : 1;
      ++i;
      int oh = 0, om = 0;
      if (!digits(2, oh)) return std::nullopt;
      if (sep(':')) digits(2, om);
      offset = sign * (oh * 3600L + om * 60L);
    }
    secs = as_utc - offset;
  } else {
    // A naive time is local: subtract the zone's offset at that moment (its
    // offset an hour either side decides only within a DST switch).
    secs = as_utc - local_utc_offset(as_utc - local_utc_offset(as_utc));
  }
  return frozen_trial::clock::time_point(std::chrono::duration_cast<frozen_trial::clock::duration>(
      std::chrono::seconds(secs) + std::chrono::microseconds(micro)));
}

template <class = void>
nlohmann::json category_json(const category& c) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, c);
}

/// Optuna's `distribution_to_json`: a JSON *text* with the class name and
/// its attributes.
template <class = void>
std::string distribution_to_json(const distribution& d) {
  std::string out = "{\"name\": ";
  if (auto f = std::get_if<float_distribution>(&d)) {
    out += "\"FloatDistribution\", \"attributes\": {\"step\": ";
    if (f->step()) write_json_double(out, *f->step());
    else out += "null";
    out += ", \"low\": ";
    write_json_double(out, f->low());
    out += ", \"high\": ";
    write_json_double(out, f->high());
    out += f->log() ? ", \"log\": true}}" : ", \"log\": false}}";
  } else if (auto i = std::get_if<int_distribution>(&d)) {
    out += "\"IntDistribution\", \"attributes\": {\"log\": ";
    out += i->log() ? "true" : "false";
    out += ", \"step\": " + std::to_string(i->step()) + ", \"low\": " + std::to_string(i->low()) +
           ", \"high\": " + std::to_string(i->high()) + "}}";
  } else {
    out += "\"CategoricalDistribution\", \"attributes\": {\"choices\": [";
    const auto& choices = std::get<categorical_distribution>(d).choices();
    for (std::size_t k = 0; k < choices.size(); ++k) {
      if (k) out += ", ";
      write_json(out, category_json(choices[k]));
    }
    out += "]}}";
  }
  return out;
}

/// Reads Optuna's distribution JSON (current classes, the deprecated ones
/// of Optuna 2, and the abbreviated `{"type": ...}` form). Throws
/// `invalid_argument` with what is wrong.
template <class = void>
distribution distribution_from_json(std::string_view text, std::string_view param) {
  nlohmann::json j;
  try {
    j = parse_json_line(text);
  } catch (const json_syntax_error& e) {
    throw invalid_argument("distribution of parameter " + detail::quoted(param) + " is not JSON: " + e.what());
  }
  if (!j.is_object()) throw invalid_argument("distribution of parameter " + detail::quoted(param) + " is not an object");
  auto num = [&](const nlohmann::json& a, const char* key) -> double {
    if (!a.contains(key) || !a[key].is_number())
      throw invalid_argument("distribution of parameter " + detail::quoted(param) + ": '" + key + "' is missing or not a number");
    return a[key].get<double>();
  };
  auto integer = [&](const nlohmann::json& a, const char* key, std::int64_t fallback) -> std::int64_t {
    if (!a.contains(key) || a[key].is_null()) return fallback;
    const double v = num(a, key);
    if (v != std::round(v) || !(std::abs(v) <= 9007199254740992.0))
      throw invalid_argument("distribution of parameter " + detail::quoted(param) + ": '" + key + "' is not an integer");
    return static_cast<std::int64_t>(v);
  };
  auto flag = [&](const nlohmann::json& a, const char* key) {
    return a.contains(key) && a[key].is_boolean() && a[key].get<bool>();
  };
  auto choices = [&](const nlohmann::json& a) {
    if (!a.contains("choices") || !a["choices"].is_array())
      throw invalid_argument("distribution of parameter " + detail::quoted(param) + ": 'choices' is missing");
    std::vector<category> out;
    for (const auto& c : a["choices"]) {
      if (c.is_boolean()) out.emplace_back(c.get<bool>());
      else if (c.is_number_integer()) out.emplace_back(c.get<std::int64_t>());
      else if (c.is_number()) out.emplace_back(c.get<double>());
      else if (c.is_string()) out.emplace_back(c.get<std::string>());
      else
        throw invalid_argument("distribution of parameter " + detail::quoted(param) + ": choice " + c.dump() +
                               " is not supported (tunekit takes bool, int, float and string choices)");
    }
    return out;
  };
  if (j.contains("name")) {
    if (!j["name"].is_string() || !j.contains("attributes") || !j["attributes"].is_object())
      throw invalid_argument("distribution of parameter " + detail::quoted(param) + " lacks a name or attributes");
    const std::string name = j["name"].get<std::string>();
    const auto& a = j["attributes"];
    if (name == "FloatDistribution") {
      std::optional<double> step;
      if (a.contains("step") && !a["step"].is_null()) step = num(a, "step");
      return float_distribution(num(a, "low"), num(a, "high"), {.log = flag(a, "log"), .step = step}, param);
    }
    if (name == "IntDistribution")
      return int_distribution(integer(a, "low", 0), integer(a, "high", 0),
                              {.log = flag(a, "log"), .step = integer(a, "step", 1)}, param);
    if (name == "CategoricalDistribution") return categorical_distribution(choices(a), param);
    if (name == "UniformDistribution") return float_distribution(num(a, "low"), num(a, "high"), {}, param);
    if (name == "LogUniformDistribution") return float_distribution(num(a, "low"), num(a, "high"), {.log = true}, param);
    if (name == "DiscreteUniformDistribution")
      return float_distribution(num(a, "low"), num(a, "high"), {.step = num(a, "q")}, param);
    if (name == "IntUniformDistribution")
      return int_distribution(integer(a, "low", 0), integer(a, "high", 0), {.step = integer(a, "step", 1)}, param);
    if (name == "IntLogUniformDistribution")
      return int_distribution(integer(a, "low", 0), integer(a, "high", 0), {.log = true}, param);
    throw invalid_argument("distribution of parameter " + detail::quoted(param) + ": unknown class " + detail::quoted(name));
  }
  const std::string type = j.value("type", std::string());
  if (type == "categorical") return categorical_distribution(choices(j), param);
  if (type == "float") {
    std::optional<double> step;
    if (j.contains("step") && !j["step"].is_null()) step = num(j, "step");
    return float_distribution(num(j, "low"), num(j, "high"), {.log = flag(j, "log"), .step = step}, param);
  }
  if (type == "int")
    return int_distribution(integer(j, "low", 0), integer(j, "high", 0), {.log = flag(j, "log"), .step = integer(j, "step", 1)},
                            param);
  throw invalid_argument("distribution of parameter " + detail::quoted(param) + " has neither a known 'name' nor 'type'");
}

/// Optuna's `check_distribution_compatibility`: same kind, same log flag,
/// and for categoricals the same choices.
template <class = void>
bool compatible(const distribution& old_d, const distribution& new_d) {
  if (old_d.index() != new_d.index()) return false;
  if (auto f = std::get_if<float_distribution>(&old_d)) return f->log() == std::get<float_distribution>(new_d).log();
  if (auto i = std::get_if<int_distribution>(&old_d)) return i->log() == std::get<int_distribution>(new_d).log();
  return old_d == new_d;
}

}  // namespace tunekit::detail::journal
