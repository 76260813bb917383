#include <catch2/catch.hpp>

#include <tunekit/report/html.hpp>

#include "report/studies.hpp"
#include "support/require_invalid.hpp"
#include "support/temp_dir.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace tk = tunekit;
using tk::report::detail::escape;

namespace {

std::size_t count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = s.find(needle); at != std::string::npos; at = s.find(needle, at + needle.size())) ++n;
  return n;
}

std::string render(const tk::memory_storage& s, tk::study_id id) {
  const auto trials = s.trials(id);
  const auto dirs = s.study_directions(id);
  return tk::report::render_html(s.study_name(id), dirs, trials);
}

}  // namespace

TEST_CASE("escape neutralises markup in text and attribute contexts", "[report][html]") {
  CHECK(escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
  CHECK(escape("\"><img src=x onerror='a'>") == "&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;");
  CHECK(escape("a & b") == "a &amp; b");
  CHECK(escape("&lt;") == "&amp;lt;");  // entities in user text stay text
  CHECK(escape("\xCE\xBB \xE5\xAD\xA6 \xF0\x9F\x9A\x80") == "\xCE\xBB \xE5\xAD\xA6 \xF0\x9F\x9A\x80");  // valid UTF-8 kept
  CHECK(escape("a\xFF" "b") == "a\xEF\xBF\xBD" "b");                       // invalid byte
  CHECK(escape("\xC0\xBC") == "\xEF\xBF\xBD\xEF\xBF\xBD");                 // overlong '<'
  CHECK(escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // surrogate
  CHECK(escape("\xE5\xAD") == "\xEF\xBF\xBD\xEF\xBF\xBD");                 // truncated
  CHECK(escape(std::string("a\0b\x1b", 4)) == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  CHECK(escape("tab\tnew\nline") == "tab\tnew\nline");
}

TEST_CASE("escape leaves no raw markup character for any byte string", "[report][html]") {
  tk::random_engine rng(9);
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    const auto n = rng.below(24);
    for (std::uint64_t k = 0; k < n; ++k) s += static_cast<char>(rng.below(256));
    const std::string e = escape(s);
    CHECK(e.find_first_of("<>\"'") == std::string::npos);
    // Every '&' starts one of our references.
    for (auto at = e.find('&'); at != std::string::npos; at = e.find('&', at + 1)) {
      const auto rest = e.substr(at, 6);
      CHECK((rest.rfind("&amp;", 0) == 0 || rest.rfind("&lt;", 0) == 0 || rest.rfind("&gt;", 0) == 0 ||
             rest.rfind("&quot;", 0) == 0 || rest.rfind("&#39;", 0) == 0));
    }
  }
}

TEST_CASE("a hostile study's strings appear only escaped", "[report][html]") {
  tk::memory_storage s;
  const std::string html = render(s, tk::testing::hostile_study(s));
  for (const auto& h : tk::testing::hostile_strings) {
    if (h.find_first_of("<>\"'") != std::string::npos) CHECK(html.find(h) == std::string::npos);
    CHECK(html.find(escape(h)) != std::string::npos);
  }
  CHECK(count(html, "<script") == 0);
  CHECK(count(html, "<img") == 0);
  CHECK(count(html, "<svg") == count(html, "class=\"plot\""));
  CHECK(html.find("Content-Security-Policy") != std::string::npos);
}

TEST_CASE("the report of a tuned study has every plot and a row per trial", "[report][html]") {
  tk::memory_storage s;
  const auto id = tk::testing::tuned_study(s);
  const std::string html = render(s, id);
  for (const char* plot : {"plot-history-0", "plot-importance-0", "plot-parallel", "plot-intermediate", "plot-slice-0",
                           "plot-slice-4"})
    CHECK(html.find(std::string("id=\"") + plot + "\"") != std::string::npos);
  CHECK(count(html, "<tr class=\"state-") == s.trials(id).size());
  CHECK(count(html, "class=\"pruned-mark\"") > 0);
  CHECK(html.find("lr (log)") != std::string::npos);
  CHECK(html.find("units (log)") != std::string::npos);
  CHECK(html.find(">gelu<") != std::string::npos);  // a category label
  CHECK(html.find("objective threw: diverged") != std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // no link but the SVG namespace
  CHECK(html.find("https://") == std::string::npos);
}

TEST_CASE("the best value follows the study's direction", "[report][html]") {
  for (auto d : {tk::direction::minimize, tk::direction::maximize}) {
    tk::memory_storage s;
    const auto id = tk::testing::tuned_study(s, "d", d, 30);
    tk::frozen_trial best;
    for (const auto& t : s.trials(id))
      if (t.state == tk::trial_state::complete && (best.values.empty() || tk::better(d, t.value(), best.value()))) best = t;
    REQUIRE_FALSE(best.values.empty());
    const std::string html = render(s, id);
    CHECK(html.find("best value<b>" + tk::report::detail::num(best.value()) + "</b>trial " + std::to_string(best.number)) !=
          std::string::npos);
    CHECK(html.find(std::string(tk::to_string(d))) != std::string::npos);
  }
}

TEST_CASE("a multi-objective report has a history per objective and a Pareto count", "[report][html]") {
  tk::memory_storage s;
  const std::string html = render(s, tk::testing::multi_objective_study(s));
  CHECK(html.find("id=\"plot-history-0\"") != std::string::npos);
  CHECK(html.find("id=\"plot-history-1\"") != std::string::npos);
  CHECK(html.find("id=\"plot-importance-1\"") != std::string::npos);
  CHECK(html.find("Pareto front<b>") != std::string::npos);
  CHECK(count(html, "<tr class=\"state-RUNNING\"") == 1);
}

TEST_CASE("an empty study gives a page saying there are no trials", "[report][html]") {
  tk::memory_storage s;
  const auto id = s.create_study("nothing yet", std::vector<tk::direction>{tk::direction::minimize});
  const std::string html = render(s, id);
  CHECK(html.find("id=\"no-trials\"") != std::string::npos);
  CHECK(count(html, "<svg") == 0);
  CHECK(html.rfind("</html>") != std::string::npos);
}

TEST_CASE("too few trials for importances: a note instead of the chart", "[report][html]") {
  tk::memory_storage s;
  const auto id = tk::testing::tuned_study(s, "few", tk::direction::minimize, 6);
  const std::string html = render(s, id);
  CHECK(html.find("id=\"plot-importance-0\"") == std::string::npos);
  CHECK(html.find("Importances need at least 10 COMPLETE trials") != std::string::npos);
}

TEST_CASE("write_html writes the file, and names a path it cannot write", "[report][html]") {
  tk::testing::temp_dir dir;
  tk::memory_storage s;
  const auto id = tk::testing::tuned_study(s, "w", tk::direction::minimize, 12);
  tk::report::write_html(s, id, dir.path() / "r.html");
  tk::report::write_html(s, "w", dir.path() / "by-name.html");
  std::ifstream f(dir.path() / "r.html");
  const std::string text((std::istreambuf_iterator<char>(f)), {});
  CHECK(text.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(std::filesystem::file_size(dir.path() / "by-name.html") > 1000);

  const auto bad = dir.path() / "no-such-dir" / "r.html";
  REQUIRE_THROWS_AS(tk::report::write_html(s, id, bad), tk::storage_error);
  REQUIRE_THROWS_WITH(tk::report::write_html(s, id, bad), Catch::Contains(bad.string()) && Catch::Contains("No such file"));
  REQUIRE_INVALID(tk::report::write_html(s, "nope", dir.path() / "x.html"), Catch::Contains("no study named 'nope'"));
}

namespace {

/// The <svg> element with this id in `html` ("" if none).
std::string report_svg_of(const std::string& html, const std::string& id) {
  const auto at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return {};
  const auto open = html.rfind("<svg", at);
  return html.substr(open, html.find("</svg>", at) - open);
}

/// Brute force: is trial `a` dominated by `b` in the study's directions?
bool report_dominated_by(const tk::frozen_trial& a, const tk::frozen_trial& b, const std::vector<tk::direction>& dirs) {
  bool strictly = false;
  for (std::size_t k = 0; k < dirs.size(); ++k) {
    if (tk::better(dirs[k], a.values[k], b.values[k])) return false;
    strictly = strictly || tk::better(dirs[k], b.values[k], a.values[k]);
  }
  return strictly;
}

}  // namespace

TEST_CASE("the Pareto view marks front, dominated and infeasible trials as brute force finds them", "[report][html][pareto]") {
  tk::random_engine pick(5);
  for (int c = 0; c < 24; ++c) {
    const std::size_t m = 2 + c % 3;  // 2, 3, 4 objectives
    std::vector<tk::direction> dirs;
    for (std::size_t k = 0; k < m; ++k) dirs.push_back(pick.below(2) ? tk::direction::maximize : tk::direction::minimize);
    tk::memory_storage s;
    const int n = 5 + static_cast<int>(pick.below(40));
    const int every = static_cast<int>(pick.below(5));  // 0: unconstrained
    const auto id = tk::testing::random_mo_study(s, "mo", dirs, n, 100 + static_cast<std::uint64_t>(c), every);
    const auto trials = s.trials(id);
    std::size_t front = 0, dominated = 0, infeasible = 0;
    for (const auto& a : trials) {
      if (a.state != tk::trial_state::complete) continue;
      if (!tk::is_feasible(a)) {
        ++infeasible;
        continue;
      }
      const bool beaten = std::any_of(trials.begin(), trials.end(), [&](const auto& b) {
        return b.state == tk::trial_state::complete && tk::is_feasible(b) && report_dominated_by(a, b, dirs);
      });
      ++(beaten ? dominated : front);
    }
    const std::string html = tk::report::render_html("mo", dirs, trials);
    const std::string plot = report_svg_of(html, "plot-pareto");
    REQUIRE_FALSE(plot.empty());
    const std::size_t panels = m * (m - 1) / 2;  // one for two objectives; the scatter matrix's lower triangle
    INFO("case " << c << ", " << m << " objectives, " << n << " trials");
    CHECK(count(plot, "class=\"front-point\"") == panels * front + 1);  // + the legend's
    CHECK(count(plot, "class=\"dominated-point\"") == panels * dominated + 1);
    CHECK(count(plot, "class=\"infeasible-mark\"") == panels * infeasible + 1);
    CHECK(count(plot, "class=\"front-line\"") == (m == 2 && front > 1 ? 1u : 0u));
    CHECK(html.find("Pareto front<b>" + std::to_string(front) + "</b>feasible trials") != std::string::npos);
    CHECK(report_svg_of(html, "plot-hypervolume").empty() == (front == 0));
  }
}

TEST_CASE("the hypervolume history is that of each prefix's feasible trials", "[report][html][pareto]") {
  namespace rd = tk::report::detail;
  for (int c = 0; c < 20; ++c) {
    const std::size_t m = 2 + c % 2;
    const std::vector<tk::direction> dirs = m == 2 ? std::vector{tk::direction::minimize, tk::direction::maximize}
                                                   : std::vector<tk::direction>(3, tk::direction::minimize);
    tk::memory_storage s;
    const auto trials = s.trials(tk::testing::random_mo_study(s, "hv", dirs, 30, 300 + static_cast<std::uint64_t>(c), 3));
    const auto entries = rd::pareto_entries(trials, dirs);
    REQUIRE(entries.size() == 30);
    // In the objectives' units (maximised ones negated by the reference too).
    std::vector<double> ref(m, 8.0), ref_min(m, 8.0);
    if (m == 2) ref[1] = 2.0, ref_min[1] = -2.0;
    const auto normalised = rd::hypervolume_history(entries, dirs, {});
    const auto given = rd::hypervolume_history(entries, dirs, ref);
    std::vector<double> lo(m, INFINITY), hi(m, -INFINITY);
    for (const auto& e : entries)
      if (e.violation <= 0)
        for (std::size_t k = 0; k < m; ++k) lo[k] = std::min(lo[k], e.minimised[k]), hi[k] = std::max(hi[k], e.minimised[k]);
    tk::point_set prefix, prefix_normalised;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].violation <= 0) {
        prefix.push_back(entries[i].minimised);
        std::vector<double> q(m);
        for (std::size_t k = 0; k < m; ++k) q[k] = hi[k] > lo[k] ? (entries[i].minimised[k] - lo[k]) / (hi[k] - lo[k]) : 0.0;
        prefix_normalised.push_back(q);
      }
      const std::vector<double> unit(m, 1.1);
      CHECK(normalised[i] == Approx(tk::hypervolume(prefix_normalised, unit, tk::outside_reference::ignore)).margin(1e-12));
      CHECK(given[i] == Approx(tk::hypervolume(prefix, ref_min, tk::outside_reference::ignore)).margin(1e-12));
      if (i > 0) CHECK(normalised[i] >= normalised[i - 1]);
    }
  }
}

TEST_CASE("a Pareto view with no feasible trial says so; bad hypervolume references are refused", "[report][html][pareto]") {
  const std::vector<tk::direction> dirs{tk::direction::minimize, tk::direction::minimize};
  tk::memory_storage s;
  const auto id = tk::testing::random_mo_study(s, "none feasible", dirs, 12, 7, 1);  // every trial infeasible
  const auto trials = s.trials(id);
  const std::string html = tk::report::render_html("x", dirs, trials);
  CHECK(html.find("id=\"no-feasible\"") != std::string::npos);
  CHECK(count(report_svg_of(html, "plot-pareto"), "class=\"infeasible-mark\"") == 13);
  CHECK(report_svg_of(html, "plot-hypervolume").empty());
  CHECK(html.find("No feasible COMPLETE trial yet") != std::string::npos);

  REQUIRE_INVALID(tk::report::render_html("x", dirs, trials, {.hypervolume_reference = {1.0, 2.0, 3.0}}),
                  Catch::Contains("hypervolume_reference has 3 values but the study has 2 objective(s)"));
  REQUIRE_INVALID(tk::report::render_html("x", dirs, trials, {.hypervolume_reference = {1.0, std::nan("")}}),
                  Catch::Contains("hypervolume_reference[1] = NaN"));
  const std::vector<tk::direction> one{tk::direction::minimize};
  REQUIRE_INVALID(tk::report::render_html("single", one, {}, {.hypervolume_reference = {1.0}}),
                  Catch::Contains("for multi-objective studies") && Catch::Contains("'single'"));
}

TEST_CASE("trials an auto_sampler proposed show which sampler proposed them", "[report][html]") {
  tk::memory_storage s;
  const std::array<tk::direction, 1> minimize{tk::direction::minimize};
  const auto id = s.create_study("auto-report", minimize);
  const tk::distribution unit = tk::float_distribution(0.0, 1.0);
  for (int i = 0; i < 6; ++i) {
    const auto t = s.create_trial(id, tk::frozen_trial{});
    if (i > 0) s.set_system_attr(t.id, "auto:sampler", i < 4 ? "gp" : "cmaes<&>");
    s.set_param(t.id, "x", 0.1 * i, unit);
    const std::array<double, 1> v{0.1 * i};
    s.finish_trial(t.id, tk::trial_state::complete, v, {}, "");
  }
  const std::string html = render(s, id);
  CHECK(html.find(">sampler</th>") != std::string::npos);
  CHECK(count(html, "<td>gp</td>") == 3);
  CHECK(count(html, "<td>cmaes&lt;&amp;&gt;</td>") == 2);  // escaped
  CHECK(html.find("Proposed by (auto_sampler): gp 1&ndash;3, cmaes&lt;&amp;&gt; 4&ndash;5") != std::string::npos);
  // Without the attribute, no column and no line.
  tk::memory_storage plain;
  const std::string without = render(plain, tk::testing::tuned_study(plain));
  CHECK(without.find(">sampler</th>") == std::string::npos);
  CHECK(without.find("proposed-by") == std::string::npos);
}
