#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <span>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/concepts.hpp"
#include "core/errors.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "core/space.hpp"
#include "core/study_view.hpp"
#include "core/trial.hpp"
#include "mo/constraints.hpp"
#include "mo/intermediate.hpp"
#include "detail/default_study_name.hpp"
#include "detail/progress.hpp"
#include "detail/resource_meter.hpp"
#include "samplers/random.hpp"
#include "samplers/tpe.hpp"
#include "schedulers/nop.hpp"
#include "storage/memory.hpp"
#include "storage/open_study.hpp"

namespace tunekit {

/// The sampler a tuner uses when none is given: TPE, as in Optuna and Hyperopt.
using default_sampler = tpe_sampler;

/// Which study a tuner works on, and in which direction(s).
struct study_config {
  /// Empty: a fresh, unique name.
  std::string name = {};
  /// One per objective value.
  std::vector<direction> directions = {direction::minimize};
  /// Continue a study of that name if the storage has one (its directions
  /// must match); otherwise an existing name is an error.
  bool load_if_exists = true;
  /// Constraint values of a finished trial (Optuna's `constraints_func`):
  /// called with the record of every COMPLETE or PRUNED trial, values set,
  /// that has not called `trial::set_constraints` itself, before it is
  /// stored; each value <= 0 when satisfied. An exception from it fails the
  /// trial. Unset: only `trial::set_constraints` gives constraints.
  std::function<std::vector<double>(const frozen_trial&)> constraints = nullptr;
};

/// Called after every trial of `optimize`, never concurrently with itself.
/// Call `tuner.stop()` from it to end the run.
using callback = std::function<void(const study_view&, const frozen_trial&)>;

/// How long `optimize` runs and how.
struct optimize_options {
  /// Trials to run in this call; unset: until timeout, `stop()` or an exhausted sampler.
  std::optional<std::int64_t> n_trials = std::nullopt;
  /// No new trial starts after this much time; running ones finish.
  std::optional<std::chrono::duration<double>> timeout = std::nullopt;
  /// Trials run at once, on threads of this process.
  int n_jobs = 1;
  std::vector<callback> callbacks = {};
  /// Stop as soon as a trial reaches this value (<= when minimising, >= when maximising).
  std::optional<double> target = std::nullopt;
  /// false: an exception from the objective still fails its trial, then
  /// stops the run and is rethrown from `optimize`.
  bool catch_exceptions = true;
  /// A one-line progress display on stderr (trials, best value, rate,
  /// ETA): by default only when stderr is a terminal; see `progress_mode`.
  progress_mode progress = progress_mode::automatic;
};

/// How `tuner::warm_start` maps trials of another study into this one.
struct warm_start_options {
  /// A value outside this study's distribution of its parameter: drop the
  /// whole trial, or clip the value into the distribution (numbers only; a
  /// categorical value not among the choices always drops the trial).
  enum class outside { drop, clip };
  outside out_of_range = outside::drop;
  /// Define-by-run tuners: the space to map onto (empty: keep each
  /// parameter's source distribution). Typed tuners use their own space.
  search_space space = {};
  /// Bring at most this many trials, the most recent ones.
  std::optional<std::size_t> max_trials = std::nullopt;
};

/// Why `optimize` returned.
enum class stop_reason { n_trials, timeout, stopped, exhausted, target, exception };

/// What one `optimize` call did.
struct optimize_summary {
  std::int64_t n_complete = 0, n_pruned = 0, n_fail = 0;
  double elapsed_seconds = 0;
  stop_reason reason = stop_reason::n_trials;
};

/// The result of `ask()` on a typed tuner: the live trial and its parameters.
template <class T>
struct asked {
  tunekit::trial trial;
  T params;
};

namespace detail {

template <class T>
concept named_sampler_arg = requires { &T::sample_independent; } || sampler<T>;
template <class T>
concept named_scheduler_arg = requires { &T::should_prune; } || scheduler<T>;
template <class T>
concept named_storage_arg = requires { &T::create_trial; } || storage<T>;

template <class T> struct is_space_arg : is_typed_space<T> {};
template <class T> struct is_sampler_arg : std::bool_constant<named_sampler_arg<T>> {};
template <class T> struct is_scheduler_arg : std::bool_constant<named_scheduler_arg<T>> {};
template <class T> struct is_storage_arg : std::bool_constant<named_storage_arg<T>> {};

template <class T>
inline constexpr bool recognised_arg_v = is_space_arg<T>::value || is_sampler_arg<T>::value ||
                                         is_scheduler_arg<T>::value || is_storage_arg<T>::value ||
                                         std::is_same_v<T, study_config>;

/// The first of Ts satisfying Pred, or Default.
template <template <class> class Pred, class Default, class... Ts>
struct find_arg { using type = Default; };
template <template <class> class Pred, class Default, class T, class... Ts>
struct find_arg<Pred, Default, T, Ts...>
    : std::conditional_t<Pred<T>::value, std::type_identity<T>, find_arg<Pred, Default, Ts...>> {};
template <template <class> class Pred, class Default, class... Ts>
using find_arg_t = typename find_arg<Pred, Default, Ts...>::type;

/// The first argument of type Want, or a default-constructed Want.
template <class Want>
Want take() {
  return Want{};
}
template <class Want, class First, class... Rest>
Want take(First&& first, Rest&&... rest) {
  if constexpr (std::is_same_v<std::decay_t<First>, Want>) return Want(std::forward<First>(first));
  else return take<Want>(std::forward<Rest>(rest)...);
}

template <class R>
result to_result(R&& r) {
  if constexpr (std::is_same_v<std::remove_cvref_t<R>, pruned_t>) return result(pruned);
  else if constexpr (std::is_arithmetic_v<std::remove_cvref_t<R>>) return result(static_cast<double>(r));
  else return result(std::forward<R>(r));
}

inline std::string fresh_study_name() {
  random_engine engine(detail::seed_or_entropy(std::nullopt));
  static constexpr char hex[] = "0123456789abcdef";
  std::string name(default_study_name_prefix);
  for (std::size_t i = 0; i < default_study_name_digits; ++i) name += hex[engine.below(16)];
  return name;
}

/// True when Space is `space<T>` (so define-by-run tuners have no typed enqueue).
template <class Space, class T>
struct is_value_of_space : std::false_type {};
template <class U, class T>
struct is_value_of_space<space<U>, T> : std::is_same<U, T> {};

template <class S>
concept has_after_trial = requires(S& s, const study_view& v, const frozen_trial& t) { s.after_trial(v, t); };
template <class S>
concept has_new_trial_system_attrs = requires(S& s, const study_view& v) {
  { s.new_trial_system_attrs(v) } -> std::convertible_to<attributes>;
};
template <class S>
concept has_sampler_view = requires(S& s, const study_view& v, const frozen_trial& t) {
  { s.sampler_view(v, t) } -> std::same_as<study_view>;
};
template <class S>
concept has_is_exhausted = requires(S& s, const study_view& v) {
  { s.is_exhausted(v) } -> std::convertible_to<bool>;
};

}  // namespace detail

/// Runs a study: asks the sampler for parameters, calls the objective,
/// asks the scheduler whether to stop early, records everything in the
/// storage.
///
/// Construct from a typed `space<T>` (optional: without one the tuner is
/// define-by-run) followed, in any order, by a sampler, a scheduler, a
/// storage and a `study_config`; each defaults to `default_sampler`,
/// `nop_scheduler`, `memory_storage` and a fresh minimising study.
template <class Space, class Sampler, class Scheduler, class Storage>
class tuner : private detail::trial_host {
  static_assert(tunekit::search_space_kind<Space>, "tunekit::tuner: Space must be tunekit::space<T> or tunekit::define_by_run");
  static_assert(tunekit::sampler<Sampler>,
                "tunekit::tuner: the sampler needs `double sample_independent(const tunekit::study_view&, "
                "const tunekit::frozen_trial&, std::string_view, const tunekit::distribution&)`");
  static_assert(tunekit::scheduler<Scheduler>,
                "tunekit::tuner: the scheduler needs `bool should_prune(const tunekit::study_view&, "
                "const tunekit::frozen_trial&)`");
  static_assert(tunekit::storage<Storage>,
                "tunekit::tuner: the storage does not satisfy tunekit::storage (see its numbered requirements "
                "in tunekit/core/concepts.hpp)");

