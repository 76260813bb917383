// tunekit: inspect and manage studies in any storage URL.
//
//   tunekit studies <url>
//   tunekit trials  <url> <study> [--format table|csv|json]
//   tunekit best    <url> <study> [--format table|json]
//   tunekit export  <url> <study> [--output <file>]
//   tunekit copy    <from-url> <study> <to-url> [--name <new-name>]
//   tunekit delete  <url> <study>
//   tunekit report  <url> <study> -o <file.html>
//   tunekit curves  <url> <study> [--max-step N] [--min-step 1] [--reduction-factor 3] [--format table|json]
//   tunekit deploy  export|job|serve <url> <study> ...   (deploy_command.hpp)
//
// Exit status: 0 on success, 1 on an error (message on stderr), 2 on bad usage.

#include <tunekit/mo/constraints.hpp>
#include <tunekit/storage.hpp>

#include "curves_command.hpp"
#include "report_command.hpp"
#include "deploy_command.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tk = tunekit;

namespace {

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr const char* main_help = R"(tunekit - inspect and manage tuning studies

usage: tunekit <command> [arguments] [options]

commands:
  studies <url>                     list the studies of a storage
  trials  <url> <study>             list the trials of a study (table, CSV, JSON)
  best    <url> <study>             the best trial(s) of a study
  export  <url> <study>             the whole study as JSON
  copy    <from-url> <study> <to-url>  copy a study into another storage
  delete  <url> <study>             delete a study
  report  <url> <study> -o <file>   an HTML report with plots of a study
  curves  <url> <study>             how well early values rank final ones (choosing early stopping)
  deploy  export|job|serve <url> <study>  best config, Kubernetes Job / serving manifests

storage URLs:
  journal:///path/to/study.log      a journal file (Optuna 3.1 JournalFileStorage format)
  sqlite:///path/to/study.db        a SQLite database (Optuna 3.1 RDBStorage schema)
  postgresql://user@host:port/db    a PostgreSQL database (same schema), when built with tunekit::postgres
  memory:                           an empty in-process storage (for testing)

Run 'tunekit <command> --help' for a command's options.
)";

const std::map<std::string, std::string, std::less<>> command_help = {
    {"studies", "usage: tunekit studies <url> [--format table|json]\n\n"
                "Lists the studies: name, directions, trials by state, best value.\n"},
    {"trials", "usage: tunekit trials <url> <study> [--format table|csv|json]\n\n"
               "Lists every trial: number, state, values, parameters, duration.\n"
               "JSON also has intermediate values and user attributes.\n"},
    {"best", "usage: tunekit best <url> <study> [--format table|json]\n\n"
             "The best COMPLETE trial (single objective) or the Pareto front.\n"},
    {"export", "usage: tunekit export <url> <study> [--output <file>]\n\n"
               "Writes the study (directions, user attributes, every trial) as JSON,\n"
               "to stdout or to <file>.\n"},
    {"copy", "usage: tunekit copy <from-url> <study> <to-url> [--name <new-name>]\n\n"
             "Copies a study with all its trials into another storage.\n"},
    {"delete", "usage: tunekit delete <url> <study>\n\n"
               "Deletes a study and its trials (a journal records the deletion).\n"},
    {"report", tk::cli::report_help},
    {"curves", tk::cli::curves_help},
};

struct args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> options;
  bool help = false;
};

args parse(int argc, char** argv) {
  args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = std::string_view(argv[i]) == "-o" ? "--output" : argv[i];  // -o: short for --output
    if (s == "--help" || s == "-h") {
      a.help = true;
    } else if (s.rfind("--", 0) == 0) {
      const auto eq = s.find('=');
      if (eq != std::string::npos) a.options[s.substr(2, eq - 2)] = s.substr(eq + 1);
      else if (i + 1 < argc) a.options[s.substr(2)] = argv[++i];
      else throw usage_error("option " + s + " needs a value");
    } else if (a.command.empty()) {
      a.command = s;
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

std::string option(const args& a, std::string_view key, std::string fallback, std::initializer_list<std::string_view> allowed) {
  auto it = a.options.find(key);
  if (it == a.options.end()) return fallback;
  if (allowed.size() && std::find(allowed.begin(), allowed.end(), it->second) == allowed.end()) {
    std::string list;
    for (auto v : allowed) {
      if (!list.empty()) list += ", ";
      list += v;
    }
    throw usage_error("--" + std::string(key) + " " + it->second + " is not allowed; use one of: " + list);
  }
  return it->second;
}

void check_options(const args& a, std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : a.options)
    if (std::find(known.begin(), known.end(), k) == known.end())
      throw usage_error("unknown option --" + k + " for '" + a.command + "'");
}

/// The integer value of option `key` (>= `least`), or `fallback` when absent.
std::optional<std::int64_t> int_option(const args& a, std::string_view key, std::optional<std::int64_t> fallback,
                                       std::int64_t least) {
  auto it = a.options.find(key);
  if (it == a.options.end()) return fallback;
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != it->second.size() || v < least)
    throw usage_error("--" + std::string(key) + " " + it->second + " is not allowed; give an integer >= " +
                      std::to_string(least));
  return v;
}

