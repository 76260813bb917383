#!/usr/bin/python3
"""Reference data for tests/mo/*.test.cpp from Optuna 3.1, used as a black box.

For a fixed set of seeded random point sets (2 to 5 objectives, with ties,
duplicates and dominated points) it records
  - the hypervolume by Optuna's WFG (`optuna._hypervolume.WFG`),
  - each point's exclusive contribution as HV(all) - HV(all without it), by
    the same WFG (for the smaller sets),
  - the non-domination rank of each point by Optuna's NSGA-II
    non-dominated sort (`NSGAIISampler._fast_non_dominated_sort`), with and
    without a constraints function (Deb's constrained domination).
Run with Debian's interpreter (python3-optuna 3.1):

    /usr/bin/python3 tests/data/mo/generate_optuna_reference.py > tests/data/mo/optuna_reference.json
"""
import json
import sys

import numpy as np
import optuna
from optuna._hypervolume import WFG
from optuna.distributions import FloatDistribution
from optuna.samplers import NSGAIISampler
from optuna.study import StudyDirection
from optuna.trial import create_trial

assert optuna.__version__.startswith("3.1"), optuna.__version__


def make_set(rng, n, m, kind):
    if kind == "grid":  # coarse integer grid: many ties and duplicates
        return rng.integers(0, 6, size=(n, m)).astype(float)
    if kind == "front":  # points near the simplex/sphere: mostly non-dominated
        x = rng.random((n, m)) + 0.05
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return np.round(x, 6)
    return np.round(rng.random((n, m)), 6)  # uniform: several fronts


def ranks(points, constraints=None):
    m = points.shape[1]
    trials = []
    for i, p in enumerate(points):
        attrs = {}
        if constraints is not None:
            attrs["constraints"] = [float(c) for c in constraints[i]]
        t = create_trial(values=[float(v) for v in p], params={"i": float(i)},
                         distributions={"i": FloatDistribution(0, 1e9)}, system_attrs=attrs)
        t.number = i
        trials.append(t)
    func = (lambda t: t.system_attrs["constraints"]) if constraints is not None else None
    sampler = NSGAIISampler(constraints_func=func, seed=0)
    fronts = sampler._fast_non_dominated_sort(trials, [StudyDirection.MINIMIZE] * m)
    out = [None] * len(points)
    for r, front in enumerate(fronts):
        for t in front:
            out[t.number] = r
    return out


def main():
    rng = np.random.default_rng(20240217)
    cases = []
    for m in (2, 3, 4, 5):
        for n in (1, 2, 7, 20, 60):
            if m == 5 and n > 20:
                continue
            for kind in ("uniform", "grid", "front"):
                points = make_set(rng, n, m, kind)
                reference = np.full(m, 6.0 if kind == "grid" else 1.1)
                hv = WFG().compute(points.copy(), reference)
                case = {"m": m, "kind": kind, "points": points.tolist(),
                        "reference": reference.tolist(), "hypervolume": hv}
                if n <= 20:
                    case["contributions"] = [
                        hv - (WFG().compute(np.delete(points, i, axis=0), reference) if n > 1 else 0.0)
                        for i in range(n)]
                case["ranks"] = ranks(points)
                cons = np.round(rng.normal(-0.3, 0.5, size=(n, 2)), 3)
                case["constraints"] = cons.tolist()
                case["constrained_ranks"] = ranks(points, cons)
                cases.append(case)
    json.dump({"generator": "tests/data/mo/generate_optuna_reference.py",
               "optuna": optuna.__version__, "cases": cases}, sys.stdout, indent=None)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
