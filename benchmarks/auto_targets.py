#!/usr/bin/python3
"""Checks issue 18's targets for a tunekit sampler against Optuna's three.

For each budget and function: the sampler's median regret against the best
(lowest) median regret of Optuna 3.1's TPE, CMA-ES and random search, over
the seeds every one of them has; medians below 1e-6 count as equal. Prints
one table per budget (ratio = ours / best of Optuna's) and the verdicts:
wins-or-ties on >= 7 of 8 functions, never worse than 1.5x, and below
Optuna TPE on mixed_hpo.

    python3 benchmarks/auto_targets.py --sampler tunekit:auto --seeds 0-9 \
        tunekit.jsonl optuna_tpe.jsonl optuna_cmaes.jsonl optuna_random.jsonl
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402

PEERS = [("optuna-3.1", "tpe"), ("optuna-3.1", "cmaes"), ("optuna-3.1", "random")]
EQUAL_BELOW = 1e-6


def seeds_of(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def median_of(runs, cfg, function, budget, seeds):
    """(median, 25th, 75th percentile) over `seeds`, or None if a seed lacks a row."""
    per_seed = runs.get(cfg, {}).get(function, {}).get(budget, {})
    values = sorted(per_seed[s] for s in seeds if s in per_seed)
    if len(values) < len(seeds):
        return None, len(values)
    return tuple(compare.percentile(values, q) for q in (0.5, 0.25, 0.75)), len(values)


def cell(q):
    return "–" if q is None else f"{compare.fmt(q[0])} [{compare.fmt(q[1])}, {compare.fmt(q[2])}]"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--sampler", default="tunekit:auto", help="SYSTEM:SAMPLER to check")
    ap.add_argument("--seeds", default="0-9")
    ap.add_argument("--budgets", default="50,100,200,500")
    args = ap.parse_args()
    runs, _, warnings = compare.load(args.files)
    for w in warnings:
        if "duplicate" not in w:
            print("warning:", w, file=sys.stderr)
    ours = compare.parse_config(args.sampler)
    seeds = seeds_of(args.seeds)
    all_ok = True
    for budget in [int(b) for b in args.budgets.split(",")]:
        print(f"\n#### Budget {budget}: median regret over seeds {args.seeds}; ratio = ours / best of Optuna's three; median [25th, 75th percentile]\n")
        print(f"| function | optuna tpe | optuna cmaes | optuna random | {compare.config_name(ours)} | ratio |")
        print("|---|---:|---:|---:|---:|---:|")
        wins, worst, missing, mixed_ok = 0, 0.0, [], None
        for function in compare.FUNCTION_ORDER:
            peer = {}
            for cfg in PEERS:
                m, n = median_of(runs, cfg, function, budget, seeds)
                peer[cfg] = m
                if m is None:
                    missing.append(f"{compare.config_name(cfg)} {function} ({n} seeds)")
            m, n = median_of(runs, ours, function, budget, seeds)
            if m is None:
                missing.append(f"{compare.config_name(ours)} {function} ({n} seeds)")
            have = [v[0] for v in peer.values() if v is not None]
            if m is None or not have:
                print(f"| {function} | – | – | – | – | – |")
                continue
            cells = [cell(v) for v in peer.values()] + [cell(m)]
            m = m[0]
            best = min(have)
            equal = m <= EQUAL_BELOW and best <= EQUAL_BELOW
            r = 1.0 if equal else compare.ratio(m, best)
            if equal or m <= best:
                wins += 1
            worst = max(worst, r)
            if function == "mixed_hpo" and peer[PEERS[0]] is not None:
                mixed_ok = m < peer[PEERS[0]][0]
            print(f"| {function} | " + " | ".join(cells) + f" | {compare.fmt(r)} |")
        ok = wins >= 7 and worst <= 1.5 and mixed_ok is not False and not missing
        all_ok &= ok
        print(f"\nwins or ties: {wins} of 8; worst ratio {compare.fmt(worst)}; "
              f"mixed_hpo below Optuna TPE: {mixed_ok}; target {'met' if ok else 'NOT met'}")
        if missing:
            print("missing: " + "; ".join(missing))
    print("\nall budgets:", "met" if all_ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
