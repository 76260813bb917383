#!/usr/bin/python3
"""Optuna peer of benchmarks/samplers.bench.cpp: ask + tell latency.

For each sampler and each N, a study in memory is pre-filled with N finished
trials of a D-dimensional continuous space (x0..x{D-1} uniform on [0, 1], value
= sphere), then ask (with all D parameters sampled, through
`study.ask(fixed_distributions)`) + tell is timed one call pair at a time and
the median is reported. One JSON line per (sampler, N):

    {"system": "optuna-3.1", "sampler": "random", "n": 10000, "dim": 10,
     "median_s": 0.0031, "p25_s": ..., "p75_s": ..., "median_cpu_s": ..., "reps": 200}

median_s is wall-clock time (time.perf_counter), median_cpu_s the process's
CPU time (time.process_time) over the same calls; on a loaded machine the CPU
time is the steadier of the two.

The study grows by one trial per timed pair; to keep the measurement "at N",
it is rebuilt (outside the timing) every max(10, N/10) pairs, so it never
holds more than 1.1 N trials -- the same rule as samplers.bench.cpp.

    /usr/bin/python3 benchmarks/peers/optuna_ask_tell.py --samplers random \
        --n 100,1000,10000 --reps 200
"""

import argparse
import gc
import json
import logging
import math
import random
import statistics
import sys
import time
import warnings


def _quiet():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.logging.disable_default_handler()
    warnings.simplefilter("ignore")
    logging.getLogger("optuna").setLevel(logging.ERROR)


def samplers():
    import optuna.samplers as s

    return {
        "random": lambda seed: s.RandomSampler(seed=seed),
        "tpe": lambda seed: s.TPESampler(seed=seed),
        "tpe-multivariate": lambda seed: s.TPESampler(multivariate=True, seed=seed),
        "qmc": lambda seed: s.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False),
        "cmaes": lambda seed: s.CmaEsSampler(seed=seed, warn_independent_sampling=False),
    }


def prefill_trials(n, distributions, seed):
    from optuna.trial import create_trial

    rng = random.Random(seed)
    trials = []
    for _ in range(n):
        params = {name: rng.random() for name in distributions}
        value = sum((v - 0.5) ** 2 for v in params.values())
        trials.append(create_trial(params=params, distributions=distributions, value=value))
    return trials


def percentile(sorted_values, q):
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def measure(sampler_name, n, dim, reps, max_seconds, min_reps, seed):
    import optuna
    from optuna.distributions import FloatDistribution

    distributions = {f"x{i}": FloatDistribution(0.0, 1.0) for i in range(dim)}
    prefill = prefill_trials(n, distributions, seed)
    make_sampler = samplers()[sampler_name]
    rng = random.Random(seed + 1)
    batch = max(10, n // 10)
    times = []
    cpu_times = []
    started = time.perf_counter()
    while len(times) < reps:
        if len(times) >= min_reps and time.perf_counter() - started > max_seconds:
            break
        # A fresh study at exactly N finished trials (not timed).
        study = optuna.create_study(direction="minimize", sampler=make_sampler(seed))
        study.add_trials(prefill)
        values = [rng.random() for _ in range(batch)]
        gc.collect()
        for k in range(min(batch, reps - len(times))):
            c0 = time.process_time()
            t0 = time.perf_counter()
            trial = study.ask(distributions)
            study.tell(trial, values[k])
            t1 = time.perf_counter()
            cpu_times.append(time.process_time() - c0)
            times.append(t1 - t0)
            if len(times) >= min_reps and time.perf_counter() - started > max_seconds:
                break
    times.sort()
    cpu_times.sort()
    major, minor = optuna.__version__.split(".")[:2]
    return {
        "system": f"optuna-{major}.{minor}",
        "sampler": sampler_name,
        "n": n,
        "dim": dim,
        "median_s": statistics.median(times),
        "p25_s": percentile(times, 0.25),
        "p75_s": percentile(times, 0.75),
        "median_cpu_s": statistics.median(cpu_times),
        "reps": len(times),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samplers", "--sampler", default="random",
                    help="comma list of: random, tpe, tpe-multivariate, qmc, cmaes")
    ap.add_argument("--n", default="100,1000,10000", help="finished trials before timing")
    ap.add_argument("--dim", type=int, default=10)
    ap.add_argument("--reps", type=int, default=200, help="timed ask+tell pairs per (sampler, N)")
    ap.add_argument("--max-seconds", type=float, default=120.0,
                    help="stop a (sampler, N) after this long once --min-reps are done")
    ap.add_argument("--min-reps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="-", help="JSONL file (truncated unless --append), - for stdout")
    ap.add_argument("--append", action="store_true", help="append to --out")
    args = ap.parse_args(argv)

    _quiet()
    names = [s.strip() for s in args.samplers.split(",") if s.strip()]
    known = samplers()
    for s in names:
        if s not in known:
            ap.error(f"unknown sampler '{s}'; known: {', '.join(known)}")
    ns = [int(v) for v in args.n.split(",") if v.strip()]
    out = sys.stdout if args.out == "-" else open(args.out, "a" if args.append else "w", encoding="utf-8")
    try:
        for s in names:
            for n in ns:
                record = measure(s, n, args.dim, args.reps, args.max_seconds, args.min_reps,
                                 args.seed)
                out.write(json.dumps(record) + "\n")
                out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
