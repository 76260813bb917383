#!/usr/bin/env python3
"""Tables of the multi-objective suite from mo_suite's and the Optuna peer's
JSON lines: per problem and budget, the median [25th, 75th percentile] over
seeds of HV / true-front HV for every (system, sampler).

    python3 benchmarks/mo_compare.py tunekit_mo.jsonl optuna_mo.jsonl
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


def main():
    runs = collections.defaultdict(list)  # (problem, budget, column) -> ratios
    columns, problems, budgets = [], [], set()
    for path in sys.argv[1:]:
        for line in open(path):
            if not line.strip():
                continue
            r = json.loads(line)
            col = f'{r["system"]} {r["sampler"]}'
            if col not in columns:
                columns.append(col)
            if r["problem"] not in problems:
                problems.append(r["problem"])
            for b, hv in r["hv_at"].items():
                budgets.add(int(b))
                runs[(r["problem"], int(b), col)].append(hv / r["hv_true"])
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
