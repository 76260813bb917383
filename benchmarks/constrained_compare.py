#!/usr/bin/python3
"""Table of benchmarks/constrained_suite.cpp and peers/optuna_constrained_suite.py
rows: per problem and budget, each sampler's regret of the best feasible value
(value - known constrained optimum; the value itself where the optimum is not
known) as median [25th, 75th percentile] over the seeds with a feasible
point, and how many seeds had none.

    /usr/bin/python3 benchmarks/constrained_compare.py benchmarks/results/constrained_*.jsonl
"""
import json
import statistics
import sys

# Constrained optima: dense grid then SLSQP (gramacy: Gramacy et al. 2016 give 0.5998).
OPTIMUM = {"gramacy": 0.5997880520, "branin_disk": 0.4583773604, "sphere10_disk": 0.08, "small_ball4": 2.4}


def quartiles(v):
    v = sorted(v)
    if len(v) == 1:
        return v[0], v[0], v[0]
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[1], q[0], q[2]


rows = [json.loads(line) for path in sys.argv[1:] for line in open(path) if line.strip()]
problems = list(dict.fromkeys(r["problem"] for r in rows))
for problem in problems:
    opt = OPTIMUM.get(problem)
    mine = [r for r in rows if r["problem"] == problem]
    budgets = sorted({int(b) for r in mine for b in r["best_at"]})
    print(f"\n{problem} ({'regret vs ' + format(opt, '.4f') if opt is not None else 'best feasible value'})")
    print("| sampler | seeds | " + " | ".join(f"{b} trials" for b in budgets) + " | no feasible at " + "/".join(map(str, budgets)) + " |")
    print("|---|---|" + "---|" * len(budgets) + "---|")
    for key in dict.fromkeys((r["system"], r["sampler"]) for r in mine):
        runs = [r for r in mine if (r["system"], r["sampler"]) == key]
        cells, none = [], []
        for b in budgets:
            vals = [r["best_at"].get(str(b)) for r in runs]
            ok = [v - (opt or 0) for v in vals if v is not None]
            none.append(str(len(vals) - len(ok)))
            if ok:
                m, lo, hi = quartiles(ok)
                cells.append(f"{m:.4g} [{lo:.4g}, {hi:.4g}]")
            else:
                cells.append("-")
        name = ("optuna " if key[0].startswith("optuna") else "tunekit ") + key[1]
        print(f"| {name} | {len(runs)} | " + " | ".join(cells) + " | " + "/".join(none) + " |")
