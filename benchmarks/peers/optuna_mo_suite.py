#!/usr/bin/python3
"""Optuna peer of tunekit's multi-objective suite (benchmarks/mo_suite.cpp).

Runs Optuna 3.1's NSGAIISampler (defaults; `constraints_func` on c2dtlz2) and
RandomSampler (and TPESampler, multi-objective) on ZDT1-3, DTLZ2, WFG4, C2-DTLZ2 and mlp_cost as BENCHMARKS.md defines them and
prints one JSON line per (sampler, problem, seed), in mo_suite's format:

    {"system": "optuna-3.1", "sampler": "nsga2", "problem": "zdt1", "seed": 3,
     "hv_at": {"50": 9.1, "100": 9.6, "250": 10.4}, "hv_true": 11.7667}

HV is that of the feasible trials, points beyond the reference point left
out, by Optuna's own WFG. Run with Debian's interpreter (python3-optuna):

    /usr/bin/python3 benchmarks/peers/optuna_mo_suite.py --samplers nsga2,random \
        --problems zdt1,zdt2,zdt3,dtlz2,c2dtlz2 --seeds 0-9 --budgets 50,100,250 > optuna_mo.jsonl
"""
import argparse
import json
import math
import warnings

import numpy as np
import optuna
from optuna._hypervolume import WFG

PROBLEMS = {
    "zdt1": (10, [1.1, 11.0], 12.1 - 1.0 / 3, False),
    "zdt2": (10, [1.1, 11.0], 12.1 - 2.0 / 3, False),
    "zdt3": (10, [1.1, 11.0], 12.221762908656194, False),
    "dtlz2": (7, [1.1, 1.1, 1.1], 1.331 - math.pi / 6, False),
    "c2dtlz2": (7, [1.1, 1.1, 1.1], 0.72964605901938151, True),
    "mlp_cost": (5, [0.5, 1.1], 0.4222953901879495, False),
    "wfg4": (8, [3.0, 5.0], 15 - 2 * math.pi, False),
}


def wfg4(z):
    """WFG4 (Huband et al. 2006), M = 2, k = 4, l = 4; z_i in [0, 2(i+1)]."""
    def c01(v):  # correct_to_01, epsilon 1e-10
        return 0.0 if v < 0 and v >= -1e-10 else 1.0 if v > 1 and v <= 1 + 1e-10 else v
    def s_multi(y, a=30.0, b=10.0, c=0.35):
        tmp1 = abs(y - c) / (2 * (math.floor(c - y) + c))
        tmp2 = (4 * a + 2) * math.pi * (0.5 - tmp1)
        return c01((1 + math.cos(tmp2) + 4 * b * tmp1 * tmp1) / (b + 2))
    y = [c01(zi / (2 * (i + 1))) for i, zi in enumerate(z)]
    y = [s_multi(v) for v in y]
    t = [c01(sum(y[:4]) / 4), c01(sum(y[4:]) / 4)]
    x1, x2 = t[0], t[1]  # A = 1: x_1 = max(t_2, 1)(t_1 - 0.5) + 0.5 = t_1
    return [x2 + 2 * math.sin(x1 * math.pi / 2), x2 + 4 * math.cos(x1 * math.pi / 2)]


def mlp_cost(trial):
    lr = trial.suggest_float("lr", 1e-5, 1, log=True)
    layers = trial.suggest_int("layers", 1, 6)
    units = trial.suggest_int("units", 16, 1024, log=True)
    act = trial.suggest_categorical("activation", ["relu", "tanh", "gelu", "sigmoid"])
    dropout = trial.suggest_float("dropout", 0, 0.8)
    u_lr = (math.log10(lr) + 2.5 + 0.5 * math.log10(layers)) / 5
    d_opt = 0.5 * math.log(units / 16) / math.log(64)
    pen = {"gelu": 0, "relu": 0.005, "tanh": 0.02, "sigmoid": 0.04}[act]
    mult = {"relu": 1, "tanh": 1.2, "gelu": 1.4, "sigmoid": 1.2}[act]
    error = (0.02 + 0.35 * math.sqrt(16 / (units * layers)) + 0.02 * (layers - 3) ** 2 / 9 + pen
             + 0.4 * u_lr ** 2 + 0.15 * (dropout - d_opt) ** 2)
    cost = (math.log(layers) + 2 * math.log(units / 16) + math.log(mult)) / math.log(6 * 4096 * 1.4)
    return [error, cost]


