#pragma once
// `tunekit deploy ...`: the best configuration as a file, and Kubernetes
// manifests sized from a study's measured trials. Kept apart from
// tunekit.cpp, which only dispatches here.
//
//   tunekit deploy export <url> <study> [-o best.json] [--pick-best OBJ [--budget OBJ=LIMIT]...]
//   tunekit deploy job    <url> <study> --image IMG --secret NAME[:KEY] [--workers N] ... [-o job.json]
//   tunekit deploy serve  <url> <study> --image IMG [--replicas N] ... [-o serve.json]
//   tunekit deploy serve  <url> <study> --image IMG --serving-benchmark B.json --target-rate R --p99-ms L ...

#include <tunekit/deploy.hpp>
#include <tunekit/storage.hpp>

#include <cstdlib>
#include <iostream>
#include <map>
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tunekit_cli {

/// Bad command-line usage: exit status 2.
struct deploy_usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr const char* deploy_help = R"(usage: tunekit deploy <export|job|serve> <url> <study> [options]

  export <url> <study> [-o FILE] [choice]
      The best feasible trial (the feasible Pareto front when multi-objective,
      or with a choice the one trial it picks) as a JSON document
      (format_version 2; docs/export.md): study, storage, tunekit version,
      time, and per trial its values, resources and parameters, which are in
      one place, best_trials[i].params (edit them there). Programs read it
      back with tunekit::deploy::load_config(space, FILE), which refuses a
      missing, extra, mistyped or out-of-range field by its path.

  job <url> <study> --image IMAGE --secret NAME[:KEY] [options]
      An Indexed Job of tuning workers sharing a PostgreSQL study.
      --workers N              pods at once (parallelism; default 4)
      --completions N          pods to complete (default: --workers)
      --worker-url URL         the study database as the pods reach it, without
                               a password (default: <url>); postgresql://...
      --secret NAME[:KEY]      Secret with the database password (key default
                               "password"), given to libpq as PGPASSWORD
      --secret-holds url       the Secret holds the whole storage URL instead
      --backoff-limit N        (default 6)   --restart-policy OnFailure|Never
      --ttl SECONDS            delete the finished Job after SECONDS
      --command C, --arg A     entrypoint / arguments (repeatable); default
                               args: --storage $(TUNEKIT_STORAGE_URL) --study $(TUNEKIT_STUDY)

  serve <url> <study> --image IMAGE [options]
      ConfigMap with the exported best configuration, Deployment mounting it
      (path in $TUNEKIT_CONFIG), Service.
      --replicas N (default 2)  --port N (default 8080)  --service-port N (default 80)
      --readiness PATH, --liveness PATH   HTTP probes on the container port
      --config-dir DIR (default /etc/tunekit)   --command C, --arg A (repeatable)
    autoscaled, sized from a load benchmark of one serving process instead of
    the trials (docs/kubernetes.md §5); adds a HorizontalPodAutoscaler
    and a PodDisruptionBudget:
      --serving-benchmark FILE  the tunekit.serving_benchmark JSON (benchmarks/serve_load.py)
      --target-rate R           requests/s to serve within the objective (required)
      --p99-ms L                p99 latency objective in milliseconds (required)
      --cpu-target P (70)       HPA CPU utilisation target, percent of the request
      --capacity-fraction F (0.8)  share of the fastest rate meeting the objective given to a replica
      --peak-factor F (1.5)     maxReplicas serves R * F
      --min-rate-fraction F (0.25)  minReplicas serves R * F ...
      --min-replicas N (2)      ... and is at least N
      --scale-down-window S (300)  HPA scale-down stabilisation, seconds
      --max-unavailable N (1)   PodDisruptionBudget
      --memory-headroom F (1.25)  memory request = peak RSS * F

  choice of one point of a Pareto front (export and serve; docs/kubernetes.md):
      --pick-best OBJ          the best trial on objective OBJ (a name or an index)
                               among the feasible front trials meeting every budget
      --budget OBJ=LIMIT       (repeatable) OBJ must be at least as good as LIMIT:
                               <= LIMIT when minimised, >= LIMIT when maximised
      --objective-names A,B,.. names of the study's objectives, in order
    A multi-objective study is served only with a choice (a server loads one trial).

  common to job and serve:
      --name NAME              object name (default tune-<study> / serve-<study>)
      --namespace NS           --label KEY=VALUE (repeatable)
      --sanitize-names         repair invalid names instead of rejecting them
      sizing (see docs/kubernetes.md):
      --cpu-percentile P (90)  --memory-percentile P (100)  --headroom F (1.25)
      --base-memory Q (128Mi)  --no-cpu-limit  --include-pruned
  -o, --output FILE            write to FILE instead of stdout

Manifests are JSON (kind: List); pipe them to 'kubectl apply -f -'.
)";

