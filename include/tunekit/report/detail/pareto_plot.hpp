#pragma once

// The multi-objective part of the HTML report: the Pareto front (a scatter
// plot for two objectives, a pairwise scatter matrix for three or more) with
// dominated and infeasible trials marked, and the hypervolume of the
// feasible front trial by trial. See docs/report.md.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../../core/errors.hpp"
#include "../../core/frozen_trial.hpp"
#include "../../mo/constraints.hpp"
#include "../../mo/hypervolume.hpp"
#include "svg.hpp"

namespace tunekit::report::detail {

/// How a COMPLETE trial stands in the study's multi-objective picture.
enum class pareto_role { front, dominated, infeasible };

/// A COMPLETE trial with one finite value per objective, as the Pareto plots see it.
struct pareto_entry {
  const frozen_trial* trial;
  std::vector<double> minimised;  ///< values with maximised objectives negated
  double violation;               ///< Deb's total constraint violation (0: feasible)
  pareto_role role = pareto_role::dominated;
};

/// The plotted trials, by trial number: the feasible front (no feasible trial
/// dominates it), the dominated feasible trials, and the infeasible ones.
inline std::vector<pareto_entry> pareto_entries(std::span<const frozen_trial> trials, std::span<const direction> dirs) {
  std::vector<pareto_entry> out;
  for (const auto& t : trials) {
    if (t.state != trial_state::complete || t.values.size() != dirs.size()) continue;
    if (!std::all_of(t.values.begin(), t.values.end(), [](double v) { return std::isfinite(v); })) continue;
    std::vector<double> v = t.values;
    for (std::size_t k = 0; k < v.size(); ++k)
      if (dirs[k] == direction::maximize) v[k] = -v[k];
    out.push_back({&t, std::move(v), trial_violation(t)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.trial->number < b.trial->number; });
  point_set feasible;
  std::vector<std::size_t> where;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].violation > 0) out[i].role = pareto_role::infeasible;
    else feasible.push_back(out[i].minimised), where.push_back(i);
  }
  for (std::size_t j : pareto_front(feasible)) out[where[j]].role = pareto_role::front;
  return out;
}

inline std::string pareto_tip(const pareto_entry& e) {
  std::string values;
  for (double v : e.trial->values) values += (values.empty() ? "(" : ", ") + num(v);
  values += ")";
  const std::string role = e.role == pareto_role::front       ? "on the Pareto front"
                           : e.role == pareto_role::dominated ? "dominated"
                                                              : "infeasible, violation " + num(e.violation);
  return "trial " + std::to_string(e.trial->number) + " " + values + ": " + role;
}

/// One panel of the Pareto view: objective `kx` against `ky`, plot area
/// [x0, x1] x [y1, y0] (y0 at the bottom).
inline void pareto_panel(svg& s, const std::vector<pareto_entry>& entries, std::span<const direction> dirs, std::size_t kx,
                         std::size_t ky, double x0, double x1, double y0, double y1, const std::string& x_label,
                         const std::string& y_label) {
  std::vector<double> xs, ys;
  for (const auto& e : entries) xs.push_back(e.trial->values[kx]), ys.push_back(e.trial->values[ky]);
  const scale x = scale::fit(xs, x0, x1), y = scale::fit(ys, y0, y1);
  s.axes(x, y, x_label, y_label);
  // Drawn in layers, so the front is on top: infeasible, dominated, front.
  for (auto role : {pareto_role::infeasible, pareto_role::dominated, pareto_role::front})
    for (const auto& e : entries) {
      if (e.role != role) continue;
      const double px = x(e.trial->values[kx]), py = y(e.trial->values[ky]);
      if (role == pareto_role::infeasible) s.cross(px, py, 3.5, "infeasible-mark", pareto_tip(e));
      else s.circle(px, py, role == pareto_role::front ? 4.5 : 3, role == pareto_role::front ? "front-point" : "dominated-point",
                    {}, pareto_tip(e));
    }
  if (dirs.size() != 2) return;
  // Two objectives: the front as a staircase, in order of the first objective.
  std::vector<const pareto_entry*> front;
  for (const auto& e : entries)
    if (e.role == pareto_role::front) front.push_back(&e);
  std::sort(front.begin(), front.end(), [](const auto* a, const auto* b) { return a->minimised < b->minimised; });
  std::vector<std::pair<double, double>> stair;
  for (std::size_t i = 0; i < front.size(); ++i) {
    const double px = x(front[i]->trial->values[kx]), py = y(front[i]->trial->values[ky]);
    if (i > 0) stair.emplace_back(px, stair.back().second);
    stair.emplace_back(px, py);
  }
  if (stair.size() > 1) s.polyline(stair, "front-line");
}

