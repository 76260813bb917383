#!/usr/bin/python3
"""The fleet benchmark: N worker processes on one PostgreSQL study, directly
and through PgBouncer (transaction pooling, pool <= 16 server connections),
side by side with Optuna 3.1 workers and pgbench at the same client count,
all on the same server in the same run.

Per row: trials/s (trials / wall seconds from the first start to the last
exit), p50/p99 ask and tell latency (ms), the most server connections seen
(pg_stat_activity, sampled every 0.2 s), the server's transactions per trial
(pg_stat_database.xact_commit delta, read-only ones included), the workers'
CPU seconds per trial, and the checks: every trial recorded once, numbers
0..T-1, all COMPLETE.

    eval "$(.ci/postgres.sh start)"
    TUNEKIT_PG_PORT=54329 .ci/pgbouncer.sh start
    /usr/bin/python3 benchmarks/fleet/fleet.py --exe build/bench/benchmarks/fleet_worker \
        --url "$TUNEKIT_TEST_POSTGRES_URL" --pgbouncer-url "$TUNEKIT_TEST_PGBOUNCER_URL" \
        --workers 1,8,32,64 --trials 400 --big 2000 --optuna-workers 1,8 --optuna-trials 80 \
        --out benchmarks/results/fleet
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))


def sql(url, query, *args):
    with psycopg2.connect(url) as c, c.cursor() as cur:
        cur.execute(query, args)
        rows = cur.fetchall() if cur.description else []
    c.close()
    return rows


def xacts(url, pooled=False):
    # Backends publish their counters at most once a second, and an idle one
    # (PgBouncer's server connections) only after 10 s.
    time.sleep(11 if pooled else 1.2)
    return sql(url, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")[0][0]


class ConnectionSampler(threading.Thread):
    """Most client connections to the database seen while running."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.most, self.stop = url, 0, threading.Event()

    def run(self):
        c = psycopg2.connect(self.url)
        c.autocommit = True
        while not self.stop.is_set():
            with c.cursor() as cur:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
                self.most = max(self.most, cur.fetchone()[0])
            self.stop.wait(0.2)
        c.close()


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] / 1000 if values else float("nan")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def check_study(url, name, total):
    rows = sql(url, "SELECT t.number, t.state::text FROM trials t JOIN studies s ON s.study_id = t.study_id "
                    "WHERE s.study_name = %s", name)
    numbers = [r[0] for r in rows]
    return {"trials_in_study": len(rows), "numbers_unique": len(set(numbers)) == len(numbers),
            "numbers_dense": sorted(numbers) == list(range(len(numbers))),
            "all_complete": all(r[1] == "COMPLETE" for r in rows), "recorded_once": len(rows) == total}


def drop_study(url, name):
    with psycopg2.connect(url) as c, c.cursor() as cur:
        cur.execute("SELECT study_id FROM studies WHERE study_name = %s", (name,))
        row = cur.fetchone()
        if row:
            sid = row[0]
            for t in ("trial_params", "trial_values", "trial_intermediate_values", "trial_user_attributes",
                      "trial_system_attributes", "trial_heartbeats"):
                cur.execute(f"DELETE FROM {t} WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = %s)", (sid,))
            for t in ("trials", "study_user_attributes", "study_system_attributes", "study_directions", "studies"):
                cur.execute(f"DELETE FROM {t} WHERE study_id = %s", (sid,))
    c.close()


