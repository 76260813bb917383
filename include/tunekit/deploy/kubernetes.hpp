#pragma once

/// Kubernetes manifests as JSON (which `kubectl apply -f` reads like YAML):
/// an Indexed Job of tuning workers sharing a PostgreSQL study, and a
/// serving Deployment + Service + ConfigMap holding the exported best
/// configuration. Resources come from `size_resources`.

#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../core/errors.hpp"
#include "../detail/format.hpp"
#include "../version.hpp"
#include "choose.hpp"
#include "export.hpp"
#include "sizing.hpp"

namespace tunekit::deploy {

/// What to do with a name that is not a valid Kubernetes object name.
enum class name_policy {
  reject,    ///< throw `invalid_argument` quoting the rule
  sanitize,  ///< lower-case, replace invalid characters by '-', trim, truncate
};

/// The rule every object name here must satisfy: a DNS-1035 label (the
/// strictest of the rules the Job, Deployment, Service and ConfigMap names
/// follow; a Service name may not start with a digit), quoted in errors.
inline constexpr std::string_view dns_label_rule =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?'), at most 63 characters";

/// The longest base name: derived objects append up to 7 characters ("-config").
inline constexpr std::size_t max_base_name = 56;

/// A Secret key: `--secret NAME[:KEY]`.
struct secret_ref {
  std::string name;
  std::string key = "password";
};

/// What the Secret holds.
enum class secret_content {
  password,  ///< the database password; given to libpq as PGPASSWORD
  url,       ///< the whole storage URL (with its password); the URL option is then left empty
};

/// An HTTP probe on the serving container.
struct http_probe {
  std::string path = "/healthz";
  int initial_delay_seconds = 5;
  int period_seconds = 10;
};

/// The tuning Indexed Job: `workers` pods at once, each running the user's
/// worker program against the shared study.
struct job_options {
  std::string name;                       ///< Job name (DNS-1035, see `names`)
  std::string image;                      ///< the user's image holding the worker program
  std::vector<std::string> command = {};  ///< entrypoint override; empty: the image's
  /// Arguments; `$(TUNEKIT_STORAGE_URL)` and `$(TUNEKIT_STUDY)` are expanded by
  /// Kubernetes from the container's environment.
  std::vector<std::string> args = {"--storage", "$(TUNEKIT_STORAGE_URL)", "--study", "$(TUNEKIT_STUDY)"};
  std::string storage_url;                ///< postgresql://user@host:5432/db, without a password
  std::string study;                      ///< the study name (any text; passed in an env variable)
  secret_ref secret;                      ///< the Secret with the password (or URL)
  secret_content secret_holds = secret_content::password;
  int workers = 4;                        ///< parallelism
  int completions = 0;                    ///< pods to complete; 0: `workers`
  int backoff_limit = 6;
  std::string restart_policy = "OnFailure";  ///< OnFailure or Never
  std::optional<int> ttl_seconds_after_finished = std::nullopt;
  resource_sizing resources;
  std::string namespace_name = {};        ///< metadata.namespace; empty: kubectl's current
  std::map<std::string, std::string> labels = {};
  name_policy names = name_policy::reject;
};

/// The serving objects: a ConfigMap with the best configuration, a
/// Deployment mounting it, and a Service in front.
struct serve_options {
  std::string name;
  std::string image;
  std::vector<std::string> command = {};
  std::vector<std::string> args = {};
  int replicas = 2;
  int port = 8080;          ///< the container's port
  int service_port = 80;    ///< the Service's port
  std::string config_dir = "/etc/tunekit";
  std::string config_file = "best.json";  ///< the program reads $TUNEKIT_CONFIG = config_dir/config_file
  std::optional<http_probe> readiness = std::nullopt;
  std::optional<http_probe> liveness = std::nullopt;
  resource_sizing resources;
  std::string namespace_name = {};
  std::map<std::string, std::string> labels = {};
  name_policy names = name_policy::reject;
};

}  // namespace tunekit::deploy

namespace tunekit::detail {

// The functions and classes below are `template <class = void>` only so that a
// translation unit compiles just those it calls (compile cost: see
// benchmarks/RESULTS.md, "Compile cost"); callers use them as plain functions.
template <class = void>
bool dns_label_valid(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!(s.front() >= 'a' && s.front() <= 'z')) return false;
  if (s.back() == '-') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

template <class = void>
bool dns_subdomain_valid(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '.') return false;
  return true;
}

