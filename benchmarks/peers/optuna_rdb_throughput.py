#!/usr/bin/python3
"""Optuna peer of benchmarks/sql_throughput.cpp.

K processes share one Optuna 3.1 RDBStorage (SQLite file or PostgreSQL URL);
each runs N cycles of: study.ask() (RandomSampler), 10 suggest_float, 10
trial.report, study.tell(). Prints one JSON line: total cycles / wall seconds
from the common start to the last process's exit, and how many cycles failed
(SQLite's "database is locked" under concurrency).

    /usr/bin/python3 benchmarks/peers/optuna_rdb_throughput.py \
        --url sqlite:////tmp/optuna.db --processes 8 --cycles 30
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
import resource
import threading
import warnings

import optuna

NAMES = [f"p{i}" for i in range(10)]


def worker(url, study_name, cycles, seed, failures, threads=1):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    study = optuna.load_study(study_name=study_name, storage=url, sampler=optuna.samplers.RandomSampler(seed=seed))
    if threads > 1:  # n_jobs-style: threads share the study object
        pool = [threading.Thread(target=loop, args=(study, cycles, failures)) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    else:
        loop(study, cycles, failures)


def loop(study, cycles, failures):
    for _ in range(cycles):
        try:
            trial = study.ask()
            total = sum(trial.suggest_float(n, 0, 1) for n in NAMES)
            for step in range(10):
                trial.report(total / (step + 1), step)
            study.tell(trial, total)
        except Exception as e:  # noqa: BLE001 - counted and reported
            with failures.get_lock():
                failures.value += 1
            print("optuna worker:", type(e).__name__, str(e)[:200], file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--processes", type=int, default=1)
    p.add_argument("--cycles", type=int, default=30)
    p.add_argument("--threads", type=int, default=1, help="threads per process sharing one study (n_jobs)")
    a = p.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    if a.url.startswith("sqlite:///"):
        path = a.url[len("sqlite:///"):]
        if os.path.exists(path):
            os.remove(path)
    name = f"throughput-{os.getpid()}"
    optuna.create_study(study_name=name, storage=a.url)
    ctx = multiprocessing.get_context("fork")
    failures = ctx.Value("i", 0)
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    procs = [ctx.Process(target=worker, args=(a.url, name, a.cycles, s, failures, a.threads)) for s in range(a.processes)]
    for pr in procs:
        pr.start()
    for pr in procs:
        pr.join()
    seconds = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    n = len(optuna.load_study(study_name=name, storage=a.url).trials)
    total = a.cycles * a.processes * a.threads
    print(json.dumps({"system": "optuna-" + optuna.__version__, "storage": "RDBStorage " + a.url.split(":")[0],
                      "processes": a.processes, "threads": a.threads, "cycles": total, "seconds": seconds,
                      "cpu_seconds": cpu, "cycles_per_s": (total - failures.value) / seconds, "failed_cycles": failures.value,
                      "trials_in_study": n}))
    optuna.delete_study(study_name=name, storage=a.url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
