#pragma once

/// Best-configuration export: the best trial of a study (or its Pareto front)
/// as a JSON document, and the typed read-back that lets a training or
/// serving program load its configuration from that file.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "../core/concepts.hpp"
#include "../core/distribution.hpp"
#include "../core/errors.hpp"
#include "../core/frozen_trial.hpp"
#include "../core/space.hpp"
#include "../detail/dependent.hpp"
#include "../detail/format.hpp"
#include "../detail/journal_format.hpp"
#include "../version.hpp"
#include "choose.hpp"

namespace tunekit::detail {

// The functions and classes below are `template <class = void>` only so that a
// translation unit compiles just those it calls (compile cost: see
// benchmarks/RESULTS.md, "Compile cost"); callers use them as plain functions.
/// UTC ISO-8601 with a 'Z' ("2026-12-02T18:40:00Z"): unambiguous for a file
/// that travels between machines (the journal's local times do not).
template <class = void>
std::string iso8601_utc(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// `scheme://user:secret@host/db` -> `scheme://user:***@host/db`; other URLs unchanged.
template <class = void>
std::string redact_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto auth_begin = scheme_end + 3;
  const auto auth_end = url.find_first_of("/?#", auth_begin);
  const std::string_view authority = url.substr(auth_begin, auth_end == std::string_view::npos ? url.npos : auth_end - auth_begin);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const auto colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, auth_begin + colon + 1));
  out += "***";
  out += url.substr(auth_begin + at);
  return out;
}

/// The storage kind of a URL: its scheme ("journal", "postgresql", ...).
template <class = void>
std::string storage_kind(std::string_view url) {
  const auto colon = url.find(':');
  return colon == std::string_view::npos ? std::string() : std::string(url.substr(0, colon));
}

/// The feasible COMPLETE trials that no other feasible COMPLETE trial
/// dominates, by number; for one objective, the first of the best feasible
/// trials (as Optuna's best_trial). Infeasible trials (a constraint > 0 or
/// NaN, mo/constraints.hpp) are never exported.
template <class = void>
std::vector<frozen_trial> export_best_front(std::span<const direction> dirs, std::span<const frozen_trial> trials) {
  auto front = choice_feasible_front(dirs, trials);
  if (dirs.size() == 1 && !front.empty()) front.resize(1);
  return front;
}

template <class V = void>
nlohmann::json export_trial_entry(const frozen_trial& t) {
  using json = dependent_t<V, nlohmann::json>;
  json params = json::object(), dists = json::object();
  for (const auto& [name, internal] : t.params) {
    const auto d = t.distributions.find(name);
    if (d == t.distributions.end()) continue;  // a storage always records both; be defensive
    params[name] = journal::category_json(to_external(d->second, internal));
    dists[name] = json::parse(journal::distribution_to_json(d->second));  // Optuna's form
  }
  json resources = {{"wall_seconds", t.resources.wall_seconds},
                              {"cpu_seconds", t.resources.cpu_seconds},
                              {"peak_memory_growth_bytes", t.resources.peak_memory_growth_bytes}};
  return {{"number", t.number}, {"values", t.values}, {"params", params}, {"distributions", dists},
          {"resources", resources}};
}

/// `parent.key` as a JSON path for messages; `parent["odd key"]` when the key
/// is not an identifier (parameter names may hold dots or spaces).
template <class = void>
std::string export_path(std::string_view parent, std::string_view key) {
  const auto ident_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  const bool ident = !key.empty() && !(key[0] >= '0' && key[0] <= '9') && std::all_of(key.begin(), key.end(), ident_char);
  std::string out(parent);
  if (ident) {
    if (!out.empty()) out += '.';
    out += key;
  } else {
    out += '[';
    out += nlohmann::json(std::string(key)).dump();
    out += ']';
  }
  return out;
}

template <class = void>
std::string export_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

