#!/usr/bin/python3
"""Optuna peer of benchmarks/sql_throughput.cpp on a postgresql:// URL.

K processes share one study in Optuna 3.1's RDBStorage on PostgreSQL
(SQLAlchemy + psycopg2); each runs N cycles of: study.ask() (RandomSampler),
10 suggest_float, 10 trial.report, study.tell(). Prints one JSON line: total
cycles / wall seconds from the common start to the last process's exit.

    /usr/bin/python3 benchmarks/peers/optuna_postgres_throughput.py \
        --url postgresql://user:pw@127.0.0.1:5432/db --processes 8 --cycles 50
"""

import argparse
import json
import multiprocessing
import sys
import time
import uuid
import warnings

import optuna

NAMES = [f"p{i}" for i in range(10)]


def worker(url, study_name, cycles, seed):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    study = optuna.load_study(study_name=study_name, storage=url,
                              sampler=optuna.samplers.RandomSampler(seed=seed))
    for _ in range(cycles):
        trial = study.ask()
        total = sum(trial.suggest_float(n, 0, 1) for n in NAMES)
        for step in range(10):
            trial.report(total / (step + 1), step)
        study.tell(trial, total)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--processes", type=int, default=1)
    p.add_argument("--cycles", type=int, default=50)
    a = p.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    name = "optuna-throughput-" + uuid.uuid4().hex[:12]
    optuna.create_study(study_name=name, storage=a.url)
    ctx = multiprocessing.get_context("fork")
    start = time.perf_counter()
    procs = [ctx.Process(target=worker, args=(a.url, name, a.cycles, s)) for s in range(a.processes)]
    for pr in procs:
        pr.start()
    for pr in procs:
        pr.join()
    seconds = time.perf_counter() - start
    n = len(optuna.load_study(study_name=name, storage=a.url).trials)
    optuna.delete_study(study_name=name, storage=a.url)
    total = a.cycles * a.processes
    print(json.dumps({"system": "optuna-" + optuna.__version__, "storage": "RDBStorage(postgresql)",
                      "processes": a.processes, "cycles": total, "seconds": seconds,
                      "cycles_per_s": total / seconds, "trials_in_study": n}))
    return 0 if n == total and all(pr.exitcode == 0 for pr in procs) else 1


if __name__ == "__main__":
    sys.exit(main())
