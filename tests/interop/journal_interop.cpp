// Helper of optuna_journal_interop.py: writes a tunekit study that uses every
// feature the journal (or Optuna's RDB schema) carries, and continues a study
// Optuna wrote. A plain path is a journal file; a URL (sqlite:///x.db) any
// storage this program was built with.
//
//   journal_interop write <journal or URL>
//   journal_interop continue <journal or URL> <study> <n_trials>

#include <tunekit/storage/url.hpp>
#include <tunekit/tunekit.hpp>

#include <cstdlib>
#include <iostream>
#include <limits>
#include <string>

namespace tk = tunekit;

namespace {

tk::any_storage open(const std::string& where) {
  if (where.find(':') != std::string::npos) return tk::open_storage(where);
  return tk::journal_storage(where);
}

/// The objective both sides define, so either can continue the other's study.
double objective(tk::trial& t) {
  const double x = t.suggest_float("x", -5, 5);
  const double lr = t.suggest_float("lr", 1e-5, 1e-1, {.log = true});
  const double q = t.suggest_float("q", 0, 1, {.step = 0.25});
  const auto n = t.suggest_int("n", 1, 9, {.step = 2});
  const auto units = t.suggest_int("units", 1, 1024, {.log = true});
  const std::string act = t.suggest_categorical("act", {"relu", "tanh"});
  const double scale = t.suggest_categorical("scale", {0.5, 1.5});
  const auto depth = t.suggest_categorical("depth", {std::int64_t{1}, std::int64_t{2}});
  const bool bn = t.suggest_categorical("bn", {true, false});
  for (int step = 0; step < 3; ++step) t.report(step, x * step);
  return x * x + lr + q + static_cast<double>(n + depth) + static_cast<double>(units) * 1e-3 + scale +
         (act == "relu" ? 0.0 : 1.0) + (bn ? 0.0 : 0.5);
}

int write(const std::string& path) {
  tk::any_storage storage = open(path);
  tk::tuner tuner{tk::random_sampler{{.seed = 3}}, storage, tk::study_config{.name = "tk-study"}};
  storage.set_study_user_attr(tuner.study(), "dataset", "ünïcode \"quoted\"\nnew line");
  tuner.optimize(objective, {.n_trials = 4});
  // Trials in every state, with awkward values and attributes.
  auto pruned = tuner.ask();
  pruned.suggest_float("x", -5, 5);
  pruned.report(0, std::numeric_limits<double>::infinity());
  pruned.report(1, -std::numeric_limits<double>::infinity());
  pruned.report(2, std::numeric_limits<double>::quiet_NaN());
  pruned.set_user_attr("note", "{\"json\": [1, 2]} 日本 ✓");
  pruned.set_user_attr("nested", nlohmann::json{{"a", {1, 2.5, nullptr, true}}});
  tuner.tell(pruned, tk::pruned);
  auto failed = tuner.ask();
  failed.suggest_categorical("act", {"relu", "tanh"});
  tuner.fail(failed, "boom: it broke");
  tuner.enqueue({{"x", 1.25}, {"act", std::string("tanh")}});  // stays WAITING
  auto running = tuner.ask();  // pops the enqueued one
  running.suggest_float("x", -5, 5);
  tuner.enqueue({{"x", -2.0}});  // WAITING
  (void)tuner.ask();             // stays RUNNING (as if its worker were still at it)
  tuner.enqueue({{"x", 3.0}});   // WAITING
  // A multi-objective study.
  tk::tuner mo{tk::random_sampler{{.seed = 4}}, storage,
               tk::study_config{.name = "tk-mo", .directions = {tk::direction::minimize, tk::direction::maximize}}};
  mo.optimize([](tk::trial& t) {
    const double a = t.suggest_float("a", 0, 1);
    return std::vector<double>{a, 1 - a * a};
  }, {.n_trials = 3});
  return 0;
}

int continue_study(const std::string& path, const std::string& study, int n) {
  tk::any_storage storage = open(path);
  storage.study_by_name(study);  // a clear error if it is not there
  tk::tuner tuner{tk::tpe_sampler{{.n_startup_trials = 2, .seed = 5}}, storage, tk::study_config{.name = study}};
  const auto summary = tuner.optimize(objective, {.n_trials = n});
  std::cout << "continued " << study << ": " << summary.n_complete << " complete\n";
  return summary.n_complete == n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "write" && argc == 3) return write(argv[2]);
    if (mode == "continue" && argc == 5) return continue_study(argv[2], argv[3], std::atoi(argv[4]));
    std::cerr << "usage: journal_interop write <journal> | continue <journal> <study> <n>\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "journal_interop: " << e.what() << '\n';
    return 1;
  }
}