  static constexpr bool typed = detail::is_typed_space<Space>::value;

 public:
  template <class... Args>
    requires(!(sizeof...(Args) == 1 && (std::is_same_v<std::remove_cvref_t<Args>, tuner> && ...)))
  explicit tuner(Args&&... args)
      : space_(take_space(args...)),
        sampler_(detail::take<Sampler>(std::forward<Args>(args)...)),
        scheduler_(detail::take<Scheduler>(std::forward<Args>(args)...)),
        storage_(detail::take<Storage>(std::forward<Args>(args)...)) {
    static_assert((detail::recognised_arg_v<std::decay_t<Args>> && ...),
                  "tunekit::tuner: every argument must be a tunekit::space<T>, a sampler, a scheduler, a storage "
                  "or a tunekit::study_config");
    open_study(detail::take<study_config>(args...));
  }

  tuner(const tuner&) = delete;
  tuner& operator=(const tuner&) = delete;

  /// Runs trials until `options` says stop. Exceptions and NaN results of
  /// the objective fail their trial; the run goes on unless
  /// `catch_exceptions` is false.
  template <class F>
  optimize_summary optimize(F&& objective, const optimize_options& options = {}) {
    if constexpr (typed) {
      using T = typename Space::value_type;
      static_assert(std::is_invocable_v<F&, const T&, trial&>,
                    "tunekit::tuner::optimize: with a typed space the objective must be callable as "
                    "f(const T&, tunekit::trial&)");
      if constexpr (std::is_invocable_v<F&, const T&, trial&>)
        static_assert(detail::objective_result<std::invoke_result_t<F&, const T&, trial&>>,
                      "tunekit::tuner::optimize: the objective must return a number, std::vector<double>, "
                      "tunekit::pruned or tunekit::result");
    } else {
      static_assert(std::is_invocable_v<F&, trial&>,
                    "tunekit::tuner::optimize: a define-by-run objective must be callable as f(tunekit::trial&)");
      if constexpr (std::is_invocable_v<F&, trial&>)
        static_assert(detail::objective_result<std::invoke_result_t<F&, trial&>>,
                      "tunekit::tuner::optimize: the objective must return a number, std::vector<double>, "
                      "tunekit::pruned or tunekit::result");
    }
    if (options.n_jobs < 1)
      throw invalid_argument("optimize: n_jobs = " + std::to_string(options.n_jobs) + " is not allowed; n_jobs must be >= 1");
    if (options.n_trials && *options.n_trials < 0)
      throw invalid_argument("optimize: n_trials = " + std::to_string(*options.n_trials) + " must be >= 0");
    if (options.timeout && !(options.timeout->count() >= 0))
      throw invalid_argument("optimize: timeout must be >= 0 seconds");

    detail::progress_display progress(options.progress, options.n_trials,
                                      options.timeout ? std::optional<double>(options.timeout->count()) : std::nullopt,
                                      directions_);
    run_state run(options, progress);
    stop_requested_ = false;
    auto worker = [&] {
      while (claim_slot(run)) run_one(objective, run);
    };
    {
      std::vector<std::jthread> helpers;
      for (int i = 1; i < options.n_jobs; ++i) helpers.emplace_back(worker);
      worker();
    }
    run.summary.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - run.started).count();
    progress.finish();
    if (run.error) std::rethrow_exception(run.error);
    return run.summary;
  }

