#!/usr/bin/python3
"""The first trials Optuna 3.1's TPESampler(seed=s) evaluates on a problem of
the multi-objective suite: its random start-up (RandomSampler(seed=s), as
TPESampler draws it), one JSON line per seed with the parameter vectors, for
`mo_suite --starts FILE`. tunekit's sampler then starts from Optuna's start-up
trials, so the two are compared from the same first trials (a paired
comparison; the start-up is most of the seed noise on c2dtlz2).

    /usr/bin/python3 benchmarks/peers/optuna_mo_starts.py --problem c2dtlz2 --seeds 0-19 --n 10 > starts.jsonl
"""
import argparse
import json

import optuna

from optuna_mo_suite import PROBLEMS, parse_list


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--problem", default="c2dtlz2")
    p.add_argument("--seeds", default="0-19")
    p.add_argument("--n", type=int, default=10)
    args = p.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.problem in ("mlp_cost", "wfg4"):
        raise SystemExit(f"--problem {args.problem}: only the problems on [0, 1]^n (zdt*, dtlz2, c2dtlz2)")
    n_params = PROBLEMS[args.problem][0]
    for seed in parse_list(args.seeds):
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
        study.optimize(lambda t: sum(t.suggest_float(f"x{i}", 0, 1) for i in range(n_params)), n_trials=args.n)
        print(json.dumps([[t.params[f"x{i}"] for i in range(n_params)] for t in study.trials]), flush=True)


if __name__ == "__main__":
    main()
