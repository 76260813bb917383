"""What the storage throughput drivers (journal_throughput.py, sql_throughput.py) share:
running one measuring program and keeping its JSON rows."""
import json
import subprocess
import sys


def run(cmd):
    """Runs `cmd`; returns the JSON objects it printed, one per line starting with '{'."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    sys.stderr.write(out.stderr[-2000:])
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def keep(raw, rows):
    """Appends the rows to `raw` and echoes each to stderr as it comes."""
    for r in rows:
        raw.append(r)
        print(json.dumps(r), file=sys.stderr)


def write_raw(path, raw):
    """Writes the raw rows as JSON lines (benchmarks/results/*.jsonl), if a path was given."""
    if path:
        with open(path, "w") as f:
            for r in raw:
                f.write(json.dumps(r) + "\n")
