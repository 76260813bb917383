// The quality suite of BENCHMARKS.md: runs each (sampler, function, seed)
// with tunekit's tuner for max(budget) trials and writes one JSON line per
// run, in the format the peer scripts (peers/optuna_suite.py) also write, so
// that compare.py can put them side by side:
//
//   {"system": "tunekit", "sampler": "random", "function": "branin", "seed": 3,
//    "best_at": {"25": 0.61, "50": 0.41, "100": 0.399, "200": 0.3979}, "wall_s": 0.0012}
//
//   suite --sampler random,qmc --functions branin,hartmann3 --seeds 0-9
//         --budgets 25,50,100,200 --out tunekit.jsonl --jobs 2
//
// A sampler is one line of `samplers` below; a new sampler (TPE, GP) adds its
// line and is then available by name.
#include <tunekit/testing/test_functions.hpp>
#include <tunekit/tunekit.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace tt = tunekit::testing;

/// What one run produced: the objective value of every trial, in trial order.
struct run_result {
  std::vector<double> values;
  double wall_seconds = 0.0;
};

/// The test function's domain as tunekit distributions, in argument order.
std::vector<std::pair<std::string, tunekit::distribution>> distributions_of(const tt::test_function& f) {
  std::vector<std::pair<std::string, tunekit::distribution>> out;
  for (const auto& p : f.domain) {
    switch (p.kind) {
      case tt::parameter_kind::continuous:
        out.emplace_back(p.name, tunekit::float_distribution(p.low, p.high, {.log = p.log}, p.name));
        break;
      case tt::parameter_kind::integer:
        out.emplace_back(p.name, tunekit::int_distribution(static_cast<std::int64_t>(p.low),
                                                           static_cast<std::int64_t>(p.high), {.log = p.log},
                                                           p.name));
        break;
      case tt::parameter_kind::categorical: {
        std::vector<tunekit::category> choices(p.choices.begin(), p.choices.end());
        out.emplace_back(p.name, tunekit::categorical_distribution(std::move(choices), p.name));
        break;
      }
    }
  }
  return out;
}

