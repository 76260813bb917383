#pragma once

// Reading a journal: every complete record appended since the last read,
// applied with Optuna 3.1's replay rules, and the lookups into that state.
// Out-of-class definitions of private members of `journal_storage_impl`
// (journal_storage_class.hpp); users include tunekit/storage/journal.hpp.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../../core/distribution.hpp"
#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../core/study_view.hpp"
#include "../../detail/format.hpp"
#include "../../detail/journal_format.hpp"
#include "../../detail/json_line.hpp"
#include "journal_storage_class.hpp"

namespace tunekit::detail {

// --- reading ---------------------------------------------------------------

/// Reads and applies every complete record appended since the last call.
/// Only new bytes are read: the cost is O(new records).
template <class V>
void journal_storage_impl<V>::sync_locked(state& st) {
  std::string pending;
  std::uint64_t pos = st.offset;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::pread(st.fd, buf, sizeof buf, static_cast<off_t>(pos));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw storage_error("journal " + detail::quoted(st.path) + ": read: " + std::strerror(errno));
    }
    if (n == 0) break;
    pos += static_cast<std::uint64_t>(n);
    pending.append(buf, static_cast<std::size_t>(n));
    consume_lines(st, pending, false);
  }
  consume_lines(st, pending, true);
}

/// Applies the complete lines at the front of `pending`. At end of file
/// the unterminated rest is read as Optuna reads it: a record if it
/// parses, else a torn write, skipped (and dropped by the next writer).
template <class V>
void journal_storage_impl<V>::consume_lines(state& st, std::string& pending, bool at_end) {
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = pending.find('\n', start);
    if (nl == std::string::npos) break;
    const bool last_in_buffer = pending.find('\n', nl + 1) == std::string::npos;
    if (last_in_buffer && !at_end) break;  // may be the file's last line: decided at the end
    const bool last_in_file = last_in_buffer && nl + 1 == pending.size();
    const std::string_view line(pending.data() + start, nl - start);
    if (!consume_line(st, line, last_in_file)) {
      pending.clear();  // a torn last line: skipped, and dropped by the next writer
      return;
    }
    st.offset += line.size() + 1;
    start = nl + 1;
  }
  if (at_end && start < pending.size()) {
    const std::string_view tail(pending.data() + start, pending.size() - start);
    if (!looks_like_record_prefix(tail))
      throw storage_error("journal " + detail::quoted(st.path) + ": line " + std::to_string(st.lines + 1) +
                          " is not a journal record; is this an Optuna 3.1 JournalFileStorage file? "
                          "The file was left untouched");
    if (consume_line(st, tail, true)) {
      st.offset += tail.size();
      st.unterminated = true;
    }
    start = pending.size();
  }
  pending.erase(0, start);
}

template <class V>
bool journal_storage_impl<V>::looks_like_record_prefix(std::string_view s) {
  constexpr std::string_view head = "{\"op_code\"";
  const std::size_t n = std::min(s.size(), head.size());
  return s.substr(0, n) == head.substr(0, n);
}

/// Parses and applies one line; false for an unparsable last line (a torn
/// write). A bad line in the middle is an error naming it; nothing is written.
template <class V>
bool journal_storage_impl<V>::consume_line(state& st, std::string_view line, bool last_in_file) {
  const std::int64_t number = st.lines + 1;
  if (line.empty() || line.find_first_not_of(" \t\r") == std::string_view::npos) {
    ++st.lines;  // Optuna's reader fails on it; we accept the blank line a recovered tail leaves
    return true;
  }
  nlohmann::json r;
  try {
    r = detail::parse_json_line(line);
  } catch (const detail::json_syntax_error& e) {
    if (last_in_file) return false;
    throw storage_error("journal " + detail::quoted(st.path) + ": line " + std::to_string(number) +
                        " is corrupted (" + e.what() + "); the file was left untouched. " +
                        (number == 1 ? "Is this an Optuna 3.1 JournalFileStorage file? " : "") +
                        "Remove or repair that line to continue.");
  }
  apply(st, r, number, false);
  ++st.lines;
  return true;
}

template <class V>
void journal_storage_impl<V>::bad_record(const state& st, std::int64_t line, const std::string& what) {
  throw storage_error("journal " + detail::quoted(st.path) + ": line " + std::to_string(line) + ": " + what +
                      "; the file was left untouched");
}

template <class V>
std::int64_t journal_storage_impl<V>::int_field(const state& st, const nlohmann::json& r, const char* key,
                                                std::int64_t line) {
  auto it = r.find(key);
  if (it == r.end() || !it->is_number_integer()) bad_record(st, line, std::string("field '") + key + "' is missing or not an integer");
  return it->get<std::int64_t>();
}

