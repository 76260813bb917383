#!/usr/bin/python3
"""Optuna peer of benchmarks/bohb_bench.cpp (issue 19).

Optuna 3.1's TPESampler (defaults) + HyperbandPruner(min_resource=1,
max_resource=max_steps, reduction_factor=3) on the multi-fidelity Branin and
Hartmann-6 of benchmarks/multi_fidelity.hpp: a trial reports f(x, step /
max_steps) after each step, costs the steps it trains, and the run stops
once it has spent full_trials * max_steps steps. One JSON line per (function,
seed) in bohb_bench's format (method "tpe_hyperband").

The real tasks of benchmarks/real_tasks.hpp, the same objectives:
xgboost_digits and xgboost_breast_cancer (python3-xgboost 1.7, the same
booster settings, search space and split: row i is a validation row when
i % 4 == 3; one boosting round per step, validation log-loss) and
digits_net (digits_net.py: the examples' network in numpy, same
initialisation and batch order, one epoch per step).

    /usr/bin/python3 benchmarks/peers/optuna_bohb_bench.py --seeds 0-9 \
        > benchmarks/results/bohb_optuna.jsonl
    /usr/bin/python3 benchmarks/peers/optuna_bohb_bench.py --seeds 0-9 \
        --functions xgboost_digits --max-steps 81 --full-trials 20 [--min-resource 9]
"""

import argparse
import gzip
import json
import logging
import math
import os
import time

import optuna

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def branin_mf(x, z):
    b = 5.1 / (4.0 * math.pi**2) - 0.01 * (1.0 - z)
    c = 5.0 / math.pi - 0.1 * (1.0 - z)
    t = 1.0 / (8.0 * math.pi) + 0.005 * (1.0 - z)
    u = x[1] - b * x[0] * x[0] + c * x[0] - 6.0
    return u * u + 10.0 * (1.0 - t) * math.cos(x[0]) + 10.0


_A6 = ((10.0, 3.0, 17.0, 3.5, 1.7, 8.0), (0.05, 10.0, 17.0, 0.1, 8.0, 14.0),
       (3.0, 3.5, 1.7, 10.0, 17.0, 8.0), (17.0, 8.0, 0.05, 10.0, 0.1, 14.0))
_P6 = ((0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886), (0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991),
       (0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650), (0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381))
_ALPHA = (1.0, 1.2, 3.0, 3.2)


def hartmann6_mf(x, z):
    total = 0.0
    for i in range(4):
        inner = sum(_A6[i][j] * (x[j] - _P6[i][j]) ** 2 for j in range(6))
        total += (_ALPHA[i] - 0.1 * (1.0 - z)) * math.exp(-inner)
    return -total


def hartmann6(x):
    return hartmann6_mf(x, 1.0)


def hartmann6_slow(x, z):
    # Not from the literature: crossing curves (see multi_fidelity.hpp).
    tau = 0.05 + 0.6 * (1.0 - x[0])
    return hartmann6(x) * (1.0 - math.exp(-z / tau)) / (1.0 - math.exp(-1.0 / tau))


def synthetic(bounds, f):
    """f(x, z) as a task: x suggested as x0, x1, ...; step k gives f(x, k / max_steps)."""
    def start(trial, max_steps):
        x = [trial.suggest_float(f"x{j}", lo, hi) for j, (lo, hi) in enumerate(bounds)]
        step = [0]

        def train_step():
            step[0] += 1
            return f(x, step[0] / max_steps)
        return train_step
    return start


def split_every_fourth(features, labels):
    """real_tasks.hpp's split: row i is a validation row when i % 4 == 3."""
    import numpy as np
    features = np.asarray(features, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.float32)
    valid = np.arange(len(labels)) % 4 == 3
    return features[~valid], labels[~valid], features[valid], labels[valid]


def load_digits_rows():
    """examples/data/digits.csv.gz: 64 pixels in 0..16 then the label; pixels / 16 as the C++ loader."""
    features, labels = [], []
    with gzip.open(os.path.join(ROOT, "examples", "data", "digits.csv.gz"), "rt") as f:
        for line in f:
            if line.strip():
                v = line.strip().split(",")
                features.append([float(p) / 16.0 for p in v[:-1]])
                labels.append(int(v[-1]))
    return features, labels