/// The Pareto-front view: one scatter plot (2 objectives) or the lower
/// triangle of a scatter matrix (3 and more, at most `max_objectives`).
inline std::string pareto_plot(std::span<const frozen_trial> trials, std::span<const direction> dirs,
                               std::size_t max_objectives = 6) {
  const auto entries = pareto_entries(trials, dirs);
  if (entries.empty()) return "<p class=\"note\">No COMPLETE trial with every objective's value yet: nothing to plot.</p>";
  const std::size_t m = std::min(dirs.size(), max_objectives);
  auto label = [&](std::size_t k) { return "objective " + std::to_string(k) + " (" + std::string(to_string(dirs[k])) + ")"; };
  std::string note;
  if (m < dirs.size())
    note = "<p class=\"note\">The first " + std::to_string(m) + " of " + std::to_string(dirs.size()) +
           " objectives are shown.</p>";
  if (std::none_of(entries.begin(), entries.end(), [](const auto& e) { return e.role != pareto_role::infeasible; }))
    note += "<p class=\"note\" id=\"no-feasible\">No COMPLETE trial satisfies every constraint: there is no feasible front.</p>";
  auto legend = [](svg& s, double lx, double ly) {
    s.circle(lx, ly, 4.5, "front-point");
    s.text(lx + 8, ly + 4, "Pareto front (feasible)");
    s.circle(lx + 170, ly, 3, "dominated-point");
    s.text(lx + 178, ly + 4, "dominated");
    s.cross(lx + 260, ly, 3.5, "infeasible-mark");
    s.text(lx + 268, ly + 4, "infeasible");
  };
  if (m == 2) {
    svg s("plot-pareto", 760, 420, "Pareto front of " + label(0) + " and " + label(1));
    pareto_panel(s, entries, dirs, 0, 1, 80, 740, 360, 30, label(0), label(1));
    legend(s, 380, 14);
    return note + s.str();
  }
  // Panel (row r, column c) for c < r: objective c across, objective r up.
  const double cell = 240, left = 80, top = 40;
  const double size = left + cell * static_cast<double>(m - 1) + 20;
  svg s("plot-pareto", size, top + cell * static_cast<double>(m - 1) + 30,
        "Pareto front: pairwise scatter matrix of " + std::to_string(m) + " objectives");
  for (std::size_t r = 1; r < m; ++r)
    for (std::size_t c = 0; c < r; ++c) {
      const double x0 = left + cell * static_cast<double>(c), y1 = top + cell * static_cast<double>(r - 1);
      pareto_panel(s, entries, dirs, c, r, x0, x0 + cell - 60, y1 + cell - 60, y1, label(c), label(r));
    }
  legend(s, std::max(left, size - 400), 14);
  return note + "<p class=\"note\">Each panel is one pair of objectives; a point on the front may look dominated in a "
                "panel because the other objectives are not shown.</p>" + s.str();
}

/// Refuses a hypervolume reference point that does not fit the study.
inline void check_hypervolume_reference(std::span<const direction> dirs, std::span<const double> reference) {
  if (reference.empty()) return;
  if (reference.size() != dirs.size())
    throw invalid_argument("html_options::hypervolume_reference has " + std::to_string(reference.size()) +
                           " values but the study has " + std::to_string(dirs.size()) +
                           " objective(s); give one per objective of a multi-objective study, or leave it empty");
  for (std::size_t k = 0; k < reference.size(); ++k)
    if (!std::isfinite(reference[k]))
      throw invalid_argument("html_options::hypervolume_reference[" + std::to_string(k) + "] = " + num(reference[k]) +
                             "; every value must be finite");
}

