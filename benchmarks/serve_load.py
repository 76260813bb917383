#!/usr/bin/python3
"""Load benchmark of examples/serve_digits with wrk (Debian `wrk`); not in CI.

Starts `serve_digits serve` on a free loopback port, pinned to --cpus cores
(taskset: the measured process is one replica of that many cores), drives
POST /predict with wrk at each of --connections (closed loop, one wrk thread,
pinned to the other cores), and writes the `tunekit.serving_benchmark`
document `tunekit deploy serve --serving-benchmark` reads (docs/kubernetes.md):

  {"format": "tunekit.serving_benchmark", "format_version": 1,
   "server": ..., "load_generator": "wrk ...", "cpus": 1, "measured_at": ...,
   "levels": [{"connections": 1, "duration_seconds": 10.0, "requests": 52000,
               "requests_per_second": 5200.0,
               "latency_ms": {"p50": 0.17, "p90": 0.2, "p99": 0.31, "max": 4.1},
               "errors": 0, "cpu_seconds_per_request": 1.75e-4,
               "cpu_utilization_cores": 0.91, "runs": [...]}, ...],
   "memory": {"idle_rss_bytes": ..., "peak_rss_bytes": ...}}

CPU is the server's user+system time (/proc/<pid>/stat) over the level;
memory its resident set (VmRSS at start, VmHWM at the end). Each level runs
--repeat times (the levels interleaved); its fields are the medians of the
runs, which are kept under "runs" (a p99 is the median of the runs' p99s).

--rate R (the sizing check) paces the load at R requests/s instead: each wrk
connection sends on a shared schedule (the `delay()` hook, LuaJIT's clock),
so the level measures one replica at exactly the derived per-replica load.

  serve_load.py --server build/bench/examples/serve_digits --config best.json \
      --weights digits-weights.json --out benchmarks/results/serve_digits.json
  serve_load.py ... --connections 8 --rate 4000 --duration 30 --out check.json
"""
import argparse
import datetime
import gzip
import json
import os
import pathlib
import statistics
import subprocess
import tempfile
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
DIGITS = HERE.parent / "examples" / "data" / "digits.csv.gz"