namespace detail {

struct deploy_args {
  std::string sub;
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>, std::less<>> options;
  bool help = false;
};

inline const std::vector<std::string_view>& deploy_flags() {
  static const std::vector<std::string_view> flags = {"sanitize-names", "no-cpu-limit", "include-pruned"};
  return flags;
}

inline deploy_args parse_deploy(int argc, char** argv) {
  deploy_args a;
  for (int i = 2; i < argc; ++i) {  // argv[1] is "deploy"
    std::string s = argv[i];
    if (s == "--help" || s == "-h") {
      a.help = true;
      continue;
    }
    if (s == "-o") s = "--output";
    if (s.rfind("--", 0) == 0) {
      std::string key = s.substr(2), value;
      if (const auto eq = key.find('='); eq != std::string::npos) {
        value = key.substr(eq + 1);
        key.resize(eq);
      } else if (std::find(deploy_flags().begin(), deploy_flags().end(), key) != deploy_flags().end()) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        throw deploy_usage_error("option --" + key + " needs a value");
      }
      a.options[key].push_back(value);
    } else if (a.sub.empty()) {
      a.sub = s;
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

inline void check_deploy_options(const deploy_args& a, std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : a.options) {
    if (std::find(known.begin(), known.end(), k) == known.end())
      throw deploy_usage_error("unknown option --" + k + " for 'deploy " + a.sub + "'\n\n" + deploy_help);
    const bool repeatable = k == "arg" || k == "command" || k == "label" || k == "budget";
    if (!repeatable && v.size() > 1) throw deploy_usage_error("option --" + k + " given " + std::to_string(v.size()) + " times");
  }
}

inline std::optional<std::string> opt(const deploy_args& a, std::string_view key) {
  auto it = a.options.find(key);
  if (it == a.options.end()) return std::nullopt;
  return it->second.back();
}

inline std::vector<std::string> opts(const deploy_args& a, std::string_view key) {
  auto it = a.options.find(key);
  return it == a.options.end() ? std::vector<std::string>{} : it->second;
}

inline std::string required(const deploy_args& a, std::string_view key) {
  if (auto v = opt(a, key)) return *v;
  throw deploy_usage_error("'deploy " + a.sub + "' needs --" + std::string(key) + "\n\n" + deploy_help);
}

inline double number(std::string_view key, const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') throw deploy_usage_error("--" + std::string(key) + " " + text + " is not a number");
  return v;
}

inline int integer(std::string_view key, const std::string& text) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < -1000000000 || v > 1000000000)
    throw deploy_usage_error("--" + std::string(key) + " " + text + " is not an integer");
  return static_cast<int>(v);
}