  /// Starts a trial for a loop the user drives; finish it with `tell`.
  /// A typed tuner returns `asked<T>{trial, params}`.
  auto ask() {
    trial t = start_trial();
    if constexpr (typed) {
      try {
        auto params = space_.materialize(t);
        return asked<typename Space::value_type>{std::move(t), std::move(params)};
      } catch (const std::exception& e) {
        finish(t.id(), result(pruned), {}, e.what(), false);
        throw;
      }
    } else {
      return t;
    }
  }

  /// Finishes a trial from `ask()` with its value(s) or `tunekit::pruned`.
  /// Values must match the study's directions (`invalid_argument`); NaN or
  /// infinite values fail the trial. A finished trial cannot be told twice.
  frozen_trial tell(const trial& t, result r) { return finish(t.id(), r, {}, {}, true); }

  /// Finishes the trial with this number (e.g. from another process).
  frozen_trial tell(std::int64_t trial_number, result r) { return finish(id_of(trial_number), r, {}, {}, true); }

  /// Marks a trial from `ask()` as failed, with the reason kept.
  frozen_trial fail(const trial& t, std::string reason) {
    return finish(t.id(), result(pruned), {}, reason.empty() ? "failed" : std::move(reason), true);
  }

  /// Queues parameters to be evaluated before any sampled ones. Typed
  /// tuners check them at once; define-by-run values are checked when
  /// suggested (a value outside its distribution fails that trial).
  void enqueue(const param_values& values) {
    if constexpr (typed) {
      for (const auto& [name, value] : values) {
        const distribution* d = space_.dynamic().find(name);
        if (!d) throw invalid_argument("enqueue: parameter " + detail::quoted(name) + " is not in the search space");
        to_internal(*d, value, name);
      }
    }
    nlohmann::json fixed = nlohmann::json::object();
    for (const auto& [name, value] : values) fixed[name] = detail::category_to_json(value);
    frozen_trial record;
    record.state = trial_state::waiting;
    record.system_attrs[std::string(detail::fixed_params_key)] = std::move(fixed);
    storage_.create_trial(study_, record);
  }

