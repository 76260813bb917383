#!/usr/bin/python3
"""Fault injection on a PostgreSQL fleet (loopback only, every loop bounded in
count and time). For each fault, W workers (fleet_worker) run one study while
the fault is injected --iterations times at random moments:

  server-restart     the PostgreSQL server restarted (fast shutdown);
  server-crash       the PostgreSQL server killed (immediate shutdown: WAL
                     not yet written is lost, as in a crash) and started,
                     recovering from its WAL;
  pgbouncer-restart  PgBouncer stopped and started (workers go through it);
  terminate          pg_terminate_backend of a random worker's connection;
  kill               kill -9 of a random worker (a new one takes its place).

Then the workers are told to stop, and the study is checked: every trial a
worker saw acknowledged (its tell returned; the worker logs it at once) is
in the database, COMPLETE, with the same value; no trial number appears
twice; no trial is left RUNNING (a killed worker's trial is failed through
its heartbeat). Exit status 1 when a check fails.

    /usr/bin/python3 benchmarks/fleet/faults.py --exe build/bench/benchmarks/fleet_worker \
        --url "$TUNEKIT_TEST_POSTGRES_URL" --restart "$TUNEKIT_TEST_POSTGRES_RESTART" \
        --pgbouncer-url "$TUNEKIT_TEST_PGBOUNCER_URL" --pgbouncer-restart '<cmd>' --iterations 20
"""
import argparse
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fleet import drop_study  # noqa: E402


def with_options(url, options):
    return url + ("&" if "?" in url else "?") + options


def connect(url, tries=100):
    for _ in range(tries):
        try:
            return psycopg2.connect(url)
        except psycopg2.OperationalError:
            time.sleep(0.2)
    raise RuntimeError("cannot connect to the server after the faults")


def acked_count(tmp):
    n = 0
    for f in glob.glob(os.path.join(tmp, "ack-*.txt")):
        with open(f) as h:
            n += sum(1 for _ in h)
    return n


def creations_lost(tmp):
    """Trials whose worker was told that the server lost their creation (async_creation)."""
    n = 0
    for f in glob.glob(os.path.join(tmp, "err-*.txt")):
        with open(f) as h:
            n += sum(1 for line in h if "lost that creation" in line or "creation lost in a server crash" in line)
    return n


