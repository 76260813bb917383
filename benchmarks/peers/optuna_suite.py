#!/usr/bin/python3
"""Optuna peer of the tunekit quality suite (benchmarks/suite.cpp).

Runs the functions of BENCHMARKS.md with Optuna 3.1's samplers and writes one
JSON line per (sampler, function, seed) in the format of BENCHMARKS.md:

    {"system": "optuna-3.1", "sampler": "tpe", "function": "branin", "seed": 3,
     "best_at": {"25": 0.61, "50": 0.41, "100": 0.399, "200": 0.3979}, "wall_s": 0.12}

Run it with Debian's interpreter, which has python3-optuna (the `python3` on
PATH may be a pyenv shim without it):

    /usr/bin/python3 benchmarks/peers/optuna_suite.py --sampler random,tpe \
        --functions branin,hartmann3 --seeds 0-9 --budgets 25,50,100,200 \
        --out optuna.jsonl --jobs 2

The functions are re-implemented here line by line from
include/tunekit/testing/test_functions.hpp, with the same parameter names
(x0, x1, ... and lr/layers/activation/dropout/batch for mixed_hpo).
"""

import argparse
import json
import logging
import math
import multiprocessing
import sys
import time
import warnings

# --------------------------------------------------------------------------
# The functions (minimised). Keep in step with test_functions.hpp.
# --------------------------------------------------------------------------


def branin(x):
    b = 5.1 / (4.0 * math.pi**2)
    c = 5.0 / math.pi
    t = 1.0 / (8.0 * math.pi)
    u = x[1] - b * x[0] * x[0] + c * x[0] - 6.0
    return u * u + 10.0 * (1.0 - t) * math.cos(x[0]) + 10.0


_ALPHA = (1.0, 1.2, 3.0, 3.2)
_A3 = ((3.0, 10.0, 30.0), (0.1, 10.0, 35.0), (3.0, 10.0, 30.0), (0.1, 10.0, 35.0))
_P3 = (
    (0.3689, 0.1170, 0.2673),
    (0.4699, 0.4387, 0.7470),
    (0.1091, 0.8732, 0.5547),
    (0.0381, 0.5743, 0.8828),
)
_A6 = (
    (10.0, 3.0, 17.0, 3.5, 1.7, 8.0),
    (0.05, 10.0, 17.0, 0.1, 8.0, 14.0),
    (3.0, 3.5, 1.7, 10.0, 17.0, 8.0),
    (17.0, 8.0, 0.05, 10.0, 0.1, 14.0),
)
_P6 = (
    (0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886),
    (0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991),
    (0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650),
    (0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381),
)


def _hartmann(a, p, x):
    total = 0.0
    for i in range(4):
        inner = sum(a[i][j] * (x[j] - p[i][j]) ** 2 for j in range(len(x)))
        total += _ALPHA[i] * math.exp(-inner)
    return -total


def hartmann3(x):
    return _hartmann(_A3, _P3, x)


def hartmann6(x):
    return _hartmann(_A6, _P6, x)


def rosenbrock(x):
    return sum(100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1.0) ** 2 for i in range(len(x) - 1))


def ackley(x):
    n = len(x)
    squares = sum(v * v for v in x)
    cosines = sum(math.cos(2.0 * math.pi * v) for v in x)
    return -20.0 * math.exp(-0.2 * math.sqrt(squares / n)) - math.exp(cosines / n) + 20.0 + math.e


def levy(x):
    w = [1.0 + (v - 1.0) / 4.0 for v in x]
    total = math.sin(math.pi * w[0]) ** 2
    for wi in w[:-1]:
        total += (wi - 1.0) ** 2 * (1.0 + 10.0 * math.sin(math.pi * wi + 1.0) ** 2)
    wd = w[-1]
    return total + (wd - 1.0) ** 2 * (1.0 + math.sin(2.0 * math.pi * wd) ** 2)


def styblinski_tang(x):
    return 0.5 * sum(v**4 - 16.0 * v * v + 5.0 * v for v in x)


ACTIVATIONS = ("relu", "tanh", "gelu", "sigmoid")
_PENALTY = {"gelu": 0.0, "relu": 0.1, "tanh": 0.25, "sigmoid": 0.5}


def mixed_hpo(lr, layers, activation, dropout, batch):
    u_lr = (math.log(lr) - math.log(3e-3)) / math.log(1e5)
    u_b = (math.log(batch) - math.log(128.0)) / math.log(64.0)
    u_l = (layers - 3.0) / 7.0
    u_d = (dropout - 0.2) / 0.9
    return (
        10.0 * u_lr**2
        + 5.0 * (u_lr - u_b) ** 2
        + 2.0 * u_b**2
        + 3.0 * u_l**2
        + 2.0 * u_d**2
        + _PENALTY[activation]
    )


