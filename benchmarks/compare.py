#!/usr/bin/env python3
"""Compare quality-suite results (JSON lines from suite / optuna_suite.py).

Reads any number of JSONL files in the format of BENCHMARKS.md and prints, per
budget, a Markdown table: one row per function, one column per
(system, sampler) with the median regret over seeds and its 25th/75th
percentiles, then one ratio column per configuration against a baseline
(median regret / baseline median regret: below 1 is better than the
baseline), and the wins. Medians below 1e-6 count as equal (issue 18's rule:
ratio 1, a tie). Standard library only.

    python3 benchmarks/compare.py tunekit.jsonl optuna.jsonl \
        --baseline optuna-3.1:random

Regret = best value found within the budget - known minimum of the function.
"""

import argparse
import json
import math
import sys
from collections import OrderedDict, defaultdict

# Known minima of BENCHMARKS.md (include/tunekit/testing/test_functions.hpp).
KNOWN_MINIMA = {
    "branin": 0.3978873577297384,
    "hartmann3": -3.862779787332663,
    "hartmann6": -3.322368011415515,
    "rosenbrock4": 0.0,
    "ackley5": 0.0,
    "levy10": 0.0,
    "styblinski_tang8": -313.3293256301713,
    "mixed_hpo": 0.0,
}
FUNCTION_ORDER = list(KNOWN_MINIMA)
# Issue 18's rule: median regrets below 1e-6 count as equal (at 500 trials
# Optuna's CMA-ES reaches branin's minimum to within an ulp), for the wins,
# the ratios and the better/tie/worse counts. The cells keep the medians.
EQUAL_BELOW = 1e-6


def compared(median):
    """The median as compared: 0 below EQUAL_BELOW."""
    return 0.0 if median < EQUAL_BELOW else median


