#!/usr/bin/env python3
"""Tables of the multi-objective suite from mo_suite's and the Optuna peer's
JSON lines: per problem and budget, the median [25th, 75th percentile] over
seeds of HV / true-front HV for every (system, sampler).

    python3 benchmarks/mo_compare.py tunekit_mo.jsonl optuna_mo.jsonl

With --best-of, one table per budget instead: per problem, the sampler of
each system with the highest median, side by side, and whether the
difference is beyond the seed noise (one side's 25th percentile above the
other's 75th) or inside it. --seeds a-b keeps only those seeds.

    python3 benchmarks/mo_compare.py --best-of --seeds 0-9 tunekit_*.jsonl optuna_*.jsonl
"""
import collections
import json
import statistics
import sys


def quartiles(v):
    v = sorted(v)
    if len(v) == 1:
        return v[0], v[0], v[0]
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[0], statistics.median(v), q[2]


def best_of(runs, columns, problems, budgets):
    """Per budget and problem: each system's best column (highest median)."""
    systems = []
    for c in columns:
        if c.split(" ")[0] not in systems:
            systems.append(c.split(" ")[0])
    for b in sorted(budgets):
        print(f"\n### Budget {b}: best sampler of each system, HV / true-front HV, median [25th, 75th percentile]\n")
        print("| problem | " + " | ".join(f"best of {s}" for s in systems) + " | " + " vs ".join(systems) + " |")
        print("|---|" + "---|" * (len(systems) + 1))
        for p in problems:
            best = []
            for s in systems:
                cands = [(quartiles(runs[(p, b, c)]), c, len(runs[(p, b, c)]))
                         for c in columns if c.split(" ")[0] == s and runs.get((p, b, c))]
                best.append(max(cands, key=lambda x: x[0][1]) if cands else None)
            cells = [f"{q[1]:.3f} [{q[0]:.3f}, {q[2]:.3f}] {c.split(' ', 1)[1]} (n={n})" if x else "–"
                     for x in best for (q, c, n) in [x or ((0, 0, 0), " ", 0)]]
            verdict = "–"
            if len(best) == 2 and all(best):
                (a, _, _), (o, _, _) = best[0], best[1]
                side = "higher" if a[1] > o[1] else "lower" if a[1] < o[1] else "equal"
                apart = a[0] > o[2] or o[0] > a[2]
                verdict = f"{side}, {'beyond' if apart else 'inside'} the quartiles"
            print(f"| {p} | " + " | ".join(cells) + f" | {verdict} |")


def main():
    args = sys.argv[1:]
    best = "--best-of" in args
    args = [a for a in args if a != "--best-of"]
    seeds = None
    if "--seeds" in args:
        i = args.index("--seeds")
        lo, hi = args[i + 1].split("-")
        seeds = range(int(lo), int(hi) + 1)
        del args[i:i + 2]
    by_seed = collections.defaultdict(dict)  # (problem, budget, column) -> {seed: ratio}
    columns, problems, budgets = [], [], set()
    for path in args:
        for line in open(path):
            if not line.strip():
                continue
            r = json.loads(line)
            if seeds is not None and r["seed"] not in seeds:
                continue
            col = f'{r["system"]} {r["sampler"]}'
            if col not in columns:
                columns.append(col)
            if r["problem"] not in problems:
                problems.append(r["problem"])
            for b, hv in r["hv_at"].items():
                budgets.add(int(b))
                by_seed[(r["problem"], int(b), col)][r["seed"]] = hv / r["hv_true"]
    # A seed given twice (e.g. a 250-trial rerun that also reports 50 and 100) counts once.
    runs = {k: list(v.values()) for k, v in by_seed.items()}
    if best:
        best_of(runs, columns, problems, budgets)
        return
    for b in sorted(budgets):
        print(f"\n### Budget {b}: HV / true-front HV, median [25th, 75th percentile] over seeds\n")
        print("| problem | " + " | ".join(columns) + " |")
        print("|---|" + "---|" * len(columns))
        for p in problems:
            cells = []
            for c in columns:
                v = runs.get((p, b, c))
                if not v:
                    cells.append("–")
                    continue
                lo, med, hi = quartiles(v)
                cells.append(f"{med:.3f} [{lo:.3f}, {hi:.3f}] (n={len(v)})")
            print(f"| {p} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
