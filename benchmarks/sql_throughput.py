#!/usr/bin/python3
"""Runs tunekit's sql_throughput and Optuna's RDB peer in the same run, at 1
and 8 processes, and prints the RESULTS.md table.

    /usr/bin/python3 benchmarks/sql_throughput.py \
        --exe build/bench/benchmarks/sql_throughput --workdir /tmp/st
    /usr/bin/python3 benchmarks/sql_throughput.py --exe ... \
        --url postgresql://user@127.0.0.1:5432/db      # the same against PostgreSQL
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    sys.stderr.write(out.stderr[-2000:])
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--exe", required=True)
    p.add_argument("--workdir", default="/tmp/tunekit-sql-throughput")
    p.add_argument("--url", help="a postgresql:// URL; default: SQLite files in --workdir")
    p.add_argument("--processes", default="1,8")
    p.add_argument("--tunekit-cycles", type=int, default=500, help="cycles per process")
    p.add_argument("--optuna-cycles", type=int, default=30, help="cycles per process")
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    rows = []
    for k in (int(x) for x in a.processes.split(",")):
        if a.url:
            opt_url = tk_url = a.url
        else:
            opt_url = "sqlite:///" + os.path.join(a.workdir, "optuna.db")
            tk_path = os.path.join(a.workdir, "tunekit.db")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(tk_path + suffix):
                    os.remove(tk_path + suffix)
            tk_url = "sqlite://" + tk_path
        opt = run([sys.executable, os.path.join(HERE, "peers", "optuna_rdb_throughput.py"), "--url", opt_url,
                   "--processes", str(k), "--cycles", str(a.optuna_cycles)])[0]
        tk = run([a.exe, "--url", tk_url, "--processes", str(k), "--cycles", str(a.tunekit_cycles)])[0]
        rows.append((k, opt, tk))
        print(json.dumps(opt), json.dumps(tk), sep="\n", file=sys.stderr)
    kind = "PostgreSQL" if a.url else "SQLite"
    print(f"| processes | Optuna 3.1 RDBStorage, {kind} (cycles/s) | failed Optuna cycles | tunekit {kind} (cycles/s) "
          "| ratio | tunekit commits per cycle |")
    print("|---|---|---|---|---|---|")
    for k, opt, tk in rows:
        print(f"| {k} | {opt['cycles_per_s']:.1f} | {opt['failed_cycles']} | {tk['cycles_per_s']:.0f} | "
              f"{tk['cycles_per_s'] / opt['cycles_per_s']:.0f}x | {tk['commits_per_cycle']:g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