/// "256Mi", "1Gi", "512Ki" or bytes.
inline std::int64_t memory_amount(std::string_view key, const std::string& text) {
  std::int64_t unit = 1;
  std::string digits = text;
  for (const auto& [suffix, u] : {std::pair{"Ki", std::int64_t{1} << 10}, {"Mi", std::int64_t{1} << 20}, {"Gi", std::int64_t{1} << 30}})
    if (text.size() > 2 && text.compare(text.size() - 2, 2, suffix) == 0) {
      unit = u;
      digits = text.substr(0, text.size() - 2);
    }
  char* end = nullptr;
  const long long v = std::strtoll(digits.c_str(), &end, 10);
  if (digits.empty() || *end != '\0' || v < 0 || v > (std::int64_t{1} << 40))
    throw deploy_usage_error("--" + std::string(key) + " " + text + " is not a memory amount (e.g. 256Mi, 1Gi)");
  return static_cast<std::int64_t>(v) * unit;
}

inline tunekit::deploy::sizing_policy sizing_from(const deploy_args& a) {
  tunekit::deploy::sizing_policy p;
  if (auto v = opt(a, "cpu-percentile")) p.cpu_percentile = number("cpu-percentile", *v);
  if (auto v = opt(a, "memory-percentile")) p.memory_percentile = number("memory-percentile", *v);
  if (auto v = opt(a, "headroom")) p.headroom = number("headroom", *v);
  if (auto v = opt(a, "base-memory")) p.base_memory_bytes = memory_amount("base-memory", *v);
  if (opt(a, "no-cpu-limit")) p.set_cpu_limit = false;
  if (opt(a, "include-pruned")) p.include_pruned = true;
  return p;
}

inline std::map<std::string, std::string> labels_from(const deploy_args& a) {
  std::map<std::string, std::string> out;
  for (const auto& kv : opts(a, "label")) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) throw deploy_usage_error("--label " + kv + " is not KEY=VALUE");
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

inline void emit(const deploy_args& a, const nlohmann::json& doc) {
  if (auto path = opt(a, "output")) tunekit::deploy::write_json_file(doc, *path);
  else std::cout << doc.dump(2) << '\n';
}

struct loaded_study {
  std::string url, name;
  std::vector<tunekit::direction> directions;
  std::vector<tunekit::frozen_trial> trials;
};

inline loaded_study load(const deploy_args& a) {
  if (a.positional.size() != 2)
    throw deploy_usage_error("'deploy " + a.sub + "' takes <url> <study>, got " + std::to_string(a.positional.size()) +
                             " argument(s)\n\n" + deploy_help);
  tunekit::any_storage s = tunekit::open_storage(a.positional[0]);
  const auto id = s.study_by_name(a.positional[1]);
  return {a.positional[0], a.positional[1], s.study_directions(id), s.trials(id)};
}

/// The front choice of --pick-best, --budget and --objective-names, if any.
inline std::optional<tunekit::deploy::front_choice> choice_from(const deploy_args& a) {
  const auto best = opt(a, "pick-best");
  if (!best) {
    for (const char* k : {"budget", "objective-names"})
      if (opt(a, k)) throw deploy_usage_error(std::string("--") + k + " needs --pick-best OBJECTIVE (see --help)");
    return std::nullopt;
  }
  tunekit::deploy::front_choice c{.best = *best};
  if (auto names = opt(a, "objective-names")) {
    std::string item;
    for (std::size_t i = 0; i <= names->size(); ++i) {
      if (i == names->size() || (*names)[i] == ',') c.objective_names.push_back(std::exchange(item, {}));
      else item += (*names)[i];
    }
  }
  for (const auto& b : opts(a, "budget")) {
    const auto eq = b.rfind('=');
    if (eq == std::string::npos || eq == 0)
      throw deploy_usage_error("--budget " + b + " is not OBJECTIVE=LIMIT (e.g. --budget latency_ms=20)");
    c.budgets.push_back({.objective = b.substr(0, eq), .limit = number("budget", b.substr(eq + 1))});
  }
  return c;
}

inline nlohmann::json export_doc(const loaded_study& st, const deploy_args& a) {
  return tunekit::deploy::best_config_json(st.name, st.directions, st.trials, {.storage_url = st.url, .choice = choice_from(a)});
}

