// Renders reports in headless Chromium and checks what it drew.
//
//   report_render_check <output-dir>
//   report_render_check --write-journal <file>   (the tuned study, for the CLI test)
//
// Writes tuned.html (a real tuning run), hostile.html (every user string an
// injection attempt), multi.html, pareto3.html (three objectives,
// constrained) and empty.html into <output-dir>, loads each
// with `chromium --headless --dump-dom`, and checks: every plot's <svg> is
// there and has drawn marks; no hostile payload ran (none left its "pwned"
// trace) while its text is shown escaped; a screenshot of the tuned report
// is a PNG of the requested size. Exit 0 pass, 1 fail, 77 skip (no chromium).
#include <tunekit/report/html.hpp>

#include "studies.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace tk = tunekit;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok    " : "FAIL  ") << what << '\n';
  if (!ok) ++failures;
}

std::string find_chromium() {
  if (const char* env = std::getenv("TUNEKIT_CHROMIUM"); env && *env) return env;
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (std::size_t start = 0; start <= dirs.size();) {
      const std::size_t end = std::min(dirs.find(':', start), dirs.size());
      const fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
      if (fs::exists(candidate)) return candidate.string();
      start = end + 1;
    }
  }
  return {};
}

/// Single-quoted for /bin/sh (our own paths only, but quoted all the same).
std::string sh(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string chromium_command(const std::string& chromium, const fs::path& profile) {
  return "timeout 120 " + sh(chromium) +
         " --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
         " --disable-dev-shm-usage --user-data-dir=" + sh(profile.string());
}

std::string run(const std::string& command) {
  std::string out;
  if (FILE* p = popen((command + " 2>/dev/null").c_str(), "r")) {
    std::array<char, 65536> buf;
    for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
    pclose(p);
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::size_t count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = s.find(needle); at != std::string::npos; at = s.find(needle, at + needle.size())) ++n;
  return n;
}

/// The <svg> element with this id in the dumped DOM, or "".
std::string svg_by_id(const std::string& dom, const std::string& id) {
  const auto at = dom.find("id=\"" + id + "\"");
  if (at == std::string::npos) return {};
  const auto open = dom.rfind("<svg", at);
  const auto close = dom.find("</svg>", at);
  if (open == std::string::npos || close == std::string::npos) return {};
  return dom.substr(open, close - open);
}

std::size_t marks(const std::string& svg) {
  return count(svg, "<circle") + count(svg, "<polyline") + count(svg, "<rect") + count(svg, "<path") + count(svg, "<line");
}

std::string dump_dom(const std::string& chromium, const fs::path& dir, const fs::path& page) {
  return run(chromium_command(chromium, dir / "profile") + " --dump-dom " + sh("file://" + fs::absolute(page).string()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string_view(argv[1]) == "--write-journal") {
    tk::memory_storage storage;
    tk::testing::tuned_study(storage);
    fs::remove(argv[2]);
    tk::journal_storage journal(argv[2]);
    tk::copy_study(storage, "tuned", journal);
    return 0;
  }
  if (argc != 2) {
    std::cerr << "usage: report_render_check <output-dir>\n";
    return 2;
  }
  const fs::path dir = argv[1];
  fs::create_directories(dir);

  // Reports first: writing them is tested even where Chromium is missing.
  tk::memory_storage storage;
  const auto tuned = tk::testing::tuned_study(storage);
  tk::report::write_html(storage, tuned, dir / "tuned.html");
  const auto hostile = tk::testing::hostile_study(storage);
  // The report forbids scripts with a Content-Security-Policy; take it out
  // here so that only the escaping stands between a payload and execution.
  std::string page;
  {
    const auto trials = storage.trials(hostile);
    const auto dirs = storage.study_directions(hostile);
    page = tk::report::render_html(storage.study_name(hostile), dirs, trials);
    const auto csp = page.find("<meta http-equiv=\"Content-Security-Policy\"");
    if (csp == std::string::npos) {
      check(false, "the report carries a Content-Security-Policy");
      return 1;
    }
    page.erase(csp, page.find('>', csp) + 1 - csp);
    std::ofstream(dir / "hostile.html", std::ios::binary) << page;
  }
  // A control page with the payloads NOT escaped: proves the trace detector works.
  {
    std::string control = "<!DOCTYPE html><html><head><title>control</title></head><body>";
    for (const auto& h : tk::testing::hostile_strings) control += "<div title=\"" + h + "\">" + h + "</div>";
    std::ofstream(dir / "control.html", std::ios::binary) << control << "</body></html>";
  }
  const auto multi = tk::testing::multi_objective_study(storage);
  tk::report::write_html(storage, multi, dir / "multi.html");
  const std::vector<tk::direction> three{tk::direction::minimize, tk::direction::maximize, tk::direction::minimize};
  const auto pareto3 = tk::testing::random_mo_study(storage, "three objectives, constrained", three, 40, 17, 4);
  tk::report::write_html(storage, pareto3, dir / "pareto3.html");
  const auto empty = storage.create_study("empty", std::vector<tk::direction>{tk::direction::minimize});
  tk::report::write_html(storage, empty, dir / "empty.html");

  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    std::cout << "SKIP: no chromium on PATH (Debian package 'chromium'; or set TUNEKIT_CHROMIUM); reports written to "
              << dir << " but not rendered\n";
    return 77;
  }
  std::cout << "chromium: " << chromium << '\n';

  // --- the tuned study: every plot drawn -----------------------------------
  const std::string dom = dump_dom(chromium, dir, dir / "tuned.html");
  check(dom.find("</html>") != std::string::npos, "chromium dumped the tuned report's DOM (" + std::to_string(dom.size()) + " bytes)");
  const auto trials = storage.trials(tuned);
  std::size_t n_complete = 0;
  for (const auto& t : trials) n_complete += t.state == tk::trial_state::complete;
  struct expectation {
    std::string id;
    std::size_t min_marks;
  };
  std::vector<expectation> plots = {{"plot-history-0", n_complete}, {"plot-importance-0", 5},
                                    {"plot-parallel", n_complete}, {"plot-intermediate", trials.size()}};
  for (int i = 0; i < 5; ++i) plots.push_back({"plot-slice-" + std::to_string(i), n_complete});
  for (const auto& [id, min_marks] : plots) {
    const std::string svg = svg_by_id(dom, id);
    check(!svg.empty(), id + ": <svg> present");
    check(marks(svg) >= min_marks, id + ": " + std::to_string(marks(svg)) + " drawn marks (>= " + std::to_string(min_marks) + ")");
  }
  check(count(svg_by_id(dom, "plot-intermediate"), "class=\"pruned-mark\"") > 0, "plot-intermediate marks pruned trials");
  check(count(dom, "<tr class=\"state-") == trials.size(), "the trial table has one row per trial");
  check(count(dom, "<tr class=\"state-FAIL\"") > 0 && count(dom, "<tr class=\"state-PRUNED\"") > 0,
        "the tuned study has failed and pruned trials");

  // --- a screenshot ----------------------------------------------------------
  const fs::path png = dir / "tuned.png";
  fs::remove(png);
  run(chromium_command(chromium, dir / "profile") + " --hide-scrollbars --window-size=1280,3600 --screenshot=" +
      sh(png.string()) + " " + sh("file://" + fs::absolute(dir / "tuned.html").string()));
  std::string bytes;
  if (std::ifstream f(png, std::ios::binary); f) bytes.assign(std::istreambuf_iterator<char>(f), {});
  check(bytes.size() > 30000, "screenshot " + png.string() + " written (" + std::to_string(bytes.size()) + " bytes)");
  auto be32 = [&](std::size_t at) {
    return bytes.size() < at + 4 ? 0u
                                 : (static_cast<unsigned>(static_cast<unsigned char>(bytes[at])) << 24) |
                                       (static_cast<unsigned>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
                                       (static_cast<unsigned>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
                                       static_cast<unsigned>(static_cast<unsigned char>(bytes[at + 3]));
  };
  check(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && bytes.compare(12, 4, "IHDR") == 0, "screenshot is a PNG");
  check(be32(16) == 1280 && be32(20) == 3600,
        "screenshot is 1280x3600 (got " + std::to_string(be32(16)) + "x" + std::to_string(be32(20)) + ")");

  // --- hostile strings: shown, never run -------------------------------------
  const std::string control_dom = dump_dom(chromium, dir, dir / "control.html");
  check(lower(control_dom).find("pwned") != std::string::npos, "control: unescaped payloads do leave the trace");
  const std::string hdom = dump_dom(chromium, dir, dir / "hostile.html");
  check(hdom.find("</html>") != std::string::npos, "chromium dumped the hostile report's DOM");
  check(lower(hdom).find("pwned") == std::string::npos, "hostile: no payload ran (no 'pwned' trace in the DOM)");
  check(count(hdom, "<img") == 0 && count(lower(hdom), "<script") == 0 && count(hdom, "<pw") == 0,
        "hostile: no <img>, <script> or injected element");
  check(count(hdom, "<svg") == count(hdom, "class=\"plot\""), "hostile: every <svg> is one of ours");
  check(hdom.find("&lt;script&gt;document.title='pw'+'ned'") != std::string::npos, "hostile: the <script> name is shown as text");
  check(hdom.find("\"&gt;&lt;img src=x onerror=\"document.body") != std::string::npos, "hostile: the <img> payload is shown as text");
  check(hdom.find("\xCE\xBB-Gr\xC3\xB6\xC3\x9F" "e \xE2\x9C\x93 \xE5\xAD\xA6\xE4\xB9\xA0\xE7\x8E\x87 \xF0\x9F\x9A\x80") != std::string::npos,
        "hostile: unicode survives");
  for (const char* id : {"plot-history-0", "plot-parallel", "plot-slice-0", "plot-slice-1", "plot-intermediate"})
    check(marks(svg_by_id(hdom, id)) > 0, std::string("hostile: ") + id + " drawn");

  // --- multi-objective and empty ---------------------------------------------
  const std::string mdom = dump_dom(chromium, dir, dir / "multi.html");
  check(marks(svg_by_id(mdom, "plot-history-0")) > 10 && marks(svg_by_id(mdom, "plot-history-1")) > 10,
        "multi: one history plot per objective");
  check(count(mdom, "<tr class=\"state-RUNNING\"") == 1, "multi: the running trial is listed");
  check(count(svg_by_id(mdom, "plot-pareto"), "class=\"front-point\"") > 1 &&
            count(svg_by_id(mdom, "plot-pareto"), "class=\"dominated-point\"") > 10,
        "multi: the Pareto scatter shows front and dominated trials");
  check(marks(svg_by_id(mdom, "plot-hypervolume")) > 2, "multi: the hypervolume history is drawn");
  const std::string pdom = dump_dom(chromium, dir, dir / "pareto3.html");
  const std::string matrix = svg_by_id(pdom, "plot-pareto");
  check(count(matrix, "class=\"frame\"") == 3, "pareto3: a scatter matrix of 3 panels");
  check(count(matrix, "class=\"infeasible-mark\"") == 3 * 10 + 1, "pareto3: 10 infeasible trials crossed in each panel");
  check(count(matrix, "class=\"front-point\"") > 3, "pareto3: front trials marked");
  check(marks(svg_by_id(pdom, "plot-hypervolume")) > 2, "pareto3: the hypervolume history is drawn");
  const std::string edom = dump_dom(chromium, dir, dir / "empty.html");
  check(edom.find("id=\"no-trials\"") != std::string::npos && count(edom, "<svg") == 0, "empty: a page saying there are no trials");

  std::cout << (failures ? std::to_string(failures) + " check(s) failed\n" : "all checks passed\n");
  return failures ? 1 : 0;
}