template <class V>
const nlohmann::json& journal_storage_impl<V>::field(const state& st, const nlohmann::json& r, const char* key,
                                                     std::int64_t line) {
  auto it = r.find(key);
  if (it == r.end()) bad_record(st, line, std::string("field '") + key + "' is missing");
  return *it;
}

template <class V>
double journal_storage_impl<V>::number_of(const state& st, const nlohmann::json& v, const char* what,
                                          std::int64_t line) {
  if (!v.is_number()) bad_record(st, line, std::string(what) + " is not a number");
  return v.get<double>();
}

template <class V>
std::vector<double> journal_storage_impl<V>::values_of(const state& st, const nlohmann::json& r, std::int64_t line) {
  std::vector<double> out;
  if (auto v = r.find("values"); v != r.end() && !v->is_null()) {
    if (!v->is_array()) bad_record(st, line, "'values' is not a list");
    for (const auto& x : *v) out.push_back(number_of(st, x, "a value", line));
  } else if (auto one = r.find("value"); one != r.end() && !one->is_null()) {
    out.push_back(number_of(st, *one, "'value'", line));
  }
  return out;
}

template <class V>
std::optional<frozen_trial::clock::time_point> journal_storage_impl<V>::time_of(const state& st,
                                                                                const nlohmann::json& r, const char* key, std::int64_t line) {
  auto it = r.find(key);
  if (it == r.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) bad_record(st, line, std::string("'") + key + "' is not a date");
  auto t = detail::journal::parse_time(it->get_ref<const std::string&>());
  if (!t) bad_record(st, line, std::string("'") + key + "' is not an ISO date: " + it->dump());
  return t;
}

template <class V>
void journal_storage_impl<V>::apply_system_attr(frozen_trial& t, const std::string& key, const nlohmann::json& v) {
  t.system_attrs[key] = v;
  if (key == detail::journal::fail_reason_key && v.is_string()) t.fail_reason = v.get<std::string>();
  if (key == detail::journal::resources_key && v.is_object()) {
    t.resources.wall_seconds = v.value("wall_seconds", 0.0);
    t.resources.cpu_seconds = v.value("cpu_seconds", 0.0);
    t.resources.peak_memory_growth_bytes = v.value("peak_memory_growth_bytes", std::int64_t{0});
  }
}

/// Parameters repeat the same few distributions: parse each text once.
template <class V>
distribution journal_storage_impl<V>::dist_of(state& st, const nlohmann::json& text, std::string_view name,
                                              std::int64_t line) {
  if (!text.is_string()) bad_record(st, line, "the distribution of parameter " + detail::quoted(name) + " is not a JSON text");
  const std::string& key = text.get_ref<const std::string&>();
  if (auto hit = st.dist_cache.find(key); hit != st.dist_cache.end()) return hit->second;
  try {
    distribution d = detail::journal::distribution_from_json(key, name);
    if (st.dist_cache.size() >= 4096) st.dist_cache.clear();
    st.dist_cache.emplace(key, d);
    return d;
  } catch (const invalid_argument& e) {
    bad_record(st, line, e.what());
  }
}

template <class V>
void journal_storage_impl<V>::note_param(study_rec& s, const std::string& name, std::int64_t number,
                                         const distribution& d) {
  auto f = s.first_dist.find(name);
  if (f == s.first_dist.end()) s.first_dist.emplace(name, std::pair{number, d});
  else if (number < f->second.first) f->second = {number, d};
}