def run_fault(a, fault, rng):
    url = a.pgbouncer_url if fault == "pgbouncer-restart" else a.url
    # Heartbeats let a killed worker's trial be failed; the grace covers a restart.
    wurl = with_options(url, "heartbeat=0.5&grace=4")
    name = f"faults-{fault}-{uuid.uuid4().hex[:8]}"
    tmp = tempfile.mkdtemp(prefix="tunekit-faults-")
    stop = os.path.join(tmp, "stop")
    subprocess.run([a.exe, "--url", wurl, "--study", name, "--trials", "0"], check=True)
    workers = {}

    def spawn(w):
        workers[w] = subprocess.Popen([a.exe, "--url", wurl, "--study", name, "--until-complete", "1000000000",
                                       "--seed", str(w), "--ack", os.path.join(tmp, f"ack-{w}.txt"),
                                       "--stop-file", stop, "--sleep-ms", str(a.sleep_ms)],
                                      stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, f"err-{w}.txt"), "w"))

    for w in range(a.workers):
        spawn(w)
    next_id = a.workers
    deadline = time.monotonic() + a.time_limit
    injected, killed = 0, set()
    while injected < a.iterations and time.monotonic() < deadline:
        time.sleep(rng.uniform(0.1, a.max_gap))
        if fault == "server-restart":
            subprocess.run(a.restart, shell=True, check=True)
        elif fault == "server-crash":
            subprocess.run(a.crash, shell=True, check=True)
        elif fault == "pgbouncer-restart":
            subprocess.run(a.pgbouncer_restart, shell=True, check=True)
        elif fault == "terminate":
            c = connect(a.url)
            c.autocommit = True
            with c.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND application_name = 'tunekit' ORDER BY random() LIMIT 1")
            c.close()
        elif fault == "kill":
            alive = [w for w, p in workers.items() if p.poll() is None and w not in killed]
            victim = rng.choice(alive)
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            killed.add(victim)
            spawn(next_id)
            next_id += 1
        injected += 1
        if fault in ("server-crash", "server-restart"):
            # The next fault once the fleet runs again (a trial acknowledged
            # since): faults back to back would keep the server down for
            # longer than the workers' reconnection budget (about 30 s).
            target, until = acked_count(tmp) + 1, time.monotonic() + 30
            while acked_count(tmp) < target and time.monotonic() < min(until, deadline):
                time.sleep(0.05)
    time.sleep(1.0)
    open(stop, "w").close()
    failed = []
    for w, p in workers.items():
        try:
            code = p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            code = "hung"
        if w not in killed and code != 0:
            failed.append((w, code, open(os.path.join(tmp, f"err-{w}.txt")).read()[-300:]))
    if fault == "kill":
        # One more trial after the grace period fails the killed workers' trials.
        time.sleep(4.5)
        subprocess.run([a.exe, "--url", wurl, "--study", name, "--trials", "1"], check=True, capture_output=True)
    acked = []
    for f in glob.glob(os.path.join(tmp, "ack-*.txt")):
        for line in open(f):
            n, v = line.split()
            acked.append((int(n), float(v)))
    c = connect(a.url)
    with c.cursor() as cur:
        cur.execute("SELECT t.number, t.state::text, v.value FROM trials t JOIN studies s ON s.study_id = t.study_id "
                    "LEFT JOIN trial_values v ON v.trial_id = t.trial_id WHERE s.study_name = %s", (name,))
        rows = cur.fetchall()
    c.close()
    by_number = {}
    duplicated = 0
    for n, state, value in rows:
        duplicated += n in by_number
        by_number[n] = (state, value)
    lost = [(n, v) for n, v in acked if by_number.get(n, ("missing",))[0] != "COMPLETE" or by_number[n][1] != v]
    acked_twice = len(acked) - len({n for n, _ in acked})
    running = sum(1 for s, _ in by_number.values() if s == "RUNNING")
    lost_creations = creations_lost(tmp)
    drop_study(a.url, name)
    shutil.rmtree(tmp, ignore_errors=True)
    return {"fault": fault, "injected": injected, "workers": a.workers, "acknowledged": len(acked),
            "trials_in_study": len(rows), "complete": sum(1 for s, _ in by_number.values() if s == "COMPLETE"),
            "failed_trials": sum(1 for s, _ in by_number.values() if s == "FAIL"), "left_running": running,
            "lost_acknowledged": len(lost), "numbers_duplicated": duplicated, "acknowledged_twice": acked_twice,
            "creations_lost": lost_creations, "workers_failed": failed, "ok": not lost and not duplicated and not acked_twice and not running and not failed}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--exe", required=True)
    p.add_argument("--url", default=os.environ.get("TUNEKIT_TEST_POSTGRES_URL"))
    p.add_argument("--restart", default=os.environ.get("TUNEKIT_TEST_POSTGRES_RESTART"))
    p.add_argument("--crash", default=os.environ.get("TUNEKIT_TEST_POSTGRES_CRASH"),
                   help="shell command that kills the server (immediate shutdown) and starts it")
    p.add_argument("--pgbouncer-url", default=os.environ.get("TUNEKIT_TEST_PGBOUNCER_URL"))
    p.add_argument("--pgbouncer-restart", help="shell command that restarts PgBouncer")
    p.add_argument("--faults", default="server-restart,server-crash,pgbouncer-restart,terminate,kill")
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--workers", type=int, default=6)
    p.add_argument("--max-gap", type=float, default=1.0, help="most seconds between two faults")
    p.add_argument("--time-limit", type=float, default=180, help="seconds per fault loop")
    p.add_argument("--sleep-ms", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out")
    a = p.parse_args()
    for h in (a.url, a.pgbouncer_url or ""):
        if h and not any(x in h for x in ("127.0.0.1", "localhost", "[::1]")):
            sys.exit("faults.py injects faults on loopback servers only")
    rng = random.Random(a.seed)
    rows = []
    for fault in a.faults.split(","):
        if fault == "server-restart" and not a.restart:
            continue
        if fault == "server-crash" and not a.crash:
            continue
        if fault == "pgbouncer-restart" and not (a.pgbouncer_url and a.pgbouncer_restart):
            continue
        row = run_fault(a, fault, rng)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "faults.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    return 0 if rows and all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