void need(const args& a, std::size_t n) {
  if (a.positional.size() != n)
    throw usage_error("'" + a.command + "' takes " + std::to_string(n) + " argument(s), got " +
                      std::to_string(a.positional.size()) + "\n" + command_help.at(a.command));
}

std::string json_text(const nlohmann::json& j) { return tk::detail::to_json_text(j); }

std::string value_text(const tk::category& c) {
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<V, std::int64_t>) return std::to_string(v);
        else if constexpr (std::is_same_v<V, double>) return tk::detail::format_number(v);
        else return v;
      },
      c);
}

nlohmann::json trial_json(const tk::frozen_trial& t) {
  nlohmann::json j;
  j["number"] = t.number;
  j["state"] = std::string(tk::to_string(t.state));
  j["values"] = t.values.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.values);
  nlohmann::json params = nlohmann::json::object(), dists = nlohmann::json::object();
  for (const auto& [k, v] : t.params) {
    const auto& d = t.distributions.find(k)->second;
    params[k] = tk::detail::journal::category_json(tk::to_external(d, v));
    dists[k] = tk::detail::parse_json_line(tk::detail::journal::distribution_to_json(d));  // Optuna's form
  }
  j["params"] = params;
  j["distributions"] = dists;
  nlohmann::json iv = nlohmann::json::object();
  for (const auto& [step, v] : t.intermediate_values) iv[std::to_string(step)] = v;
  j["intermediate_values"] = iv;
  nlohmann::json ua = nlohmann::json::object();
  for (const auto& [k, v] : t.user_attrs) ua[k] = v;
  j["user_attrs"] = ua;
  j["datetime_start"] = t.datetime_start ? nlohmann::json(tk::detail::journal::format_time(*t.datetime_start)) : nlohmann::json(nullptr);
  j["datetime_complete"] =
      t.datetime_complete ? nlohmann::json(tk::detail::journal::format_time(*t.datetime_complete)) : nlohmann::json(nullptr);
  if (!t.fail_reason.empty()) j["fail_reason"] = t.fail_reason;
  return j;
}

std::string csv_cell(std::string s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// A plain table: columns padded to their widest cell; newlines shown as \n.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  auto clean = [](std::string s) {
    std::string out;
    for (char c : s) out += c == '\n' ? std::string("\\n") : c == '\t' ? std::string("\\t") : std::string(1, c);
    return out;
  };
  std::vector<std::size_t> width(header.size());
  for (std::size_t k = 0; k < header.size(); ++k) width[k] = header[k].size();
  for (const auto& r : rows)
    for (std::size_t k = 0; k < r.size(); ++k) width[k] = std::max(width[k], clean(r[k]).size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t k = 0; k < cells.size(); ++k) {
      std::string c = clean(cells[k]);
      if (k + 1 < cells.size()) c.resize(width[k], ' ');
      out += c + (k + 1 < cells.size() ? "  " : "");
    }
    std::cout << out << '\n';
  };
  line(header);
  for (const auto& r : rows) line(r);
}

std::string values_text(const tk::frozen_trial& t) {
  std::string s;
  for (double v : t.values) {
    if (!s.empty()) s += ' ';  // appends, not "a" + b: GCC 12 bug 105329 (-Wrestrict)
    s += tk::detail::format_number(v);
  }
  return s;
}