/// One study: a define-by-run objective that suggests each parameter of the
/// domain (as Optuna's peer does) and evaluates the function.
template <class Sampler>
run_result run_study(const tt::test_function& f, int n_trials, Sampler sampler) {
  const auto params = distributions_of(f);
  tunekit::tuner tuner{std::move(sampler)};
  run_result result;
  result.values.reserve(static_cast<std::size_t>(n_trials));
  std::vector<double> x(params.size());
  const auto start = std::chrono::steady_clock::now();
  tuner.optimize(
      [&](tunekit::trial& t) {
        for (std::size_t i = 0; i < params.size(); ++i) x[i] = t.suggest(params[i].first, params[i].second);
        const double v = f.evaluate(x);
        result.values.push_back(v);  // n_jobs = 1: trial order
        return v;
      },
      {.n_trials = n_trials, .catch_exceptions = false});
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

/// Grid search baseline: k evenly spaced values (cell midpoints on the unit
/// scale) per continuous or wide integer parameter, every value of narrow
/// integer and categorical ones, with k the smallest number giving at least
/// n_trials points; visited in the sampler's seeded shuffled order.
tunekit::grid_sampler_options grid_for(const tt::test_function& f, int n_trials, std::uint64_t seed) {
  const auto params = distributions_of(f);
  constexpr std::int64_t narrow = 16;
  double fixed_points = 1.0;
  int spread = 0;
  for (const auto& [name, d] : params) {
    const auto n = std::visit([](const auto& x) -> std::int64_t { return x.size(); }, d);
    if (n > 0 && n <= narrow) fixed_points *= static_cast<double>(n);
    else ++spread;
  }
  int k = 2;
  if (spread > 0)
    while (std::pow(static_cast<double>(k), spread) * fixed_points < n_trials) ++k;
  tunekit::grid_sampler_options options{.seed = seed, .shuffle = true};
  for (const auto& [name, d] : params) {
    const auto n = std::visit([](const auto& x) -> std::int64_t { return x.size(); }, d);
    const std::int64_t count = (n > 0 && n <= narrow) ? n : k;
    std::vector<tunekit::category> values;
    for (std::int64_t i = 0; i < count; ++i) {
      const double u = (static_cast<double>(i) + 0.5) / static_cast<double>(count);
      tunekit::category c = tunekit::to_external(d, tunekit::from_unit(d, u));
      if (std::find(values.begin(), values.end(), c) == values.end()) values.push_back(std::move(c));
    }
    options.values.emplace(name, std::move(values));
  }
  return options;
}

// --- the sampler table: one line per sampler --------------------------------
using runner = run_result (*)(const tt::test_function&, std::uint64_t seed, int n_trials);
struct sampler_entry {
  std::string_view name;
  runner run;
};
constexpr sampler_entry samplers[] = {
    {"random", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::random_sampler{{.seed = seed}});
     }},
    {"qmc", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::qmc_sampler{{.seed = seed}});
     }},
    {"grid", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::grid_sampler{grid_for(f, n, seed)});
     }},
    {"tpe", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::tpe_sampler{{.multivariate = false, .seed = seed}});
     }},
    {"tpe-multivariate", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::tpe_sampler{{.seed = seed}});
     }},
    {"gp", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::gp_sampler{{.seed = seed}});
     }},
    // GP ablations without recompiling: TUNEKIT_SUITE_GP="noise=1e-10,warp=0".
    {"gp-env", [](const tt::test_function& f, std::uint64_t seed, int n) {
       tunekit::gp_sampler_options o{.seed = seed};
       if (const char* env = std::getenv("TUNEKIT_SUITE_GP")) {
         std::string text = env;
         for (std::size_t at = 0; at < text.size();) {
           const std::size_t end = std::min(text.find(',', at), text.size());
           const std::string item = text.substr(at, end - at);
           const std::size_t eq = item.find('=');
           const std::string key = item.substr(0, eq);
           const double v = std::stod(item.substr(eq + 1));
           if (key == "noise") o.min_noise = v;
           else if (key == "warp") o.warp_outputs = v != 0;
           else if (key == "candidates") o.n_candidates = static_cast<std::int64_t>(v);
           else if (key == "refine") o.n_refine = static_cast<std::int64_t>(v);
           else if (key == "restarts") o.n_restarts = static_cast<std::int64_t>(v);
           else if (key == "startup") o.n_startup_trials = static_cast<std::int64_t>(v);
           else throw std::invalid_argument("TUNEKIT_SUITE_GP: unknown key " + key);
           at = end + 1;
         }
       }
       return run_study(f, n, tunekit::gp_sampler{std::move(o)});
     }},
    // Optuna's CmaEsSampler defaults (no restarts; its margin is off, ours
    // only acts on integers); the categorical of mixed_hpo falls back silently.
    {"cmaes", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::cmaes_sampler{{.seed = seed, .warn_independent_sampling = false}});
     }},
    {"cmaes-ipop", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::cmaes_sampler{{.seed = seed, .restart_strategy = tunekit::cmaes_restart::ipop,
                                                      .warn_independent_sampling = false}});
     }},
    {"cmaes-lra", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::cmaes_sampler{{.seed = seed, .lr_adapt = true, .warn_independent_sampling = false}});
     }},
    {"cmaes-bipop", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::cmaes_sampler{{.seed = seed, .restart_strategy = tunekit::cmaes_restart::bipop,
                                                      .warn_independent_sampling = false}});
     }},
    // auto_sampler with its defaults, and the switch from GP to CMA-ES at
    // other numbers of COMPLETE trials (the measurements behind the default,
    // docs/samplers.md).
    {"auto", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::auto_sampler{{.seed = seed}});
     }},
    {"auto-gp50", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::auto_sampler{{.seed = seed, .gp_max_trials = 50}});
     }},
    {"auto-gp100", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::auto_sampler{{.seed = seed, .gp_max_trials = 100}});
     }},
    {"auto-gp300", [](const tt::test_function& f, std::uint64_t seed, int n) {
       return run_study(f, n, tunekit::auto_sampler{{.seed = seed, .gp_max_trials = 300}});
     }},
    // Ablations without recompiling: TUNEKIT_SUITE_AUTO="gp=150,alpha=0.02,gamma=0.1".
    {"auto-env", [](const tt::test_function& f, std::uint64_t seed, int n) {
       tunekit::auto_sampler_options o{.seed = seed};
       if (const char* env = std::getenv("TUNEKIT_SUITE_AUTO")) {
         std::string text = env;
         for (std::size_t at = 0; at < text.size();) {
           const std::size_t end = std::min(text.find(',', at), text.size());
           const std::string item = text.substr(at, end - at);
           const std::size_t eq = item.find('=');
           const std::string key = item.substr(0, eq);
           const double v = std::stod(item.substr(eq + 1));
           if (key == "gp") o.gp_max_trials = static_cast<std::int64_t>(v);
           else if (key == "alpha") o.cmaes_warm_start_alpha = v;
           else if (key == "gamma") o.cmaes_warm_start_gamma = v;
           else throw std::invalid_argument("TUNEKIT_SUITE_AUTO: unknown key " + key);
           at = end + 1;
         }
       }
       return run_study(f, n, tunekit::auto_sampler{std::move(o)});
     }},
};