  /// Queues a typed configuration (typed tuners only).
  template <class T>
    requires detail::is_value_of_space<Space, T>::value
  void enqueue(const T& params) {
    enqueue(space_.to_values(params));
  }

  /// Brings the COMPLETE trials of a related study into this one as prior
  /// observations, so samplers start informed (knowledge transfer).
  /// Parameters are matched by name; those outside this study's space are
  /// left out, values outside a distribution are dropped or clipped
  /// (`options.out_of_range`). Each copy keeps `warm_start` = {study, number}
  /// in its system attributes. Returns how many trials were added.
  std::size_t warm_start(std::span<const frozen_trial> source, const warm_start_options& options = {}) {
    static_assert(requires(Storage& s, study_id id, const frozen_trial& t) { s.add_trial(id, t); },
                  "tuner::warm_start needs a storage with add_trial(study_id, const frozen_trial&)");
    const search_space* target = nullptr;
    if constexpr (typed) target = &space_.dynamic();
    else if (!options.space.empty()) target = &options.space;
    std::vector<frozen_trial> kept;
    for (const auto& t : source) {
      if (t.state != trial_state::complete || t.values.size() != directions_.size()) continue;
      frozen_trial copy;
      copy.state = trial_state::complete;
      copy.values = t.values;
      copy.intermediate_values = t.intermediate_values;
      copy.user_attrs = t.user_attrs;
      copy.datetime_start = t.datetime_start;
      copy.datetime_complete = t.datetime_complete;
      copy.system_attrs["warm_start"] = {{"number", t.number}};
      bool keep = true;
      for (const auto& [name, internal] : t.params) {
        const auto src = t.distributions.find(name);
        if (src == t.distributions.end()) continue;
        const distribution* dst = target ? target->find(name) : &src->second;
        if (!dst) continue;  // not in this study's space
        if (auto v = map_value(src->second, internal, *dst, options.out_of_range)) {
          copy.params[name] = *v;
          copy.distributions.insert_or_assign(name, *dst);
        } else {
          keep = false;
          break;
        }
      }
      if (keep && !copy.params.empty()) kept.push_back(std::move(copy));
    }
    if (options.max_trials && kept.size() > *options.max_trials)
      kept.erase(kept.begin(), kept.end() - static_cast<std::ptrdiff_t>(*options.max_trials));
    for (const auto& t : kept) storage_.add_trial(study_, t);
    return kept.size();
  }

  /// Warm start from study `name` of any storage.
  template <class Source>
    requires tunekit::storage<Source>
  std::size_t warm_start(const Source& source, std::string_view name, const warm_start_options& options = {}) {
    const auto id = source.find_study(name);
    if (!id) throw invalid_argument("warm_start: no study named " + detail::quoted(name) + " in the source storage");
    const auto dirs = source.study_directions(*id);
    if (dirs != directions_)
      throw invalid_argument("warm_start: study " + detail::quoted(name) + " has other directions than this study");
    const auto trials = source.trials(*id);
    return warm_start(std::span<const frozen_trial>(trials), options);
  }

