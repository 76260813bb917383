#!/usr/bin/python3
"""Optuna 3.1 peer of fleet_worker.cpp: one worker process, same objective
(two floats, two reports, optional sleep), ask/tell latencies in microseconds
as one JSON line.

    /usr/bin/python3 benchmarks/fleet/optuna_fleet_worker.py --url URL --study NAME --trials N
"""
import argparse
import json
import time
import warnings

import optuna


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--study", required=True)
    p.add_argument("--trials", type=int, required=True)
    p.add_argument("--sleep-ms", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    study = optuna.create_study(study_name=a.study, storage=a.url, load_if_exists=True,
                                sampler=optuna.samplers.RandomSampler(seed=a.seed))
    ask_us, tell_us = [], []
    for _ in range(a.trials):
        t0 = time.perf_counter()
        trial = study.ask()
        t1 = time.perf_counter()
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        value = (x - 0.3) ** 2 + (y - 0.7) ** 2
        trial.report(2 * value, 0)
        if a.sleep_ms:
            time.sleep(a.sleep_ms / 1000)
        trial.report(value, 1)
        t2 = time.perf_counter()
        study.tell(trial, value)
        t3 = time.perf_counter()
        ask_us.append(int((t1 - t0) * 1e6))
        tell_us.append(int((t3 - t2) * 1e6))
    print(json.dumps({"ask_us": ask_us, "tell_us": tell_us}))


if __name__ == "__main__":
    main()