// The best trials as the tuner's best_trial/best_trials, feasible trials
// first: the front of the feasible trials, or the least violating ones when
// none is; one trial for one objective (the first of the best values, as
// Optuna's best_trial). Empty when no trial is COMPLETE.
std::vector<tk::frozen_trial> best_of(const std::vector<tk::frozen_trial>& trials, const std::vector<tk::direction>& dirs) {
  std::vector<tk::frozen_trial> front;
  for (std::size_t i : tk::best_trial_positions(trials, dirs)) front.push_back(trials[i]);
  if (dirs.size() == 1 && !front.empty()) {
    auto best = std::min_element(front.begin(), front.end(),
                                 [&](const auto& x, const auto& y) { return tk::better(dirs[0], x.values[0], y.values[0]); });
    front = {*best};
  }
  return front;
}

int cmd_studies(const args& a) {
  check_options(a, {"format"});
  need(a, 1);
  const std::string format = option(a, "format", "table", {"table", "json"});
  tk::any_storage s = tk::open_storage(a.positional[0]);
  std::vector<std::vector<std::string>> rows;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& name : s.study_names()) {
    const auto id = *s.find_study(name);
    const auto dirs = s.study_directions(id);
    const auto trials = s.trials(id);
    std::map<tk::trial_state, int> counts;
    std::optional<double> best;
    for (const auto& t : trials) ++counts[t.state];
    if (dirs.size() == 1)
      if (const auto front = best_of(trials, dirs); !front.empty()) best = front[0].values[0];
    std::string d;
    for (auto x : dirs) {
      if (!d.empty()) d += ',';
      d += tk::to_string(x);
    }
    rows.push_back({name, d, std::to_string(trials.size()), std::to_string(counts[tk::trial_state::complete]),
                    std::to_string(counts[tk::trial_state::pruned]), std::to_string(counts[tk::trial_state::fail]),
                    std::to_string(counts[tk::trial_state::running]), best ? tk::detail::format_number(*best) : "-"});
    nlohmann::json j = {{"name", name},
                        {"directions", nlohmann::json::array()},
                        {"n_trials", trials.size()},
                        {"best_value", best ? nlohmann::json(*best) : nlohmann::json(nullptr)}};
    for (auto x : dirs) j["directions"].push_back(std::string(tk::to_string(x)));
    out.push_back(j);
  }
  if (format == "json") std::cout << json_text(out) << '\n';
  else print_table({"study", "directions", "trials", "complete", "pruned", "fail", "running", "best"}, rows);
  return 0;
}

int cmd_trials(const args& a) {
  check_options(a, {"format"});
  need(a, 2);
  const std::string format = option(a, "format", "table", {"table", "csv", "json"});
  tk::any_storage s = tk::open_storage(a.positional[0]);
  const auto trials = s.trials(s.study_by_name(a.positional[1]));
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : trials) out.push_back(trial_json(t));
    std::cout << json_text(out) << '\n';
    return 0;
  }
  std::vector<std::string> names;  // every parameter name, in first-seen order
  for (const auto& t : trials)
    for (const auto& [k, v] : t.params)
      if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
  std::vector<std::string> header = {"number", "state", "value", "duration_s"};
  for (const auto& n : names) header.push_back("params_" + n);
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : trials) {
    std::vector<std::string> r = {std::to_string(t.number), std::string(tk::to_string(t.state)), values_text(t),
                                  t.duration_seconds() ? tk::detail::format_number(std::round(*t.duration_seconds() * 1e3) / 1e3) : ""};
    for (const auto& n : names) r.push_back(t.has_param(n) ? value_text(t.external_param(n)) : "");
    rows.push_back(std::move(r));
  }
  if (format == "csv") {
    auto print = [](const std::vector<std::string>& cells) {
      std::string line;
      for (std::size_t k = 0; k < cells.size(); ++k) {
        if (k) line += ',';
        line += csv_cell(cells[k]);
      }
      std::cout << line << '\n';
    };
    print(header);
    for (const auto& r : rows) print(r);
  } else {
    print_table(header, rows);
  }
  return 0;
}