  /// The best COMPLETE trial of a single-objective study, feasible trials
  /// first (see `trial::set_constraints`): the best feasible one; when no
  /// trial is feasible, the one with the smallest total violation (ties: the
  /// better value), which `is_feasible` reports as infeasible.
  frozen_trial best_trial() const {
    if (directions_.size() != 1)
      throw state_error("best_trial() needs a single-objective study; this one has " +
                        std::to_string(directions_.size()) + " objectives (use best_trials())");
    std::lock_guard lock(best_mutex_);
    const study_view view = storage_.view(study_);
    const auto& finished = view.finished();
    for (; best_scanned_ < finished.size(); ++best_scanned_) {
      const frozen_trial& t = finished[best_scanned_];
      if (t.state != trial_state::complete || t.values.size() != 1) continue;
      const double violation = trial_violation(t);
      if (violation <= 0) {
        if (!best_ || better(directions_[0], t.values[0], best_->values[0])) best_ = finished.pointer(best_scanned_);
      } else if (!best_infeasible_ || violation < best_violation_ ||
                 (violation == best_violation_ && better(directions_[0], t.values[0], best_infeasible_->values[0]))) {
        best_infeasible_ = finished.pointer(best_scanned_);
        best_violation_ = violation;
      }
    }
    if (best_) return *best_;
    if (best_infeasible_) return *best_infeasible_;
    throw state_error("no trial of study " + detail::quoted(name_) + " has completed yet");
  }

  double best_value() const { return best_trial().values.front(); }

  /// The best trial's parameters as the user's struct (typed tuners).
  auto best_params() const
    requires typed
  {
    return space_.from_params(best_trial().params);
  }

  /// The COMPLETE trials no other COMPLETE trial dominates (Pareto front),
  /// feasible trials first: the front of the feasible trials; when no trial
  /// is feasible, those with the smallest total violation (constrained
  /// domination, Deb 2002; `best_trial_positions` in mo/constraints.hpp).
  /// For one objective, the best trial(s). O(n log n) for two objectives.
  std::vector<frozen_trial> best_trials() const {
    const study_view view = storage_.view(study_);
    std::vector<frozen_trial> front;
    for (std::size_t i : best_trial_positions(view.finished(), directions_)) front.push_back(view.finished()[i]);
    return front;
  }

  /// Every trial of the study, by number.
  std::vector<frozen_trial> trials() const { return storage_.trials(study_); }
  study_view view() const { return storage_.view(study_); }

  /// Asks a running `optimize` to start no new trial. Thread-safe.
  void stop() noexcept { stop_requested_ = true; }

  const std::string& study_name() const noexcept { return name_; }
  study_id study() const noexcept { return study_; }
  std::span<const direction> directions() const noexcept { return directions_; }
  const Space& space() const noexcept { return space_; }
  Sampler& sampler() noexcept { return sampler_; }
  Scheduler& scheduler() noexcept { return scheduler_; }
  Storage& storage() noexcept { return storage_; }

 private:
  struct run_state {
    run_state(const optimize_options& o, detail::progress_display& p)
        : options(o), progress(p), started(std::chrono::steady_clock::now()) {}
    const optimize_options& options;
    detail::progress_display& progress;
    std::chrono::steady_clock::time_point started;
    std::atomic<std::int64_t> claimed{0};
    std::atomic<bool> halt{false};
    std::mutex mutex;  // guards summary and error
    optimize_summary summary;
    std::exception_ptr error;

    void end(stop_reason why, std::exception_ptr e = nullptr) {
      std::lock_guard lock(mutex);
      if (!halt.exchange(true)) summary.reason = why;
      if (e && !error) error = e;
    }
  };

  template <class... Args>
  static Space take_space(Args&... args) {
    if constexpr (typed) {
      static_assert((std::is_same_v<std::decay_t<Args>, Space> || ...),
                    "tunekit::tuner: a typed tuner needs its tunekit::space<T> as an argument");
      return detail::take<Space>(args...);
    } else {
      return Space{};
    }
  }

  void open_study(study_config config) {
    if (config.directions.empty()) throw invalid_argument("study_config: directions is empty; give at least one");
    if (config.name.empty()) config.name = detail::fresh_study_name();
    // Create-or-load in one storage operation: workers that start together
    // must not race between a lookup and a creation (storage/open_study.hpp).
    study_ = tunekit::open_study(storage_, config.name, config.directions, {.load_if_exists = config.load_if_exists});
    name_ = std::move(config.name);
    directions_ = std::move(config.directions);
    constraints_ = std::move(config.constraints);
  }