/// The hypervolume of the feasible front of the COMPLETE trials numbered up
/// to each trial, one value per entry (in trial-number order). Reference:
/// `reference` in the objectives' own units (directions as the study's);
/// without one, the objectives are normalised to [0, 1] between the best and
/// worst feasible values seen and the reference point is 1.1 in each.
inline std::vector<double> hypervolume_history(const std::vector<pareto_entry>& entries, std::span<const direction> dirs,
                                               std::span<const double> reference) {
  const std::size_t m = dirs.size();
  std::vector<double> ref(m, 1.1), lo(m, INFINITY), hi(m, -INFINITY);
  check_hypervolume_reference(dirs, reference);
  if (!reference.empty()) {
    for (std::size_t k = 0; k < m; ++k) {
      ref[k] = dirs[k] == direction::maximize ? -reference[k] : reference[k];
      lo[k] = 0, hi[k] = 1;  // identity
    }
  } else {
    for (const auto& e : entries)
      if (e.role != pareto_role::infeasible)
        for (std::size_t k = 0; k < m; ++k) lo[k] = std::min(lo[k], e.minimised[k]), hi[k] = std::max(hi[k], e.minimised[k]);
  }
  auto normalised = [&](const std::vector<double>& v) {
    std::vector<double> out(m);
    for (std::size_t k = 0; k < m; ++k) out[k] = reference.empty() ? (hi[k] > lo[k] ? (v[k] - lo[k]) / (hi[k] - lo[k]) : 0.0) : v[k];
    return out;
  };
  // The front so far changes only when a feasible trial is not dominated by
  // it; only then is the hypervolume computed again.
  point_set front;
  std::vector<double> out;
  double current = 0;
  for (const auto& e : entries) {
    if (e.role != pareto_role::infeasible) {
      const auto p = normalised(e.minimised);
      const bool covered = std::any_of(front.begin(), front.end(), [&](const auto& q) { return q == p || dominates(q, p); });
      if (!covered) {
        std::erase_if(front, [&](const auto& q) { return dominates(p, q); });
        front.push_back(p);
        current = hypervolume(front, ref, outside_reference::ignore);
      }
    }
    out.push_back(current);
  }
  return out;
}

inline std::string hypervolume_plot(std::span<const frozen_trial> trials, std::span<const direction> dirs,
                                    std::span<const double> reference) {
  const auto entries = pareto_entries(trials, dirs);
  if (std::none_of(entries.begin(), entries.end(), [](const auto& e) { return e.role != pareto_role::infeasible; }))
    return "<p class=\"note\">No feasible COMPLETE trial yet: no hypervolume to plot.</p>";
  const auto hv = hypervolume_history(entries, dirs, reference);
  std::vector<double> xs;
  for (const auto& e : entries) xs.push_back(static_cast<double>(e.trial->number));
  const std::string y_label = reference.empty() ? "hypervolume (normalised)" : "hypervolume";
  svg s("plot-hypervolume", 760, 340, "hypervolume of the feasible Pareto front by trial");
  std::vector<double> ys = hv;
  ys.push_back(0);
  const scale x = scale::fit(xs, 70, 740), y = scale::fit(ys, 290, 20);
  s.axes(x, y, "trial", y_label);
  std::vector<std::pair<double, double>> line;
  for (std::size_t i = 0; i < hv.size(); ++i) {
    if (i > 0) line.emplace_back(x(xs[i]), y(hv[i - 1]));
    line.emplace_back(x(xs[i]), y(hv[i]));
  }
  s.polyline(line, "best-line", {}, "hypervolume after trial " + std::to_string(entries.back().trial->number) + ": " + num(hv.back()));
  for (std::size_t i = 0; i < hv.size(); ++i)
    if (i == 0 || hv[i] != hv[i - 1])  // the trials that moved the front
      s.circle(x(xs[i]), y(hv[i]), 3.5, "front-point", {}, pareto_tip(entries[i]) + "; hypervolume " + num(hv[i]));
  return s.str();
}

}  // namespace tunekit::report::detail
