#!/usr/bin/python3
"""Trial-cycle throughput on PostgreSQL, all in the same run on the same server:

  * tunekit (benchmarks/sql_throughput.cpp, given the postgresql:// URL) with K processes,
  * Optuna 3.1's RDBStorage (peers/optuna_postgres_throughput.py) with K processes,
  * pgbench with K clients running a custom script of C small-write
    transactions (BEGIN; INSERT one row; END) per script run, where C is the
    commit count of one tunekit cycle as the storage counted it. pgbench's
    script runs per second is then the server's limit in cycles per second.

A cycle: ask (random sampler), 10 float parameters, 10 intermediate reports, tell.

    /usr/bin/python3 benchmarks/postgres_throughput.py \
        --exe build/bench/benchmarks/sql_throughput --url "$TUNEKIT_TEST_POSTGRES_URL" \
        --out benchmarks/results/postgres
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")][0]


def pgbench(url, commits, clients, seconds):
    subprocess.run(["psql", "-X", "-q", url, "-c",
                    "CREATE TABLE IF NOT EXISTS pgbench_tunekit_rows "
                    "(id BIGSERIAL PRIMARY KEY, k INTEGER, v DOUBLE PRECISION)"], check=True)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        for _ in range(commits):
            f.write("BEGIN;\nINSERT INTO pgbench_tunekit_rows (k, v) VALUES (:client_id, random());\nEND;\n")
        script = f.name
    try:
        out = subprocess.run(["pgbench", "-n", "-M", "prepared", "-f", script, "-c", str(clients), "-j", str(clients),
                              "-T", str(seconds), url], check=True, capture_output=True, text=True).stdout
    finally:
        os.remove(script)
        subprocess.run(["psql", "-X", "-q", url, "-c", "TRUNCATE pgbench_tunekit_rows"], check=True)
    tps = float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out).group(1))
    return {"system": "pgbench", "clients": clients, "commits_per_script": commits, "seconds": seconds,
            "script_runs_per_s": tps, "commits_per_s": tps * commits}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--exe", required=True)
    p.add_argument("--url", default=os.environ.get("TUNEKIT_TEST_POSTGRES_URL"))
    p.add_argument("--processes", default="1,2,4,8")
    p.add_argument("--tunekit-cycles", type=int, default=300, help="cycles per process")
    p.add_argument("--optuna-cycles", type=int, default=40, help="cycles per process")
    p.add_argument("--pgbench-seconds", type=int, default=15)
    p.add_argument("--out", help="directory for the raw JSON lines")
    a = p.parse_args()
    if not a.url:
        sys.exit("no --url and no TUNEKIT_TEST_POSTGRES_URL (start a server with .ci/postgres.sh start)")
    rows = []
    raw = []
    for k in [int(x) for x in a.processes.split(",")]:
        tk = run_json([a.exe, "--url", a.url, "--processes", str(k), "--cycles", str(a.tunekit_cycles)])
        opt = run_json([sys.executable, os.path.join(HERE, "peers", "optuna_postgres_throughput.py"), "--url", a.url,
                        "--processes", str(k), "--cycles", str(a.optuna_cycles)])
        commits = round(tk["commits_per_cycle"])
        pgb = pgbench(a.url, commits, k, a.pgbench_seconds)
        raw += [tk, opt, pgb]
        rows.append((k, tk["cycles_per_s"], opt["cycles_per_s"], pgb["script_runs_per_s"], commits,
                     pgb["commits_per_s"]))
        print(json.dumps(tk), json.dumps(opt), json.dumps(pgb), sep="\n", file=sys.stderr, flush=True)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "throughput.jsonl"), "w") as f:
            for r in raw:
                f.write(json.dumps(r) + "\n")
    print("| processes | tunekit cycles/s | Optuna 3.1 cycles/s | tunekit / Optuna | pgbench cycles/s "
          "(C commits each) | tunekit / pgbench | pgbench commits/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for k, t, o, g, c, gc in rows:
        print(f"| {k} | {t:.1f} | {o:.2f} | {t / o:.1f}x | {g:.1f} (C = {c}) | {t / g:.2f} | {gc:.0f} |")


if __name__ == "__main__":
    main()
