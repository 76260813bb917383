// `tunekit report <url> <study> -o <file>`: the study's HTML report
// (tunekit/report/html.hpp). Kept apart from tunekit.cpp, which only parses
// the arguments and calls run_report_command.
#pragma once

#include <tunekit/report/html.hpp>
#include <tunekit/storage.hpp>

#include <iostream>
#include <string>

namespace tunekit::cli {

inline constexpr const char* report_help =
    "usage: tunekit report <url> <study> -o <file.html>  (or --output <file.html>)\n\n"
    "Writes one self-contained HTML file (inline SVG and CSS, no network) with the\n"
    "optimization history, parameter importances (PED-ANOVA), parallel coordinates,\n"
    "slice plots, intermediate values and a table of every trial.\n";

/// Writes the report of `study` in the storage at `url` to `output`; prints where.
inline int run_report_command(const std::string& url, const std::string& study, const std::string& output) {
  tunekit::any_storage storage = tunekit::open_storage(url);
  const auto id = storage.study_by_name(study);  // names the study if it is missing
  tunekit::report::write_html(storage, id, output);
  std::cout << "wrote the report of study " << tunekit::detail::quoted(study) << " (" << storage.trials(id).size()
            << " trials) to " << output << '\n';
  return 0;
}

}  // namespace tunekit::cli
