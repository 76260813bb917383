#!/usr/bin/python3
"""Optuna peer of benchmarks/auto_cost.cpp: the CPU cost of one whole study.

One study of --trials trials over --dim floats in [-5, 5] (the shifted sphere
sum (x - 1)^2 of auto_cost.cpp), every trial drawn by Optuna 3.1's
TPESampler (its defaults, seeded), run with study.optimize in this process.
Prints one JSON line: the study's process CPU time (time.process_time), the
median ask + suggests + tell CPU over the last 50 trials, and the best value.
Run it in the same window as auto_cost, so the machine's load is shared:

    /usr/bin/python3 benchmarks/peers/optuna_study_cost.py --trials 1000 --dim 10 --seed 0
"""

import argparse
import json
import logging
import statistics
import time

import optuna


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    optuna.logging.set_verbosity(logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=args.seed))
    cost = []

    start = time.process_time()
    for _ in range(args.trials):
        t0 = time.process_time()
        trial = study.ask()
        s = sum((trial.suggest_float(f"x{i}", -5, 5) - 1.0) ** 2 for i in range(args.dim))
        study.tell(trial, s)
        cost.append(time.process_time() - t0)
    study_cpu = time.process_time() - start
    print(json.dumps({"system": "optuna-3.1", "sampler": "tpe", "trials": args.trials, "dim": args.dim,
                      "seed": args.seed, "study_cpu_s": study_cpu, "best": study.best_value,
                      "median_ask_cpu_s_last50": statistics.median(cost[-50:])}))


if __name__ == "__main__":
    main()