/// A label value: at most 63 characters of [A-Za-z0-9-_.], alphanumeric at
/// both ends, or empty. Invalid characters become '-', the ends are trimmed.
template <class = void>
std::string label_value(std::string_view raw) {
  std::string out;
  for (char c : raw) out += (std::isalnum(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80) || c == '-' || c == '_' || c == '.' ? c : '-';
  if (out.size() > 63) out.resize(63);
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  while (!out.empty() && !alnum(out.back())) out.pop_back();
  std::size_t b = 0;
  while (b < out.size() && !alnum(out[b])) ++b;
  return out.substr(b);
}

template <class = void>
bool label_value_valid(std::string_view v) { return label_value(v) == v; }

/// A label key: an optional DNS subdomain prefix and '/', then a name as a label value (non-empty).
template <class = void>
bool label_key_valid(std::string_view k) {
  const auto slash = k.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? k : k.substr(slash + 1);
  if (name.empty() || !label_value_valid(name)) return false;
  if (slash == std::string_view::npos) return true;
  const std::string_view prefix = k.substr(0, slash);
  if (prefix.empty() || prefix.size() > 253) return false;
  for (char c : prefix)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  return std::isalnum(static_cast<unsigned char>(prefix.front())) && std::isalnum(static_cast<unsigned char>(prefix.back()));
}

/// FNV-1a, 64 bits: a content hash for the rollout annotation (not security).
template <class = void>
std::string fnv1a_hex(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = hex[h & 0xF];
  return out;
}

/// The password part of a URL's user info, if any (`scheme://user:pw@host`).
template <class = void>
bool url_has_password(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  const auto begin = scheme_end + 3;
  const auto end = url.find_first_of("/?#", begin);
  const std::string_view authority = url.substr(begin, end == std::string_view::npos ? url.npos : end - begin);
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos) return true;
  // libpq also takes the password as a query parameter.
  return url.find("password=") != std::string_view::npos;
}

}  // namespace tunekit::detail

namespace tunekit::deploy {

/// A valid object name from `raw`: checked (`reject`) or repaired (`sanitize`:
/// lower-cased, runs of other characters as one '-', leading non-letters and
/// trailing '-' trimmed, cut to `max_base_name`). Throws `invalid_argument`
/// quoting the rule when the name is invalid, or empty after repair.
template <class = void>
std::string object_name(std::string_view raw, name_policy policy, std::string_view what = "name") {
  if (policy == name_policy::reject) {
    if (!detail::dns_label_valid(raw) || raw.size() > max_base_name)
      throw invalid_argument(std::string(what) + " " + detail::quoted(raw) + " is not a valid Kubernetes name: " +
                             std::string(dns_label_rule) + " (tunekit keeps " + std::to_string(max_base_name) +
                             " for the base name, as it appends suffixes such as \"-config\"); "
                             "or let tunekit repair it (name_policy::sanitize, --sanitize-names)");
    return std::string(raw);
  }
  std::string out;
  for (char c : raw) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok) out += l;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  std::size_t b = 0;
  while (b < out.size() && !(out[b] >= 'a' && out[b] <= 'z')) ++b;
  out.erase(0, b);
  if (out.size() > max_base_name) out.resize(max_base_name);
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty())
    throw invalid_argument(std::string(what) + " " + detail::quoted(raw) + " has no letter to make a Kubernetes name of: " +
                           std::string(dns_label_rule));
  return out;
}

}  // namespace tunekit::deploy

