#!/usr/bin/env python3
"""Multi-objective early stopping on examples/pareto_prune.cpp (issue 17).

Runs the example once per seed without stopping and once per seed and
`--n-dominating` value with `pareto_scheduler`, one process at a time, saves
the JSON lines and prints, per setting, the median share of the epochs of no
stopping and the median final hypervolume relative to no stopping (same
seed: the random sampler evaluates the same configurations in both runs).

    python3 benchmarks/pareto_prune_compare.py --binary build/<tree>/examples/pareto_prune \
        --seeds 1-5 --n-dominating 1,2 --save benchmarks/results/pareto_prune.jsonl
"""
import argparse
import json
import statistics
import subprocess


def seeds_of(text):
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--seeds", default="1-5")
    p.add_argument("--n-dominating", default="1,2")
    p.add_argument("--save")
    args = p.parse_args()
    rows = []

    def run(*extra):
        out = subprocess.run([args.binary, "--json", *extra], check=True, capture_output=True, text=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        return row

    ks = [int(k) for k in args.n_dominating.split(",")]
    base = {s: run("--scheduler", "none", "--seed", str(s)) for s in seeds_of(args.seeds)}
    table = {k: {s: run("--scheduler", "pareto", "--seed", str(s), "--n-dominating", str(k)) for s in base} for k in ks}
    if args.save:
        with open(args.save, "w") as f:
            for r in rows:
                r = dict(r)
                f.write(json.dumps(r) + "\n")
    print("| setting | epochs / no stopping's, median [min, max] | HV(error, weights) / no stopping's | "
          "HV(error, weights, time) / no stopping's |")
    print("|---|---|---|---|")
    for k in ks:
        ep = [table[k][s]["epochs_trained"] / base[s]["epochs_trained"] for s in base]
        h2 = [table[k][s]["hv_error_weights"] / base[s]["hv_error_weights"] for s in base]
        h3 = [table[k][s]["hv_error_weights_time"] / base[s]["hv_error_weights_time"] for s in base]
        f = lambda v: f"{statistics.median(v):.3f} [{min(v):.3f}, {max(v):.3f}]"
        print(f"| pareto_scheduler n_dominating={k} | {f(ep)} | {f(h2)} | {f(h3)} |")


if __name__ == "__main__":
    main()