  bool claim_slot(run_state& run) {
    if (run.halt) return false;
    if (stop_requested_) {
      run.end(stop_reason::stopped);
      return false;
    }
    if (run.options.timeout &&
        std::chrono::steady_clock::now() - run.started >= *run.options.timeout) {
      run.end(stop_reason::timeout);
      return false;
    }
    if (run.options.n_trials && run.claimed.fetch_add(1) >= *run.options.n_trials) {
      run.end(stop_reason::n_trials);
      return false;
    }
    return true;
  }

  template <class F>
  void run_one(F& objective, run_state& run) {
    std::optional<trial> started;
    try {
      started.emplace(start_trial());
    } catch (const search_space_exhausted&) {
      run.end(stop_reason::exhausted);
      return;
    } catch (...) {
      run.end(stop_reason::exception, std::current_exception());
      return;
    }
    trial& t = *started;
    detail::resource_meter meter;
    std::optional<result> outcome;
    std::string reason;
    std::exception_ptr thrown;
    try {
      if constexpr (typed) {
        const auto params = space_.materialize(t);
        outcome.emplace(detail::to_result(std::invoke(objective, params, t)));
      } else {
        outcome.emplace(detail::to_result(std::invoke(objective, t)));
      }
    } catch (const trial_pruned&) {
      outcome.emplace(pruned);
    } catch (const std::exception& e) {
      reason = std::string("objective threw: ") + e.what();
      thrown = std::current_exception();
    } catch (...) {
      reason = "objective threw an exception not derived from std::exception";
      thrown = std::current_exception();
    }
    try {
      const frozen_trial record = finish(t.id(), outcome ? *outcome : result(pruned), meter.stop(), reason, false);
      {
        std::lock_guard lock(run.mutex);
        if (record.state == trial_state::complete) ++run.summary.n_complete;
        else if (record.state == trial_state::pruned) ++run.summary.n_pruned;
        else ++run.summary.n_fail;
      }
      if (thrown && !run.options.catch_exceptions) run.end(stop_reason::exception, thrown);
      run.progress.trial_finished(record);
      if (!run.options.callbacks.empty()) {
        std::lock_guard lock(callback_mutex_);
        const study_view view = storage_.view(study_);
        run.progress.clear();  // a callback that prints starts on a clean line
        for (const auto& cb : run.options.callbacks) cb(view, record);
        run.progress.redraw();
      }
      if (run.options.target && record.state == trial_state::complete && record.values.size() == 1 &&
          !better(directions_[0], *run.options.target, record.values[0]))
        run.end(stop_reason::target);
    } catch (...) {
      run.end(stop_reason::exception, std::current_exception());
    }
  }

  trial start_trial() {
    std::optional<frozen_trial> record = storage_.pop_waiting_trial(study_);
    std::lock_guard lock(sampler_mutex_);
    if (!record) {
      if constexpr (detail::has_is_exhausted<Sampler>) {
        if (sampler_.is_exhausted(storage_.view(study_)))
          throw search_space_exhausted("the sampler has no point left to propose");
      }
      frozen_trial fresh;
      fresh.state = trial_state::running;
      // Attributes the sampler wants stored with the trial from its creation
      // (NSGA-II's generation and parents), so every worker reads them.
      if constexpr (detail::has_new_trial_system_attrs<Sampler>)
        fresh.system_attrs = sampler_.new_trial_system_attrs(storage_.view(study_));
      record = storage_.create_trial(study_, fresh);
    }
    param_map relative;
    search_space relative_space;
    // The sampler's view of the study, taken once per trial: relative
    // sampling reads it here and the trial's independent suggests reuse it
    // (see trial_host::sample_independent); the scheduler's views stay fresh.
    std::optional<study_view> view;
    if constexpr (tunekit::relational_sampler<Sampler>) {
      try {
        view.emplace(sampler_view(*record));
        if constexpr (typed) relative_space = space_.dynamic();
        else relative_space = sampler_.infer_relative_search_space(*view, *record);
        relative = sampler_.sample_relative(*view, *record, relative_space);
      } catch (const std::exception& e) {
        storage_.finish_trial(record->id, trial_state::fail, {}, {}, std::string("sampler failed: ") + e.what());
        throw;
      }
    }
    return trial(*this, std::move(*record), std::move(relative), std::move(relative_space), std::move(view));
  }