LUA = r"""
local bodies = {%(bodies)s}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, "/predict", nil, bodies[i])
end

local rate = %(rate)s
if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } tk_timespec; int clock_gettime(int, tk_timespec*); ]]
  local ts = ffi.new("tk_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local start, sent = nil, 0
  -- The k-th request of the thread is due at start + k / rate: a schedule
  -- shared by all connections, so the rounding of wrk's millisecond timer
  -- does not accumulate.
  delay = function()
    local now = now_ms()
    if start == nil then start = now end
    sent = sent + 1
    local wait = start + sent * 1000 / rate - now
    if wait < 0 then return 0 end
    return wait
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "TUNEKIT_JSON {\"requests\": %%d, \"duration_us\": %%d, \"p50_us\": %%d, \"p90_us\": %%d, \"p99_us\": %%d, " ..
    "\"max_us\": %%d, \"errors\": %%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def samples(n):
    rows = []
    with gzip.open(DIGITS, "rt") as f:
        for line in f:
            if line.strip():
                rows.append([float(v) for v in line.split(",")[:64]])
            if len(rows) == n:
                break
    return rows


def proc_cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def proc_memory(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{key} not in /proc/{pid}/status")


def wrk_version():
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (out.stdout + out.stderr).strip().splitlines()[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="the serve_digits executable")
    ap.add_argument("--config", required=True, help="the exported best configuration (tunekit deploy export)")
    ap.add_argument("--weights", required=True, help="serve_digits train's weights file")
    ap.add_argument("--connections", default="1,2,4,8")
    ap.add_argument("--duration", type=int, default=10, help="seconds per level")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each level; the document holds their medians")
    ap.add_argument("--cpus", default="1", help="CPU list the server is pinned to (taskset -c); wrk gets the others")
    ap.add_argument("--rate", type=float, default=0.0, help="paced load: requests/s in total (the sizing check)")
    ap.add_argument("--threads", type=int, default=8, help="server threads (>= the most connections)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    n_cpus = os.cpu_count()
    server_cpus = [int(c) for c in args.cpus.split(",")]
    wrk_cpus = [c for c in range(n_cpus) if c not in server_cpus] or server_cpus
    levels_c = [int(c) for c in args.connections.split(",")]
    if max(levels_c) > args.threads:
        raise SystemExit("--threads must be >= the most connections (cpp-httplib serves a connection per thread)")

    with tempfile.TemporaryDirectory() as tmp:
        lua = pathlib.Path(tmp) / "predict.lua"
        bodies = ", ".join(json.dumps(json.dumps({"pixels": s})) for s in samples(100))
        lua.write_text(LUA % {"bodies": bodies, "rate": args.rate})
        port_file = pathlib.Path(tmp) / "port"
        server = subprocess.Popen(
            ["taskset", "-c", args.cpus, args.server, "serve", "--config", args.config, "--weights", args.weights,
             "--port", "0", "--port-file", str(port_file), "--threads", str(args.threads)],
            stdout=subprocess.DEVNULL)
        try:
            for _ in range(200):
                if port_file.exists() and port_file.read_text().strip():
                    break
                time.sleep(0.05)
            port = int(port_file.read_text())
            url = f"http://127.0.0.1:{port}"
            health = json.loads(urllib.request.urlopen(url + "/health").read())
            idle_rss = proc_memory(server.pid, "VmRSS")

            def run(connections, duration):
                cpu0 = proc_cpu_seconds(server.pid)
                out = subprocess.run(
                    ["taskset", "-c", ",".join(map(str, wrk_cpus)), "wrk", "-t1", f"-c{connections}",
                     f"-d{int(round(duration))}s", "--timeout", "5s", "-s", str(lua), url + "/predict"],
                    capture_output=True, text=True, check=True).stdout
                cpu = proc_cpu_seconds(server.pid) - cpu0
                line = next(l for l in out.splitlines() if l.startswith("TUNEKIT_JSON "))
                return json.loads(line[len("TUNEKIT_JSON "):]), cpu

            run(max(levels_c), args.warmup)  # warm caches, threads and the allocator
            raw = {c: [] for c in levels_c}
            for rep in range(args.repeat):  # the levels interleaved, so a noisy minute hits them all alike
                for c in levels_c:
                    w, cpu = run(c, args.duration)
                    seconds = w["duration_us"] / 1e6
                    ok = w["requests"] - w["errors"]
                    raw[c].append({
                        "duration_seconds": round(seconds, 3),
                        "requests": w["requests"],
                        "requests_per_second": round(ok / seconds, 1),
                        "latency_ms": {k: w[f"{k}_us"] / 1000 for k in ("p50", "p90", "p99", "max")},
                        "errors": w["errors"],
                        "cpu_seconds": round(cpu, 3),
                        "cpu_seconds_per_request": cpu / max(ok, 1),
                        "cpu_utilization_cores": round(cpu / seconds, 3),
                    })
                    r = raw[c][-1]
                    print(f"run {rep + 1}, {c} connections: {r['requests_per_second']:.0f} req/s, "
                          f"p50 {r['latency_ms']['p50']:.3f} ms, p99 {r['latency_ms']['p99']:.3f} ms, "
                          f"{r['cpu_seconds_per_request'] * 1e6:.1f} us CPU/request, "
                          f"{r['cpu_utilization_cores']:.2f} cores, errors {r['errors']}", flush=True)
            # Each level's fields: the median over the repeats (a field on its own;
            # the runs are under "runs").
            levels = []
            for c in levels_c:
                runs = raw[c]
                med = lambda f: statistics.median(f(r) for r in runs)
                level = {
                    "connections": c,
                    "duration_seconds": med(lambda r: r["duration_seconds"]),
                    "requests": sum(r["requests"] for r in runs),
                    "requests_per_second": med(lambda r: r["requests_per_second"]),
                    "latency_ms": {k: med(lambda r: r["latency_ms"][k]) for k in ("p50", "p90", "p99", "max")},
                    "errors": sum(r["errors"] for r in runs),
                    "cpu_seconds_per_request": med(lambda r: r["cpu_seconds_per_request"]),
                    "cpu_utilization_cores": med(lambda r: r["cpu_utilization_cores"]),
                    "runs": runs,
                }
                if args.rate > 0:
                    level["offered_rate"] = args.rate
                levels.append(level)
            peak_rss = proc_memory(server.pid, "VmHWM")
        finally:
            server.terminate()
            server.wait()

    doc = {
        "format": "tunekit.serving_benchmark",
        "format_version": 1,
        "server": {"program": "serve_digits", "model": health["model"], "threads": args.threads},
        "load_generator": wrk_version() + " (-t1, closed loop" + (f", paced at {args.rate:g} requests/s)" if args.rate > 0 else ")"),
        "cpus": len(server_cpus),
        "machine": {"cpu_count": n_cpus, "server_cpus": server_cpus, "wrk_cpus": wrk_cpus},
        "measured_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "levels": levels,
        "memory": {"idle_rss_bytes": idle_rss, "peak_rss_bytes": peak_rss},
    }
    pathlib.Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
