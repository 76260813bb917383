#!/usr/bin/python3
"""NSGA-II generations shared between tunekit and Optuna 3.1 through a journal.

1. tunekit's nsga2_sampler runs 30 trials (population 10): generations 0-2.
2. Optuna's NSGAIISampler loads the study and runs 10 trials: it must read
   tunekit's `nsga2:generation` attributes and breed generation 3, and its
   `best_trials` must be the Pareto front of the COMPLETE trials.
3. tunekit continues with 10 trials: it must read Optuna's generation 3 and
   breed generation 4.

    /usr/bin/python3 optuna_nsga2_interop.py --helper <nsga2_journal> --workdir <dir>
"""
import argparse
import json
import math
import os
import subprocess
import sys
import warnings


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--helper", required=True)
    p.add_argument("--workdir", required=True)
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
    path = os.path.join(args.workdir, "nsga2.journal")
    if os.path.exists(path):
        os.remove(path)

    def run_tunekit(n):
        out = subprocess.run([args.helper, path, str(n)], check=True, capture_output=True, text=True).stdout
        return [json.loads(line) for line in out.splitlines()]

    gens = [r["generation"] for r in run_tunekit(30)]
    assert gens == [n // 10 for n in range(30)], gens

    storage = JournalStorage(JournalFileStorage(path))
    study = optuna.load_study(study_name="mo", storage=storage,
                              sampler=optuna.samplers.NSGAIISampler(population_size=10, seed=0))

    def objective(trial):
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        g = 1 + y
        return [x, g * (1 - math.sqrt(x / g))]

    study.optimize(objective, n_trials=10)
    optuna_gens = [t.system_attrs.get("nsga2:generation") for t in study.trials[30:]]
    assert optuna_gens == [3] * 10, optuna_gens
    for t in study.trials[:30]:
        parents = t.system_attrs.get("nsga2:parents")
        if t.system_attrs["nsga2:generation"] > 0:
            assert len(parents) == 2 and all(0 <= i < 30 for i in parents), parents
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    front = sorted(t.number for t in complete
                   if not any(all(a <= b for a, b in zip(o.values, t.values)) and o.values != t.values
                              for o in complete))
    assert sorted(t.number for t in study.best_trials) == front

    gens = [r["generation"] for r in run_tunekit(10)]
    assert gens[40:] == [4] * 10, gens[40:]
    print("ok: generations", gens)
    return 0


if __name__ == "__main__":
    sys.exit(main())