def fleet(system, cmd_of, url, server_url, n, total):
    """Runs n workers sharing `total` trials; returns the row."""
    name = f"fleet-{system}-{uuid.uuid4().hex[:10]}"
    if system == "tunekit":  # created once, so that n workers joining at once all load it
        subprocess.run(cmd_of(name, 0, 0), check=True, capture_output=True)
    x0, c0 = xacts(server_url, url != server_url), children_cpu()
    sampler = ConnectionSampler(server_url)
    sampler.start()
    start = time.perf_counter()
    shares = [total // n + (1 if w < total % n else 0) for w in range(n)]
    procs = [subprocess.Popen(cmd_of(name, shares[w], w), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(n)]
    outs = [p.communicate() for p in procs]
    seconds = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    cpu = children_cpu() - c0
    x1 = xacts(server_url, url != server_url) - 1
    asks, tells, failed = [], [], 0
    for p, (out, err) in zip(procs, outs):
        if p.returncode != 0:
            failed += 1
            sys.stderr.write(err[-500:])
            continue
        row = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
        asks += row["ask_us"]
        tells += row["tell_us"]
    checks = check_study(server_url, name, total)
    drop_study(server_url, name)
    return {"system": system, "via": "pgbouncer" if url != server_url else "direct", "workers": n, "trials": total,
            "seconds": seconds, "trials_per_s": total / seconds, "ask_p50_ms": pct(asks, 50), "ask_p99_ms": pct(asks, 99),
            "tell_p50_ms": pct(tells, 50), "tell_p99_ms": pct(tells, 99), "server_connections_max": sampler.most,
            "server_xacts_per_trial": (x1 - x0) / total, "client_cpu_ms_per_trial": 1000 * cpu / total,
            "failed_workers": failed, **checks}


def pgbench(url, server_url, clients, commits, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        for _ in range(commits):
            f.write("BEGIN;\nINSERT INTO pgbench_tunekit_rows (k, v) VALUES (:client_id, random());\nEND;\n")
        script = f.name
    sql(server_url, "CREATE TABLE IF NOT EXISTS pgbench_tunekit_rows (id BIGSERIAL PRIMARY KEY, k INTEGER, v DOUBLE PRECISION)")
    x0 = xacts(server_url, url != server_url)
    try:
        # -M simple: PgBouncer in transaction mode has no server-side prepared statements.
        out = subprocess.run(["pgbench", "-n", "-M", "simple", "-f", script, "-c", str(clients), "-j", str(min(clients, 8)),
                              "-T", str(seconds), url], check=True, capture_output=True, text=True).stdout
    finally:
        os.remove(script)
    x1 = xacts(server_url, url != server_url)
    sql(server_url, "TRUNCATE pgbench_tunekit_rows")
    tps = float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out).group(1))
    lat = float(re.search(r"latency average = ([0-9.]+) ms", out).group(1))
    done = int(re.search(r"number of transactions actually processed: ([0-9]+)", out).group(1))
    return {"system": "pgbench", "via": "pgbouncer" if url != server_url else "direct", "workers": clients,
            "commits_per_script": commits, "trials_per_s": tps, "script_latency_ms": lat,
            "server_xacts_per_trial": (x1 - x0) / max(done, 1)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--exe", required=True, help="fleet_worker")
    p.add_argument("--url", default=os.environ.get("TUNEKIT_TEST_POSTGRES_URL"))
    p.add_argument("--pgbouncer-url", default=os.environ.get("TUNEKIT_TEST_PGBOUNCER_URL"))
    p.add_argument("--workers", default="1,8,32,64")
    p.add_argument("--trials", type=int, default=400, help="trials per study")
    p.add_argument("--big", type=int, default=2000, help="trials of the 64-worker study through PgBouncer")
    p.add_argument("--optuna-workers", default="1,8")
    p.add_argument("--optuna-trials", type=int, default=80)
    p.add_argument("--pgbench-commits", type=int, default=3, help="tunekit's commits per trial")
    p.add_argument("--pgbench-seconds", type=int, default=8)
    p.add_argument("--sleep-ms", type=int, default=0)
    p.add_argument("--out")
    a = p.parse_args()
    if not a.url:
        sys.exit("no --url (start a server with .ci/postgres.sh start)")
    raw = []

    def keep(row):
        raw.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    vias = [a.url] + ([a.pgbouncer_url] if a.pgbouncer_url else [])
    for via in vias:
        for n in [int(x) for x in a.workers.split(",")]:
            total = a.big if (via != a.url and n == 64) else a.trials
            keep(fleet("tunekit", lambda name, trials, w: [a.exe, "--url", via, "--study", name, "--trials", str(trials),
                                                            "--seed", str(w), "--sleep-ms", str(a.sleep_ms)],
                       via, a.url, n, total))
            keep(pgbench(via, a.url, n, a.pgbench_commits, a.pgbench_seconds))
        for n in [int(x) for x in a.optuna_workers.split(",") if x]:
            keep(fleet("optuna-3.1", lambda name, trials, w: ["/usr/bin/python3", os.path.join(HERE, "optuna_fleet_worker.py"),
                                                               "--url", via, "--study", name, "--trials", str(trials),
                                                               "--seed", str(w), "--sleep-ms", str(a.sleep_ms)],
                       via, a.url, n, a.optuna_trials))
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "fleet.jsonl"), "w") as f:
            for r in raw:
                f.write(json.dumps(r) + "\n")
    print("| via | workers | system | trials | trials/s | ask p50 / p99 ms | tell p50 / p99 ms | server connections | "
          "server transactions per trial | client CPU ms per trial | recorded once, dense, all COMPLETE |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in raw:
        if r["system"] == "pgbench":
            print(f"| {r['via']} | {r['workers']} | pgbench ({r['commits_per_script']} commits per run) | - | "
                  f"{r['trials_per_s']:.1f} | - | - | - | {r['server_xacts_per_trial']:.1f} | - | - |")
        else:
            ok = r["recorded_once"] and r["numbers_dense"] and r["all_complete"] and not r["failed_workers"]
            print(f"| {r['via']} | {r['workers']} | {r['system']} | {r['trials']} | {r['trials_per_s']:.1f} | "
                  f"{r['ask_p50_ms']:.1f} / {r['ask_p99_ms']:.1f} | {r['tell_p50_ms']:.1f} / {r['tell_p99_ms']:.1f} | "
                  f"{r['server_connections_max']} | {r['server_xacts_per_trial']:.1f} | {r['client_cpu_ms_per_trial']:.1f} | "
                  f"{'yes' if ok else 'NO: ' + json.dumps(r)} |")


if __name__ == "__main__":
    main()
