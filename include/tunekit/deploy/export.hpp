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
#include <optional>
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
#include "../detail/format.hpp"
#include "../detail/journal_format.hpp"
#include "../version.hpp"

namespace tunekit::detail {

/// UTC ISO-8601 with a 'Z' ("2026-12-02T18:40:00Z"): unambiguous for a file
/// that travels between machines (the journal's local times do not).
inline std::string iso8601_utc(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// `scheme://user:secret@host/db` -> `scheme://user:***@host/db`; other URLs unchanged.
inline std::string redact_url(std::string_view url) {
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
inline std::string storage_kind(std::string_view url) {
  const auto colon = url.find(':');
  return colon == std::string_view::npos ? std::string() : std::string(url.substr(0, colon));
}

/// The COMPLETE trials that no other COMPLETE trial dominates, by number;
/// for one objective, the first of the best (as Optuna's best_trial).
inline std::vector<frozen_trial> export_best_front(std::span<const direction> dirs, std::span<const frozen_trial> trials) {
  std::vector<const frozen_trial*> complete;
  for (const auto& t : trials)
    if (t.state == trial_state::complete && t.values.size() == dirs.size()) complete.push_back(&t);
  auto dominates = [&](const frozen_trial& a, const frozen_trial& b) {
    bool strictly = false;
    for (std::size_t k = 0; k < dirs.size(); ++k) {
      if (better(dirs[k], b.values[k], a.values[k])) return false;
      strictly = strictly || better(dirs[k], a.values[k], b.values[k]);
    }
    return strictly;
  };
  std::vector<frozen_trial> front;
  for (const auto* a : complete) {
    bool dominated = false;
    for (const auto* b : complete)
      if (dominates(*b, *a)) {
        dominated = true;
        break;
      }
    if (!dominated) front.push_back(*a);
  }
  std::sort(front.begin(), front.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  if (dirs.size() == 1 && !front.empty()) front.resize(1);
  return front;
}

inline nlohmann::json export_trial_entry(const frozen_trial& t) {
  nlohmann::json params = nlohmann::json::object(), dists = nlohmann::json::object();
  for (const auto& [name, internal] : t.params) {
    const auto d = t.distributions.find(name);
    if (d == t.distributions.end()) continue;  // a storage always records both; be defensive
    params[name] = journal::category_json(to_external(d->second, internal));
    dists[name] = nlohmann::json::parse(journal::distribution_to_json(d->second));  // Optuna's form
  }
  nlohmann::json resources = {{"wall_seconds", t.resources.wall_seconds},
                              {"cpu_seconds", t.resources.cpu_seconds},
                              {"peak_memory_growth_bytes", t.resources.peak_memory_growth_bytes}};
  return {{"number", t.number}, {"values", t.values}, {"params", params}, {"distributions", dists},
          {"resources", resources}};
}

inline nlohmann::json export_parse_text(const std::string& text, std::string_view source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw invalid_argument("best-config " + std::string(source) + " is not JSON: " + e.what());
  }
}

/// A JSON parameter value as a category, or nothing when its JSON type cannot be one.
inline std::optional<category> export_json_category(const nlohmann::json& v) {
  if (v.is_boolean()) return category(v.get<bool>());
  if (v.is_number_integer()) return category(v.get<std::int64_t>());
  if (v.is_number()) return category(v.get<double>());
  if (v.is_string()) return category(v.get<std::string>());
  return std::nullopt;
}

/// Whether a value of this JSON type can belong to the distribution at all;
/// separates "wrong type" from "outside the range" in error messages.
inline bool export_type_fits(const distribution& d, const category& c) {
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

inline std::string export_json_type_name(const nlohmann::json& v) {
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  return v.type_name();
}

}  // namespace tunekit::detail

namespace tunekit::deploy {

/// The value of the document's "format" member; read-back refuses others.
inline constexpr std::string_view best_config_format = "tunekit.best_config";
/// Bumped when the document changes incompatibly.
inline constexpr int best_config_format_version = 1;

/// What the document records about where the study came from.
struct export_options {
  /// The storage URL the study was read from; any password in it is
  /// replaced by "***" before it is written.
  std::string storage_url = {};
  /// Time stamp of the export; now when empty (fixed in tests).
  std::optional<std::chrono::system_clock::time_point> exported_at = std::nullopt;
};


/// The export document of a study's best trial(s):
///
///     {"format": "tunekit.best_config", "format_version": 1,
///      "tunekit_version": "0.1.0", "exported_at": "2026-12-02T18:40:00Z",
///      "study": {"name": ..., "directions": ["minimize"],
///                "storage": {"kind": "journal", "url": "journal:///..."},
///                "n_trials": 40, "n_complete": 37},
///      "best_trials": [{"number": 12, "values": [0.03], "params": {...},
///                       "distributions": {...}, "resources": {...}}],
///      "params": {...}}        // the first best trial's, for programs that want one
///
/// One objective: `best_trials` holds the best trial. Several: the Pareto
/// front, ordered by trial number. Throws `state_error` naming the study when
/// no trial has completed.
inline nlohmann::json best_config_json(std::string_view study_name, std::span<const direction> directions,
                                       std::span<const frozen_trial> trials, const export_options& options = {}) {
  const auto front = detail::export_best_front(directions, trials);
  if (front.empty()) {
    std::size_t finished = 0;
    for (const auto& t : trials) finished += is_finished(t.state) ? 1 : 0;
    throw state_error("cannot export study " + detail::quoted(study_name) + ": no trial has completed (" +
                      std::to_string(trials.size()) + " trials, " + std::to_string(finished) +
                      " finished as PRUNED or FAIL); run the study first");
  }
  nlohmann::json dirs = nlohmann::json::array();
  for (auto d : directions) dirs.push_back(std::string(to_string(d)));
  std::size_t n_complete = 0;
  for (const auto& t : trials) n_complete += t.state == trial_state::complete ? 1 : 0;
  nlohmann::json storage = {{"kind", options.storage_url.empty() ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(detail::storage_kind(options.storage_url))},
                            {"url", options.storage_url.empty() ? nlohmann::json(nullptr)
                                                                : nlohmann::json(detail::redact_url(options.storage_url))}};
  nlohmann::json best = nlohmann::json::array();
  for (const auto& t : front) best.push_back(detail::export_trial_entry(t));
  nlohmann::json doc;
  doc["format"] = best_config_format;
  doc["format_version"] = best_config_format_version;
  doc["tunekit_version"] = version;
  doc["exported_at"] = detail::iso8601_utc(options.exported_at.value_or(std::chrono::system_clock::now()));
  doc["study"] = {{"name", study_name},
                  {"directions", dirs},
                  {"storage", storage},
                  {"n_trials", trials.size()},
                  {"n_complete", n_complete}};
  doc["best_trials"] = best;
  doc["params"] = best[0]["params"];
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
inline void write_json_file(const nlohmann::json& doc, const std::filesystem::path& path) {
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

/// Fills a T from an export document: every bound member must be in the file
/// with a value of the right type inside its distribution. Throws
/// `invalid_argument` naming the field: missing, extra, wrong type, or outside.
template <class T>
T read_config(const space<T>& sp, const nlohmann::json& doc, const read_options& options = {},
              std::string_view source = "document") {
  const std::string where = "best-config " + std::string(source);
  if (!doc.is_object() || doc.value("format", std::string()) != best_config_format)
    throw invalid_argument(where + " is not a tunekit best-config document (its \"format\" must be \"" +
                           std::string(best_config_format) + "\")");
  if (!doc.contains("format_version") || !doc["format_version"].is_number_integer() ||
      doc["format_version"].get<std::int64_t>() > best_config_format_version)
    throw invalid_argument(where + " has format_version " + (doc.contains("format_version") ? doc["format_version"].dump() : "(none)") +
                           "; this tunekit reads versions up to " + std::to_string(best_config_format_version));
  if (!doc.contains("best_trials") || !doc["best_trials"].is_array() || doc["best_trials"].empty())
    throw invalid_argument(where + " has no best_trials");
  const auto& trials = doc["best_trials"];
  if (options.index >= trials.size())
    throw invalid_argument(where + ": read_options::index = " + std::to_string(options.index) + " but the file has " +
                           std::to_string(trials.size()) + " best trial(s)");
  const auto& entry = trials[options.index];
  if (!entry.is_object() || !entry.contains("params") || !entry["params"].is_object())
    throw invalid_argument(where + ": best trial " + std::to_string(options.index) + " has no \"params\" object");
  const auto& params = entry["params"];

  T value{};
  for (const auto& b : sp.bindings()) {
    if (!params.contains(b.name))
      throw invalid_argument(where + ": field " + detail::quoted(b.name) + " is missing; the struct binds it to " +
                             describe(b.dist));
    const auto& v = params[b.name];
    const auto c = detail::export_json_category(v);
    if (!c || !detail::export_type_fits(b.dist, *c))
      throw invalid_argument(where + ": field " + detail::quoted(b.name) + " has the wrong type (" +
                             detail::export_json_type_name(v) + " " + v.dump() + "); the struct expects " + describe(b.dist));
    double internal;
    try {
      internal = to_internal(b.dist, *c, b.name);
    } catch (const invalid_argument&) {
      throw invalid_argument(where + ": field " + detail::quoted(b.name) + " = " + v.dump() +
                             " is outside its distribution; allowed: " + describe(b.dist));
    }
    b.assign(value, internal);
  }
  if (!options.allow_extra)
    for (const auto& [name, v] : params.items())
      if (!sp.dynamic().find(name))
        throw invalid_argument(where + ": field " + detail::quoted(name) +
                               " is in the file but not bound by the struct's space (misspelt member? "
                               "read_options::allow_extra accepts it)");
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
