#!/usr/bin/env python3
"""How well early values rank the final ones, from `bohb_bench --curves` rows.

For each task and each rung step s (1, 3, 9, ... up to max_steps, η = 3):

- rho: Spearman's rank correlation between the values at step s and at the
  last step, over all the configurations (the quantity
  `budget_aware_sampler`'s rank check tests against 0.9);
- rho top: the same over the configurations in the top third at step s only,
  the ones the later cuts of successive halving must tell apart;
- keep: of the configurations in the final top 10 %, the fraction that are in
  the top third at step s, i.e. that one cut of successive halving at s
  (η = 3) keeps;
- pick: the final value's percentile (0 = best, 100 = worst) of the
  configuration that is best at step s.

    python3 benchmarks/bohb_curves.py rows.jsonl [rows.jsonl ...]
    python3 benchmarks/bohb_curves.py --reduce rows.jsonl > small.jsonl   (keep the rung steps and the last)

Prints a Markdown table; ties get average ranks (scipy.stats.spearmanr).
"""
import json
import sys
from collections import defaultdict

import numpy as np
from scipy.stats import spearmanr


def rungs(max_steps, eta=3):
    s, out = 1, []
    while s < max_steps:
        out.append(s)
        s *= eta
    return out


def main(paths):
    curves = defaultdict(list)
    for path in paths:
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                if "curves" in row:
                    # "steps" (optional): the steps of "values"; else steps 1, 2, ... (bohb_bench's rows)
                    steps = row.get("steps") or list(range(1, len(row["values"]) + 1))
                    curves[(row["function"], row["curves"])].append(dict(zip(steps, row["values"])))
    print("| task | proposed by | configurations | rho at 1 / 3 / 9 / 27 | rho top at 1 / 3 / 9 / 27 "
          "| keep at 1 / 3 / 9 / 27 | pick at 1 / 3 / 9 / 27 |")
    print("|---|---|---|---|---|---|---|")
    for (name, proposer), rows in curves.items():
        steps = max(max(r) for r in rows)
        rung_steps = rungs(steps)
        v = np.array([[r[s] for s in rung_steps] for r in rows], dtype=float)
        final = np.array([r[steps] for r in rows], dtype=float)
        n = len(rows)
        order = np.argsort(final)
        top = set(order[: max(1, n // 10)].tolist())
        rho, rho_top, keep, pick = [], [], [], []
        for k, s in enumerate(rung_steps):
            early = v[:, k]
            rho.append(spearmanr(early, final).correlation)
            third = np.argsort(early)[: n // 3]
            rho_top.append(spearmanr(early[third], final[third]).correlation)
            kept = set(third.tolist())
            keep.append(len(top & kept) / len(top))
            best = int(np.argmin(early))
            pick.append(100.0 * np.mean(final < final[best]))
        fmt = lambda xs, f: " / ".join(f.format(x) for x in xs)
        print(f"| {name} | {proposer} | {n} | {fmt(rho, '{:.2f}')} | {fmt(rho_top, '{:.2f}')} | {fmt(keep, '{:.2f}')} "
              f"| {fmt(pick, '{:.0f}')} |")


def reduce(paths):
    """The rows with only the values at the rungs and the last step (what main reads)."""
    for path in paths:
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                steps = row.get("steps") or list(range(1, len(row["values"]) + 1))
                keep = set(rungs(steps[-1])) | {steps[-1]}
                pairs = [(s, v) for s, v in zip(steps, row["values"]) if s in keep]
                row["steps"] = [s for s, _ in pairs]
                row["values"] = [float(f"{v:.7g}") for _, v in pairs]
                print(json.dumps(row))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--reduce"]:
        reduce(sys.argv[2:])
    else:
        main(sys.argv[1:])