  /// The one place a trial ends. `strict` (tell) turns a wrong number of
  /// values into an error; optimize fails the trial instead.
  frozen_trial finish(std::int64_t id, const result& r, const resource_usage& usage, std::string reason, bool strict) {
    trial_state state = trial_state::complete;
    std::vector<double> values;
    if (!reason.empty()) {
      state = trial_state::fail;
    } else if (r.is_pruned()) {
      state = trial_state::pruned;
      // As in Optuna, a pruned trial carries its last reported value.
      if (directions_.size() == 1)
        if (auto last = storage_.trial(id).last_intermediate_value()) values = {*last};
    } else {
      values = r.values();
      if (values.size() != directions_.size()) {
        std::string what = "the objective returned " + std::to_string(values.size()) + " value(s) but the study has " +
                           std::to_string(directions_.size()) + " direction(s)";
        if (strict) throw invalid_argument("tell: " + what);
        state = trial_state::fail;
        reason = what;
        values.clear();
      } else {
        for (double v : values)
          if (!std::isfinite(v)) {
            state = trial_state::fail;
            reason = "the objective returned a non-finite value (" + detail::format_number(v) + ")";
            values.clear();
            break;
          }
      }
    }
    if ((state == trial_state::complete || state == trial_state::pruned) && constraints_) {
      // Optuna's constraints_func: the finished record, unless the
      // objective gave its own values.
      frozen_trial done = storage_.trial(id);
      if (!done.system_attrs.contains(detail::constraints_key)) {
        done.state = state;
        done.values = values;
        std::vector<double> c;
        try {
          c = constraints_(done);
          set_constraints(id, c);
        } catch (const std::exception& e) {
          if (strict) throw;
          state = trial_state::fail;
          values.clear();
          reason = std::string("the constraints function failed: ") + e.what();
        }
      }
    }
    frozen_trial record = storage_.finish_trial(id, state, values, usage, reason);
    if constexpr (detail::has_after_trial<Sampler>) {
      std::lock_guard lock(sampler_mutex_);
      sampler_.after_trial(sampler_view(record), record);
    }
    return record;
  }

  /// The view a sampler gets for trial `t`: the whole study, or what the
  /// scheduler restricts it to (Hyperband: the trial's bracket). Called
  /// with `sampler_mutex_` held; takes `scheduler_mutex_` after it, the only
  /// order in which the two are ever held together.
  study_view sampler_view(const frozen_trial& t) {
    if constexpr (detail::has_sampler_view<Scheduler>) {
      study_view full = storage_.view(study_);
      std::lock_guard lock(scheduler_mutex_);
      return scheduler_.sampler_view(full, t);
    } else {
      return storage_.view(study_);
    }
  }

  /// An internal value of `from` as an internal value of `to`, or none.
  static std::optional<double> map_value(const distribution& from, double internal, const distribution& to,
                                         warm_start_options::outside rule) {
    const category external = to_external(from, internal);
    if (auto c = std::get_if<categorical_distribution>(&to)) {
      const auto k = c->index_of(external);
      if (k < 0) return std::nullopt;
      return static_cast<double>(k);
    }
    double x;
    if (auto i = std::get_if<std::int64_t>(&external)) x = static_cast<double>(*i);
    else if (auto f = std::get_if<double>(&external)) x = *f;
    else return std::nullopt;
    if (contains(to, x)) return x;
    if (rule == warm_start_options::outside::drop) return std::nullopt;
    // Clip: the nearest valid value, through the unit interval (which rounds
    // to the integer, step or log grid) after clamping to the bounds.
    double low, high;
    if (auto f = std::get_if<float_distribution>(&to)) low = f->low(), high = f->high();
    else low = static_cast<double>(std::get<int_distribution>(to).low()), high = static_cast<double>(std::get<int_distribution>(to).high());
    const double clamped = std::clamp(x, low, high);
    if (contains(to, clamped)) return clamped;
    return from_unit(to, std::clamp(to_unit(to, clamped), 0.0, 1.0));
  }

  std::int64_t id_of(std::int64_t number) const {
    for (const auto& t : storage_.trials(study_))
      if (t.number == number) return t.id;
    throw invalid_argument("tell: study " + detail::quoted(name_) + " has no trial number " + std::to_string(number));
  }