const sampler_entry* find_sampler(std::string_view name) {
  for (const auto& s : samplers)
    if (s.name == name) return &s;
  return nullptr;
}

// --- command line -------------------------------------------------------------
struct options {
  std::vector<const sampler_entry*> samplers;
  std::vector<const tt::test_function*> functions;
  std::vector<std::uint64_t> seeds;
  std::vector<int> budgets;
  std::string out = "-";
  bool append = false;
  int jobs = 1;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "suite: " << message << "\n(suite --help for usage)\n";
  std::exit(2);
}

void print_help() {
  std::cout << "usage: suite [--sampler random,qmc] [--functions branin,...] [--seeds 0-9]\n"
               "             [--budgets 25,50,100,200] [--out results.jsonl] [--append] [--jobs N]\n"
               "\n"
               "Runs the quality suite of BENCHMARKS.md with tunekit's samplers and writes one\n"
               "JSON line per (sampler, function, seed) to --out (default: standard output).\n"
               "\n"
               "  --sampler, --samplers  comma list of samplers (default random)\n"
               "  --functions            comma list of functions (default: all)\n"
               "  --seeds                seeds, e.g. 0-9 or 0,4,7 (default 0-9)\n"
               "  --budgets              trial counts at which the best value is recorded;\n"
               "                         each run has max(budgets) trials (default 25,50,100,200)\n"
               "  --out                  JSONL file, truncated unless --append; - for stdout\n"
               "  --jobs, --parallel     runs at once, on threads (default 1)\n"
               "\nsamplers:";
  for (const auto& s : samplers) std::cout << ' ' << s.name;
  std::cout << "\nfunctions:";
  for (const auto& f : tt::suite()) std::cout << ' ' << f.name;
  std::cout << '\n';
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) parts.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return parts;
}

std::int64_t parse_int(const std::string& text, const char* what) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty()) usage_error(std::string(what) + ": '" + text + "' is not an integer");
  return v;
}

