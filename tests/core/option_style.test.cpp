// The one option style of docs/index.md ("Options"), compiled as a user
// writes it: a component's options are an aggregate passed as the last
// constructor argument, written with designated initializers inside braces,
//   tunekit::tpe_sampler{{.seed = 1}}   tunekit::journal_storage{path, {.durability = tunekit::durability::full}}
// Every sampler, scheduler and storage is spelled here. It was a consumer
// project's OBJECT library (46 s of CPU of package.add_subdirectory); here
// it shares the unit tests' parsing, and the samplers and schedulers are
// constructed for real (the storages would touch files and servers, so they
// are only compiled).
#include <tunekit/tunekit.hpp>
#if defined(TUNEKIT_HAS_SQLITE)
#include <tunekit/storage/sqlite.hpp>
#endif
#if defined(TUNEKIT_HAS_POSTGRES)
#include <tunekit/storage/postgres.hpp>
#endif

#include <catch2/catch.hpp>

#include <chrono>

namespace tk = tunekit;

namespace option_style {

void samplers() {
  tk::random_sampler random{{.seed = 1}};
  tk::grid_sampler grid{{.values = {{"x", {0.0, 1.0}}}, .seed = 1}};
  tk::qmc_sampler qmc{{.seed = 1, .scramble = false}};
  tk::tpe_sampler tpe{{.n_startup_trials = 10, .seed = 1}};
  tk::gp_sampler gp{{.n_startup_trials = 5, .seed = 1}};
  (void)random, (void)grid, (void)qmc, (void)tpe, (void)gp;
}

void schedulers() {
  tk::median_scheduler median{{.n_startup_trials = 5, .n_warmup_steps = 2}};
  tk::percentile_scheduler percentile{{.percentile = 25.0, .n_warmup_steps = 2}};
  tk::threshold_scheduler threshold{{.lower = 0.1}};
  tk::patient_scheduler patient{{.patience = 3}};
  tk::patient_scheduler patient_median{tk::median_scheduler{{.n_startup_trials = 5}}, {.patience = 3}};
  tk::asha_scheduler asha{{.min_resource = 10, .reduction_factor = 3}};
  tk::successive_halving_scheduler halving{{.min_resource = 10}};
  tk::hyperband_scheduler hyperband{{.min_resource = 1, .max_resource = 30, .reduction_factor = 3}};
  tk::pbt_scheduler pbt{{.population_size = 8, .perturbation_interval = 3}};
  tk::nop_scheduler nop{};
  (void)median, (void)percentile, (void)threshold, (void)patient, (void)patient_median, (void)asha,
      (void)halving, (void)hyperband, (void)pbt, (void)nop;
}

void storages() {
  using std::chrono::seconds;
  tk::memory_storage memory{};
  tk::journal_storage journal{"study.log", {.durability = tk::durability::full, .heartbeat_interval = seconds(10), .max_retries = 1}};
#if defined(TUNEKIT_HAS_SQLITE)
  tk::sqlite_storage sqlite{"study.db", {.heartbeat_interval = seconds(10), .max_retries = 1}};
  (void)sqlite;
#endif
#if defined(TUNEKIT_HAS_POSTGRES)
  tk::postgres_storage postgres{"postgresql://tunekit@127.0.0.1/tunekit", {.max_retries = 1}};
  (void)postgres;
#endif
  (void)memory, (void)journal;
}

void tuner() {
  tk::tuner tuner{tk::median_scheduler{{.n_warmup_steps = 2}}, tk::tpe_sampler{{.seed = 1}},
                  tk::study_config{.name = "options", .directions = {tk::direction::maximize}}};
  tuner.optimize([](tk::trial& t) { return t.suggest_float("x", 0.0, 1.0, {.log = false}); },
                 {.n_trials = 1, .n_jobs = 1});
}

}  // namespace option_style

TEST_CASE("every sampler and scheduler takes its options in the one documented style", "[core][options]") {
  // Construction validates the options (a bad value throws, naming it).
  REQUIRE_NOTHROW(option_style::samplers());
  REQUIRE_NOTHROW(option_style::schedulers());
  // option_style::storages and option_style::tuner are compiled, not run:
  // they open files and servers.
}
