#!/usr/bin/python3
"""scikit-learn peer of examples/svm_iris.cpp: GridSearchCV over an RBF SVC on iris.

Run with /usr/bin/python3 (Debian's python3-sklearn); the `python3` on PATH may
be a pyenv shim without scikit-learn.

    /usr/bin/python3 benchmarks/peers/sklearn_svm_iris.py [--data-dir examples/data]

Prints the lines that the C++ example prints with the same prefixes ("folds:",
"grid ", "best_params:", "best_score:") and in the same format, so that the test
example.svm_iris_vs_sklearn can compare them line by line. The data is read from
the repository's examples/data/iris.csv (the file scikit-learn ships), parsed
by the same rule as sklearn.datasets.load_iris, so both programs see the same
bytes.
"""
import argparse
import os
import sys
import time

import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import SVC


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.path.join(here, "..", "..", "examples", "data"))
    args = parser.parse_args()
    start = time.perf_counter()

    X, y = read_iris(os.path.join(args.data_dir, "iris.csv"))
    reference = load_iris()
    if not (np.array_equal(X, reference.data) and np.array_equal(y, reference.target)):
        sys.exit("examples/data/iris.csv differs from sklearn.datasets.load_iris()")

    # GridSearchCV(cv=5) on a classifier uses exactly this splitter.
    cv = StratifiedKFold(n_splits=5, shuffle=False)
    fold_of = np.empty(len(y), dtype=int)
    for f, (_, test) in enumerate(cv.split(X, y)):
        fold_of[test] = f
    print("iris: %d samples; 5-fold StratifiedKFold without shuffling" % len(y))
    print("folds: " + "".join(str(f) for f in fold_of))
    print()

    grid = {"C": [0.1, 1.0, 10.0, 100.0], "gamma": [1.0, 0.1, 0.01, 0.001]}
    # SVC's defaults: C-SVC (libsvm), tol=1e-3, cache_size=200, shrinking=True,
    # probability=False; no feature scaling.
    search = GridSearchCV(SVC(kernel="rbf"), grid, cv=cv, scoring="accuracy", n_jobs=1)
    search.fit(X, y)
    r = search.cv_results_
    print("grid search (scikit-learn GridSearchCV, %d candidates), in ParameterGrid order" % len(r["params"]))
    for i, p in enumerate(r["params"]):
        folds = ",".join("%.4f" % r["split%d_test_score" % f][i] for f in range(5))
        print("grid C=%g gamma=%g mean_test_score=%.6f rank=%d folds=%s"
              % (p["C"], p["gamma"], r["mean_test_score"][i], r["rank_test_score"][i], folds))
    print("tie rule: the first point in ParameterGrid order among those of rank 1 (as GridSearchCV.best_index_)")
    print("best_params: C=%g gamma=%g" % (search.best_params_["C"], search.best_params_["gamma"]))
    print("best_score: %.6f" % search.best_score_)
    print()
    print("wall time: %.2f s" % (time.perf_counter() - start))
    return 0


def read_iris(path):
    """scikit-learn's iris.csv: the header "n_samples,n_features,class names..."
    (here "150,4,setosa,versicolor,virginica"), then one row per sample: the
    features and the integer label -- what sklearn.datasets.load_iris parses."""
    with open(path) as f:
        header = f.readline().strip().split(",")
        n_samples, n_features = int(header[0]), int(header[1])
        rows = [line.strip().split(",") for line in f if line.strip()]
    if len(rows) != n_samples:
        sys.exit("%s: header promises %d samples, found %d" % (path, n_samples, len(rows)))
    X = np.array([[float(v) for v in row[:n_features]] for row in rows])
    y = np.array([int(row[n_features]) for row in rows])
    return X, y


if __name__ == "__main__":
    sys.exit(main())