def xgboost_task(load, classes):
    """XGBoost as real_tasks.hpp's xgboost_task: the integration's param_space() ranges and scales."""
    def start(trial, max_steps):
        import xgboost as xgb
        if not hasattr(start, "data"):
            xt, yt, xv, yv = split_every_fourth(*load())
            start.data = (xgb.DMatrix(xt, label=yt, nthread=1), xgb.DMatrix(xv, label=yv, nthread=1))
        dtrain, dvalid = start.data
        metric = "mlogloss" if classes > 2 else "logloss"
        params = {"objective": "multi:softprob", "num_class": classes} if classes > 2 else {"objective": "binary:logistic"}
        params.update({"eval_metric": metric, "tree_method": "hist", "nthread": 1, "seed": 0})
        params.update({
            "eta": trial.suggest_float("eta", 1e-3, 0.5, log=True),
            "max_depth": trial.suggest_int("max_depth", 2, 10),
            "min_child_weight": trial.suggest_float("min_child_weight", 0.1, 20.0, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
            "lambda": trial.suggest_float("lambda", 1e-8, 10.0, log=True),
            "alpha": trial.suggest_float("alpha", 1e-8, 10.0, log=True),
            "gamma": trial.suggest_float("gamma", 0.0, 2.0),
        })
        booster = xgb.Booster(params, [dtrain, dvalid])
        round_ = [0]

        def train_step():
            booster.update(dtrain, round_[0])
            text = booster.eval_set([(dvalid, "validation")], round_[0])  # "[0]\tvalidation-mlogloss:0.5"
            round_[0] += 1
            return float(text.split(f"validation-{metric}:")[1].split()[0])
        return train_step
    return start


def load_breast_cancer_rows():
    from sklearn.datasets import load_breast_cancer
    data = load_breast_cancer()
    return data.data.tolist(), data.target.tolist()


def digits_net_task(trial, max_steps):
    import digits_net  # benchmarks/peers/digits_net.py
    return digits_net.start(trial, max_steps, load_digits_rows)


FUNCTIONS = {  # name: (start(trial, max_steps) -> train_step, known minimum; 0 for the real tasks' losses)
    "branin_mf": (synthetic([(-5.0, 10.0), (0.0, 15.0)], branin_mf), 0.3978873577297384),
    "hartmann6_mf": (synthetic([(0.0, 1.0)] * 6, hartmann6_mf), -3.322368011415515),
    "hartmann6_slow": (synthetic([(0.0, 1.0)] * 6, hartmann6_slow), -3.322368011415515),
    "xgboost_digits": (xgboost_task(load_digits_rows, 10), 0.0),
    "xgboost_breast_cancer": (xgboost_task(load_breast_cancer_rows, 2), 0.0),
    "digits_net": (digits_net_task, 0.0),
}


def run(name, seed, max_steps, full_trials, min_resource=1):
    start, minimum = FUNCTIONS[name]
    study = optuna.create_study(
        study_name=f"bohb-bench-{seed}",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.HyperbandPruner(min_resource=min_resource, max_resource=max_steps, reduction_factor=3),
    )
    budget = full_trials * max_steps
    spent = trials = full = 0
    best = math.inf
    trace = []
    cpu0 = time.process_time()
    while spent < budget:
        trial = study.ask()
        trials += 1
        train_step = start(trial, max_steps)
        stopped = False
        value = None
        for step in range(1, max_steps + 1):
            spent += 1
            value = train_step()
            trial.report(value, step)
            if step < max_steps and trial.should_prune():
                stopped = True
                break
        if stopped:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            continue
        study.tell(trial, value)
        full += 1
        if value - minimum < best:
            best = value - minimum
            trace.append([spent, best])
    method = "tpe_hyperband" if min_resource == 1 else f"tpe_hyperband@r{min_resource}"
    return {"system": "optuna-3.1", "method": method, "function": name, "seed": seed, "budget": budget,
            "max_steps": max_steps, "trials": trials, "full_trials": full,
            "cpu_s": round(time.process_time() - cpu0, 3), "trace": trace}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", default="0-9")
    p.add_argument("--max-steps", type=int, default=81)
    p.add_argument("--full-trials", type=int, default=100)
    p.add_argument("--functions", default="branin_mf,hartmann6_mf,hartmann6_slow")
    p.add_argument("--min-resource", type=int, default=1, help="HyperbandPruner's min_resource (rows labelled @rR when not 1)")
    a = p.parse_args()
    lo, _, hi = a.seeds.partition("-")
    seeds = range(int(lo), int(hi or lo) + 1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    for name in a.functions.split(","):
        for seed in seeds:
            print(json.dumps(run(name, seed, a.max_steps, a.full_trials, a.min_resource)), flush=True)


if __name__ == "__main__":
    main()
