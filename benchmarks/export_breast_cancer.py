#!/usr/bin/python3
"""Writes scikit-learn's breast-cancer data (Wisconsin diagnostic, 569 rows,
30 features, label 0 = malignant / 1 = benign) as CSV for bohb_bench's
xgboost_breast_cancer task (issue 19): no header, one row per sample, the 30
features (Python repr, so they read back as the same doubles) then the label.

The data is not committed to the repository: the bench build runs this
script with /usr/bin/python3 (Debian python3-sklearn) into the build
directory (benchmarks/CMakeLists.txt), and bohb_bench reads it from there.

    /usr/bin/python3 benchmarks/export_breast_cancer.py OUT.csv
"""
import sys

from sklearn.datasets import load_breast_cancer


def main(path):
    data = load_breast_cancer()
    with open(path, "w") as f:
        for row, label in zip(data.data, data.target):
            f.write(",".join(repr(float(v)) for v in row) + f",{int(label)}\n")


if __name__ == "__main__":
    main(sys.argv[1])