inline std::string default_name(std::string_view prefix, const std::string& study) {
  // Our own derivation: always repaired (the user did not type it).
  return tunekit::deploy::object_name(std::string(prefix) + study, tunekit::deploy::name_policy::sanitize, "derived name");
}

inline int deploy_export(const deploy_args& a) {
  check_deploy_options(a, {"output", "pick-best", "budget", "objective-names"});
  emit(a, export_doc(load(a), a));
  return 0;
}

inline int deploy_job(const deploy_args& a) {
  check_deploy_options(a, {"output", "image", "workers", "completions", "worker-url", "secret", "secret-holds",
                           "backoff-limit", "restart-policy", "ttl", "command", "arg", "name", "namespace", "label",
                           "sanitize-names", "cpu-percentile", "memory-percentile", "headroom", "base-memory",
                           "no-cpu-limit", "include-pruned"});
  const auto st = load(a);
  namespace dp = tunekit::deploy;
  dp::job_options o;
  o.image = required(a, "image");
  o.names = opt(a, "sanitize-names") ? dp::name_policy::sanitize : dp::name_policy::reject;
  o.name = opt(a, "name").value_or(default_name("tune-", st.name));
  o.study = st.name;
  const std::string secret = required(a, "secret");
  const auto colon = secret.find(':');
  o.secret.name = secret.substr(0, colon);
  if (colon != std::string::npos) o.secret.key = secret.substr(colon + 1);
  const std::string holds = opt(a, "secret-holds").value_or("password");
  if (holds == "url") {
    o.secret_holds = dp::secret_content::url;
    if (opt(a, "worker-url")) throw deploy_usage_error("--worker-url and --secret-holds url exclude each other");
    o.storage_url.clear();
  } else if (holds == "password") {
    o.storage_url = opt(a, "worker-url").value_or(st.url);
  } else {
    throw deploy_usage_error("--secret-holds " + holds + " is not allowed; use password or url");
  }
  if (auto v = opt(a, "workers")) o.workers = integer("workers", *v);
  if (auto v = opt(a, "completions")) o.completions = integer("completions", *v);
  if (auto v = opt(a, "backoff-limit")) o.backoff_limit = integer("backoff-limit", *v);
  if (auto v = opt(a, "restart-policy")) o.restart_policy = *v;
  if (auto v = opt(a, "ttl")) o.ttl_seconds_after_finished = integer("ttl", *v);
  if (a.options.count("command")) o.command = opts(a, "command");
  if (a.options.count("arg")) o.args = opts(a, "arg");
  o.namespace_name = opt(a, "namespace").value_or("");
  o.labels = labels_from(a);
  o.resources = dp::size_resources(std::span<const tunekit::frozen_trial>(st.trials), sizing_from(a));
  emit(a, dp::tuning_job(o));
  return 0;
}

/// The serving objective of `deploy serve --serving-benchmark`.
inline tunekit::deploy::serving_objective objective_from(const deploy_args& a) {
  tunekit::deploy::serving_objective o;
  o.target_rate = number("target-rate", required(a, "target-rate"));
  o.p99_ms = number("p99-ms", required(a, "p99-ms"));
  if (auto v = opt(a, "cpu-target")) o.cpu_utilization_target = integer("cpu-target", *v);
  if (auto v = opt(a, "capacity-fraction")) o.capacity_fraction = number("capacity-fraction", *v);
  if (auto v = opt(a, "peak-factor")) o.peak_factor = number("peak-factor", *v);
  if (auto v = opt(a, "min-rate-fraction")) o.min_rate_fraction = number("min-rate-fraction", *v);
  if (auto v = opt(a, "min-replicas")) o.min_replicas = integer("min-replicas", *v);
  if (auto v = opt(a, "scale-down-window")) o.scale_down_stabilization_seconds = integer("scale-down-window", *v);
  if (auto v = opt(a, "max-unavailable")) o.max_unavailable = integer("max-unavailable", *v);
  if (auto v = opt(a, "memory-headroom")) o.memory_headroom = number("memory-headroom", *v);
  return o;
}