/// Parses a best-config text, refusing a member that appears twice in an
/// object: JSON parsers keep one of the two, so a hand edit that adds a
/// parameter instead of changing it would otherwise be silently dropped.
template <class = void>
nlohmann::json export_parse_text(const std::string& text, std::string_view source) {
  struct frame {
    bool array;
    std::size_t index = 0;
    std::string key = {};
    std::set<std::string, std::less<>> keys = {};
  };
  std::vector<frame> stack;
  std::optional<std::string> duplicate;  // its path
  const auto element_done = [&] {
    if (!stack.empty() && stack.back().array) ++stack.back().index;
  };
  const nlohmann::json::parser_callback_t check = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using ev = nlohmann::json::parse_event_t;
    switch (event) {
      case ev::object_start: stack.push_back({.array = false}); break;
      case ev::array_start: stack.push_back({.array = true}); break;
      case ev::key: {
        auto& top = stack.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second && !duplicate) {
          std::string path;
          for (std::size_t k = 0; k + 1 < stack.size(); ++k)
            path = stack[k].array ? export_path(path, stack[k].index) : export_path(path, stack[k].key);
          duplicate = export_path(path, top.key);
        }
        break;
      }
      case ev::object_end:
      case ev::array_end:
        stack.pop_back();
        element_done();
        break;
      case ev::value: element_done(); break;
    }
    return true;
  };
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text, check);
  } catch (const nlohmann::json::parse_error& e) {
    throw invalid_argument("best-config " + std::string(source) + " is not JSON: " + e.what());
  }
  if (duplicate)
    throw invalid_argument("best-config " + std::string(source) + ": field " + *duplicate +
                           " appears twice in its object; JSON readers keep only one of the two, so remove the other");
  return doc;
}

