"""What the PostgreSQL fleet scripts (postgres_mixed_fleet.py,
postgres_fleet_rounds.py) share: the objective every worker runs (the one
postgres_fleet_worker.cpp runs too), finding the test server, and the checks
on the trials a fleet recorded."""

import os

OPT = (4.2, -3.1)  # the objective's minimum


def objective(trial, tag):
    """Every worker's objective; `tag` names the worker in a user attribute."""
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    trial.set_user_attr("worker", tag)
    return (x - OPT[0]) ** 2 + (y - OPT[1]) ** 2


def server_or_skip(names=("TUNEKIT_TEST_POSTGRES_URL",)):
    """The environment variables `names` (tests/cmake/services.cmake sets
    them), or None after printing the skip line (the caller exits 77) when one
    is missing or Optuna/psycopg2 cannot be imported."""
    values = [os.environ.get(n) for n in names]
    if not all(values):
        print("TUNEKIT_TEST_SKIPPED: " + " or ".join(names) + " is not set")
        return None
    try:
        import psycopg2  # noqa: F401
        import optuna
    except ImportError as e:
        print(f"TUNEKIT_TEST_SKIPPED: {e}")
        return None
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return values


def check_trials(trials, want_counts):
    """Failures of a fleet's study: numbers 0..N-1 once each, all COMPLETE,
    each worker's count as in `want_counts`, each value equal to the
    objective at its parameters (a torn or doubled write breaks one of these)."""
    import optuna
    total = sum(want_counts.values())
    failures = []
    numbers = sorted(t.number for t in trials)
    if numbers != list(range(total)):
        failures.append(f"{len(trials)} trials, numbers not 0..{total - 1} once each")
    counts = {}
    for t in trials:
        tag = t.user_attrs.get("worker")
        counts[tag] = counts.get(tag, 0) + 1
        if t.state != optuna.trial.TrialState.COMPLETE:
            failures.append(f"trial {t.number} is {t.state.name}")
            continue
        expect = (t.params["x"] - OPT[0]) ** 2 + (t.params["y"] - OPT[1]) ** 2
        if abs(t.value - expect) > 1e-12 * max(1.0, expect):
            failures.append(f"trial {t.number}: value {t.value!r} != objective {expect!r}")
    if counts != want_counts:
        failures.append(f"trials per worker {counts}, expected {want_counts}")
    return failures
