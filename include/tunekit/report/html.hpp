#pragma once

// The HTML report of a study: one self-contained file (inline CSS and SVG,
// no script, nothing fetched) that a person opens to see what a tuning run
// did. Plots are drawn here, as SVG text; see docs/report.md for a tour.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/errors.hpp"
#include "../core/frozen_trial.hpp"
#include "../version.hpp"
#include "detail/escape.hpp"
#include "detail/pareto_plot.hpp"
#include "detail/svg.hpp"
#include "importance.hpp"

namespace tunekit::report {

/// What `render_html` / `write_html` put in the report.
struct html_options {
  /// Page title; empty: "tunekit report: <study>".
  std::string title = {};
  /// How parameter importances are computed (PED-ANOVA, importance.hpp).
  ped_anova_options importance = {};
  /// At most this many trials get a line in the intermediate-values plot
  /// (the most recent ones); more would be an unreadable tangle.
  std::size_t max_curves = 300;
  /// Multi-objective studies: the reference point of the hypervolume
  /// history, one value per objective in its own units. Empty: objectives
  /// normalised to [0, 1] between the best and worst feasible values, and
  /// 1.1 in each.
  std::vector<double> hypervolume_reference = {};
};

namespace detail {

inline std::string category_text(const category& c) {
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<V, std::int64_t>) return std::to_string(v);
        else if constexpr (std::is_same_v<V, double>) return num(v);
        else return v;
      },
      c);
}

