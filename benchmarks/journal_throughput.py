#!/usr/bin/python3
"""Runs tunekit's journal_throughput and Optuna's peer in the same run and
prints the RESULTS.md tables (throughput and CPU time per cycle at 1 and 4
processes and 4 threads, for each durability level; ask latency and memory
as a study grows to 10 000 trials).

    /usr/bin/python3 benchmarks/journal_throughput.py \
        --exe build/bench/benchmarks/journal_throughput --workdir /tmp/jt
"""

import argparse
import os
import sys

from throughput_common import keep, run, write_raw

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--exe", required=True)
    p.add_argument("--workdir", default="/tmp/tunekit-journal-throughput")
    p.add_argument("--tunekit-cycles", type=int, default=1000, help="cycles per thread")
    p.add_argument("--optuna-cycles", type=int, default=100, help="cycles per thread")
    p.add_argument("--growth-trials", type=int, default=10000)
    p.add_argument("--raw", help="write every JSON row to this file (benchmarks/results/)")
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    rows = []
    raw = []
    # (processes, threads per process): 1 process, 4 processes, and 4 threads in one process (n_jobs = 4).
    for k, t in ((1, 1), (4, 1), (1, 4)):
        opt = run([sys.executable, os.path.join(HERE, "peers", "optuna_journal_throughput.py"),
                   "--journal", os.path.join(a.workdir, "optuna.log"), "--processes", str(k), "--threads", str(t),
                   "--cycles", str(a.optuna_cycles)])[0]
        tks = {}
        for d in ("trials", "full", "none"):
            cycles = a.tunekit_cycles if d != "full" else max(a.tunekit_cycles // 5, 50)
            tks[d] = run([a.exe, "cycles", "--journal", os.path.join(a.workdir, f"tunekit-{d}.log"), "--processes", str(k),
                          "--threads", str(t), "--cycles", str(cycles), "--durability", d])[0]
        rows.append((k, t, opt, tks))
        keep(raw, [opt, *tks.values()])
    write_raw(a.raw, raw)

    def cpu_per_cycle(r):
        return r["cpu_seconds"] / r["cycles"]

    print("Durability matched: Optuna 3.1's JournalFileStorage fsyncs every record; tunekit's default "
          "`durability::trials` flushes before acknowledging each created and finished trial (group commit).")
    print()
    print("| workers | Optuna 3.1 (cycles/s, CPU ms/cycle) | tunekit `trials` (default) | wall ratio | CPU ratio "
          "| fdatasync/cycle | tunekit `full` | wall ratio | CPU ratio | tunekit `none` | wall ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for k, t, opt, tks in rows:
        label = f"{k} process{'es' if k > 1 else ''}" + (f", {t} threads" if t > 1 else "")
        cells = [label, f"{opt['cycles_per_s']:.0f}, {cpu_per_cycle(opt) * 1e3:.2f}"]
        for d in ("trials", "full"):
            r = tks[d]
            cells += [f"{r['cycles_per_s']:.0f}, {cpu_per_cycle(r) * 1e3:.3f}",
                      f"{r['cycles_per_s'] / opt['cycles_per_s']:.1f}x",
                      f"{cpu_per_cycle(opt) / cpu_per_cycle(r):.0f}x"]
            if d == "trials":
                cells.append(f"{r['flushes_per_cycle']:.2f}")
        r = tks["none"]
        cells += [f"{r['cycles_per_s']:.0f}", f"{r['cycles_per_s'] / opt['cycles_per_s']:.1f}x"]
        print("| " + " | ".join(cells) + " |")
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