/// A JSON parameter value as a category, or nothing when its JSON type cannot be one.
template <class V = void>
std::optional<category> export_json_category(const dependent_t<V, nlohmann::json>& v) {
  if (v.is_boolean()) return category(v.template get<bool>());
  if (v.is_number_unsigned() && v.template get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return category(v.template get<double>());  // beyond int64: only a float parameter can take it
  if (v.is_number_integer()) return category(v.template get<std::int64_t>());
  if (v.is_number()) return category(v.template get<double>());
  if (v.is_string()) return category(v.template get<std::string>());
  return std::nullopt;
}

/// Whether a value of this JSON type can belong to the distribution at all;
/// separates "wrong type" from "outside the range" in error messages.
template <class = void>
bool export_type_fits(const distribution& d, const category& c) {
  if (const auto* cat = std::get_if<categorical_distribution>(&d)) {
    for (const auto& choice : cat->choices()) {
      const bool numeric = !std::holds_alternative<std::string>(choice) && !std::holds_alternative<bool>(choice);
      const bool c_numeric = !std::holds_alternative<std::string>(c) && !std::holds_alternative<bool>(c);
      if (choice.index() == c.index() || (numeric && c_numeric)) return true;
    }
    return false;
  }
  return std::holds_alternative<double>(c) || std::holds_alternative<std::int64_t>(c);
}

template <class V = void>
std::string export_json_type_name(const dependent_t<V, nlohmann::json>& v) {
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  return v.type_name();
}

/// Validates the structure of an export document, every field of it, and
/// throws `invalid_argument` naming the first bad one by its JSON path
/// (`best_trials[0].resources.cpu_seconds`). The struct-specific checks of
/// the parameters are `deploy::read_config`'s.
template <class V = void>
class export_checker {
  using json = dependent_t<V, nlohmann::json>;

 public:
  explicit export_checker(std::string where) : where_(std::move(where)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw invalid_argument(where_ + ": field " + path + " " + what);
  }

  /// A value for a message: its JSON text, cut short when long (a whole
  /// object where a number belongs).
  static std::string shown(const json& v) {
    std::string text = v.dump();
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
  }

  /// Refuses members of `obj` outside `fields` and members of `fields` it lacks.
  void exact_members(const json& obj, std::string_view path, std::initializer_list<std::string_view> fields) const {
    for (const auto& [key, v] : obj.items())
      if (std::find(fields.begin(), fields.end(), key) == fields.end())
        fail(export_path(path, key), "is unknown (allowed here: " + list(fields) + ")");
    for (auto key : fields)
      if (!obj.contains(key)) fail(export_path(path, key), "is missing (required here: " + list(fields) + ")");
  }

  void expect(bool ok, const json& v, const std::string& path, std::string_view expected) const {
    if (!ok) fail(path, "has the wrong type (" + export_json_type_name(v) + " " + shown(v) + "); expected " + std::string(expected));
  }

  void object(const json& v, const std::string& path) const { expect(v.is_object(), v, path, "an object"); }
  void string(const json& v, const std::string& path) const { expect(v.is_string(), v, path, "a string"); }
  void string_or_null(const json& v, const std::string& path) const {
    expect(v.is_string() || v.is_null(), v, path, "a string or null");
  }
  void count(const json& v, const std::string& path) const {
    expect(v.is_number_integer(), v, path, "a non-negative integer");
    if (!v.is_number_unsigned() && v.template get<std::int64_t>() < 0)
      fail(path, "= " + v.dump() + " is negative; expected a non-negative integer");
  }
  void number(const json& v, const std::string& path) const { expect(v.is_number(), v, path, "a number"); }
  void integer(const json& v, const std::string& path) const {
    expect(v.is_number_integer(), v, path, "an integer");
  }

  /// The whole document; returns its format_version. `records` = false
  /// leaves `orphan_records` for later (read_config first names a missing
  /// parameter, the likelier mistake, by the struct it is missing for).
  int document(const json& doc, std::string_view format, int newest, bool records = true) const {
    if (!doc.is_object() || !doc.contains("format") || doc["format"] != std::string(format))
      throw invalid_argument(where_ + " is not a tunekit best-config document (its \"format\" must be \"" +
                             std::string(format) + "\")");
    const auto& fv = doc.contains("format_version") ? doc["format_version"] : json();
    if (!fv.is_number_integer() || fv.template get<std::int64_t>() < 1 || fv.template get<std::int64_t>() > newest)
      throw invalid_argument(where_ + " has format_version " + (fv.is_null() ? std::string("(none)") : fv.dump()) +
                             "; this tunekit reads versions 1 to " + std::to_string(newest));
    const int version = fv.template get<int>();
    if (version == 1) {
      exact_members(doc, "", {"format", "format_version", "tunekit_version", "exported_at", "study", "best_trials", "params"});
    } else if (version == 3) {
      if (doc.contains("params")) fail("params", "is unknown; the parameters live in best_trials[0].params only");
      exact_members(doc, "", {"format", "format_version", "tunekit_version", "exported_at", "study", "best_trials", "selection"});
    } else {
      if (doc.contains("params"))
        fail("params", "is unknown; the parameters live in best_trials[i].params only (a top-level copy was "
                       "format_version 1's, and a hand edit of it had no effect)");
      exact_members(doc, "", {"format", "format_version", "tunekit_version", "exported_at", "study", "best_trials"});
    }
    string(doc["tunekit_version"], "tunekit_version");
    exported_at(doc["exported_at"]);
    const std::size_t n_objectives = study(doc["study"]);
    const auto& best = doc["best_trials"];
    expect(best.is_array(), best, "best_trials", "an array of trials");
    if (best.empty()) fail("best_trials", "is empty; expected at least one trial");
    if (n_objectives == 1 && best.size() != 1)
      fail("best_trials", "holds " + std::to_string(best.size()) +
                              " trials; a single-objective study exports exactly one (a Pareto front needs several directions)");
    for (std::size_t i = 0; i < best.size(); ++i) {
      trial(best[i], export_path("best_trials", i), n_objectives);
      if (i > 0 && !(best[i]["number"].template get<std::uint64_t>() > best[i - 1]["number"].template get<std::uint64_t>()))
        fail(export_path(export_path("best_trials", i), "number"),
             "= " + best[i]["number"].dump() + " does not follow best_trials[" + std::to_string(i - 1) +
                 "].number = " + best[i - 1]["number"].dump() + "; a Pareto front is listed by increasing trial number");
    }
    if (version == 1) agree(doc["params"], best[0]["params"]);
    if (version == 3) choice_check_selection(doc, [this](const std::string& path, const std::string& what) { fail(path, what); });
    if (records) orphan_records(doc);
    return version;
  }

  /// A distribution record must describe a parameter of its trial (one left
  /// behind by a rename or removal would otherwise go unnoticed).
  void orphan_records(const json& doc) const {
    const auto& best = doc["best_trials"];
    for (std::size_t i = 0; i < best.size(); ++i) {
      const std::string path = export_path("best_trials", i);
      for (const auto& [name, d] : best[i]["distributions"].items())
        if (!best[i]["params"].contains(name))
          fail(export_path(export_path(path, "distributions"), name),
               "describes a parameter that " + export_path(path, "params") +
                   " does not hold (renamed or removed? a parameter and its record go together)");
    }
  }

 private:
  static std::string list(std::initializer_list<std::string_view> fields) {
    std::string out;
    for (auto f : fields) out += (out.empty() ? "" : ", ") + std::string(f);
    return out;
  }

  void exported_at(const json& v) const {
    string(v, "exported_at");
    const auto& s = v.template get_ref<const std::string&>();
    // YYYY-MM-DDTHH:MM:SSZ, as iso8601_utc writes it
    const std::string_view shape = "0000-00-00T00:00:00Z";
    bool ok = s.size() == shape.size();
    for (std::size_t k = 0; ok && k < s.size(); ++k)
      ok = shape[k] == '0' ? (s[k] >= '0' && s[k] <= '9') : s[k] == shape[k];
    if (!ok) fail("exported_at", "= " + v.dump() + " is not a UTC time stamp like \"2026-12-02T18:40:00Z\"");
  }

  std::size_t study(const json& s) const {
    object(s, "study");
    exact_members(s, "study", {"name", "directions", "storage", "n_trials", "n_complete"});
    string(s["name"], "study.name");
    const auto& dirs = s["directions"];
    expect(dirs.is_array() && !dirs.empty(), dirs, "study.directions", "a non-empty array of \"minimize\"/\"maximize\"");
    for (std::size_t k = 0; k < dirs.size(); ++k)
      if (dirs[k] != "minimize" && dirs[k] != "maximize")
        fail(export_path("study.directions", k), "= " + dirs[k].dump() + "; expected \"minimize\" or \"maximize\"");
    const auto& storage = s["storage"];
    object(storage, "study.storage");
    exact_members(storage, "study.storage", {"kind", "url"});
    string_or_null(storage["kind"], "study.storage.kind");
    string_or_null(storage["url"], "study.storage.url");
    count(s["n_trials"], "study.n_trials");
    count(s["n_complete"], "study.n_complete");
    if (s["n_complete"].template get<std::uint64_t>() > s["n_trials"].template get<std::uint64_t>())
      fail("study.n_complete", "= " + s["n_complete"].dump() + " exceeds study.n_trials = " + s["n_trials"].dump());
    return dirs.size();
  }

  void trial(const json& t, const std::string& path, std::size_t n_objectives) const {
    object(t, path);
    exact_members(t, path, {"number", "values", "params", "distributions", "resources"});
    count(t["number"], export_path(path, "number"));
    const auto& values = t["values"];
    const std::string values_path = export_path(path, "values");
    expect(values.is_array(), values, values_path, "an array of numbers, one per study direction");
    if (values.size() != n_objectives)
      fail(values_path, "holds " + std::to_string(values.size()) + " values but study.directions has " +
                            std::to_string(n_objectives));
    for (std::size_t k = 0; k < values.size(); ++k)
      number(values[k], export_path(values_path, k));
    const auto& params = t["params"];
    const std::string params_path = export_path(path, "params");
    object(params, params_path);
    for (const auto& [name, v] : params.items())
      expect(v.is_boolean() || v.is_number() || v.is_string(), v, export_path(params_path, name),
             "a parameter value: a bool, number or string");
    const auto& dists = t["distributions"];
    const std::string dists_path = export_path(path, "distributions");
    object(dists, dists_path);
    for (const auto& [name, d] : dists.items()) {
      const std::string p = export_path(dists_path, name);
      try {
        (void)journal::distribution_from_json(d.dump(), name);
      } catch (const invalid_argument& e) {
        std::string why = e.what();
        if (why.starts_with("[tunekit.")) why.erase(0, why.find("] ") + 2);  // ours, not the nested error's id
        fail(p, "is not a distribution in Optuna's form: " + why);
      }
    }
    const auto& r = t["resources"];
    const std::string r_path = export_path(path, "resources");
    object(r, r_path);
    exact_members(r, r_path, {"wall_seconds", "cpu_seconds", "peak_memory_growth_bytes"});
    // As measured, not judged: the storage may hold any numbers here.
    number(r["wall_seconds"], export_path(r_path, "wall_seconds"));
    number(r["cpu_seconds"], export_path(r_path, "cpu_seconds"));
    integer(r["peak_memory_growth_bytes"], export_path(r_path, "peak_memory_growth_bytes"));
  }

  /// A version-1 file holds the parameters twice; both copies must say the same.
  void agree(const json& top, const json& first) const {
    object(top, "params");
    const std::string advice =
        "; the copies disagree (format_version 1 files hold the parameters twice): make them equal, or delete the "
        "top-level \"params\" and set \"format_version\": 2, whose one copy is best_trials[i].params";
    for (const auto& [name, v] : top.items()) {
      const std::string p = export_path("params", name), q = export_path("best_trials[0].params", name);
      if (!first.contains(name)) fail(p, "= " + v.dump() + " but " + q + " is missing" + advice);
      if (v != first[name]) fail(p, "= " + v.dump() + " but " + q + " = " + first[name].dump() + advice);
    }
    for (const auto& [name, v] : first.items())
      if (!top.contains(name))
        fail(export_path("params", name), "is missing but " + export_path("best_trials[0].params", name) + " = " +
                                               v.dump() + advice);
  }

  std::string where_;
};

}  // namespace tunekit::detail

