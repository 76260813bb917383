#!/usr/bin/python3
"""Runs tunekit's journal_throughput and Optuna's peer in the same run and
prints the RESULTS.md tables (throughput ratio at 1 and 4 processes; ask
latency and memory as a study grows to 10 000 trials).

    /usr/bin/python3 benchmarks/journal_throughput.py \
        --exe build/bench/benchmarks/journal_throughput --workdir /tmp/jt
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--exe", required=True)
    p.add_argument("--workdir", default="/tmp/tunekit-journal-throughput")
    p.add_argument("--tunekit-cycles", type=int, default=3000, help="cycles per process")
    p.add_argument("--optuna-cycles", type=int, default=150, help="cycles per process")
    p.add_argument("--growth-trials", type=int, default=10000)
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    rows = []
    for k in (1, 4):
        opt = run([sys.executable, os.path.join(HERE, "peers", "optuna_journal_throughput.py"),
                   "--journal", os.path.join(a.workdir, "optuna.log"), "--processes", str(k),
                   "--cycles", str(a.optuna_cycles)])[0]
        tk = run([a.exe, "cycles", "--journal", os.path.join(a.workdir, "tunekit.log"), "--processes", str(k),
                  "--cycles", str(a.tunekit_cycles)])[0]
        tkf = run([a.exe, "cycles", "--journal", os.path.join(a.workdir, "tunekit-fsync.log"), "--processes", str(k),
                   "--cycles", str(max(a.tunekit_cycles // 10, 50)), "--fsync"])[0]
        rows.append((k, opt, tk, tkf))
        print(json.dumps(opt), json.dumps(tk), json.dumps(tkf), sep="\n", file=sys.stderr)
    print("| processes | Optuna 3.1 JournalFileStorage (cycles/s) | tunekit journal (cycles/s) | ratio "
          "| tunekit journal, fsync=true (cycles/s) | ratio |")
    print("|---|---|---|---|---|---|")
    for k, opt, tk, tkf in rows:
        print(f"| {k} | {opt['cycles_per_s']:.0f} | {tk['cycles_per_s']:.0f} | "
              f"{tk['cycles_per_s'] / opt['cycles_per_s']:.1f}x | {tkf['cycles_per_s']:.0f} | "
              f"{tkf['cycles_per_s'] / opt['cycles_per_s']:.1f}x |")
    print()
    growth = run([a.exe, "growth", "--journal", os.path.join(a.workdir, "growth.log"),
                  "--trials", str(a.growth_trials), "--every", str(max(a.growth_trials // 10, 1))])
    print("| trials in the study | median ask (us) | median cycle (us) | resident memory (MiB) | journal (MiB) |")
    print("|---|---|---|---|---|")
    for g in growth:
        print(f"| {g['trials']} | {g['median_ask_us']:.0f} | {g['median_cycle_us']:.0f} | "
              f"{g['rss_kib'] / 1024:.1f} | {g['journal_bytes'] / 2**20:.1f} |")
    first, last = growth[0], growth[-1]
    per_trial = (last["rss_kib"] - first["rss_kib"]) * 1024 / max(last["trials"] - first["trials"], 1)
    print()
    print(f"Ask latency at {last['trials']} trials / at {first['trials']}: "
          f"{last['median_ask_us'] / first['median_ask_us']:.2f}x; memory growth "
          f"{per_trial:.0f} bytes per trial (the trials themselves, kept for the samplers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
