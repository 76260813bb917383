#!/usr/bin/python3
"""Optuna 3.1's multi-objective TPESampler: CPU time of one ask + 10 suggests
+ tell at N finished trials of 10-D ZDT1 drawn at random (the peer of
`motpe_ask_tell` in benchmarks/mo.bench.cpp).

    /usr/bin/python3 benchmarks/peers/optuna_motpe_ask.py --n 100,1000 --repeats 10 [--multivariate]
"""
import argparse
import json
import math
import random
import statistics
import time
import warnings

import optuna


def zdt1(x):
    g = 1 + 9 * sum(x[1:]) / 9
    return [x[0], g * (1 - math.sqrt(x[0] / g))]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", default="100,1000")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--multivariate", action="store_true")
    args = p.parse_args()
    warnings.simplefilter("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {f"x{i}": optuna.distributions.FloatDistribution(0, 1) for i in range(10)}
    for n in [int(v) for v in args.n.split(",")]:
        rng = random.Random(1)
        study = optuna.create_study(directions=["minimize", "minimize"],
                                    sampler=optuna.samplers.TPESampler(seed=1, multivariate=args.multivariate))
        trials = []
        for _ in range(n):
            params = {k: rng.random() for k in dists}
            trials.append(optuna.trial.create_trial(params=params, distributions=dists,
                                                    values=zdt1([params[f"x{i}"] for i in range(10)])))
        study.add_trials(trials)
        cpu, wall = [], []
        for _ in range(args.repeats):
            c0, w0 = time.process_time(), time.perf_counter()
            t = study.ask()
            x = [t.suggest_float(f"x{i}", 0, 1) for i in range(10)]
            study.tell(t, zdt1(x))
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        print(json.dumps({"system": "optuna-" + optuna.__version__, "sampler": "tpe" + ("-mv" if args.multivariate else ""),
                          "n": n, "cpu_s_median": statistics.median(cpu), "wall_s_median": statistics.median(wall),
                          "repeats": args.repeats}), flush=True)


if __name__ == "__main__":
    main()
