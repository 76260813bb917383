#!/usr/bin/python3
"""Mixed fleet started at one instant, many rounds: 4 tunekit + 2 Optuna 3.1
workers on one PostgreSQL study that none of them has created yet.

Each round makes a new study name; the Optuna workers import Optuna, say
"ready" and wait; then all six are released together: the Optuna workers call
create_study(load_if_exists=True), the tunekit workers open the study through
tuner/open_study. Trial creation then interleaves for the whole round (the
tunekit workers are faster per trial, so they are given more trials).

Fails when
  * any worker exits non-zero (a lost creation race, or an Optuna worker
    killed by a deadlock: StorageInternalError);
  * the study does not hold exactly the requested trials, numbered 0..N-1
    once each, all COMPLETE, with the per-worker counts exact and each value
    equal to the objective at its parameters;
  * the server log gained a "deadlock detected" line during the run
    (PostgreSQL logs every deadlock it breaks, whichever side it aborts).

Exit 77 (CTest: skipped) when no server is configured
(TUNEKIT_TEST_POSTGRES_URL and TUNEKIT_TEST_POSTGRES_LOG, see
.ci/postgres.sh) or psycopg2 is missing.

    eval "$(.ci/postgres.sh start)"
    /usr/bin/python3 tests/interop/postgres_fleet_rounds.py --worker build/.../postgres_fleet_worker --rounds 10
"""

import argparse
import os
import subprocess
import sys
import time
import uuid

from fleet_checks import check_trials, objective, server_or_skip


def optuna_worker(url, study, n, seed, tag):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    print("ready", flush=True)
    sys.stdin.readline()  # the start barrier
    s = optuna.create_study(study_name=study, storage=url, load_if_exists=True,
                            sampler=optuna.samplers.RandomSampler(seed=seed))
    s.optimize(lambda t: objective(t, tag), n_trials=n)


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def new_log_lines(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace").splitlines()


def run_round(a, url, r):
    import optuna
    study = f"fleet-rounds-{r}-" + uuid.uuid4().hex[:10]
    me = [sys.executable, os.path.abspath(__file__)]
    optuna_procs = []
    for k in range(a.optuna_workers):
        tag = f"optuna-{k}"
        optuna_procs.append((tag, subprocess.Popen(
            me + ["--optuna-worker", url, study, str(a.optuna_trials), str(100 * r + k), tag],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)))
    for tag, p in optuna_procs:
        if p.stdout.readline().strip() != "ready":
            print(f"FAIL: round {r}: {tag} did not start")
            return False
    # Release everyone at once.
    procs = []
    for k in range(a.tunekit_workers):
        tag = f"tunekit-{k}"
        procs.append((tag, subprocess.Popen([a.worker, url, study, str(a.tunekit_trials), str(1000 * r + k), tag])))
    for tag, p in optuna_procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    procs += optuna_procs
    ok = True
    for tag, p in procs:
        code = p.wait()
        if code != 0:
            print(f"FAIL: round {r}: worker {tag} exited {code}")
            ok = False

    trials = optuna.load_study(study_name=study, storage=url).get_trials(deepcopy=False)
    want = {f"tunekit-{k}": a.tunekit_trials for k in range(a.tunekit_workers)}
    want.update({f"optuna-{k}": a.optuna_trials for k in range(a.optuna_workers)})
    failures = check_trials(trials, want)
    for f in failures:
        print(f"FAIL: round {r}: {f}")
    optuna.delete_study(study_name=study, storage=url)
    return ok and not failures


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--worker", help="postgres_fleet_worker executable")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--tunekit-workers", type=int, default=4)
    p.add_argument("--tunekit-trials", type=int, default=50)
    p.add_argument("--optuna-workers", type=int, default=2)
    p.add_argument("--optuna-trials", type=int, default=50)
    p.add_argument("--optuna-worker", nargs=5, metavar=("URL", "STUDY", "N", "SEED", "TAG"))
    a = p.parse_args()
    if a.optuna_worker:
        url, study, n, seed, tag = a.optuna_worker
        optuna_worker(url, study, int(n), int(seed), tag)
        return 0

    server = server_or_skip(("TUNEKIT_TEST_POSTGRES_URL", "TUNEKIT_TEST_POSTGRES_LOG"))
    if server is None:
        return 77
    url, log = server
    import optuna

    # The schema first: Optuna 3.1's own schema creation is not safe against
    # concurrent Optuna processes on an empty database (CREATE TYPE races);
    # tunekit's is (tests/integration/postgres_processes.test.cpp starts
    # tunekit workers on fresh databases). Studies are what this test races.
    optuna.storages.RDBStorage(url)
    offset = log_size(log)
    start = time.monotonic()
    passed = sum(run_round(a, url, r) for r in range(a.rounds))
    deadlocks = [line for line in new_log_lines(log, offset) if "deadlock detected" in line]
    per_round = a.tunekit_workers * a.tunekit_trials + a.optuna_workers * a.optuna_trials
    print(f"{passed} of {a.rounds} rounds passed ({per_round} trials each, "
          f"{a.tunekit_workers} tunekit + {a.optuna_workers} Optuna workers), "
          f"{len(deadlocks)} deadlocks in the server log, {time.monotonic() - start:.1f} s")
    for line in deadlocks[:10]:
        print("FAIL: server log:", line)
    return 0 if passed == a.rounds and not deadlocks else 1


if __name__ == "__main__":
    sys.exit(main())
