#!/usr/bin/python3
"""Runs tunekit's sql_throughput and Optuna's RDB peer in the same run, at 1
and 8 processes, and prints the RESULTS.md table.

    /usr/bin/python3 benchmarks/sql_throughput.py \
        --exe build/bench/benchmarks/sql_throughput --workdir /tmp/st
    /usr/bin/python3 benchmarks/sql_throughput.py --exe ... \
        --url postgresql://user@127.0.0.1:5432/db      # the same against PostgreSQL
"""

import argparse
import os
import sys

from throughput_common import keep, run, write_raw

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--exe", required=True)
    p.add_argument("--workdir", default="/tmp/tunekit-sql-throughput")
    p.add_argument("--url", help="a postgresql:// URL; default: SQLite files in --workdir")
    p.add_argument("--processes", default="1,4,1x4", help="K (processes) or KxT (processes x threads), comma-separated")
    p.add_argument("--raw", help="write every JSON row to this file (benchmarks/results/)")
    p.add_argument("--tunekit-cycles", type=int, default=500, help="cycles per thread")
    p.add_argument("--optuna-cycles", type=int, default=30, help="cycles per thread")
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    rows = []
    raw = []
    configs = [tuple(int(v) for v in c.split("x")) if "x" in c else (int(c), 1) for c in a.processes.split(",")]
    for k, t in configs:
        def fresh(path):
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
            return path
        if a.url:
            opt_url = a.url
            tk_urls = {"server": a.url}
        else:
            opt_url = "sqlite:///" + os.path.join(a.workdir, "optuna.db")
            tk_urls = {d: "sqlite://" + fresh(os.path.join(a.workdir, f"tunekit-{d}.db")) + f"?durability={d}"
                       for d in ("trials", "full", "none")}
            tk_urls["synchronous=full"] = ("sqlite://" + fresh(os.path.join(a.workdir, "tunekit-syncfull.db")) +
                                           "?synchronous=full")
        opt = run([sys.executable, os.path.join(HERE, "peers", "optuna_rdb_throughput.py"), "--url", opt_url,
                   "--processes", str(k), "--threads", str(t), "--cycles", str(a.optuna_cycles)])[0]
        tks = {}
        for d, url in tk_urls.items():
            cycles = a.tunekit_cycles if d in ("trials", "none", "server") else max(a.tunekit_cycles // 4, 50)
            tks[d] = run([a.exe, "--url", url, "--processes", str(k), "--threads", str(t), "--cycles", str(cycles)])[0]
            tks[d]["durability"] = d
        rows.append((k, t, opt, tks))
        keep(raw, [opt, *tks.values()])
    write_raw(a.raw, raw)

    def cpu(r):
        return r["cpu_seconds"] / r["cycles"]

    kind = "PostgreSQL" if a.url else "SQLite"
    order = ["server"] if a.url else ["trials", "full", "synchronous=full", "none"]
    head = f"| workers | Optuna 3.1 RDBStorage, {kind} (cycles/s, CPU ms/cycle) | failed Optuna cycles |"
    for d in order:
        head += f" tunekit `{d}` (cycles/s, CPU ms/cycle) | wall ratio | CPU ratio |"
    print(head + " tunekit commits per cycle | WAL fdatasync per cycle (`trials`) |")
    print("|---|---|---|" + "---|---|---|" * len(order) + "---|---|")
    for k, t, opt, tks in rows:
        label = f"{k} process{'es' if k > 1 else ''}" + (f", {t} threads" if t > 1 else "")
        cells = [label, f"{opt['cycles_per_s']:.1f}, {cpu(opt) * 1e3:.1f}", str(opt["failed_cycles"])]
        for d in order:
            r = tks[d]
            cells += [f"{r['cycles_per_s']:.0f}, {cpu(r) * 1e3:.2f}", f"{r['cycles_per_s'] / opt['cycles_per_s']:.0f}x",
                      f"{cpu(opt) / cpu(r):.0f}x"]
        first = tks[order[0]]
        cells += [f"{first['commits_per_cycle']:g}", f"{first.get('flushes_per_cycle', 0):.2f}"]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
