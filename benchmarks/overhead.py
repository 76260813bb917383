#!/usr/bin/env python3
"""Sampler overhead, tunekit against Optuna, measured in one run.

Runs the Google Benchmark binary (ask_tell/* benchmarks of samplers.bench.cpp)
with --benchmark_format=json, then benchmarks/peers/optuna_ask_tell.py with
/usr/bin/python3 for the same samplers and N, and prints a Markdown table of
median ask+tell latency per sampler and N with the ratio Optuna / tunekit
(how many times faster tunekit is), plus how flat each side is in N.

    python3 benchmarks/overhead.py --binary build/bench/benchmarks/tunekit_benchmarks \
        --samplers random,qmc --n 100,1000,10000

Standard library only. The raw outputs can be kept with --save DIR.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OPTUNA_SCRIPT = os.path.join(HERE, "peers", "optuna_ask_tell.py")
DEFAULT_BINARY = os.path.join(HERE, "..", "build", "bench", "benchmarks", "tunekit_benchmarks")
UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
NAME = re.compile(r"^ask_tell/(?P<sampler>[A-Za-z0-9_-]+)/(?P<n>\d+)")


def run_tunekit(binary, samplers, ns, repetitions, min_time, extra):
    pattern = "^ask_tell/(" + "|".join(re.escape(s).replace("\\-", "-") for s in samplers) + ")/(" + \
        "|".join(str(n) for n in ns) + ")(/|$)"
    cmd = [binary, "--benchmark_format=json", f"--benchmark_filter={pattern}",
           f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true"]
    if min_time:
        cmd.append(f"--benchmark_min_time={min_time}")
    cmd += extra
    print("+ " + " ".join(cmd), file=sys.stderr)
    proc = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    return cmd, json.loads(proc.stdout)


def parse_tunekit(report):
    """{(sampler, n): (wall seconds, CPU seconds) per ask+tell}: the median over
    repetitions if there are aggregates, else the median of the single runs."""
    plain, medians = {}, {}
    for b in report.get("benchmarks", []):
        m = NAME.match(b.get("run_name", b["name"]))
        if not m or "real_time" not in b:
            continue
        aggregate = b.get("aggregate_name") if b.get("run_type") == "aggregate" else None
        if aggregate not in (None, "median"):
            continue
        key = (m.group("sampler"), int(m.group("n")))
        unit = UNIT[b.get("time_unit", "ns")]
        times = (b["real_time"] * unit, b["cpu_time"] * unit)
        if aggregate == "median":
            medians[key] = times
        else:
            plain.setdefault(key, []).append(times)
    out = {}
    for k, runs in plain.items():
        wall = sorted(t[0] for t in runs)
        cpu = sorted(t[1] for t in runs)
        out[k] = (wall[len(wall) // 2], cpu[len(cpu) // 2])
    out.update(medians)
    return out


def run_optuna(python, samplers, ns, reps, max_seconds):
    cmd = [python, OPTUNA_SCRIPT, "--samplers", ",".join(samplers),
           "--n", ",".join(str(n) for n in ns), "--reps", str(reps),
           "--max-seconds", str(max_seconds)]
    print("+ " + " ".join(cmd), file=sys.stderr)
    proc = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return cmd, records


def fmt_time(s):
    if s is None:
        return "–"
    if s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=DEFAULT_BINARY, help="tunekit_benchmarks")
    ap.add_argument("--python", default="/usr/bin/python3", help="interpreter with optuna")
    ap.add_argument("--samplers", default="random,qmc")
    ap.add_argument("--n", default="100,1000,10000")
    ap.add_argument("--repetitions", type=int, default=5, help="Google Benchmark repetitions")
    ap.add_argument("--min-time", default="", help="--benchmark_min_time for tunekit")
    ap.add_argument("--optuna-reps", type=int, default=200)
    ap.add_argument("--optuna-max-seconds", type=float, default=120.0)
    ap.add_argument("--save", help="directory to write the raw outputs to")
    ap.add_argument("--load", help="print the tables from a --save directory instead of measuring")
    ap.add_argument("extra", nargs="*", help="more arguments for the benchmark binary")
    args = ap.parse_args(argv)

    samplers = [s.strip() for s in args.samplers.split(",") if s.strip()]
    ns = [int(n) for n in args.n.split(",") if n.strip()]
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    if args.load:
        with open(os.path.join(args.load, "tunekit_benchmarks.json")) as f:
            tk_report = json.load(f)
        with open(os.path.join(args.load, "optuna_ask_tell.jsonl")) as f:
            op_records = [json.loads(line) for line in f if line.strip()]
        started = tk_report.get("context", {}).get("date", "saved run")
        tk_cmd, op_cmd = ["(loaded from", args.load + ")"], ["(loaded from", args.load + ")"]
    else:
        tk_cmd, tk_report = run_tunekit(args.binary, samplers, ns, args.repetitions,
                                        args.min_time, args.extra)
        op_cmd, op_records = run_optuna(args.python, samplers, ns, args.optuna_reps,
                                        args.optuna_max_seconds)
    if args.save and not args.load:
        os.makedirs(args.save, exist_ok=True)
        with open(os.path.join(args.save, "tunekit_benchmarks.json"), "w") as f:
            json.dump(tk_report, f, indent=1)
        with open(os.path.join(args.save, "optuna_ask_tell.jsonl"), "w") as f:
            for r in op_records:
                f.write(json.dumps(r) + "\n")

    tk = parse_tunekit(tk_report)
    op = {(r["sampler"], r["n"]): r for r in op_records}
    system = op_records[0]["system"] if op_records else "optuna"
    ctx = tk_report.get("context", {})
    print(f"Sampler overhead: median ask+tell, 10-D continuous space, N finished trials "
          f"({started}; {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
          f"Google Benchmark library built as {ctx.get('library_build_type', '?')})\n")
    print(f"| sampler | N | tunekit wall | {system} wall | **{system} / tunekit (wall)** "
          f"| tunekit CPU | {system} CPU | {system} / tunekit (CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    missing = []
    for s in samplers:
        for n in ns:
            t = tk.get((s, n), (None, None))
            rec = op.get((s, n), {})
            o = (rec.get("median_s"), rec.get("median_cpu_s"))
            if t[0] is None or o[0] is None:
                missing.append(f"{s}/{n}")
            ratios = [f"{b / a:.0f}×" if a and b else "–" for a, b in zip(t, o)]
            print(f"| {s} | {n} | {fmt_time(t[0])} | {fmt_time(o[0])} | **{ratios[0]}** "
                  f"| {fmt_time(t[1])} | {fmt_time(o[1])} | {ratios[1]} |")
    print()
    lo, hi = ns[0], ns[-1]
    print(f"Growth with N (time at N={hi} / time at N={lo}; 1.00 is flat):\n")
    print(f"| sampler | tunekit wall | tunekit CPU | {system} wall | {system} CPU |")
    print("|---|---:|---:|---:|---:|")
    for s in samplers:
        cells = []
        for series in (tk, None):
            for i in (0, 1):
                if series is tk:
                    a, b = tk.get((s, lo), (None, None))[i], tk.get((s, hi), (None, None))[i]
                else:
                    key = ("median_s", "median_cpu_s")[i]
                    a, b = op.get((s, lo), {}).get(key), op.get((s, hi), {}).get(key)
                cells.append(f"{b / a:.2f}" if a and b else "–")
        print(f"| {s} | " + " | ".join(cells) + " |")
    print()
    print("tunekit: " + " ".join(tk_cmd))
    print("optuna:  " + " ".join(op_cmd))
    if missing:
        print(f"missing measurements: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
