#!/usr/bin/python3
"""A constrained multi-objective study shared by tunekit and Optuna 3.1 (issue 17).

1. tunekit runs 20 NSGA-II trials with trial.set_constraints (a NaN constraint
   for x > 0.95) on a journal file or a SQLite database.
2. Optuna loads the study: every trial's `constraints` system attribute holds
   the values tunekit was given (None where one was NaN, as Optuna itself
   stores a NaN result of constraints_func); the feasible Pareto front
   computed here from those attributes is tunekit's best_trials; Optuna 3.1's
   own best_trials (which ignores constraints in 3.1) is the front of all
   COMPLETE trials.
3. Optuna's NSGAIISampler(constraints_func=...) runs 10 trials on the study.
4. tunekit reads the study back: its best_trials and its feasible set are
   those computed here from Optuna's attributes; then it runs 10 more trials.

    /usr/bin/python3 optuna_constraints_interop.py --helper <mo_constraints_interop> --workdir <dir> [--kind sqlite]
"""
import argparse
import json
import math
import os
import subprocess
import sys
import warnings


def dominates(a, b, signs):
    a = [s * v for s, v in zip(signs, a)]
    b = [s * v for s, v in zip(signs, b)]
    return all(x <= y for x, y in zip(a, b)) and a != b


def violation(t):
    c = t.system_attrs.get("constraints", "absent")
    if c == "absent":
        return 0.0
    if c is None:
        return math.inf
    return sum(v for v in c if v > 0)


def feasible_front(complete, signs):
    feasible = [t for t in complete if violation(t) <= 0]
    if not feasible:
        least = min(violation(t) for t in complete)
        return sorted(t.number for t in complete if violation(t) == least)
    return sorted(t.number for t in feasible
                  if not any(dominates(o.values, t.values, signs) for o in feasible))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--helper", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--kind", default="journal", choices=["journal", "sqlite"])
    args = p.parse_args()
    try:
        import optuna
        from optuna.storages import JournalFileStorage, JournalStorage
    except ImportError:
        print("optuna not available: skipped")
        return 77
    warnings.simplefilter("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    os.makedirs(args.workdir, exist_ok=True)
    path = os.path.join(args.workdir, "mc." + ("db" if args.kind == "sqlite" else "journal"))
    if os.path.exists(path):
        os.remove(path)
    where = "sqlite:///" + path if args.kind == "sqlite" else path

    def tunekit(*cmd):
        out = subprocess.run([args.helper, where, *cmd], check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    signs = [1, -1]  # minimise f0, maximise f1
    mine = tunekit("run", "20")

    storage = where if args.kind == "sqlite" else JournalStorage(JournalFileStorage(path))

    def constraints_func(t):
        return [t.params["x"] + t.params["y"] - 1.2, -t.params["x"]]

    study = optuna.load_study(study_name="mc", storage=storage,
                              sampler=optuna.samplers.NSGAIISampler(population_size=10, seed=0,
                                                                    constraints_func=constraints_func))
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 20, len(complete)
    n_nan = 0
    for t in complete:
        x, y = t.params["x"], t.params["y"]
        c = t.system_attrs["constraints"]
        if x > 0.95:
            assert c is None, (t.number, c)
            n_nan += 1
        else:
            assert c == [x + y - 1.2, -x], (t.number, c, x, y)
    assert n_nan > 0, "no trial had x > 0.95: the NaN path is untested"
    assert sorted(mine["best"]) == feasible_front(complete, signs), (mine, feasible_front(complete, signs))
    assert sorted(mine["feasible"]) == sorted(t.number for t in complete if violation(t) <= 0)
    all_front = sorted(t.number for t in complete if not any(dominates(o.values, t.values, signs) for o in complete))
    assert sorted(t.number for t in study.best_trials) == all_front

    def objective(trial):
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        g = 1 + y
        return [x, -g * (1 - math.sqrt(x / g))]

    study.optimize(objective, n_trials=10)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert all(isinstance(t.system_attrs.get("constraints"), (list, tuple)) for t in complete[20:])

    theirs = tunekit("show")
    assert sorted(theirs["best"]) == feasible_front(complete, signs), (theirs, feasible_front(complete, signs))
    assert sorted(theirs["feasible"]) == sorted(t.number for t in complete if violation(t) <= 0)

    again = tunekit("run", "10")
    study = optuna.load_study(study_name="mc", storage=storage)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 40, len(complete)
    assert sorted(again["best"]) == feasible_front(complete, signs)
    print(f"ok ({args.kind}): {len(complete)} trials, {n_nan} with a NaN constraint, "
          f"front of {len(again['best'])} feasible trials")
    return 0


if __name__ == "__main__":
    sys.exit(main())