inline std::string utc_text(std::chrono::system_clock::time_point t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

/// One parameter as the plots see it: its distribution (from the latest
/// trial that has it) and how to place a value on an axis.
struct param_axis {
  std::string name;
  distribution dist;
  std::int64_t from_trial = -1;

  const categorical_distribution* categorical() const { return std::get_if<categorical_distribution>(&dist); }
  bool log() const {
    if (auto f = std::get_if<float_distribution>(&dist)) return f->log();
    if (auto i = std::get_if<int_distribution>(&dist)) return i->log();
    return false;
  }
  /// The plotted number of an internal value: the value, or the category index.
  double value(const frozen_trial& t) const { return t.params.find(name)->second; }
  std::string value_text(double internal) const { return category_text(to_external(dist, internal)); }
  std::string describe() const { return tunekit::describe(dist); }
};

inline std::vector<param_axis> collect_params(std::span<const frozen_trial> trials) {
  std::vector<param_axis> out;
  for (const auto& t : trials)
    for (const auto& [name, d] : t.distributions) {
      const auto& key = name;  // clang 14 cannot capture a structured binding
      auto it = std::find_if(out.begin(), out.end(), [&key](const param_axis& p) { return p.name == key; });
      if (it == out.end()) out.push_back({std::string(name), d, t.number});
      else if (t.number > it->from_trial) it->dist = d, it->from_trial = t.number;
    }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

/// Whether trial `t` has parameter `p` under the distribution the axis uses.
inline bool has(const frozen_trial& t, const param_axis& p) {
  auto d = t.distributions.find(p.name);
  return d != t.distributions.end() && d->second == p.dist && t.params.find(p.name) != t.params.end();
}

/// A scale for a parameter axis: categories evenly spaced, log where the distribution is.
inline scale param_scale(const param_axis& p, double p0, double p1) {
  if (auto c = p.categorical()) return scale{-0.5, static_cast<double>(c->size()) - 0.5, false, p0, p1};
  double lo = 0, hi = 1;
  if (auto f = std::get_if<float_distribution>(&p.dist)) lo = f->low(), hi = f->high();
  else if (auto i = std::get_if<int_distribution>(&p.dist)) lo = static_cast<double>(i->low()), hi = static_cast<double>(i->high());
  return scale::fit({lo, hi}, p0, p1, p.log(), true);
}

/// Ticks of a parameter axis: category names, or the scale's numbers.
inline void param_ticks(svg& s, const param_axis& p, const scale& sc, bool vertical, double at) {
  if (auto c = p.categorical()) {
    for (std::int64_t k = 0; k < c->size(); ++k) {
      const double q = sc(static_cast<double>(k));
      const std::string label = category_text(c->choices()[static_cast<std::size_t>(k)]);
      if (vertical) s.text(at + 6, q + 4, label, "start", "tick-label", 0, 20);
      else s.text(q, at + 16, label, "middle", "tick-label");
    }
    return;
  }
  for (double v : sc.ticks(vertical ? 4 : 5)) {
    const double q = sc(v);
    if (vertical) {
      s.line(at - 3, q, at + 3, q, "tick");
      s.text(at + 6, q + 4, num(v), "start", "tick-label");
    } else {
      s.line(q, at, q, at + 4, "tick");
      s.text(q, at + 16, num(v), "middle", "tick-label");
    }
  }
}

/// The objective's values of COMPLETE trials, by objective index.
inline bool usable(const frozen_trial& t, std::size_t k) {
  return t.state == trial_state::complete && t.values.size() > k && std::isfinite(t.values[k]);
}

/// Values spanning more than three decades, all positive: a log axis reads better.
inline bool wants_log(const std::vector<double>& v) {
  double lo = INFINITY, hi = -INFINITY;
  for (double x : v) lo = std::min(lo, x), hi = std::max(hi, x);
  return lo > 0 && hi / lo > 1e3;
}

inline std::string objective_name(std::span<const direction> dirs, std::size_t k) {
  const std::string base = dirs.size() == 1 ? "objective" : "objective " + std::to_string(k);
  return base + " (" + std::string(to_string(dirs[k])) + ")";
}

inline std::string trial_tip(const frozen_trial& t, std::string_view extra) {
  std::string s = "trial " + std::to_string(t.number) + " (" + std::string(to_string(t.state)) + ")";
  if (!extra.empty()) s += ": " + std::string(extra);
  return s;
}

// --- plots --------------------------------------------------------------

inline std::string history_plot(std::span<const frozen_trial> trials, std::span<const direction> dirs, std::size_t k) {
  std::vector<const frozen_trial*> done;
  std::vector<double> xs, ys;
  for (const auto& t : trials)
    if (usable(t, k)) done.push_back(&t), xs.push_back(static_cast<double>(t.number)), ys.push_back(t.values[k]);
  if (done.empty()) return "<p class=\"note\">No COMPLETE trial yet: nothing to plot.</p>";
  svg s("plot-history-" + std::to_string(k), 760, 340, "optimization history of " + objective_name(dirs, k));
  const scale x = scale::fit(xs, 70, 740), y = scale::fit(ys, 290, 20, wants_log(ys));
  s.axes(x, y, "trial", objective_name(dirs, k));
  std::vector<std::pair<double, double>> best;
  std::optional<double> b;
  for (const auto* t : done) {
    const double v = t->values[k];
    if (!b || better(dirs[k], v, *b)) {
      if (b) best.emplace_back(x(static_cast<double>(t->number)), y(*b));
      b = v;
    }
    best.emplace_back(x(static_cast<double>(t->number)), y(*b));
  }
  best.emplace_back(x.p1, y(*b));
  s.polyline(best, "best-line", {}, "best so far: " + num(*b));
  for (const auto* t : done)
    s.circle(x(static_cast<double>(t->number)), y(t->values[k]), 3.5, "point", {}, trial_tip(*t, num(t->values[k])));
  s.circle(540, 12, 3.5, "point");
  s.text(548, 16, "objective value");
  s.line(660, 12, 680, 12, "best-line legend");
  s.text(686, 16, "best so far");
  return s.str();
}

inline std::string parallel_plot(std::span<const frozen_trial> trials, std::span<const direction> dirs,
                                 const std::vector<param_axis>& params) {
  std::vector<const frozen_trial*> done;
  std::vector<double> ys;
  for (const auto& t : trials)
    if (usable(t, 0)) done.push_back(&t), ys.push_back(t.values[0]);
  if (done.empty() || params.empty())
    return "<p class=\"note\">Needs COMPLETE trials with parameters: nothing to plot.</p>";
  const double gap = 150, top = 40, bottom = 300;
  const double width = std::max(760.0, 80 + gap * static_cast<double>(params.size()) + 120);
  svg s("plot-parallel", width, 350, "parallel coordinates of the parameters and the objective");
  const scale obj = scale::fit(ys, bottom, top, wants_log(ys));
  std::vector<scale> sc;
  for (const auto& p : params) sc.push_back(param_scale(p, bottom, top));
  auto ax = [&](std::size_t i) { return 60 + gap * static_cast<double>(i); };
  // Worst first, so the best lines are drawn on top.
  std::vector<const frozen_trial*> order = done;
  std::stable_sort(order.begin(), order.end(), [&](const auto* a, const auto* b) { return better(dirs[0], b->values[0], a->values[0]); });
  for (const auto* t : order) {
    const double c = obj.t(t->values[0]);
    const double goodness = dirs[0] == direction::minimize ? c : 1 - c;
    const std::string style = "stroke:" + color(goodness);
    std::vector<std::pair<double, double>> seg{{ax(0), obj(t->values[0])}};
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (!has(*t, params[i])) {  // a conditional parameter: break the line
        s.polyline(seg, "pc-line", style, trial_tip(*t, num(t->values[0])));
        seg.clear();
        continue;
      }
      seg.emplace_back(ax(i + 1), sc[i](params[i].value(*t)));
    }
    if (seg.size() > 1) s.polyline(seg, "pc-line", style, trial_tip(*t, num(t->values[0])));
  }
  s.line(ax(0), top, ax(0), bottom, "pc-axis");
  s.text(ax(0), top - 14, objective_name(dirs, 0), "middle", "axis-label");
  param_ticks(s, param_axis{"", float_distribution(0, 1), -1}, obj, true, ax(0));
  for (std::size_t i = 0; i < params.size(); ++i) {
    s.line(ax(i + 1), top, ax(i + 1), bottom, "pc-axis");
    // Axes are 150 px apart: names longer than ~20 characters are cut (full name on hover).
    s.text(ax(i + 1), top - 14, params[i].name + (params[i].log() ? " (log)" : ""), "middle", "axis-label", 0, 20);
    param_ticks(s, params[i], sc[i], true, ax(i + 1));
  }
  return s.str();
}

inline std::string slice_plot(std::span<const frozen_trial> trials, std::span<const direction> dirs, const param_axis& p,
                              std::size_t index) {
  std::vector<const frozen_trial*> done;
  std::vector<double> ys;
  for (const auto& t : trials)
    if (usable(t, 0) && has(t, p)) done.push_back(&t), ys.push_back(t.values[0]);
  if (done.empty()) return "<p class=\"note\">No COMPLETE trial has this parameter.</p>";
  svg s("plot-slice-" + std::to_string(index), 370, 270, "slice plot of parameter " + p.name);
  const scale x = param_scale(p, 60, 355);
  const scale y = scale::fit(ys, 215, 15, wants_log(ys));
  if (p.categorical()) {
    s.axes(x, y, p.name, objective_name(dirs, 0), /*x_ticks=*/false);
    param_ticks(s, p, x, false, y.p0);
  } else {
    s.axes(x, y, p.name + (p.log() ? " (log)" : ""), objective_name(dirs, 0));
  }
  const double last = static_cast<double>(std::max<std::int64_t>(1, trials.back().number));
  for (const auto* t : done) {
    const double v = p.value(*t);
    s.circle(x(v), y(t->values[0]), 3.5, "point", color(1 - static_cast<double>(t->number) / last),
             trial_tip(*t, p.name + " = " + p.value_text(v) + ", " + num(t->values[0])));
  }
  return s.str();
}

inline std::string importance_plot(const std::vector<param_importance>& imp, std::span<const direction> dirs, std::size_t k) {
  svg s("plot-importance-" + std::to_string(k), 760, 50 + 28 * static_cast<double>(imp.size()),
        "parameter importances for " + objective_name(dirs, k));
  const double left = 220, right = 700;
  double top_score = 0;  // bars relative to the largest: also right for unnormalised scores
  for (const auto& p : imp) top_score = std::max(top_score, p.importance);
  for (std::size_t i = 0; i < imp.size(); ++i) {
    const double y = 20 + 28 * static_cast<double>(i);
    const double w = top_score > 0 ? (right - left) * imp[i].importance / top_score : 0.0;
    s.text(left - 8, y + 15, imp[i].name, "end", "label", 0, 30);
    s.rect(left, y, w, 20, "bar", imp[i].name + ": " + num(imp[i].importance));
    s.text(left + w + 6, y + 15, num(imp[i].importance), "start", "tick-label");
  }
  s.line(left, 15, left, 25 + 28 * static_cast<double>(imp.size()), "pc-axis");
  return s.str();
}

inline std::string intermediate_plot(std::span<const frozen_trial> trials, std::size_t max_curves) {
  std::vector<const frozen_trial*> with;
  for (const auto& t : trials)
    if (!t.intermediate_values.empty()) with.push_back(&t);
  if (with.empty()) return "<p class=\"note\">No trial reported intermediate values.</p>";
  if (with.size() > max_curves) with.erase(with.begin(), with.end() - static_cast<std::ptrdiff_t>(max_curves));
  std::vector<double> xs, ys;
  for (const auto* t : with)
    for (const auto& [step, v] : t->intermediate_values) xs.push_back(static_cast<double>(step)), ys.push_back(v);
  svg s("plot-intermediate", 760, 340, "intermediate values per trial");
  const scale x = scale::fit(xs, 70, 740), y = scale::fit(ys, 290, 20, wants_log(ys));
  s.axes(x, y, "step", "intermediate value");
  for (const auto* t : with) {
    const std::string cls = "curve state-" + std::string(to_string(t->state));
    std::vector<std::pair<double, double>> pts;
    for (const auto& [step, v] : t->intermediate_values)
      if (std::isfinite(v)) pts.emplace_back(x(static_cast<double>(step)), y(v));
    if (pts.empty()) continue;
    const std::string tip = trial_tip(*t, std::to_string(t->intermediate_values.size()) + " reports");
    s.polyline(pts, cls, {}, tip);
    if (t->state == trial_state::pruned) s.cross(pts.back().first, pts.back().second, 4, "pruned-mark", tip + ", pruned here");
  }
  double lx = 380;
  for (auto st : {trial_state::complete, trial_state::pruned, trial_state::fail, trial_state::running}) {
    s.line(lx, 12, lx + 16, 12, "curve legend state-" + std::string(to_string(st)));
    s.text(lx + 20, 16, to_string(st));
    lx += 90;
  }
  return s.str();
}

/// The system attribute in which `auto_sampler` records which sampler
/// proposed a trial (`tunekit::auto_sampler_key`, samplers/auto.hpp; spelt
/// out here so that a report does not compile the samplers).
inline constexpr std::string_view proposed_by_key = "auto:sampler";

/// The sampler that proposed the trial, or empty.
inline std::string proposed_by(const frozen_trial& t) {
  const auto it = t.system_attrs.find(std::string(proposed_by_key));
  if (it == t.system_attrs.end()) return {};
  return it->second.is_string() ? it->second.get<std::string>()
                                : it->second.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline std::string trial_table(std::span<const frozen_trial> trials, std::span<const direction> dirs,
                               const std::vector<param_axis>& params) {
  // A "sampler" column when an auto_sampler chose the sampler of some trial.
  const bool by_sampler = std::any_of(trials.begin(), trials.end(), [](const frozen_trial& t) { return !proposed_by(t).empty(); });
  std::string h = "<div class=\"table-wrap\"><table id=\"trials\"><thead><tr><th>#</th><th>state</th>";
  if (by_sampler) h += "<th title=\"the sampler auto_sampler chose for the trial\">sampler</th>";
  for (std::size_t k = 0; k < dirs.size(); ++k) h += "<th>" + escape(dirs.size() == 1 ? "value" : "value " + std::to_string(k)) + "</th>";
  h += "<th>duration (s)</th>";
  for (const auto& p : params) h += "<th title=\"" + escape(p.describe()) + "\">" + escape(p.name) + "</th>";
  h += "<th>user attributes</th><th>fail reason</th></tr></thead><tbody>";
  for (const auto& t : trials) {
    const std::string state(to_string(t.state));
    h += "<tr class=\"state-" + state + "\"><td>" + std::to_string(t.number) + "</td><td>" + state + "</td>";
    if (by_sampler) h += "<td>" + escape(proposed_by(t)) + "</td>";
    for (std::size_t k = 0; k < dirs.size(); ++k)
      h += "<td class=\"num\">" + (k < t.values.size() ? num(t.values[k]) : std::string()) + "</td>";
    const auto d = t.duration_seconds();
    h += "<td class=\"num\">" + (d ? num(*d) : std::string()) + "</td>";
    for (const auto& p : params) {
      auto it = t.params.find(p.name);
      auto dt = t.distributions.find(p.name);
      h += "<td>" + (it != t.params.end() && dt != t.distributions.end() ? escape(category_text(to_external(dt->second, it->second))) : std::string()) + "</td>";
    }
    std::string attrs;
    for (const auto& [key, value] : t.user_attrs) {
      if (!attrs.empty()) attrs += ", ";
      attrs += key + " = " + value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    h += "<td>" + escape(attrs) + "</td><td>" + escape(t.fail_reason) + "</td></tr>";
  }
  return h + "</tbody></table></div>";
}

inline constexpr std::string_view style_sheet = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555}.note{color:#666;font-style:italic}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:110px}.card b{display:block;font-size:18px}
svg.plot{background:#fff;border:1px solid #eee;margin:4px 4px 4px 0;overflow:visible}
.slices{display:flex;flex-wrap:wrap}
.frame{fill:none;stroke:#999}.grid{stroke:#eee}.tick{stroke:#999}.label{fill:#222;font-size:12px}
.tick-label{fill:#555;font-size:11px}.axis-label{fill:#222;font-size:12px;font-weight:600}
.point{fill:#2a62c9;fill-opacity:.75;stroke:#fff;stroke-width:.5}
.best-line{fill:none;stroke:#d6402b;stroke-width:2}
.pc-line{fill:none;stroke-width:1.2;stroke-opacity:.7}.pc-axis{stroke:#333;stroke-width:1.2}
.bar{fill:#2a62c9}
.front-point{fill:#d6402b;stroke:#fff;stroke-width:.5}.dominated-point{fill:#8a94a6;fill-opacity:.6}
.infeasible-mark{stroke:#7b1fa2;stroke-width:1.5;fill:none}.front-line{fill:none;stroke:#d6402b;stroke-width:1.2;stroke-opacity:.6}
.curve{fill:none;stroke-width:1.1;stroke-opacity:.8}.state-COMPLETE.curve{stroke:#2a62c9}
.state-PRUNED.curve{stroke:#e08a1e;stroke-dasharray:4 2}.state-FAIL.curve{stroke:#c62828}.state-RUNNING.curve,.state-WAITING.curve{stroke:#2e9b4f}
.pruned-mark{stroke:#b35c00;stroke-width:2;fill:none}
.table-wrap{overflow-x:auto}table{border-collapse:collapse;font-size:12px}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;white-space:nowrap}th{background:#f5f5f5;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.state-PRUNED td{color:#8a5a00}tr.state-FAIL td{color:#b00020}
tr.state-RUNNING td{color:#2e7d32}
)";

}  // namespace detail

/// The report of one study as an HTML document: a summary, for several
/// objectives the Pareto front (scatter, or pairwise scatter matrix; dominated
/// and infeasible trials marked) and the hypervolume history, the optimization
/// history with the best value so far (per objective), parallel coordinates,
/// a slice plot per parameter, parameter importances (PED-ANOVA), the
/// intermediate values of every trial with pruned trials marked, and a
/// table of all trials. Self-contained: inline CSS and SVG, no script, no
/// network access. Every user string (study, parameter and category names,
/// attributes, fail reasons) is escaped.
inline std::string render_html(std::string_view study_name, std::span<const direction> dirs,
                               std::span<const frozen_trial> trials, const html_options& options = {}) {
  using namespace detail;
  if (dirs.empty()) throw invalid_argument("render_html: study " + tunekit::detail::quoted(study_name) + " has no directions");
  if (dirs.size() > 1) check_hypervolume_reference(dirs, options.hypervolume_reference);
  else if (!options.hypervolume_reference.empty())
    throw invalid_argument("html_options::hypervolume_reference is for multi-objective studies; study " +
                           tunekit::detail::quoted(study_name) + " has one objective: leave it empty");
  const std::string title = options.title.empty() ? "tunekit report: " + std::string(study_name) : options.title;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  // No script may run and nothing may be fetched, whatever a string contains.
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
                  "<title>" + escape(title) + "</title><style>" + std::string(style_sheet) + "</style></head><body>\n";
  h += "<h1>" + escape(title) + "</h1>\n<p class=\"meta\">study <b>" + escape(study_name) + "</b> &middot; ";
  for (std::size_t k = 0; k < dirs.size(); ++k) h += (k ? ", " : "") + std::string(to_string(dirs[k]));
  h += " &middot; generated " + utc_text(std::chrono::system_clock::now()) + " by tunekit " + escape(tunekit::version) + "</p>\n";

  std::map<trial_state, std::size_t> count;
  for (const auto& t : trials) ++count[t.state];
  h += "<div class=\"cards\"><div class=\"card\">trials<b>" + std::to_string(trials.size()) + "</b></div>";
  for (auto st : {trial_state::complete, trial_state::pruned, trial_state::fail, trial_state::running, trial_state::waiting})
    h += "<div class=\"card\">" + std::string(to_string(st)) + "<b>" + std::to_string(count[st]) + "</b></div>";
  // Best: the best trial for one objective; the Pareto front's size for several.
  std::vector<const frozen_trial*> done;
  for (const auto& t : trials)
    if (t.state == trial_state::complete && t.values.size() == dirs.size()) done.push_back(&t);
  if (dirs.size() == 1 && !done.empty()) {
    const frozen_trial* b = done.front();
    for (const auto* t : done)
      if (better(dirs[0], t->values[0], b->values[0])) b = t;
    h += "<div class=\"card\">best value<b>" + num(b->values[0]) + "</b>trial " + std::to_string(b->number) + "</div>";
  } else if (!done.empty()) {
    std::size_t front = 0;
    for (const auto& e : pareto_entries(trials, dirs)) front += e.role == pareto_role::front;
    h += "<div class=\"card\">Pareto front<b>" + std::to_string(front) + "</b>feasible trials</div>";
  }
  h += "</div>\n";

  if (trials.empty()) {
    h += "<p class=\"note\" id=\"no-trials\">This study has no trials yet: nothing to report.</p></body></html>\n";
    return h;
  }
  const auto params = collect_params(trials);
  const bool multi = dirs.size() > 1;

  if (multi) {
    h += "<h2>Pareto front</h2>\n<p class=\"note\">COMPLETE trials: the feasible Pareto front (no feasible trial is at "
         "least as good in every objective and better in one) as large dots, dominated trials small, infeasible trials "
         "(a constraint &gt; 0) as crosses.</p>\n";
    h += pareto_plot(trials, dirs) + "\n";
    h += "<h2>Hypervolume</h2>\n<p class=\"note\">The hypervolume of the feasible front after each trial, by trial number";
    h += options.hypervolume_reference.empty()
             ? " (objectives normalised to [0, 1] between the best and worst feasible values; reference point 1.1 in each).</p>\n"
             : " (reference point as given in html_options::hypervolume_reference).</p>\n";
    h += hypervolume_plot(trials, dirs, options.hypervolume_reference) + "\n";
  }

  h += "<h2>Optimization history</h2>\n";
  if (multi) h += "<p class=\"note\">One plot per objective; the best-so-far line of each ignores the other objectives.</p>";
  for (std::size_t k = 0; k < dirs.size(); ++k) h += history_plot(trials, dirs, k) + "\n";

  h += "<h2>Parameter importances</h2>\n<p class=\"meta\">PED-ANOVA (Watanabe, Bansal &amp; Hutter, IJCAI 2023): how much "
       "each parameter's distribution among the best " + num(100 * options.importance.target_quantile) +
       "% of COMPLETE trials differs from its distribution among all of them; normalised to sum to 1.</p>\n";
  for (std::size_t k = 0; k < dirs.size(); ++k) {
    ped_anova_options io = options.importance;
    io.objective = k;
    const auto imp = ped_anova_importances(trials, dirs, io);
    std::size_t n_usable = 0;
    for (const auto& t : trials) n_usable += usable(t, k);
    if (params.empty()) h += "<p class=\"note\">The study has no parameters.</p>";
    else if (imp.empty())
      h += "<p class=\"note\">Importances need at least " + std::to_string(std::max<std::size_t>(2, io.min_trials)) +
           " COMPLETE trials; " + escape(objective_name(dirs, k)) + " has " + std::to_string(n_usable) + ".</p>";
    else h += importance_plot(imp, dirs, k) + "\n";
  }

  h += "<h2>Parallel coordinates</h2>\n";
  if (multi) h += "<p class=\"note\">Coloured by objective 0; dark is better.</p>";
  else h += "<p class=\"note\">One line per COMPLETE trial, coloured by its value; dark is better.</p>";
  h += parallel_plot(trials, dirs, params) + "\n";

  h += "<h2>Slices</h2>\n";
  if (multi) h += "<p class=\"note\">Against objective 0.</p>";
  h += "<p class=\"note\">Each COMPLETE trial's value against one parameter; darker points are later trials.</p><div class=\"slices\">";
  if (params.empty()) h += "<p class=\"note\">The study has no parameters.</p>";
  for (std::size_t i = 0; i < params.size(); ++i) h += slice_plot(trials, dirs, params[i], i);
  h += "</div>\n";

  h += "<h2>Intermediate values</h2>\n<p class=\"note\">Values reported with <code>trial.report(step, value)</code>; "
       "pruned trials dashed, with a cross where they were stopped.</p>\n";
  h += intermediate_plot(trials, options.max_curves) + "\n";

  h += "<h2>Trials</h2>\n";
  {
    // Which sampler auto_sampler chose, trial ranges in order: "gp 0-149, cmaes 150-499".
    std::string runs;
    std::string current;
    std::int64_t first = 0, last = 0;
    auto flush = [&] {
      if (current.empty()) return;
      runs += (runs.empty() ? "" : ", ") + escape(current) + " " + std::to_string(first) +
              (last > first ? "&ndash;" + std::to_string(last) : std::string());
    };
    for (const auto& t : trials) {
      const std::string by = proposed_by(t);
      if (by.empty()) continue;
      if (by != current) flush(), current = by, first = t.number;
      last = t.number;
    }
    flush();
    if (!runs.empty()) h += "<p class=\"meta\" id=\"proposed-by\">Proposed by (auto_sampler): " + runs + "</p>\n";
  }
  h += trial_table(trials, dirs, params) + "\n</body></html>\n";
  return h;
}

/// Writes `render_html(...)` to `path`; throws `storage_error` naming the
/// path (and the system's reason) when it cannot be written.
inline void write_html(const std::filesystem::path& path, std::string_view study_name, std::span<const direction> dirs,
                       std::span<const frozen_trial> trials, const html_options& options = {}) {
  const std::string html = render_html(study_name, dirs, trials, options);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    throw storage_error("report: cannot write " + tunekit::detail::quoted(path.string()) + ": " + std::strerror(errno));
  out << html;
  if (!out.flush())
    throw storage_error("report: cannot write " + tunekit::detail::quoted(path.string()) + ": " + std::strerror(errno));
}

/// Writes the report of study `id` of any storage to `path`.
template <storage S>
void write_html(const S& s, study_id id, const std::filesystem::path& path, const html_options& options = {}) {
  const auto trials = s.trials(id);
  const std::vector<direction> dirs = s.study_directions(id);
  write_html(path, std::string(s.study_name(id)), dirs, trials, options);
}

/// Writes the report of the study named `study_name`; `invalid_argument` if there is none.
template <storage S>
void write_html(const S& s, std::string_view study_name, const std::filesystem::path& path, const html_options& options = {}) {
  const auto id = s.find_study(study_name);
  if (!id) throw invalid_argument("report: no study named " + tunekit::detail::quoted(study_name));
  write_html(s, *id, path, options);
}

}  // namespace tunekit::report