def percentile(sorted_values, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return math.nan
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def fmt(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if math.isinf(v):
        return "∞"
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.2e}"
    return f"{v:.3g}"


def config_name(cfg):
    return f"{cfg[0]} {cfg[1]}"


def parse_config(text):
    if ":" not in text:
        raise argparse.ArgumentTypeError(f"expected SYSTEM:SAMPLER, got '{text}'")
    system, sampler = text.split(":", 1)
    return system, sampler


def load(paths):
    """{(system, sampler): {function: {budget: {seed: regret}}}}, wall times."""
    runs = OrderedDict()
    walls = defaultdict(lambda: defaultdict(list))
    seen = {}
    warnings = []
    for path in paths:
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
        with stream:
            for lineno, line in enumerate(stream, start=1):
                line = line.strip()
                if not line:
                    continue
                try:
                    rec = json.loads(line)
                    cfg = (rec["system"], rec["sampler"])
                    function = rec["function"]
                    seed = rec["seed"]
                    best_at = rec["best_at"]
                except (ValueError, KeyError) as e:
                    warnings.append(f"{path}:{lineno}: skipped ({e})")
                    continue
                if function not in KNOWN_MINIMA:
                    warnings.append(f"{path}:{lineno}: unknown function '{function}'")
                    continue
                key = (cfg, function, seed)
                if key in seen:
                    warnings.append(
                        f"{path}:{lineno}: duplicate of {seen[key]} for {config_name(cfg)} "
                        f"{function} seed {seed}; the later line wins")
                seen[key] = f"{path}:{lineno}"
                per_budget = runs.setdefault(cfg, {}).setdefault(function, {})
                for budget, best in best_at.items():
                    if best is None:
                        continue
                    regret = best - KNOWN_MINIMA[function]
                    if regret < -1e-6:
                        warnings.append(
                            f"{path}:{lineno}: {function} value {best} is below the known "
                            f"minimum {KNOWN_MINIMA[function]}")
                    per_budget.setdefault(int(budget), {})[seed] = max(regret, 0.0)
                if "wall_s" in rec:
                    walls[cfg][function].append(float(rec["wall_s"]))
    return runs, walls, warnings


def summary(regrets):
    values = sorted(regrets.values())
    return {
        "n": len(values),
        "median": percentile(values, 0.5),
        "p25": percentile(values, 0.25),
        "p75": percentile(values, 0.75),
    }


def ratio(value, base):
    if math.isnan(value) or math.isnan(base):
        return math.nan
    if base == 0:
        return 1.0 if value == 0 else math.inf
    return value / base


def table_for_budget(budget, configs, baseline, runs, functions):
    lines = []
    others = [c for c in configs if c != baseline]
    header = ["function"] + [config_name(c) for c in configs]
    header += [f"{config_name(c)} / {config_name(baseline)}" for c in others]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")

    best_wins = defaultdict(int)
    beats = defaultdict(lambda: [0, 0, 0])  # wins, ties, losses against the baseline
    log_ratios = defaultdict(list)
    counts = set()
    for function in functions:
        stats = {}
        for c in configs:
            regrets = runs.get(c, {}).get(function, {}).get(budget)
            stats[c] = summary(regrets) if regrets else None
            if regrets:
                counts.add(len(regrets))
        present = [c for c in configs if stats[c] is not None]
        if not present:
            continue
        lowest = min(compared(stats[c]["median"]) for c in present)
        for c in present:
            if compared(stats[c]["median"]) == lowest:
                best_wins[c] += 1
        row = [function]
        for c in configs:
            s = stats[c]
            if s is None:
                row.append("–")
            else:
                cell = f"{fmt(s['median'])} [{fmt(s['p25'])}, {fmt(s['p75'])}]"
                if compared(s["median"]) == lowest and len(present) > 1:
                    cell = f"**{cell}**"
                row.append(cell)
        for c in others:
            if stats[c] is None or stats[baseline] is None:
                row.append("–")
                continue
            r = ratio(compared(stats[c]["median"]), compared(stats[baseline]["median"]))
            row.append(fmt(r))
            w = beats[c]
            if r < 1:
                w[0] += 1
            elif r == 1:
                w[1] += 1
            else:
                w[2] += 1
            if 0 < r < math.inf:
                log_ratios[c].append(math.log(r))
        lines.append("| " + " | ".join(row) + " |")

    foot = ["**best median (wins)**"] + [str(best_wins[c]) for c in configs]
    foot += [f"{beats[c][0]} better / {beats[c][1]} tie / {beats[c][2]} worse" for c in others]
    lines.append("| " + " | ".join(foot) + " |")
    geo = ["geometric mean of ratios"] + [""] * len(configs)
    geo += [fmt(math.exp(sum(log_ratios[c]) / len(log_ratios[c]))) if log_ratios[c] else "–"
            for c in others]
    lines.append("| " + " | ".join(geo) + " |")
    seeds = ", ".join(str(n) for n in sorted(counts)) or "0"
    title = (f"### Budget {budget}: median regret [25th, 75th percentile] over {seeds} seeds; "
             f"ratio = median / median of {config_name(baseline)}")
    return title + "\n\n" + "\n".join(lines) + "\n"


def wall_table(configs, walls, functions):
    lines = ["### Wall time per run (s, median over seeds, all trials of the largest budget)", ""]
    header = ["function"] + [config_name(c) for c in configs]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * len(configs)) + "|")
    for function in functions:
        row = [function]
        for c in configs:
            w = sorted(walls.get(c, {}).get(function, []))
            row.append(fmt(percentile(w, 0.5)) if w else "–")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="JSONL files (- for stdin)")
    ap.add_argument("--baseline", type=parse_config,
                    help="SYSTEM:SAMPLER to divide by (default: the first one read)")
    ap.add_argument("--only", help="comma list of SYSTEM:SAMPLER to show, in that order")
    ap.add_argument("--budgets", help="comma list of budgets (default: all found)")
    ap.add_argument("--functions", help="comma list of functions (default: all found)")
    ap.add_argument("--wall", action="store_true", help="also print median wall time per run")
    args = ap.parse_args(argv)

    runs, walls, warnings = load(args.files)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if not runs:
        print("no results read", file=sys.stderr)
        return 1

    configs = list(runs)
    if args.only:
        configs = [parse_config(t.strip()) for t in args.only.split(",") if t.strip()]
        missing = [config_name(c) for c in configs if c not in runs]
        if missing:
            print(f"not in the input: {', '.join(missing)}", file=sys.stderr)
            return 1
    baseline = args.baseline or configs[0]
    if baseline not in runs:
        print(f"baseline {config_name(baseline)} is not in the input; have: "
              + ", ".join(f"{s}:{p}" for s, p in runs), file=sys.stderr)
        return 1
    if baseline not in configs:
        configs.insert(0, baseline)

    found_functions = {f for c in configs for f in runs.get(c, {})}
    if args.functions:
        functions = [f.strip() for f in args.functions.split(",") if f.strip()]
    else:
        functions = [f for f in FUNCTION_ORDER if f in found_functions]
    found_budgets = {b for c in configs for f in runs.get(c, {}).values() for b in f}
    if args.budgets:
        budgets = [int(b) for b in args.budgets.split(",") if b.strip()]
    else:
        budgets = sorted(found_budgets)

    out = []
    for budget in budgets:
        out.append(table_for_budget(budget, configs, baseline, runs, functions))
    if args.wall:
        out.append(wall_table(configs, walls, functions))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
