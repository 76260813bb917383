"""Interoperability of tunekit's journal_storage with Optuna 3.1's JournalFileStorage,
and (--kind sqlite) of tunekit's sqlite_storage with Optuna 3.1's RDBStorage.

Run by CTest (tests interop.optuna_journal, interop.optuna_sqlite) with /usr/bin/python3:

  optuna_journal_interop.py --interop <journal_interop> --cli <tunekit> --workdir <dir> [--kind sqlite]

1. tunekit writes a study using every feature; Optuna loads identical trials.
2. Optuna writes a study; tunekit (the CLI) reads identical trials.
3. tunekit continues the Optuna study, Optuna continues the tunekit study;
   both read the result identically.
Exit 77 (skipped) when Optuna is not installed.
"""

import argparse
import datetime
import json
import math
import os
import subprocess
import sys

try:
    import optuna
except ImportError:  # pragma: no cover
    print("optuna is not installed for this interpreter; skipping")
    sys.exit(77)

optuna.logging.set_verbosity(optuna.logging.ERROR)
import warnings  # noqa: E402

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

STATES = {
    optuna.trial.TrialState.RUNNING: "RUNNING",
    optuna.trial.TrialState.COMPLETE: "COMPLETE",
    optuna.trial.TrialState.PRUNED: "PRUNED",
    optuna.trial.TrialState.FAIL: "FAIL",
    optuna.trial.TrialState.WAITING: "WAITING",
}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def same_number(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


KIND = "journal"


def storage(path):
    if KIND == "sqlite":
        return optuna.storages.RDBStorage("sqlite:///" + path)
    return optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(path))


def url(path):
    """The tunekit URL of a study file."""
    return ("sqlite://" if KIND == "sqlite" else "journal://") + path