/// Applies one record with Optuna 3.1's replay rules: operations on a
/// deleted study or a finished trial are ignored, so every reader of the
/// file, in either library, ends in the same state.
template <class V>
void journal_storage_impl<V>::apply(state& st, const nlohmann::json& r, std::int64_t line, bool ours) {
  if (!r.is_object()) bad_record(st, line, "a record must be a JSON object");
  if (auto v = r.find(detail::journal::format_key); v != r.end())
    if (!v->is_number_integer() || v->get<std::int64_t>() > detail::journal::format_version)
      bad_record(st, line, "written in tunekit journal format " + v->dump() + ", newer than this build reads (" +
                               std::to_string(detail::journal::format_version) + "); upgrade tunekit");
  const std::int64_t code = int_field(st, r, "op_code", line);
  if (code < 0 || code > detail::journal::max_op)
    bad_record(st, line, "unknown op code " + std::to_string(code) +
                             " (Optuna 3.1 journals use 0 to 9); was it written by a newer Optuna or tunekit?");
  using detail::journal::op;
  switch (static_cast<op>(code)) {
    case op::create_study: {
      const auto& name = field(st, r, "study_name", line);
      if (!name.is_string()) bad_record(st, line, "'study_name' is not a string");
      const auto& dirs = field(st, r, "directions", line);
      if (!dirs.is_array() || dirs.empty()) bad_record(st, line, "'directions' is not a non-empty list");
      std::vector<direction> directions;
      for (const auto& d : dirs) {
        if (!d.is_number_integer() || (d.template get<int>() != 1 && d.template get<int>() != 2))
          bad_record(st, line, "direction " + d.dump() + " is neither 1 (minimize) nor 2 (maximize)");
        directions.push_back(d.template get<int>() == 1 ? direction::minimize : direction::maximize);
      }
      // Optuna's rule: a second study of a live name is ignored (its writer got an error).
      if (find_locked(st, name.template get_ref<const std::string&>())) return;
      auto s = std::make_unique<study_rec>();
      s->info = std::make_shared<const study_info>(study_info{name.template get<std::string>(), std::move(directions)});
      st.studies.push_back(std::move(s));
      return;
    }
    case op::delete_study: {
      const auto id = int_field(st, r, "study_id", line);
      if (live_study(st, id)) st.studies[static_cast<std::size_t>(id)].reset();
      return;
    }
    case op::set_study_user_attr:
    case op::set_study_system_attr: {
      const bool user = static_cast<op>(code) == op::set_study_user_attr;
      const auto id = int_field(st, r, "study_id", line);
      const auto& kv = field(st, r, user ? "user_attr" : "system_attr", line);
      if (!kv.is_object()) bad_record(st, line, "the attribute is not an object");
      if (study_rec* s = live_study(st, id))
        for (const auto& [k, v] : kv.items()) (user ? s->user_attrs : s->system_attrs)[k] = v;
      return;
    }
    case op::create_trial: {
      const auto sid = int_field(st, r, "study_id", line);
      study_rec* s = live_study(st, sid);
      if (!s) return;
      auto t = std::make_shared<frozen_trial>();
      t->id = static_cast<std::int64_t>(st.trials.size());
      t->number = static_cast<std::int64_t>(s->trial_ids.size());
      if (auto sv = r.find("state"); sv != r.end()) {
        if (!sv->is_number_integer() || !detail::journal::state_from_code(sv->get<std::int64_t>()))
          bad_record(st, line, "unknown trial state " + sv->dump());
        t->state = *detail::journal::state_from_code(sv->get<std::int64_t>());
      }
      t->values = values_of(st, r, line);
      t->datetime_start = time_of(st, r, "datetime_start", line);
      t->datetime_complete = time_of(st, r, "datetime_complete", line);
      if (auto d = r.find("distributions"); d != r.end() && d->is_object())
        for (const auto& [k, v] : d->items()) t->distributions.insert_or_assign(k, dist_of(st, v, k, line));
      if (auto p = r.find("params"); p != r.end() && p->is_object())
        for (const auto& [k, v] : p->items()) {
          auto dist = t->distributions.find(k);
          if (dist == t->distributions.end()) bad_record(st, line, "parameter " + detail::quoted(k) + " has no distribution");
          t->params[k] = number_of(st, v, "a parameter value", line);
          note_param(*s, k, t->number, dist->second);
        }
      if (auto u = r.find("user_attrs"); u != r.end() && u->is_object())
        for (const auto& [k, v] : u->items()) t->user_attrs[k] = v;
      if (auto u = r.find("system_attrs"); u != r.end() && u->is_object())
        for (const auto& [k, v] : u->items()) apply_system_attr(*t, k, v);
      if (auto iv = r.find("intermediate_values"); iv != r.end() && iv->is_object())
        for (const auto& [k, v] : iv->items()) {
          std::int64_t step = 0;
          const auto res = std::from_chars(k.data(), k.data() + k.size(), step);
          if (res.ec != std::errc{} || res.ptr != k.data() + k.size()) bad_record(st, line, "step " + detail::quoted(k) + " is not an integer");
          t->intermediate_values[step] = number_of(st, v, "an intermediate value", line);
        }
      s->trial_ids.push_back(t->id);
      st.trials.push_back({sid, t});
      if (t->state == trial_state::running) s->running.insert(t->id);
      else if (t->state == trial_state::waiting) s->waiting.insert(t->id);
      else s->finished.push_back(t);
      if (ours) journal::last_created = t->id;
      return;
    }
    default: break;
  }
  // Trial updates: ignored for unknown or finished trials (Optuna's rule).
  const auto id = int_field(st, r, "trial_id", line);
  if (id < 0 || static_cast<std::size_t>(id) >= st.trials.size()) return;
  trial_rec& tr = st.trials[static_cast<std::size_t>(id)];
  frozen_trial& t = *tr.record;
  if (is_finished(t.state)) return;
  study_rec* s = live_study(st, tr.study);
  switch (static_cast<op>(code)) {
    case op::set_trial_param: {
      const auto& name = field(st, r, "param_name", line);
      if (!name.is_string()) bad_record(st, line, "'param_name' is not a string");
      const std::string& n = name.template get_ref<const std::string&>();
      const distribution d = dist_of(st, field(st, r, "distribution", line), n, line);
      const double v = number_of(st, field(st, r, "param_value_internal", line), "'param_value_internal'", line);
      if (s) {
        if (auto f = s->first_dist.find(n); f != s->first_dist.end() && !detail::journal::compatible(f->second.second, d))
          return;
        note_param(*s, n, t.number, d);
      }
      t.params[n] = v;
      t.distributions.insert_or_assign(n, d);
      return;
    }
    case op::set_trial_state_values: {
      const auto code_state = int_field(st, r, "state", line);
      const auto next = detail::journal::state_from_code(code_state);
      if (!next) bad_record(st, line, "unknown trial state " + std::to_string(code_state));
      if (*next == trial_state::running && t.state == trial_state::running) return;
      if (*next == trial_state::running) {
        t.datetime_start = time_of(st, r, "datetime_start", line);
        if (ours) journal::last_started = id;
      }
      if (is_finished(*next)) t.datetime_complete = time_of(st, r, "datetime_complete", line);
      if (auto v = r.find("values"); v != r.end() && !v->is_null()) t.values = values_of(st, r, line);
      if (s) {
        s->running.erase(id);
        s->waiting.erase(id);
      }
      t.state = *next;
      if (s) {
        if (*next == trial_state::running) s->running.insert(id);
        else if (*next == trial_state::waiting) s->waiting.insert(id);
        else s->finished.push_back(tr.record);
      }
      return;
    }
    case op::set_trial_intermediate_value: {
      const auto step = int_field(st, r, "step", line);
      t.intermediate_values[step] = number_of(st, field(st, r, "intermediate_value", line), "'intermediate_value'", line);
      return;
    }
    case op::set_trial_user_attr:
    case op::set_trial_system_attr: {
      const bool user = static_cast<op>(code) == op::set_trial_user_attr;
      const auto& kv = field(st, r, user ? "user_attr" : "system_attr", line);
      if (!kv.is_object()) bad_record(st, line, "the attribute is not an object");
      for (const auto& [k, v] : kv.items()) {
        if (user) t.user_attrs[k] = v;
        else apply_system_attr(t, k, v);
      }
      return;
    }
    default: return;
  }
}