namespace tunekit::detail {

template <class = void>
nlohmann::json k8s_labels(const std::map<std::string, std::string>& user, const std::string& name,
                                 std::string_view component, std::string_view study) {
  nlohmann::json labels = {{"app.kubernetes.io/name", name},
                           {"app.kubernetes.io/component", component},
                           {"app.kubernetes.io/managed-by", "tunekit"}};
  if (auto v = label_value(study); !v.empty()) labels["tunekit.io/study"] = v;
  for (const auto& [k, v] : user) {
    if (!label_key_valid(k))
      throw invalid_argument("label key " + detail::quoted(k) +
                             " is invalid: an optional DNS subdomain prefix and '/', then a name of at most 63 "
                             "characters [A-Za-z0-9-_.] that starts and ends with an alphanumeric character");
    if (!label_value_valid(v))
      throw invalid_argument("label " + detail::quoted(k) + " has value " + detail::quoted(v) +
                             ", which is invalid: at most 63 characters [A-Za-z0-9-_.], starting and ending with an "
                             "alphanumeric character (or empty)");
    labels[k] = v;
  }
  return labels;
}

template <class = void>
nlohmann::json k8s_metadata(const std::string& name, const std::string& ns, const nlohmann::json& labels,
                                   std::string_view study) {
  nlohmann::json m = {{"name", name}, {"labels", labels}};
  // The study name verbatim: annotations take any text, labels do not.
  m["annotations"] = {{"tunekit.io/study", study}, {"tunekit.io/version", version}};
  if (!ns.empty()) m["namespace"] = ns;
  return m;
}

template <class = void>
std::string k8s_namespace(const std::string& ns, deploy::name_policy policy) {
  return ns.empty() ? ns : deploy::object_name(ns, policy, "namespace");
}

template <class = void>
void k8s_check_positive(std::string_view field, std::int64_t v, std::int64_t min = 1) {
  if (v < min)
    throw invalid_argument(std::string(field) + " = " + std::to_string(v) + "; must be >= " + std::to_string(min));
}

template <class = void>
void k8s_check_image(std::string_view image) {
  if (image.empty()) throw invalid_argument("image is empty; give the container image, e.g. registry.example.com/train:1.0");
  for (char c : image)
    if (std::isspace(static_cast<unsigned char>(c)))
      throw invalid_argument("image " + detail::quoted(image) + " contains whitespace; an image reference has none");
}

template <class = void>
nlohmann::json k8s_probe(const deploy::http_probe& p, int port) {
  if (p.path.empty() || p.path.front() != '/')
    throw invalid_argument("probe path " + detail::quoted(p.path) + " must start with '/'");
  k8s_check_positive("probe period_seconds", p.period_seconds);
  k8s_check_positive("probe initial_delay_seconds", p.initial_delay_seconds, 0);
  return {{"httpGet", {{"path", p.path}, {"port", port}}},
          {"initialDelaySeconds", p.initial_delay_seconds},
          {"periodSeconds", p.period_seconds}};
}

template <class = void>
nlohmann::json k8s_list(nlohmann::json items) {
  return {{"apiVersion", "v1"}, {"kind", "List"}, {"items", std::move(items)}};
}

}  // namespace tunekit::detail

