#!/usr/bin/python3
"""Trial-cycle throughput on PostgreSQL, all in the same run on the same server:

  * tunekit (benchmarks/sql_throughput.cpp, given the postgresql:// URL) with K processes,
  * Optuna 3.1's RDBStorage (peers/optuna_postgres_throughput.py) with K processes,
  * pgbench with K clients running a custom script of C small-write
    transactions (BEGIN; INSERT one row; END) per script run, where C is the
    commit count of one tunekit cycle as the storage counted it. pgbench's
    script runs per second is then the server's limit in cycles per second.

A cycle: ask (random sampler), 10 float parameters, 10 intermediate reports, tell.

Besides cycles/s, every row has the clients' CPU seconds (getrusage of the
waited-for children) and the server's transactions per cycle (the delta of
pg_stat_database.xact_commit over the run, read-only ones included, divided
by the cycles): the same count for tunekit, Optuna and pgbench.

    /usr/bin/python3 benchmarks/postgres_throughput.py \
        --exe build/bench/benchmarks/sql_throughput --url "$TUNEKIT_TEST_POSTGRES_URL" \
        --out benchmarks/results/postgres
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from throughput_common import run  # noqa: E402


def xact_commit(url):
    """The server's committed transactions in the URL's database so far (statistics lag ~0.5 s)."""
    time.sleep(0.7)
    out = subprocess.run(["psql", "-X", "-At", url, "-c",
                          "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measured(url, cycles_of, fn):
    """Runs fn() -> row; adds the clients' CPU seconds and the server's transactions per cycle."""
    x0, c0 = xact_commit(url), children_cpu()
    row = fn()
    c1 = children_cpu()
    x1 = xact_commit(url) - 2  # the two psql reads
    n = cycles_of(row)
    row["client_cpu_s_per_cycle"] = (c1 - c0) / n
    row["server_xacts_per_cycle"] = (x1 - x0) / n
    return row


def run_json(cmd):
    return run(cmd)[0]


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
    done = int(re.search(r"number of transactions actually processed: ([0-9]+)", out).group(1))
    return {"system": "pgbench", "clients": clients, "commits_per_script": commits, "seconds": seconds,
            "script_runs_per_s": tps, "commits_per_s": tps * commits, "script_runs": done}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--exe", required=True)
    p.add_argument("--url", default=os.environ.get("TUNEKIT_TEST_POSTGRES_URL"))
    p.add_argument("--processes", default="1,2,4,8")
    p.add_argument("--tunekit-cycles", type=int, default=300, help="cycles per process")
    p.add_argument("--optuna-cycles", type=int, default=40, help="cycles per process")
    p.add_argument("--pgbench-seconds", type=int, default=15)
    p.add_argument("--out", help="directory for the raw JSON lines")
    p.add_argument("--tunekit-url-options", default="", help="appended to tunekit's URL, e.g. lock=advisory")
    a = p.parse_args()
    if not a.url:
        sys.exit("no --url and no TUNEKIT_TEST_POSTGRES_URL (start a server with .ci/postgres.sh start)")
    rows = []
    raw = []
    for k in [int(x) for x in a.processes.split(",")]:
        tk_url = a.url + (("&" if "?" in a.url else "?") + a.tunekit_url_options if a.tunekit_url_options else "")
        # sql_throughput runs 10 (11 since it counts round trips) more cycles in one process to count its commits.
        tk = measured(a.url, lambda r: r["cycles"] + r.get("extra_cycles", 10),
                      lambda: run_json([a.exe, "--url", tk_url, "--processes", str(k), "--cycles", str(a.tunekit_cycles)]))
        opt = measured(a.url, lambda r: r["cycles"],
                       lambda: run_json([sys.executable, os.path.join(HERE, "peers", "optuna_postgres_throughput.py"),
                                         "--url", a.url, "--processes", str(k), "--cycles", str(a.optuna_cycles)]))
        commits = round(tk["commits_per_cycle"])
        pgb = measured(a.url, lambda r: r["script_runs"], lambda: pgbench(a.url, commits, k, a.pgbench_seconds))
        raw += [tk, opt, pgb]
        rows.append((k, tk, opt, pgb, commits))
        print(json.dumps(tk), json.dumps(opt), json.dumps(pgb), sep="\n", file=sys.stderr, flush=True)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "throughput.jsonl"), "w") as f:
            for r in raw:
                f.write(json.dumps(r) + "\n")
    print("| processes | tunekit cycles/s | Optuna 3.1 cycles/s | tunekit / Optuna | pgbench script runs/s "
          "(C commits each) | tunekit / pgbench | tunekit commits per cycle (server transactions) | "
          "Optuna server transactions per cycle | client CPU ms per cycle, tunekit / Optuna |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k, t, o, g, c in rows:
        print(f"| {k} | {t['cycles_per_s']:.1f} | {o['cycles_per_s']:.2f} | {t['cycles_per_s'] / o['cycles_per_s']:.1f}x | "
              f"{g['script_runs_per_s']:.1f} (C = {c}) | {t['cycles_per_s'] / g['script_runs_per_s']:.2f} | "
              f"{t['commits_per_cycle']:g} ({t['server_xacts_per_cycle']:.0f}) | {o['server_xacts_per_cycle']:.0f} | "
              f"{1000 * t['client_cpu_s_per_cycle']:.2f} / {1000 * o['client_cpu_s_per_cycle']:.1f} |")


if __name__ == "__main__":
    main()