options parse(int argc, char** argv) {
  options o;
  std::string samplers_arg = "random", functions_arg, seeds_arg = "0-9", budgets_arg = "25,50,100,200";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      print_help();
      std::exit(0);
    } else if (arg == "--sampler" || arg == "--samplers") {
      samplers_arg = value();
    } else if (arg == "--functions" || arg == "--function") {
      functions_arg = value();
    } else if (arg == "--seeds") {
      seeds_arg = value();
    } else if (arg == "--budgets") {
      budgets_arg = value();
    } else if (arg == "--out") {
      o.out = value();
    } else if (arg == "--append") {
      o.append = true;
    } else if (arg == "--jobs" || arg == "--parallel" || arg == "-j") {
      o.jobs = static_cast<int>(parse_int(value(), "--jobs"));
      if (o.jobs < 1) usage_error("--jobs must be >= 1");
    } else {
      usage_error("unknown argument '" + std::string(arg) + "'");
    }
  }
  for (const auto& name : split(samplers_arg)) {
    const auto* s = find_sampler(name);
    if (!s) {
      std::string known;
      for (const auto& e : samplers) known += " " + std::string(e.name);
      usage_error("unknown sampler '" + name + "'; known:" + known);
    }
    o.samplers.push_back(s);
  }
  if (functions_arg.empty()) {
    for (const auto& f : tt::suite()) o.functions.push_back(&f);
  } else {
    for (const auto& name : split(functions_arg)) {
      const auto* f = tt::find(name);
      if (!f) usage_error("unknown function '" + name + "' (suite --help lists them)");
      o.functions.push_back(f);
    }
  }
  for (const auto& part : split(seeds_arg)) {
    const std::size_t dash = part.find('-', 1);
    if (dash == std::string::npos) {
      o.seeds.push_back(static_cast<std::uint64_t>(parse_int(part, "--seeds")));
    } else {
      const auto lo = parse_int(part.substr(0, dash), "--seeds");
      const auto hi = parse_int(part.substr(dash + 1), "--seeds");
      if (lo < 0 || hi < lo) usage_error("--seeds: bad range '" + part + "'");
      for (auto s = lo; s <= hi; ++s) o.seeds.push_back(static_cast<std::uint64_t>(s));
    }
  }
  std::set<int> budgets;
  for (const auto& part : split(budgets_arg)) {
    const auto b = parse_int(part, "--budgets");
    if (b <= 0 || b > std::numeric_limits<int>::max()) usage_error("--budgets must be positive");
    budgets.insert(static_cast<int>(b));
  }
  o.budgets.assign(budgets.begin(), budgets.end());
  if (o.samplers.empty() || o.functions.empty() || o.seeds.empty() || o.budgets.empty())
    usage_error("nothing to run: samplers, functions, seeds and budgets must not be empty");
  return o;
}

struct task {
  const sampler_entry* sampler;
  const tt::test_function* function;
  std::uint64_t seed;
};

std::string record_line(const task& t, const run_result& r, const std::vector<int>& budgets) {
  nlohmann::ordered_json best_at = nlohmann::ordered_json::object();
  double best = std::numeric_limits<double>::infinity();
  std::size_t done = 0;
  for (const int b : budgets) {
    for (; done < std::min(r.values.size(), static_cast<std::size_t>(b)); ++done) best = std::min(best, r.values[done]);
    // A sampler that ran out of points (grid) keeps its last best.
    if (std::isfinite(best)) best_at[std::to_string(b)] = best;
  }
  nlohmann::ordered_json j;
  j["system"] = "tunekit";
  j["sampler"] = t.sampler->name;
  j["function"] = t.function->name;
  j["seed"] = t.seed;
  j["best_at"] = std::move(best_at);
  j["wall_s"] = r.wall_seconds;
  return j.dump();
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  std::vector<task> tasks;
  for (const auto* s : o.samplers)
    for (const auto* f : o.functions)
      for (const auto seed : o.seeds) tasks.push_back({s, f, seed});

  std::ofstream file;
  if (o.out != "-") {
    file.open(o.out, o.append ? std::ios::app : std::ios::trunc);
    if (!file) {
      std::cerr << "suite: cannot open " << o.out << " for writing\n";
      return 1;
    }
  }
  std::ostream& out = o.out == "-" ? std::cout : file;

  // Runs go to a pool of threads; lines are written in task order as soon as
  // every earlier task is done, so the file is the same for any --jobs.
  const int max_budget = o.budgets.back();
  std::vector<std::optional<std::string>> lines(tasks.size());
  std::size_t next_to_write = 0;
  std::atomic<std::size_t> next_task{0};
  std::mutex mutex;
  std::exception_ptr failure;
  auto worker = [&] {
    for (std::size_t i = next_task++; i < tasks.size(); i = next_task++) {
      try {
        const task& t = tasks[i];
        const run_result r = t.sampler->run(*t.function, t.seed, max_budget);
        std::string line = record_line(t, r, o.budgets);
        std::lock_guard lock(mutex);
        lines[i] = std::move(line);
        for (; next_to_write < lines.size() && lines[next_to_write]; ++next_to_write) {
          out << *lines[next_to_write] << '\n';
          lines[next_to_write].reset();
        }
        out.flush();
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        next_task = tasks.size();
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    for (int j = 1; j < std::min<int>(o.jobs, static_cast<int>(tasks.size())); ++j) pool.emplace_back(worker);
    worker();
  }
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      std::cerr << "suite: " << e.what() << '\n';
    }
    return 1;
  }
  return out ? 0 : 1;
}
