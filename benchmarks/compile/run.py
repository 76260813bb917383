#!/usr/bin/env python3
"""Compile-cost benchmark: CPU seconds (user+sys) and peak RSS of g++ on a few
translation units, median of N runs, at -O0 and -O2.

    python3 benchmarks/compile/run.py                       # this checkout
    python3 benchmarks/compile/run.py --root /tmp/wt-before --label before

Inputs (the .cpp files next to this script, plus two examples compiled as they are):
    trivial_random   <tunekit/tunekit.hpp>, random-sampler tuner over one float
    trivial_default  the same with the default sampler
    trivial_default_tuner_hpp  the same including only <tunekit/tuner.hpp>
    readme           examples/readme.cpp
    quickstart       examples/quickstart.cpp
    baseline_deps    only <nlohmann/json.hpp>, <Eigen/Dense>, Boost.Math's normal

The flags are those of the CMake targets (tunekit::tunekit + the examples):
-std=c++20 -DBOOST_ALL_NO_LIB -I<root>/include -isystem /usr/include/eigen3
(the Release build adds -O3 -DNDEBUG; here the level is -O0 or -O2, no NDEBUG).
Each compile is `-c` to an object file, without linking. Peak RSS and CPU
come from GNU time (`/usr/bin/time -f '%U %S %M'`).

--modes header_only,compiled also compiles every tunekit input in compiled
mode (-DTUNEKIT_COMPILED_LIB, what linking tunekit::compiled adds; the
baseline is the same in both) and adds rows for the library's own sources,
compiled once per build (src/*.cpp, as its CMake target does).

Writes a markdown table to stdout (and --md) and one JSON object per
(input, level) to --jsonl.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = {
    # name: (path relative to root, extra flags)
    "trivial_random": ("benchmarks/compile/trivial_random.cpp", []),
    "trivial_default": ("benchmarks/compile/trivial_default.cpp", []),
    "trivial_default_tuner_hpp": ("benchmarks/compile/trivial_default_tuner_hpp.cpp", []),
    "readme": ("examples/readme.cpp", []),
    "quickstart": ("examples/quickstart.cpp",
                   ['-DTUNEKIT_EXAMPLES_DATA_DIR="{root}/examples/data"']),
    "baseline_deps": ("benchmarks/compile/baseline_deps.cpp", []),
}
# The compiled library's sources, measured in compiled mode only.
LIBRARY_INPUTS = {
    "library: src/samplers.cpp": ("src/samplers.cpp", []),
    "library: src/storage.cpp": ("src/storage.cpp", []),
}
MODE_FLAGS = {"header_only": [], "compiled": ["-DTUNEKIT_COMPILED_LIB"]}
LIBRARY_FLAGS = ["-DTUNEKIT_COMPILED_LIB", "-DTUNEKIT_BUILDING_COMPILED_LIB"]


def compile_once(cxx, root, src, extra, level):
    with tempfile.TemporaryDirectory() as tmp:
        obj = os.path.join(tmp, "out.o")
        timef = os.path.join(tmp, "time.txt")
        cmd = ["/usr/bin/time", "-o", timef, "-f", "%U %S %M", cxx, "-std=c++20", level,
               "-DBOOST_ALL_NO_LIB", "-I" + os.path.join(root, "include"),
               "-isystem", "/usr/include/eigen3"]
        cmd += [e.format(root=root) for e in extra]
        cmd += ["-c", src, "-o", obj]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.stderr.write(p.stderr[-4000:])
            raise SystemExit(f"compile failed: {' '.join(cmd)}")
        user, system, rss_kb = open(timef).read().split()[-3:]
        return float(user) + float(system), int(rss_kb) / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(HERE)),
                    help="checkout whose include/ and examples/ are compiled (default: this one)")
    ap.add_argument("--inputs-root", default=None,
                    help="take the benchmarks/compile/*.cpp inputs from this checkout "
                         "(default: --root; lets an old worktree use today's inputs)")
    ap.add_argument("--label", default="", help="label stored with each row (e.g. before, after)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--levels", default="-O0,-O2")
    ap.add_argument("--only", default="", help="comma-separated input names (default: all)")
    ap.add_argument("--modes", default="header_only",
                    help="comma-separated: header_only, compiled (default: header_only)")
    ap.add_argument("--cxx", default=os.environ.get("CXX", "g++"))
    ap.add_argument("--jsonl", default=None, help="append rows to this JSON lines file")
    ap.add_argument("--md", default=None, help="write the markdown table here too")
    args = ap.parse_args()

    root = os.path.abspath(args.root)
    inputs_root = os.path.abspath(args.inputs_root or root)
    names = [n for n in INPUTS if not args.only or n in args.only.split(",")]
    levels = args.levels.split(",")
    commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "include", "examples"],
                           capture_output=True, text=True).stdout.strip() != ""
    version = subprocess.run([args.cxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]

    modes = args.modes.split(",")
    jobs = []  # (row name, mode, source, extra flags)
    for mode in modes:
        for name in names:
            if mode != "header_only" and name == "baseline_deps":
                continue  # no tunekit in it: the same in every mode
            rel, extra = INPUTS[name]
            base = inputs_root if rel.startswith("benchmarks/compile/") else root
            jobs.append((name, mode, os.path.join(base, rel), extra + MODE_FLAGS[mode]))
        if mode == "compiled":
            for name, (rel, extra) in LIBRARY_INPUTS.items():
                jobs.append((name, mode, os.path.join(root, rel), extra + LIBRARY_FLAGS))

    rows = []
    for name, mode, src, extra in jobs:
        for level in levels:
            samples = []
            for _ in range(args.runs):
                load = os.getloadavg()[0]
                cpu, rss = compile_once(args.cxx, root, src, extra, level)
                samples.append((cpu, rss, load))
                print(f"  {name} [{mode}] {level}: {cpu:.2f} s, {rss:.0f} MB (load {load:.1f})", file=sys.stderr, flush=True)
            row = {
                "input": name, "mode": mode, "level": level, "label": args.label, "commit": commit + ("+dirty" if dirty else ""),
                "cpu_s": round(statistics.median(s[0] for s in samples), 2),
                "peak_rss_mb": round(statistics.median(s[1] for s in samples), 1),
                "cpu_s_runs": [round(s[0], 2) for s in samples],
                "peak_rss_mb_runs": [round(s[1], 1) for s in samples],
                "load_1min": [round(s[2], 2) for s in samples],
                "compiler": version, "runs": args.runs,
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            }
            rows.append(row)
            if args.jsonl:
                with open(args.jsonl, "a") as f:
                    f.write(json.dumps(row) + "\n")

    base = {r["level"]: r["cpu_s"] for r in rows if r["input"] == "baseline_deps"}
    lines = [f"{args.label or 'run'}: {commit}{'+dirty' if dirty else ''}, {version}, median of {args.runs}",
             "",
             "| input | mode | level | CPU s (user+sys) | peak RSS MB | × baseline CPU | runs (CPU s) | load |",
             "|---|---|---|---:|---:|---:|---|---|"]
    for r in rows:
        ratio = f"{r['cpu_s'] / base[r['level']]:.1f}×" if base.get(r["level"]) else "–"
        lines.append(f"| {r['input']} | {r['mode']} | {r['level']} | {r['cpu_s']:.2f} | {r['peak_rss_mb']:.0f} | {ratio} | "
                     f"{', '.join(f'{x:.1f}' for x in r['cpu_s_runs'])} | "
                     f"{min(r['load_1min']):.1f}–{max(r['load_1min']):.1f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.md:
        with open(args.md, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
