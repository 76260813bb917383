#!/usr/bin/python3
"""Mixed fleet: Optuna 3.1 workers and tunekit workers on one PostgreSQL study.

Phase 1: 2 Optuna workers (RandomSampler) finish 2 x PHASE1 trials.
Phase 2: 2 more Optuna workers and 2 tunekit workers (TPE) run at once.

Checks:
  * every trial recorded once: numbers 0..N-1 dense and unique, all COMPLETE,
    each worker's count exact, each value equal to the objective at its
    parameters (a torn or doubled write would break one of these);
  * tunekit's TPE used the trials Optuna finished: each tunekit worker's first
    FIRST trials are already model-based. Had tunekit ignored Optuna's trials,
    they would be its random start-up trials (n_startup_trials = 10), whose
    median distance to the optimum is about 7 on this square; the check asks
    for a median below 2.5 (p < 0.002 for random points) and below half the
    median of Optuna's random phase-1 trials.

Exit 77 (CTest: skipped) when no server is configured
(TUNEKIT_TEST_POSTGRES_URL, see .ci/postgres.sh) or psycopg2 is missing.

    TUNEKIT_TEST_POSTGRES_URL=postgresql://... /usr/bin/python3 \
        tests/interop/postgres_mixed_fleet.py --worker build/.../postgres_fleet_worker
"""

import argparse
import math
import os
import statistics
import subprocess
import sys
import uuid

from fleet_checks import OPT, check_trials, objective, server_or_skip

PHASE1 = 15   # trials per Optuna worker in phase 1
PHASE2 = 15   # trials per worker in phase 2
FIRST = 5     # each tunekit worker's first trials judged for model use


def optuna_worker(url, study, n, seed, tag):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    s = optuna.load_study(study_name=study, storage=url, sampler=optuna.samplers.RandomSampler(seed=seed))
    s.optimize(lambda t: objective(t, tag), n_trials=n)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--worker", help="postgres_fleet_worker executable")
    p.add_argument("--optuna-worker", nargs=5, metavar=("URL", "STUDY", "N", "SEED", "TAG"))
    a = p.parse_args()
    if a.optuna_worker:
        url, study, n, seed, tag = a.optuna_worker
        optuna_worker(url, study, int(n), int(seed), tag)
        return 0

    server = server_or_skip()
    if server is None:
        return 77
    (url,) = server
    import optuna
    study = "mixed-fleet-" + uuid.uuid4().hex[:12]
    optuna.create_study(study_name=study, storage=url)
    me = [sys.executable, os.path.abspath(__file__)]

    def optuna_proc(n, seed, tag):
        return subprocess.Popen(me + ["--optuna-worker", url, study, str(n), str(seed), tag])

    procs = [optuna_proc(PHASE1, 1, "optuna-1"), optuna_proc(PHASE1, 2, "optuna-2")]
    ok = all(pr.wait() == 0 for pr in procs)
    procs = [optuna_proc(PHASE2, 3, "optuna-3"), optuna_proc(PHASE2, 4, "optuna-4"),
             subprocess.Popen([a.worker, url, study, str(PHASE2), "5", "tunekit-1"]),
             subprocess.Popen([a.worker, url, study, str(PHASE2), "6", "tunekit-2"])]
    ok = all([pr.wait() == 0 for pr in procs]) and ok
    if not ok:
        print("FAIL: a worker exited with an error")
        return 1

    trials = optuna.load_study(study_name=study, storage=url).get_trials(deepcopy=False)
    total = 2 * PHASE1 + 4 * PHASE2
    want = {"optuna-1": PHASE1, "optuna-2": PHASE1, "optuna-3": PHASE2, "optuna-4": PHASE2,
            "tunekit-1": PHASE2, "tunekit-2": PHASE2}
    failures = check_trials(trials, want)

    def dist(t):
        return math.hypot(t.params["x"] - OPT[0], t.params["y"] - OPT[1])

    first = []
    for tag in ("tunekit-1", "tunekit-2"):
        mine = sorted((t for t in trials if t.user_attrs.get("worker") == tag), key=lambda t: t.number)
        first += [dist(t) for t in mine[:FIRST]]
    random_phase = [dist(t) for t in trials if t.user_attrs.get("worker") in ("optuna-1", "optuna-2")]
    tk_median = statistics.median(first) if first else math.inf
    rnd_median = statistics.median(random_phase) if random_phase else 0.0
    print(f"median distance to the optimum: tunekit's first {FIRST} trials per worker {tk_median:.3f}, "
          f"Optuna's random phase-1 trials {rnd_median:.3f}")
    if not (tk_median < 2.5 and tk_median < 0.5 * rnd_median):
        failures.append("tunekit's first trials look random: its TPE did not use Optuna's finished trials")

    for f in failures:
        print("FAIL:", f)
    if not failures:
        print(f"OK: {total} trials, each recorded once; {want}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