// --- lookups -------------------------------------------------------------

template <class V>
std::optional<study_id> journal_storage_impl<V>::find_locked(const state& st, std::string_view name) {
  for (std::size_t i = 0; i < st.studies.size(); ++i)
    if (st.studies[i] && st.studies[i]->info->name == name) return static_cast<study_id>(i);
  return std::nullopt;
}

template <class V>
auto journal_storage_impl<V>::live_study(state& st, std::int64_t id) -> study_rec* {
  if (id < 0 || static_cast<std::size_t>(id) >= st.studies.size()) return nullptr;
  return st.studies[static_cast<std::size_t>(id)].get();
}

template <class V>
auto journal_storage_impl<V>::get_study(state& st, study_id id) -> study_rec& {
  if (study_rec* s = live_study(st, id)) return *s;
  throw invalid_argument("unknown study id " + std::to_string(id) + " in journal " + detail::quoted(st.path));
}

template <class V>
auto journal_storage_impl<V>::get_trial(state& st, std::int64_t id) -> trial_rec& {
  if (id < 0 || static_cast<std::size_t>(id) >= st.trials.size())
    throw invalid_argument("unknown trial id " + std::to_string(id) + " in journal " + detail::quoted(st.path));
  return st.trials[static_cast<std::size_t>(id)];
}

template <class V>
auto journal_storage_impl<V>::running(state& st, std::int64_t id, const char* what) -> trial_rec& {
  trial_rec& t = get_trial(st, id);
  if (t.record->state != trial_state::running)
    throw state_error(std::string(what) + ": trial " + std::to_string(t.record->number) + " is " +
                      std::string(to_string(t.record->state)) + ", not RUNNING");
  return t;
}

}  // namespace tunekit::detail