inline int deploy_serve(const deploy_args& a) {
  const auto benchmark = opt(a, "serving-benchmark");
  if (benchmark) {
    for (const char* k : {"replicas", "cpu-percentile", "memory-percentile", "headroom", "base-memory", "no-cpu-limit",
                          "include-pruned"})
      if (opt(a, k))
        throw deploy_usage_error(std::string("--") + k + " sizes from the trials; with --serving-benchmark the replicas "
                                 "and resources come from the benchmark (see --help)");
  } else {
    for (const char* k : {"target-rate", "p99-ms", "cpu-target", "capacity-fraction", "peak-factor", "min-rate-fraction",
                          "min-replicas", "scale-down-window", "max-unavailable", "memory-headroom"})
      if (opt(a, k)) throw deploy_usage_error(std::string("--") + k + " needs --serving-benchmark FILE");
  }
  check_deploy_options(a, {"output", "image", "replicas", "port", "service-port", "readiness", "liveness",
                           "config-dir", "command", "arg", "name", "namespace", "label", "sanitize-names",
                           "cpu-percentile", "memory-percentile", "headroom", "base-memory", "no-cpu-limit",
                           "include-pruned", "serving-benchmark", "target-rate", "p99-ms", "cpu-target",
                           "capacity-fraction", "peak-factor", "min-rate-fraction", "min-replicas",
                           "scale-down-window", "max-unavailable", "memory-headroom", "pick-best", "budget",
                           "objective-names"});
  const auto st = load(a);
  namespace dp = tunekit::deploy;
  dp::serve_options o;
  o.image = required(a, "image");
  o.names = opt(a, "sanitize-names") ? dp::name_policy::sanitize : dp::name_policy::reject;
  o.name = opt(a, "name").value_or(default_name("serve-", st.name));
  if (auto v = opt(a, "replicas")) o.replicas = integer("replicas", *v);
  if (auto v = opt(a, "port")) o.port = integer("port", *v);
  if (auto v = opt(a, "service-port")) o.service_port = integer("service-port", *v);
  if (auto v = opt(a, "readiness")) o.readiness = dp::http_probe{.path = *v};
  if (auto v = opt(a, "liveness")) o.liveness = dp::http_probe{.path = *v};
  if (auto v = opt(a, "config-dir")) o.config_dir = *v;
  if (a.options.count("command")) o.command = opts(a, "command");
  if (a.options.count("arg")) o.args = opts(a, "arg");
  o.namespace_name = opt(a, "namespace").value_or("");
  o.labels = labels_from(a);
  if (benchmark) {
    const auto objective = objective_from(a);
    const auto plan = dp::plan_serving(dp::load_serving_measurement(*benchmark), objective);
    emit(a, dp::autoscaled_serving(export_doc(st, a), o, plan, objective));
    return 0;
  }
  o.resources = dp::size_resources(std::span<const tunekit::frozen_trial>(st.trials), sizing_from(a));
  emit(a, dp::serving(export_doc(st, a), o));
  return 0;
}

}  // namespace detail

/// Runs `tunekit deploy ...` (argv[1] == "deploy"); returns the exit status.
inline int run_deploy(int argc, char** argv) {
  try {
    const auto a = detail::parse_deploy(argc, argv);
    if (a.sub.empty() || a.help) {
      std::cout << deploy_help;
      return a.help ? 0 : 2;
    }
    if (a.sub == "export") return detail::deploy_export(a);
    if (a.sub == "job") return detail::deploy_job(a);
    if (a.sub == "serve") return detail::deploy_serve(a);
    throw deploy_usage_error("unknown deploy command '" + a.sub + "'; use export, job or serve");
  } catch (const deploy_usage_error& e) {
    std::cerr << "tunekit: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tunekit: error: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace tunekit_cli