# name -> (function, dim, low, high, known minimum); mixed_hpo is special.
BOX_FUNCTIONS = {
    "branin": (branin, 2, None, None, 0.3978873577297384),
    "hartmann3": (hartmann3, 3, 0.0, 1.0, -3.862779787332663),
    "hartmann6": (hartmann6, 6, 0.0, 1.0, -3.322368011415515),
    "rosenbrock4": (rosenbrock, 4, -5.0, 10.0, 0.0),
    "ackley5": (ackley, 5, -32.768, 32.768, 0.0),
    "levy10": (levy, 10, -10.0, 10.0, 0.0),
    "styblinski_tang8": (styblinski_tang, 8, -5.0, 5.0, -313.3293256301713),
}
ALL_FUNCTIONS = list(BOX_FUNCTIONS) + ["mixed_hpo"]
ALIASES = {"rosenbrock": "rosenbrock4", "ackley": "ackley5", "levy": "levy10",
           "styblinski_tang": "styblinski_tang8"}
BRANIN_BOUNDS = ((-5.0, 10.0), (0.0, 15.0))


def make_objective(name):
    if name == "mixed_hpo":

        def objective(trial):
            return mixed_hpo(
                trial.suggest_float("lr", 1e-5, 1.0, log=True),
                trial.suggest_int("layers", 1, 8),
                trial.suggest_categorical("activation", ACTIVATIONS),
                trial.suggest_float("dropout", 0.0, 0.9),
                trial.suggest_int("batch", 16, 1024, log=True),
            )

        return objective

    f, dim, low, high, _ = BOX_FUNCTIONS[name]
    bounds = BRANIN_BOUNDS if name == "branin" else ((low, high),) * dim

    def objective(trial):
        return f([trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)])

    return objective


# --------------------------------------------------------------------------
# Samplers: one line each.
# --------------------------------------------------------------------------


def _samplers():
    import optuna.samplers as s

    return {
        "random": lambda seed: s.RandomSampler(seed=seed),
        "tpe": lambda seed: s.TPESampler(seed=seed),
        "tpe-multivariate": lambda seed: s.TPESampler(multivariate=True, seed=seed),
        "cmaes": lambda seed: s.CmaEsSampler(seed=seed, warn_independent_sampling=False),
        "qmc": lambda seed: s.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False),
    }


SAMPLER_NAMES = ("random", "tpe", "tpe-multivariate", "cmaes", "qmc")


def _quiet():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.logging.disable_default_handler()
    warnings.simplefilter("ignore")
    logging.getLogger("optuna").setLevel(logging.ERROR)


def system_name():
    import optuna

    major, minor = optuna.__version__.split(".")[:2]
    return f"optuna-{major}.{minor}"


def run_one(task):
    sampler_name, function, seed, budgets = task
    _quiet()
    import optuna

    sampler = _samplers()[sampler_name](seed)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    objective = make_objective(function)
    n_trials = max(budgets)
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    wall = time.perf_counter() - start
    values = [t.value for t in sorted(study.trials, key=lambda t: t.number)]
    best_at = {}
    best = math.inf
    for i, v in enumerate(values, start=1):
        if v is not None and v < best:
            best = v
        if i in budgets:
            best_at[str(i)] = best
    return {
        "system": system_name(),
        "sampler": sampler_name,
        "function": function,
        "seed": seed,
        "best_at": best_at,
        "wall_s": round(wall, 6),
    }


# --------------------------------------------------------------------------
# Command line (same shape as benchmarks/suite.cpp).
# --------------------------------------------------------------------------


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            seeds.extend(range(int(lo), int(hi) + 1))
        else:
            seeds.append(int(part))
    return seeds


def parse_list(text):
    return [p.strip() for p in text.split(",") if p.strip()]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sampler", "--samplers", default="random",
                    help="comma list of: " + ", ".join(SAMPLER_NAMES))
    ap.add_argument("--functions", default=",".join(ALL_FUNCTIONS),
                    help="comma list of: " + ", ".join(ALL_FUNCTIONS))
    ap.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 0,3,5")
    ap.add_argument("--budgets", default="25,50,100,200")
    ap.add_argument("--out", default="-", help="JSONL file (truncated unless --append), - for stdout")
    ap.add_argument("--append", action="store_true", help="append to --out")
    ap.add_argument("--jobs", "--parallel", type=int, default=1,
                    help="runs in parallel (processes)")
    args = ap.parse_args(argv)

    samplers = parse_list(args.sampler)
    for s in samplers:
        if s not in SAMPLER_NAMES:
            ap.error(f"unknown sampler '{s}'; known: {', '.join(SAMPLER_NAMES)}")
    functions = []
    for f in parse_list(args.functions):
        f = ALIASES.get(f, f)
        if f not in ALL_FUNCTIONS:
            ap.error(f"unknown function '{f}'; known: {', '.join(ALL_FUNCTIONS)}")
        functions.append(f)
    budgets = sorted({int(b) for b in parse_list(args.budgets)})
    if not budgets or budgets[0] <= 0:
        ap.error("--budgets must be positive integers")
    seeds = parse_seeds(args.seeds)

    tasks = [(s, f, seed, budgets) for s in samplers for f in functions for seed in seeds]
    out = sys.stdout if args.out == "-" else open(args.out, "a" if args.append else "w", encoding="utf-8")
    try:
        if args.jobs > 1:
            with multiprocessing.Pool(args.jobs) as pool:
                for record in pool.imap(run_one, tasks):
                    out.write(json.dumps(record) + "\n")
                    out.flush()
        else:
            for task in tasks:
                out.write(json.dumps(run_one(task)) + "\n")
                out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
