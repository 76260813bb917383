#!/usr/bin/python3
"""Optuna peer of benchmarks/journal_throughput.cpp (mode `cycles`).

K processes share one Optuna 3.1 JournalFileStorage (its default symlink lock);
each runs N cycles of: study.ask() (RandomSampler), 10 suggest_float, 10
trial.report, study.tell(). Prints one JSON line: total cycles / wall seconds
from the common start to the last process's exit.

    /usr/bin/python3 benchmarks/peers/optuna_journal_throughput.py \
        --journal /tmp/optuna.log --processes 4 --cycles 150
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


def storage(path):
    return optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(path))


def worker(path, cycles, seed, threads=1):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    study = optuna.load_study(study_name="throughput", storage=storage(path),
                              sampler=optuna.samplers.RandomSampler(seed=seed))
    pool = [threading.Thread(target=loop, args=(study, cycles)) for _ in range(threads - 1)]
    for t in pool:
        t.start()
    loop(study, cycles)
    for t in pool:
        t.join()


def loop(study, cycles):
    for _ in range(cycles):
        trial = study.ask()
        total = sum(trial.suggest_float(n, 0, 1) for n in NAMES)
        for step in range(10):
            trial.report(total / (step + 1), step)
        study.tell(trial, total)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--journal", required=True)
    p.add_argument("--processes", type=int, default=1)
    p.add_argument("--cycles", type=int, default=100)
    p.add_argument("--threads", type=int, default=1, help="threads per process sharing one study (n_jobs)")
    a = p.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    if os.path.exists(a.journal):
        os.remove(a.journal)
    optuna.create_study(study_name="throughput", storage=storage(a.journal))
    ctx = multiprocessing.get_context("fork")
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    procs = [ctx.Process(target=worker, args=(a.journal, a.cycles, s, a.threads)) for s in range(a.processes)]
    for pr in procs:
        pr.start()
    for pr in procs:
        pr.join()
    seconds = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    n = len(optuna.load_study(study_name="throughput", storage=storage(a.journal)).trials)
    total = a.cycles * a.processes * a.threads
    print(json.dumps({"system": "optuna-" + optuna.__version__, "storage": "JournalFileStorage",
                      "processes": a.processes, "threads": a.threads, "cycles": total, "seconds": seconds,
                      "cpu_seconds": cpu,
                      "cycles_per_s": total / seconds, "trials_in_journal": n}))
    return 0 if n == total and all(pr.exitcode == 0 for pr in procs) else 1


if __name__ == "__main__":
    sys.exit(main())