int cmd_best(const args& a) {
  check_options(a, {"format"});
  need(a, 2);
  const std::string format = option(a, "format", "table", {"table", "json"});
  tk::any_storage s = tk::open_storage(a.positional[0]);
  const auto id = s.study_by_name(a.positional[1]);
  const auto dirs = s.study_directions(id);
  const auto trials = s.trials(id);
  const auto front = best_of(trials, dirs);
  if (front.empty()) throw tk::state_error("study " + tk::detail::quoted(a.positional[1]) + " has no COMPLETE trial yet");
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : front) out.push_back(trial_json(t));
    std::cout << json_text(dirs.size() == 1 ? out[0] : out) << '\n';
    return 0;
  }
  for (const auto& t : front) {
    std::cout << "trial " << t.number << ": value " << values_text(t) << '\n';
    for (const auto& [k, v] : t.params) std::cout << "  " << k << " = " << value_text(t.external_param(k)) << '\n';
  }
  return 0;
}

int cmd_export(const args& a) {
  check_options(a, {"output"});
  need(a, 2);
  tk::any_storage s = tk::open_storage(a.positional[0]);
  const auto id = s.study_by_name(a.positional[1]);
  nlohmann::json out;
  out["study_name"] = a.positional[1];
  out["directions"] = nlohmann::json::array();
  for (auto d : s.study_directions(id)) out["directions"].push_back(std::string(tk::to_string(d)));
  nlohmann::json ua = nlohmann::json::object();
  for (const auto& [k, v] : s.study_user_attrs(id)) ua[k] = v;
  out["user_attrs"] = ua;
  out["trials"] = nlohmann::json::array();
  for (const auto& t : s.trials(id)) out["trials"].push_back(trial_json(t));
  const std::string text = json_text(out) + "\n";
  if (auto o = a.options.find("output"); o != a.options.end()) {
    std::ofstream f(o->second, std::ios::binary | std::ios::trunc);
    if (!f) throw tk::storage_error("cannot write " + tk::detail::quoted(o->second));
    f << text;
    if (!f.flush()) throw tk::storage_error("cannot write " + tk::detail::quoted(o->second));
  } else {
    std::cout << text;
  }
  return 0;
}

int cmd_copy(const args& a) {
  check_options(a, {"name"});
  need(a, 3);
  tk::any_storage from = tk::open_storage(a.positional[0]);
  from.study_by_name(a.positional[1]);  // a clear error before the destination is touched
  tk::any_storage to = tk::open_storage(a.positional[2]);
  const std::string name = option(a, "name", a.positional[1], {});
  tk::copy_study(from, a.positional[1], to, name);
  std::cout << "copied study " << tk::detail::quoted(a.positional[1]) << " (" << to.trials(*to.find_study(name)).size()
            << " trials) to " << a.positional[2] << " as " << tk::detail::quoted(name) << '\n';
  return 0;
}

int cmd_delete(const args& a) {
  check_options(a, {});
  need(a, 2);
  tk::any_storage s = tk::open_storage(a.positional[0]);
  s.delete_study(s.study_by_name(a.positional[1]));
  std::cout << "deleted study " << tk::detail::quoted(a.positional[1]) << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "deploy") return tunekit_cli::run_deploy(argc, argv);
  try {
    const args a = parse(argc, argv);
    if (a.command.empty()) {
      std::cout << main_help;
      return a.help ? 0 : 2;
    }
    if (!command_help.count(a.command)) throw usage_error("unknown command '" + a.command + "'\n\n" + main_help);
    if (a.help) {
      std::cout << command_help.at(a.command);
      return 0;
    }
    if (a.command == "studies") return cmd_studies(a);
    if (a.command == "trials") return cmd_trials(a);
    if (a.command == "best") return cmd_best(a);
    if (a.command == "export") return cmd_export(a);
    if (a.command == "copy") return cmd_copy(a);
    if (a.command == "curves") {
      check_options(a, {"max-step", "min-step", "reduction-factor", "format"});
      need(a, 2);
      return tk::cli::run_curves_command(a.positional[0], a.positional[1], *int_option(a, "min-step", 1, 1),
                                         int_option(a, "max-step", std::nullopt, 1),
                                         *int_option(a, "reduction-factor", 3, 2),
                                         option(a, "format", "table", {"table", "json"}));
    }
    if (a.command == "report") {
      check_options(a, {"output"});
      need(a, 2);
      if (!a.options.count("output")) throw usage_error("'report' needs -o <file.html>\n" + command_help.at("report"));
      return tk::cli::run_report_command(a.positional[0], a.positional[1], a.options.at("output"));
    }
    return cmd_delete(a);
  } catch (const usage_error& e) {
    std::cerr << "tunekit: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tunekit: error: " << e.what() << '\n';
    return 1;
  }
}