namespace tunekit::deploy {

/// The value of the document's "format" member; read-back refuses others.
inline constexpr std::string_view best_config_format = "tunekit.best_config";
/// The newest format this tunekit reads and writes; bumped when the document
/// changes incompatibly. 2: the parameters are held once, in
/// `best_trials[i].params` (version 1 also had a top-level `params` copy,
/// which a hand edit could change without effect; version-1 files are still
/// read when both copies agree). 3: version 2 plus `selection`, the rule
/// that chose the one trial in `best_trials` from a Pareto front
/// (`export_options::choice`); documents without a choice are still written
/// as version 2, which older readers accept.
inline constexpr int best_config_format_version = 3;

/// What the document records about where the study came from.
struct export_options {
  /// The storage URL the study was read from; any password in it is
  /// replaced by "***" before it is written.
  std::string storage_url = {};
  /// Time stamp of the export; now when empty (fixed in tests).
  std::optional<std::chrono::system_clock::time_point> exported_at = std::nullopt;
  /// Multi-objective studies: export the one trial of the feasible front
  /// this rule picks (choose.hpp), with the rule as `selection`
  /// (format_version 3), instead of the whole front.
  std::optional<front_choice> choice = std::nullopt;
};


/// The export document of a study's best trial(s) (docs/export.md):
///
///     {"format": "tunekit.best_config", "format_version": 2,
///      "tunekit_version": "0.1.0", "exported_at": "2026-12-02T18:40:00Z",
///      "study": {"name": ..., "directions": ["minimize"],
///                "storage": {"kind": "journal", "url": "journal:///..."},
///                "n_trials": 40, "n_complete": 37},
///      "best_trials": [{"number": 12, "values": [0.03], "params": {...},
///                       "distributions": {...}, "resources": {...}}]}
///
/// The parameters are in one place, `best_trials[i].params`. One objective:
/// `best_trials` holds the best feasible trial. Several: the feasible Pareto
/// front, ordered by trial number, or with `options.choice` the one trial it
/// picks (`choose_from_front`; errors as there). Throws `state_error` naming
/// the study when no trial has completed, or none is feasible.
template <class V = void>
nlohmann::json best_config_json(std::string_view study_name, std::span<const direction> directions,
                                       std::span<const frozen_trial> trials, const export_options& options = {}) {
  using json = detail::dependent_t<V, nlohmann::json>;
  std::optional<front_pick> pick;
  if (options.choice) pick = choose_from_front(study_name, directions, trials, *options.choice);
  const auto front = pick ? std::vector<frozen_trial>{pick->trial} : detail::export_best_front(directions, trials);
  if (front.empty()) {
    std::size_t finished = 0, complete = 0;
    for (const auto& t : trials) finished += is_finished(t.state) ? 1 : 0, complete += t.state == trial_state::complete;
    if (complete > 0)
      throw state_error("cannot export study " + detail::quoted(study_name) + ": none of its " + std::to_string(complete) +
                        " COMPLETE trials is feasible (each violates a constraint); relax the constraints or run more trials");
    throw state_error("cannot export study " + detail::quoted(study_name) + ": no trial has completed (" +
                      std::to_string(trials.size()) + " trials, " + std::to_string(finished) +
                      " finished as PRUNED or FAIL); run the study first");
  }
  json dirs = json::array();
  for (auto d : directions) dirs.push_back(std::string(to_string(d)));
  std::size_t n_complete = 0;
  for (const auto& t : trials) n_complete += t.state == trial_state::complete ? 1 : 0;
  json storage = {{"kind", options.storage_url.empty() ? json(nullptr)
                                                                 : json(detail::storage_kind(options.storage_url))},
                            {"url", options.storage_url.empty() ? json(nullptr)
                                                                : json(detail::redact_url(options.storage_url))}};
  json best = json::array();
  for (const auto& t : front) best.push_back(detail::export_trial_entry(t));
  json doc;
  doc["format"] = best_config_format;
  doc["format_version"] = pick ? 3 : 2;
  doc["tunekit_version"] = version;
  doc["exported_at"] = detail::iso8601_utc(options.exported_at.value_or(std::chrono::system_clock::now()));
  doc["study"] = {{"name", study_name},
                  {"directions", dirs},
                  {"storage", storage},
                  {"n_trials", trials.size()},
                  {"n_complete", n_complete}};
  doc["best_trials"] = best;
  if (pick) doc["selection"] = detail::choice_selection_json(directions, *options.choice, *pick);
  return doc;
}

/// The export document of study `study_name` in any storage.
template <storage S>
nlohmann::json best_config_json(const S& store, std::string_view study_name, const export_options& options = {}) {
  const auto id = store.find_study(study_name);
  if (!id) throw invalid_argument("cannot export: the storage has no study named " + detail::quoted(study_name));
  const std::vector<direction> dirs = store.study_directions(*id);
  const std::vector<frozen_trial> trials = store.trials(*id);
  return best_config_json(study_name, dirs, trials, options);
}

/// Writes JSON text to `path` (pretty-printed, newline-terminated) through a
/// temporary file renamed into place, so a reader never sees half a file.
/// Throws `storage_error` naming the path when it cannot be written.
template <class = void>
void write_json_file(const nlohmann::json& doc, const std::filesystem::path& path) {
  const std::string text = doc.dump(2) + "\n";
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f)
      throw storage_error("cannot write " + detail::quoted(path.string()) + ": cannot create " +
                          detail::quoted(tmp.string()) + " (missing directory or no permission)");
    f << text;
    if (!f.flush()) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw storage_error("cannot write " + detail::quoted(path.string()) + " (disk full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw storage_error("cannot write " + detail::quoted(path.string()) + ": " + ec.message());
  }
}