namespace tunekit::deploy {

/// The tuning Job as a `kind: List` of one `batch/v1` Job (Indexed, so each
/// worker sees its index in JOB_COMPLETION_INDEX). Credentials reach the
/// pods only through `secretKeyRef`: a storage URL holding a password is
/// rejected. Throws `invalid_argument` naming the bad option.
template <class = void>
nlohmann::json tuning_job(const job_options& o) {
  const std::string name = object_name(o.name, o.names, "job name");
  const std::string ns = detail::k8s_namespace(o.namespace_name, o.names);
  detail::k8s_check_image(o.image);
  detail::k8s_check_positive("workers", o.workers);
  detail::k8s_check_positive("completions", o.completions, 0);
  detail::k8s_check_positive("backoff_limit", o.backoff_limit, 0);
  if (o.restart_policy != "OnFailure" && o.restart_policy != "Never")
    throw invalid_argument("restart_policy = " + detail::quoted(o.restart_policy) +
                           "; a Job's pods take OnFailure or Never");
  if (o.study.empty()) throw invalid_argument("study is empty; give the name of the study the workers share");
  if (o.secret.name.empty() || o.secret.key.empty())
    throw invalid_argument("secret = " + detail::quoted(o.secret.name + ":" + o.secret.key) +
                           "; the workers need a Secret name and key holding the storage password (or URL)");
  if (o.secret.key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != std::string::npos)
    throw invalid_argument("secret key " + detail::quoted(o.secret.key) +
                           " is not a valid Secret key: alphanumeric characters, '-', '_' or '.'");
  if (!detail::dns_subdomain_valid(o.secret.name))  // a Secret we do not create: checked, never repaired
    throw invalid_argument("secret name " + detail::quoted(o.secret.name) +
                           " is not a valid Secret name: a lowercase RFC 1123 subdomain must consist of lower case "
                           "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
  nlohmann::json env = nlohmann::json::array();
  auto from_secret = [&](const char* var) {
    return nlohmann::json{{"name", var},
                          {"valueFrom", {{"secretKeyRef", {{"name", o.secret.name}, {"key", o.secret.key}}}}}};
  };
  if (o.secret_holds == secret_content::password) {
    if (o.storage_url.empty()) throw invalid_argument("storage_url is empty; give the study database, e.g. postgresql://tunekit@postgres:5432/tunekit");
    const auto scheme = o.storage_url.substr(0, o.storage_url.find(':'));
    if (scheme != "postgresql" && scheme != "postgres")
      throw invalid_argument("storage_url " + detail::quoted(o.storage_url) +
                             " is not a PostgreSQL URL; pods on different nodes share a study through a database "
                             "(postgresql://user@host:5432/db), not a local file or memory");
    if (detail::url_has_password(o.storage_url))
      throw invalid_argument("storage_url holds a password; manifests never inline credentials: remove it from the "
                             "URL and put it in the Secret " + detail::quoted(o.secret.name));
    env.push_back(from_secret("PGPASSWORD"));  // libpq reads it when the URL has none
    env.push_back({{"name", "TUNEKIT_STORAGE_URL"}, {"value", o.storage_url}});
  } else {
    if (!o.storage_url.empty())
      throw invalid_argument("storage_url is set while the Secret holds the URL (secret_content::url); leave it empty");
    env.push_back(from_secret("TUNEKIT_STORAGE_URL"));
  }
  env.push_back({{"name", "TUNEKIT_STUDY"}, {"value", o.study}});

  const nlohmann::json labels = detail::k8s_labels(o.labels, name, "tuning-worker", o.study);
  nlohmann::json container = {{"name", "worker"}, {"image", o.image}, {"env", env},
                              {"resources", to_json(o.resources)}};
  if (!o.command.empty()) container["command"] = o.command;
  if (!o.args.empty()) container["args"] = o.args;
  nlohmann::json spec = {{"completionMode", "Indexed"},
                         {"completions", o.completions > 0 ? o.completions : o.workers},
                         {"parallelism", o.workers},
                         {"backoffLimit", o.backoff_limit},
                         {"template",
                          {{"metadata", {{"labels", labels}}},
                           {"spec", {{"restartPolicy", o.restart_policy}, {"containers", nlohmann::json::array({container})}}}}}};
  if (o.ttl_seconds_after_finished) {
    detail::k8s_check_positive("ttl_seconds_after_finished", *o.ttl_seconds_after_finished, 0);
    spec["ttlSecondsAfterFinished"] = *o.ttl_seconds_after_finished;
  }
  nlohmann::json job = {{"apiVersion", "batch/v1"}, {"kind", "Job"},
                        {"metadata", detail::k8s_metadata(name, ns, labels, o.study)}, {"spec", spec}};
  return detail::k8s_list(nlohmann::json::array({job}));
}

/// The serving objects as a `kind: List`: ConfigMap `<name>-config` holding
/// `best_config` (an export document) as a file, a Deployment mounting it at
/// `config_dir` (path in $TUNEKIT_CONFIG; a hash of it in a pod annotation,
/// so a new configuration rolls the pods), and a Service `<name>`.
template <class = void>
nlohmann::json serving(const nlohmann::json& best_config, const serve_options& o) {
  const std::string name = object_name(o.name, o.names, "serving name");
  const std::string ns = detail::k8s_namespace(o.namespace_name, o.names);
  detail::k8s_check_image(o.image);
  detail::k8s_check_positive("replicas", o.replicas, 0);
  if (o.port < 1 || o.port > 65535) throw invalid_argument("port = " + std::to_string(o.port) + "; must be in [1, 65535]");
  if (o.service_port < 1 || o.service_port > 65535)
    throw invalid_argument("service_port = " + std::to_string(o.service_port) + "; must be in [1, 65535]");
  if (o.config_dir.empty() || o.config_dir.front() != '/')
    throw invalid_argument("config_dir = " + detail::quoted(o.config_dir) + "; must be an absolute path");
  // A ConfigMap key: [-._a-zA-Z0-9]+, and a single path component here.
  if (o.config_file.empty() || o.config_file == "." || o.config_file == ".." ||
      o.config_file.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != std::string::npos)
    throw invalid_argument("config_file = " + detail::quoted(o.config_file) +
                           "; a ConfigMap key consists of alphanumeric characters, '-', '_' or '.'");
  if (!best_config.is_object() || !best_config.contains("best_trials") || !best_config["best_trials"].is_array())
    throw invalid_argument("serving: best_config is not an export document (see deploy::best_config_json)");
  if (best_config["best_trials"].size() > 1)
    throw invalid_argument("serving: best_config holds a Pareto front of " + std::to_string(best_config["best_trials"].size()) +
                           " trials, and a server loads best_trials[0], an arbitrary point of it; choose one with "
                           "export_options::choice (CLI: --pick-best OBJECTIVE [--budget OBJECTIVE=LIMIT]; docs/kubernetes.md)");
  const std::string study = best_config.contains("study") && best_config["study"].is_object() &&
                                    best_config["study"].contains("name") && best_config["study"]["name"].is_string()
                                ? best_config["study"]["name"].get<std::string>()
                                : std::string();
  const std::string config_name = name + "-config";
  const std::string text = best_config.dump(2) + "\n";
  const nlohmann::json labels = detail::k8s_labels(o.labels, name, "serving", study);
  const nlohmann::json selector = {{"app.kubernetes.io/name", name}, {"app.kubernetes.io/component", "serving"}};

  nlohmann::json config_map = {{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                               {"metadata", detail::k8s_metadata(config_name, ns, labels, study)},
                               {"data", {{o.config_file, text}}}};

  std::string dir = o.config_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  nlohmann::json container = {
      {"name", "serve"},
      {"image", o.image},
      {"ports", nlohmann::json::array({{{"name", "http"}, {"containerPort", o.port}, {"protocol", "TCP"}}})},
      {"env", nlohmann::json::array({{{"name", "TUNEKIT_CONFIG"}, {"value", (dir == "/" ? "" : dir) + "/" + o.config_file}}})},
      {"volumeMounts", nlohmann::json::array({{{"name", "tunekit-config"}, {"mountPath", dir}, {"readOnly", true}}})},
      {"resources", to_json(o.resources)}};
  if (!o.command.empty()) container["command"] = o.command;
  if (!o.args.empty()) container["args"] = o.args;
  if (o.readiness) container["readinessProbe"] = detail::k8s_probe(*o.readiness, o.port);
  if (o.liveness) container["livenessProbe"] = detail::k8s_probe(*o.liveness, o.port);

  nlohmann::json pod_meta = {{"labels", labels}, {"annotations", {{"tunekit.io/config-hash", detail::fnv1a_hex(text)}}}};
  // The served trial, and for a choice from a Pareto front the rule that chose it.
  if (best_config["best_trials"].size() == 1 && best_config["best_trials"][0].is_object() &&
      best_config["best_trials"][0].contains("number"))
    pod_meta["annotations"]["tunekit.io/trial"] = best_config["best_trials"][0]["number"].dump();
  if (best_config.contains("selection")) {
    check_best_config(best_config, "given to serving");
    pod_meta["annotations"]["tunekit.io/selection"] = detail::choice_summary(best_config);
  }
  nlohmann::json deployment = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", detail::k8s_metadata(name, ns, labels, study)},
      {"spec",
       {{"replicas", o.replicas},
        {"selector", {{"matchLabels", selector}}},
        {"template",
         {{"metadata", pod_meta},
          {"spec",
           {{"containers", nlohmann::json::array({container})},
            {"volumes", nlohmann::json::array({{{"name", "tunekit-config"},
                                                {"configMap", {{"name", config_name}}}}})}}}}}}}};

  nlohmann::json service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", detail::k8s_metadata(name, ns, labels, study)},
      {"spec",
       {{"selector", selector},
        {"ports", nlohmann::json::array({{{"name", "http"}, {"port", o.service_port}, {"targetPort", "http"},
                                          {"protocol", "TCP"}}})}}}};
  return detail::k8s_list(nlohmann::json::array({config_map, deployment, service}));
}

}  // namespace tunekit::deploy