  // --- detail::trial_host -------------------------------------------------
  double sample_independent(const frozen_trial& t, std::optional<study_view>& view, std::string_view name,
                            const distribution& d) override {
    std::lock_guard lock(sampler_mutex_);
    if (!view) view.emplace(sampler_view(t));
    const double value = sampler_.sample_independent(*view, t, name, d);
    if (!contains(d, value))
      throw error("sampler_error", "the sampler returned " + detail::format_number(value) + " for parameter " +
                                       detail::quoted(name) + ", outside " + describe(d));
    return value;
  }
  void set_param(std::int64_t id, std::string_view name, double internal, const distribution& d) override {
    storage_.set_param(id, name, internal, d);
  }
  void report(std::int64_t id, std::int64_t step, double value) override {
    storage_.set_intermediate_value(id, step, value);
  }
  bool should_prune(const frozen_trial& t) override {
    std::lock_guard lock(scheduler_mutex_);
    return scheduler_.should_prune(storage_.view(study_), t);
  }
  void set_user_attr(std::int64_t id, std::string_view key, const nlohmann::json& value) override {
    storage_.set_user_attr(id, key, value);
  }
  attributes set_constraints(std::int64_t id, std::span<const double> values) override {
    if (values.empty())
      throw invalid_argument("set_constraints: no values given; give one value per constraint (<= 0 = satisfied)");
    {
      std::lock_guard lock(constraints_mutex_);
      if (n_constraints_ == 0) {  // the study's count, from its first trial that has constraints
        const study_view view = storage_.view(study_);
        for (const auto& t : view.finished())
          if (auto c = trial_constraints(t); c && t.system_attrs.at(std::string(detail::constraints_key)).is_array()) {
            n_constraints_ = c->size();
            break;
          }
      }
      if (n_constraints_ == 0) n_constraints_ = values.size();
      if (values.size() != n_constraints_)
        throw invalid_argument("set_constraints: " + std::to_string(values.size()) + " value(s) given, but the trials "
                               "of study " + detail::quoted(name_) + " have " + std::to_string(n_constraints_) +
                               " constraint(s); every trial must give the same number");
    }
    attributes attrs = constraint_attributes(values);
    if constexpr (requires { storage_.set_system_attr(id, std::string_view{}, nlohmann::json{}); }) {
      for (const auto& [key, value] : attrs) storage_.set_system_attr(id, key, value);
    } else {
      throw state_error("set_constraints: this storage has no set_system_attr(trial id, key, json), which "
                        "constraints are stored with (see requirement 10 of `storage` in core/concepts.hpp)");
    }
    return attrs;
  }
  void report_values(std::int64_t id, std::int64_t step, std::span<const double> values) override {
    if (values.size() != directions_.size())
      throw invalid_argument("report_values: " + std::to_string(values.size()) + " value(s) at step " +
                             std::to_string(step) + " but the study has " + std::to_string(directions_.size()) +
                             " direction(s); give one intermediate value per objective");
    if constexpr (requires { storage_.set_system_attr(id, std::string_view{}, nlohmann::json{}); }) {
      storage_.set_system_attr(id, detail::intermediate_vector_key(step), detail::intermediate_vector_json(values));
    } else {
      throw state_error("report_values: this storage has no set_system_attr(trial id, key, json) (see requirement "
                        "10 of `storage` in core/concepts.hpp)");
    }
  }

  Space space_;
  Sampler sampler_;
  Scheduler scheduler_;
  Storage storage_;
  study_id study_ = -1;
  std::string name_;
  std::vector<direction> directions_;
  std::mutex sampler_mutex_, scheduler_mutex_, callback_mutex_;
  mutable std::mutex best_mutex_;
  mutable std::size_t best_scanned_ = 0;
  mutable std::shared_ptr<const frozen_trial> best_, best_infeasible_;
  mutable double best_violation_ = 0;
  std::function<std::vector<double>(const frozen_trial&)> constraints_;
  std::mutex constraints_mutex_;
  std::size_t n_constraints_ = 0;
  std::atomic<bool> stop_requested_{false};
};

/// Deduces the components from the arguments, in any order.
template <class... Args>
tuner(Args&&...) -> tuner<detail::find_arg_t<detail::is_space_arg, define_by_run, std::decay_t<Args>...>,
                          detail::find_arg_t<detail::is_sampler_arg, default_sampler, std::decay_t<Args>...>,
                          detail::find_arg_t<detail::is_scheduler_arg, nop_scheduler, std::decay_t<Args>...>,
                          detail::find_arg_t<detail::is_storage_arg, memory_storage, std::decay_t<Args>...>>;

}  // namespace tunekit