/// What a typed read-back accepts.
struct read_options {
  /// Which of `best_trials` to load (multi-objective: a point of the front).
  std::size_t index = 0;
  /// Accept parameters in the file that the struct does not bind (e.g. a
  /// define-by-run study's conditional parameters). Off: they are an error,
  /// because a misspelt member would silently keep its default.
  bool allow_extra = false;
};

/// Checks every field of an export document against the format, without a
/// struct: unknown or missing fields, wrong types, a Pareto front out of
/// order, and (format_version 1) top-level `params` disagreeing with
/// `best_trials[0].params`. Throws `invalid_argument` naming the field by its
/// JSON path; returns the document's format_version.
template <class = void>
int check_best_config(const nlohmann::json& doc, std::string_view source = "document") {
  return detail::export_checker<>("best-config " + std::string(source))
      .document(doc, best_config_format, best_config_format_version);
}

/// Fills a T from an export document, from `best_trials[options.index].params`:
/// the document must pass `check_best_config`, and every bound member must be
/// there with a value of the right type inside its distribution. Throws
/// `invalid_argument` naming the field (`best_trials[0].params.lr`): missing,
/// extra, wrong type, or outside.
template <class T>
T read_config(const space<T>& sp, const nlohmann::json& doc, const read_options& options = {},
              std::string_view source = "document") {
  const std::string where = "best-config " + std::string(source);
  const detail::export_checker<> check(where);
  check.document(doc, best_config_format, best_config_format_version, /*records=*/false);
  const auto& trials = doc["best_trials"];
  if (options.index >= trials.size())
    throw invalid_argument(where + ": read_options::index = " + std::to_string(options.index) + " but the file has " +
                           std::to_string(trials.size()) + " best trial(s)");
  const std::string base = detail::export_path(detail::export_path("best_trials", options.index), "params");
  const auto& params = trials[options.index]["params"];

  T value{};
  for (const auto& b : sp.bindings()) {
    const std::string path = detail::export_path(base, b.name);
    if (!params.contains(b.name)) check.fail(path, "is missing; the struct binds it to " + describe(b.dist));
    const auto& v = params[b.name];
    const auto c = detail::export_json_category(v);
    if (!c || !detail::export_type_fits(b.dist, *c))
      check.fail(path, "has the wrong type (" + detail::export_json_type_name(v) + " " + v.dump() +
                           "); the struct expects " + describe(b.dist));
    double internal = 0;
    try {
      internal = to_internal(b.dist, *c, b.name);
    } catch (const invalid_argument&) {
      check.fail(path, "= " + v.dump() + " is outside its distribution; allowed: " + describe(b.dist));
    }
    b.assign(value, internal);
  }
  if (!options.allow_extra)
    for (const auto& [name, v] : params.items())
      if (!sp.dynamic().find(name))
        check.fail(detail::export_path(base, name),
                   "is in the file but not bound by the struct's space (misspelt member? "
                   "read_options::allow_extra accepts it)");
  check.orphan_records(doc);
  return value;
}

/// Reads an export file into a T: `auto cfg = deploy::load_config(my_space, "best.json");`.
/// Throws `storage_error` naming the path when it cannot be read, and
/// `invalid_argument` as `read_config` when its contents do not fit.
template <class T>
T load_config(const space<T>& sp, const std::filesystem::path& path, const read_options& options = {}) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw storage_error("cannot read best-config file " + detail::quoted(path.string()));
  std::ostringstream text;
  text << f.rdbuf();
  const std::string source = "file " + detail::quoted(path.string());
  return read_config(sp, detail::export_parse_text(text.str(), source), options, source);
}

}  // namespace tunekit::deploy