def evaluate(name, x):
    if name.startswith("zdt"):
        g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
        r = x[0] / g
        if name == "zdt1":
            h = 1 - math.sqrt(r)
        elif name == "zdt2":
            h = 1 - r * r
        else:
            h = 1 - math.sqrt(r) - r * math.sin(10 * math.pi * x[0])
        return [x[0], g * h]
    g = sum((xi - 0.5) ** 2 for xi in x[2:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return [(1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b), (1 + g) * math.sin(a)]


def c2dtlz2_constraint(f):
    r = 0.4
    best = min((f[i] - 1) ** 2 + sum(f[j] ** 2 for j in range(len(f)) if j != i) - r * r for i in range(len(f)))
    centre = sum((fi - 1 / math.sqrt(3)) ** 2 for fi in f) - r * r
    return min(best, centre)


def hv(trials, reference, constrained):
    pts = [t.values for t in trials if t.state == optuna.trial.TrialState.COMPLETE
           and (not constrained or c2dtlz2_constraint(t.values) <= 0)
           and all(v <= r for v, r in zip(t.values, reference))]
    if not pts:
        return 0.0
    return float(WFG().compute(np.asarray(pts, dtype=float), np.asarray(reference, dtype=float)))


def parse_list(s):
    out = []
    for item in s.split(","):
        if "-" in item:
            a, b = item.split("-")
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(item))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--samplers", default="nsga2,random")
    p.add_argument("--problems", default="zdt1,zdt2,zdt3,dtlz2,wfg4,c2dtlz2,mlp_cost")
    p.add_argument("--seeds", default="0-9")
    p.add_argument("--budgets", default="50,100,250")
    args = p.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    budgets = parse_list(args.budgets)
    for sampler_name in args.samplers.split(","):
        for name in args.problems.split(","):
            n, reference, hv_true, constrained = PROBLEMS[name]
            for seed in parse_list(args.seeds):
                # Optuna 3.1 calls constraints_func before the trial's values are
                # set, so the constraint is computed from the parameters.
                cf = None
                if constrained:
                    cf = lambda t: [c2dtlz2_constraint(evaluate(name, [t.params[f"x{i}"] for i in range(n)]))]
                if sampler_name == "nsga2":
                    sampler = optuna.samplers.NSGAIISampler(seed=seed, constraints_func=cf)
                elif sampler_name == "tpe":  # multi-objective TPE (MOTPE), constrained where 3.1 supports it
                    sampler = optuna.samplers.TPESampler(seed=seed, constraints_func=cf)
                else:
                    sampler = optuna.samplers.RandomSampler(seed=seed)
                study = optuna.create_study(directions=["minimize"] * len(reference), sampler=sampler)

                def objective(trial):
                    if name == "mlp_cost":
                        return mlp_cost(trial)
                    if name == "wfg4":
                        return wfg4([trial.suggest_float(f"x{i}", 0, 2 * (i + 1)) for i in range(n)])
                    x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(n)]
                    return evaluate(name, x)

                hv_at, done = {}, 0
                for b in budgets:
                    study.optimize(objective, n_trials=b - done)
                    done = b
                    hv_at[str(b)] = hv(study.get_trials(deepcopy=False), reference, constrained)
                print(json.dumps({"system": "optuna-3.1", "sampler": sampler_name, "problem": name, "seed": seed,
                                  "hv_at": hv_at, "hv_true": hv_true}), flush=True)


if __name__ == "__main__":
    main()
