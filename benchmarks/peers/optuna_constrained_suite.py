#!/usr/bin/python3
"""Optuna peer of benchmarks/constrained_suite.cpp (single-objective problems
with constraints): Optuna 3.1's TPESampler(seed=s, constraints_func=...) on
the same problems, one JSON line per (problem, seed) in the same format:

    {"system": "optuna-3.1", "sampler": "tpe", "problem": "gramacy", "seed": 3,
     "best_at": {"50": 0.61, "100": null, ...}, "first_feasible": 7}

best_at: the best objective value among the feasible COMPLETE trials within
the first `budget` trials (null: none feasible). Run with Debian's python:

    /usr/bin/python3 benchmarks/peers/optuna_constrained_suite.py \
        --problems gramacy,branin_disk,sphere10_disk,small_ball4,hartmann6_sum --seeds 0-9 \
        --budgets 50,100,200 --jobs 2 > optuna.jsonl

The problems are written again from constrained_suite.cpp (keep in step).
"""

import argparse
import json
import logging
import math
import multiprocessing
import warnings


def gramacy(x):
    f = x[0] + x[1]
    c1 = 1.5 - x[0] - 2 * x[1] - 0.5 * math.sin(2 * math.pi * (x[0] ** 2 - 2 * x[1]))
    c2 = x[0] ** 2 + x[1] ** 2 - 1.5
    return f, [c1, c2]


def branin(a, b):
    u = b - 5.1 / (4 * math.pi ** 2) * a * a + 5 / math.pi * a - 6
    return u * u + 10 * (1 - 1 / (8 * math.pi)) * math.cos(a) + 10


def branin_disk(x):
    return branin(x[0], x[1]), [(x[0] - 2.5) ** 2 + (x[1] - 7.5) ** 2 - 25]


def sphere10_disk(x):
    return sum((x[i] - 0.7) ** 2 for i in range(4)), [x[0] ** 2 + x[1] ** 2 - 0.5]


def small_ball4(x):
    return sum(x), [sum((v - 0.7) ** 2 for v in x) - 0.04]


H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H6_P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
        [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
H6_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6_sum(x):
    f = 0.0
    for i in range(4):
        f -= H6_ALPHA[i] * math.exp(-sum(H6_A[i][j] * (x[j] - H6_P[i][j]) ** 2 for j in range(6)))
    return f, [sum(x) - 2]


PROBLEMS = {
    "gramacy": (gramacy, [(0, 1)] * 2),
    "branin_disk": (branin_disk, [(-5, 10), (0, 15)]),
    "sphere10_disk": (sphere10_disk, [(0, 1)] * 10),
    "small_ball4": (small_ball4, [(0, 1)] * 4),
    "hartmann6_sum": (hartmann6_sum, [(0, 1)] * 6),
}


def parse_list(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def run(job):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    name, seed, budgets = job
    fn, bounds = PROBLEMS[name]

    def objective(trial):
        x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
        f, c = fn(x)
        trial.set_user_attr("c", c)
        return f

    sampler = optuna.samplers.TPESampler(seed=seed, constraints_func=lambda t: t.user_attrs["c"])
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=max(budgets))
    best_at, best, first = {}, None, None
    trials = study.trials
    for k, t in enumerate(trials):
        if all(v <= 0 for v in t.user_attrs["c"]):
            first = k if first is None else first
            best = t.value if best is None else min(best, t.value)
        if k + 1 in budgets:
            best_at[str(k + 1)] = best
    return {"system": "optuna-3.1", "sampler": "tpe", "problem": name, "seed": seed,
            "best_at": best_at, "first_feasible": first}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--problems", default="gramacy,branin_disk,sphere10_disk")
    ap.add_argument("--seeds", default="0-9")
    ap.add_argument("--budgets", default="50,100,200")
    ap.add_argument("--jobs", type=int, default=1)
    a = ap.parse_args()
    logging.disable(logging.WARNING)
    budgets = parse_list(a.budgets)
    jobs = [(p, s, budgets) for p in a.problems.split(",") for s in parse_list(a.seeds)]
    with multiprocessing.Pool(a.jobs) as pool:
        for row in pool.imap(run, jobs):
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