def cli_trials(cli, path, study):
    out = subprocess.run([cli, "trials", url(path), study, "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def compare(study_name, optuna_trials, tk_trials):
    check(len(optuna_trials) == len(tk_trials),
          f"{study_name}: Optuna sees {len(optuna_trials)} trials, tunekit {len(tk_trials)}")
    for o, t in zip(optuna_trials, tk_trials):
        where = f"{study_name} trial {o.number}"
        check(o.number == t["number"], f"{where}: number {o.number} vs {t['number']}")
        check(STATES[o.state] == t["state"], f"{where}: state {o.state} vs {t['state']}")
        ov = o.values
        tv = t["values"]
        check((ov is None and tv is None) or (ov is not None and tv is not None and len(ov) == len(tv)
                                               and all(same_number(a, b) for a, b in zip(ov, tv))),
              f"{where}: values {ov} vs {tv}")
        check(set(o.params) == set(t["params"]), f"{where}: parameter names {sorted(o.params)} vs {sorted(t['params'])}")
        for k, v in o.params.items():
            tvv = t["params"].get(k)
            check(same_number(v, tvv) and type(v) is type(tvv),
                  f"{where}: param {k!r} = {v!r} ({type(v).__name__}) vs {tvv!r} ({type(tvv).__name__})")
            d = optuna.distributions.json_to_distribution(json.dumps(t["distributions"][k]))
            check(d == o.distributions[k], f"{where}: distribution of {k!r}: {o.distributions[k]} vs {d}")
        oi = {int(k): v for k, v in o.intermediate_values.items()}
        ti = {int(k): v for k, v in t["intermediate_values"].items()}
        check(set(oi) == set(ti) and all(same_number(oi[k], ti[k]) for k in oi),
              f"{where}: intermediate values {oi} vs {ti}")
        check(o.user_attrs == t["user_attrs"], f"{where}: user attrs {o.user_attrs!r} vs {t['user_attrs']!r}")
        for field in ("datetime_start", "datetime_complete"):
            od = getattr(o, field)
            td = t[field]
            check((od is None and td is None) or (od is not None and td is not None and
                                                  od == datetime.datetime.fromisoformat(td)),
                  f"{where}: {field} {od} vs {td}")


def objective(trial):
    """The objective journal_interop.cpp defines too."""
    x = trial.suggest_float("x", -5, 5)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    q = trial.suggest_float("q", 0, 1, step=0.25)
    n = trial.suggest_int("n", 1, 9, step=2)
    units = trial.suggest_int("units", 1, 1024, log=True)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    scale = trial.suggest_categorical("scale", [0.5, 1.5])
    depth = trial.suggest_categorical("depth", [1, 2])
    bn = trial.suggest_categorical("bn", [True, False])
    for step in range(3):
        trial.report(x * step, step)
    return x * x + lr + q + n + depth + units * 1e-3 + scale + (0.0 if act == "relu" else 1.0) + (0.0 if bn else 0.5)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--interop", required=True)
    p.add_argument("--cli", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--kind", choices=["journal", "sqlite"], default="journal")
    a = p.parse_args()
    global KIND
    KIND = a.kind
    ext = ".db" if KIND == "sqlite" else ".log"
    os.makedirs(a.workdir, exist_ok=True)
    print("optuna", optuna.__version__)

    # 1. tunekit writes, Optuna reads.
    tk_path = os.path.join(a.workdir, "tunekit-written" + ext)
    if os.path.exists(tk_path):
        os.remove(tk_path)
    subprocess.run([a.interop, "write", url(tk_path) if KIND != "journal" else tk_path], check=True)
    st = storage(tk_path)
    names = sorted(s.study_name for s in optuna.get_all_study_summaries(st))
    check(names == ["tk-mo", "tk-study"], f"Optuna sees studies {names}")
    study = optuna.load_study(study_name="tk-study", storage=st)
    check(study.user_attrs.get("dataset") == "ünïcode \"quoted\"\nnew line", f"study user attr {study.user_attrs!r}")
    states = [STATES[t.state] for t in study.trials]
    check(states == ["COMPLETE"] * 4 + ["PRUNED", "FAIL", "RUNNING", "RUNNING", "WAITING"], f"tk-study states {states}")
    check(study.trials[4].intermediate_values[0] == math.inf, "inf intermediate value")
    check(math.isnan(study.trials[4].intermediate_values[2]), "NaN intermediate value")
    check(study.trials[6].params == {"x": 1.25}, f"enqueued trial params {study.trials[6].params}")
    compare("tk-study", study.trials, cli_trials(a.cli, tk_path, "tk-study"))
    mo = optuna.load_study(study_name="tk-mo", storage=st)
    check([d.name for d in mo.directions] == ["MINIMIZE", "MAXIMIZE"], f"tk-mo directions {mo.directions}")
    compare("tk-mo", mo.trials, cli_trials(a.cli, tk_path, "tk-mo"))
    check(len(mo.best_trials) >= 1, "Optuna finds a Pareto front in tk-mo")

    # 2. Optuna writes, tunekit reads.
    opt_path = os.path.join(a.workdir, "optuna-written" + ext)
    if os.path.exists(opt_path):
        os.remove(opt_path)
    ost = storage(opt_path)
    study = optuna.create_study(study_name="optuna-study", storage=ost, sampler=optuna.samplers.RandomSampler(seed=1))
    study.set_user_attr("owner", "ünïcode ✓")
    study.optimize(objective, n_trials=5)

    def pruned(trial):
        trial.suggest_float("x", -5, 5)
        trial.report(float("inf"), 0)
        trial.report(float("nan"), 1)
        trial.set_user_attr("note", "quote \" backslash \\ newline \n 日本")
        raise optuna.TrialPruned()

    def failing(trial):
        trial.suggest_categorical("act", ["relu", "tanh"])
        raise ValueError("boom")

    study.optimize(pruned, n_trials=1)
    study.optimize(failing, n_trials=1, catch=(ValueError,))
    study.enqueue_trial({"x": 0.5, "act": "tanh"})
    compare("optuna-study", study.trials, cli_trials(a.cli, opt_path, "optuna-study"))
    omo = optuna.create_study(study_name="optuna-mo", storage=ost, directions=["minimize", "maximize"])
    omo.optimize(lambda t: (t.suggest_float("a", 0, 1), 2.0), n_trials=3)
    compare("optuna-mo", omo.trials, cli_trials(a.cli, opt_path, "optuna-mo"))
    out = subprocess.run([a.cli, "studies", url(opt_path), "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    check([s["name"] for s in json.loads(out)] == ["optuna-study", "optuna-mo"], f"tunekit studies: {out}")

    # 3. Each continues the other's study.
    before = len(study.trials)
    subprocess.run([a.interop, "continue", url(opt_path) if KIND != "journal" else opt_path, "optuna-study", "4"],
                   check=True)
    study = optuna.load_study(study_name="optuna-study", storage=storage(opt_path))
    # The first of the 4 runs Optuna's enqueued (WAITING) trial, which already exists.
    check(len(study.trials) == before + 3, f"after tunekit continued: {len(study.trials)} trials, expected {before + 3}")
    enqueued = study.trials[before - 1]
    check(STATES[enqueued.state] == "COMPLETE" and enqueued.params["x"] == 0.5 and enqueued.params["act"] == "tanh",
          f"tunekit ran Optuna's enqueued trial: {enqueued.state} {enqueued.params}")
    check(all(STATES[t.state] == "COMPLETE" for t in study.trials[before - 1:]), "tunekit's trials are COMPLETE")
    compare("optuna-study (continued)", study.trials, cli_trials(a.cli, opt_path, "optuna-study"))

    study = optuna.load_study(study_name="tk-study", storage=storage(tk_path),
                              sampler=optuna.samplers.TPESampler(seed=2, n_startup_trials=2))
    before = len(study.trials)
    study.optimize(objective, n_trials=3)  # runs the WAITING trial tunekit enqueued first
    check(len(study.trials) == before + 2, f"after Optuna continued: {len(study.trials)} trials")
    check(study.trials[8].params.get("x") == 3.0, f"Optuna ran tunekit's enqueued trial: {study.trials[8].params}")
    compare("tk-study (continued)", study.trials, cli_trials(a.cli, tk_path, "tk-study"))

    if failures:
        print(f"{len(failures)} interoperability check(s) failed")
        return 1
    print(f"Optuna 3.1 and tunekit read each other's {KIND} studies identically")
    return 0


if __name__ == "__main__":
    sys.exit(main())
