#!/usr/bin/env python3
"""Tables of the multi-fidelity benchmark (issue 19) from bohb_bench and
peers/optuna_bohb_bench.py JSON lines.

Per function: the target is the median (over seeds) of the best regret that
TPE without early stopping (tpe_full) reaches with its whole compute C. Per
method and seed: the fraction of C spent when the best full-fidelity regret
first is <= target (inf if never within C), and the best regret at C/4, C/2
and C. Medians with [25 %, 75 %] quartiles over seeds.

    bohb_compare.py results/bohb_tunekit.jsonl results/bohb_optuna.jsonl

On the real tasks (xgboost_digits, xgboost_breast_cancer, digits_net) the
"regret" is the validation loss itself (their minimum is taken as 0).
"""
import json
import math
import sys
from collections import defaultdict


REAL_TASKS = {"xgboost_digits", "xgboost_breast_cancer", "digits_net"}


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    if lo == hi or xs[hi] == xs[lo]:
        return xs[lo]
    if math.isinf(xs[hi]):
        return xs[hi]
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def best_at(trace, steps):
    best = math.inf
    for s, r in trace:
        if s <= steps:
            best = min(best, r)
    return best


def first_reach(trace, target, budget):
    for s, r in trace:
        if r <= target and s <= budget:
            return s / budget
    return math.inf


def fmt(x):
    if math.isinf(x):
        return "never"
    if x == 0:
        return "0"
    if abs(x) >= 0.01:
        return f"{x:.3g}"
    return f"{x:.2e}"


def cell(xs):
    return f"{fmt(quantile(xs, 0.5))} [{fmt(quantile(xs, 0.25))}, {fmt(quantile(xs, 0.75))}]"


def main(paths):
    runs = defaultdict(list)  # (function, label) -> rows
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                row = json.loads(line)
                label = row["method"] if row["system"] == "tunekit" else f'{row["system"]} {row["method"]}'
                runs[(row["function"], label)].append(row)
    functions = sorted({f for f, _ in runs})
    for fn in functions:
        full = runs.get((fn, "tpe_full"))
        if not full:
            continue
        budget = full[0]["budget"]
        target = quantile([best_at(r["trace"], budget) for r in full], 0.5)
        what = "validation loss" if fn in REAL_TASKS else "regret"
        print(f"\n### {fn} (C = {budget} steps; target = tpe_full's median best {what} at C = {fmt(target)})\n")
        print(f"| method | seeds | fraction of C to reach the target | {what} at C/4 | {what} at C/2 | {what} at C | trials (median) |")
        print("|---|---|---|---|---|---|---|")
        for (f, label), rows in sorted(runs.items(), key=lambda kv: kv[0][1]):
            if f != fn:
                continue
            reach = [first_reach(r["trace"], target, budget) for r in rows]
            at = lambda frac: [best_at(r["trace"], budget * frac) for r in rows]
            trials = quantile([r["trials"] for r in rows], 0.5)
            extra = ""
            if "idle_fraction" in rows[0]:  # parallel runs: worker time outside the objective, and wall time
                extra = f' idle {cell([r["idle_fraction"] for r in rows])}, wall {cell([r["wall_s"] for r in rows])} s'
            print(f"| {label} | {len(rows)} | {cell(reach)} | {cell(at(0.25))} | {cell(at(0.5))} | {cell(at(1.0))} | {trials:.0f}{extra} |")


if __name__ == "__main__":
    main(sys.argv[1:])
