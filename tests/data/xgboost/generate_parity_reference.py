#!/usr/bin/python3
"""Reference run of XGBoost's Python package for tunekit's XGBoost integration.

One fixed configuration of a 10-class tree booster, trained with xgboost.train
on a fixed split of the first 400 digits of examples/data/digits.csv.gz
(rows 0-299 train, 300-399 validation; pixels 0..16 divided by 16 as float32),
with the validation log-loss and error recorded after every round through
evals_result, and the final model's predicted probabilities on the validation
rows. tests/integrations/xgboost.test.cpp trains the same configuration through
tunekit::xgboost and must get the same numbers, bit for bit: both bindings call
the same libxgboost, so any difference is in the glue (data layout, labels,
parameter text, the order of the eval metrics, parsing of the eval line).

Run with the system Python that has Debian's python3-xgboost (1.7.4):
    /usr/bin/python3 tests/data/xgboost/generate_parity_reference.py \
        examples/data/digits.csv.gz > tests/data/xgboost/parity_reference.json
Floats are written with repr(): parse them as double to get the same bits.
"""
import gzip
import json
import sys

import numpy as np
import xgboost as xgb

ROWS, TRAIN_ROWS, ROUNDS = 400, 300, 20
# Every value is a string, as the C API takes it; eval_metric is a list (order matters).
PARAMS = {
    "objective": "multi:softprob",
    "num_class": "10",
    "eval_metric": ["mlogloss", "merror"],
    "tree_method": "hist",
    "nthread": "1",
    "seed": "0",
    "eta": "0.3",
    "max_depth": "4",
    "min_child_weight": "1.5",
    "subsample": "0.8",
    "colsample_bytree": "0.7",
    "lambda": "2",
    "alpha": "0.01",
    "gamma": "0.1",
}


def main():
    with gzip.open(sys.argv[1], "rt") as f:
        rows = [[int(float(v)) for v in line.split(",")] for line in f if line.strip()][:ROWS]
    pixels = np.array([r[:64] for r in rows], dtype=np.int64)
    labels = np.array([r[64] for r in rows], dtype=np.float32)
    x = (pixels / 16.0).astype(np.float32)

    dtrain = xgb.DMatrix(x[:TRAIN_ROWS], label=labels[:TRAIN_ROWS])
    dvalid = xgb.DMatrix(x[TRAIN_ROWS:], label=labels[TRAIN_ROWS:])
    evals_result = {}
    booster = xgb.train(PARAMS, dtrain, num_boost_round=ROUNDS, evals=[(dvalid, "validation")],
                        evals_result=evals_result, verbose_eval=False)
    proba = booster.predict(dvalid)

    json.dump({
        "generator": "tests/data/xgboost/generate_parity_reference.py",
        "xgboost_version": xgb.__version__,
        "rows": ROWS,
        "train_rows": TRAIN_ROWS,
        "rounds": ROUNDS,
        "params": PARAMS,
        "pixels": pixels.tolist(),
        "labels": [int(v) for v in labels],
        "validation_mlogloss": [float(v) for v in evals_result["validation"]["mlogloss"]],
        "validation_merror": [float(v) for v in evals_result["validation"]["merror"]],
        "validation_proba": [float(v) for v in proba.reshape(-1)],
    }, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
