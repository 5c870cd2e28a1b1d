#!/usr/bin/env python3
"""XGBoost as the reference for the service's model import and export (Debian's python3-xgboost).

  fixtures OUT.json          small models of every supported objective on synthetic data, with rows placed on
                             and around every split condition, and XGBoost's own predictions of them
  train SPEC.json OUT_DIR    trains the models SPEC.json describes, saves each as OUT_DIR/<name>.json (and .ubj), writes
                             XGBoost's predictions on each test matrix to OUT_DIR/<name>.predictions.json
  predict MODEL.json X.json  loads a model file (Booster(model_file=...)) and prints its predictions on X as JSON
  contribs MODEL.json X.json prints XGBoost's SHAP values on X (predict(pred_contribs=True)): per row (and class)
                             one value per feature, then the bias

Matrices are lists of rows; null stands for a missing value (NaN). Predictions are margins and outputs (for
classifiers, class probabilities), as float64 lists.
"""
import json
import sys

import numpy as np
import xgboost as xgb


def matrix(rows):
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=np.float64)


def rows_of(X):
    return [[None if np.isnan(v) else float(v) for v in row] for row in X]


def predictions(booster, X):
    d = xgb.DMatrix(X, missing=np.nan, feature_names=booster.feature_names)
    return {
        "margin": booster.predict(d, output_margin=True).astype(np.float64).tolist(),
        "output": booster.predict(d).astype(np.float64).tolist(),
    }


def edge_rows(booster, X, limit=400):
    """Rows equal to X[0] but for one feature set on, just below and just above a split condition (in doubles)."""
    doc = json.loads(booster.save_raw("json"))
    gb = doc["learner"]["gradient_booster"]
    model = gb["model"] if gb["name"] == "gbtree" else gb["gbtree"]["model"]
    rows = []
    for tree in model["trees"]:
        for node, left in enumerate(tree["left_children"]):
            if left == -1:
                continue
            f = tree["split_indices"][node]
            c = np.float32(tree["split_conditions"][node])
            below = np.nextafter(c, np.float32(-np.inf))
            mid = (np.float64(below) + np.float64(c)) / 2
            for v in [np.float64(c), np.nextafter(np.float64(c), -np.inf), np.nextafter(np.float64(c), np.inf),
                      mid, np.nextafter(mid, -np.inf), np.nextafter(mid, np.inf)]:
                row = X[0].copy()
                row[f] = v
                rows.append(row)
    return np.array(rows[:limit])


def fixtures(out):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 4))
    X[::9, 1] = np.nan
    X[::13, 3] = np.nan
    y = X[:, 0] * 2 + np.nan_to_num(X[:, 1]) - X[:, 2] ** 2
    binary = (y > 0).astype(int)
    three = np.digitize(y, [-1.0, 1.0])
    cases = [
        ("reg_squarederror", {"objective": "reg:squarederror", "max_depth": 3, "eta": 0.3, "base_score": 0.3}, y, 6),
        ("binary_logistic", {"objective": "binary:logistic", "max_depth": 3, "base_score": 0.3}, binary, 6),
        ("binary_logitraw", {"objective": "binary:logitraw", "max_depth": 2}, binary, 4),
        ("multi_softprob", {"objective": "multi:softprob", "num_class": 3, "max_depth": 3}, three, 4),
        ("multi_softmax", {"objective": "multi:softmax", "num_class": 3, "max_depth": 2}, three, 3),
        ("count_poisson", {"objective": "count:poisson", "max_depth": 3}, np.round(np.exp(y / 3)), 5),
        ("reg_logistic", {"objective": "reg:logistic", "max_depth": 3}, binary * 0.8 + 0.1, 5),
        ("dart", {"booster": "dart", "rate_drop": 0.3, "max_depth": 3, "seed": 1}, y, 6),
        ("forest", {"num_parallel_tree": 4, "subsample": 0.8, "colsample_bynode": 0.8, "max_depth": 4}, y, 2),
        ("lossguide", {"tree_method": "hist", "grow_policy": "lossguide", "max_leaves": 12, "max_depth": 0}, y, 3),
    ]
    result = {"xgboost": xgb.__version__, "cases": {}}
    for name, params, target, rounds in cases:
        booster = xgb.train(params, xgb.DMatrix(X, target, feature_names=["a", "b", "c", "d"]), rounds)
        rows = np.vstack([X[:60], edge_rows(booster, X)])
        result["cases"][name] = {
            "model": json.loads(booster.save_raw("json")),
            "X": rows_of(rows),
            **predictions(booster, rows),
        }
    with open(out, "w") as f:
        json.dump(result, f, separators=(",", ":"))


def train(spec_file, out_dir):
    with open(spec_file) as f:
        spec = json.load(f)
    for task in spec["models"]:
        X = matrix(task["X_train"])
        d = xgb.DMatrix(X, np.array(task["y_train"], dtype=np.float64), feature_names=task.get("feature_names"))
        booster = xgb.train(task["params"], d, task["rounds"])
        booster.save_model(f"{out_dir}/{task['name']}.json")
        booster.save_model(f"{out_dir}/{task['name']}.ubj")
        with open(f"{out_dir}/{task['name']}.predictions.json", "w") as f:
            json.dump(predictions(booster, matrix(task["X_test"])), f)


def predict(model_file, x_file):
    booster = xgb.Booster(model_file=model_file)
    with open(x_file) as f:
        X = matrix(json.load(f))
    json.dump(predictions(booster, X), sys.stdout)


def contribs(model_file, x_file):
    booster = xgb.Booster(model_file=model_file)
    with open(x_file) as f:
        X = matrix(json.load(f))
    d = xgb.DMatrix(X, missing=np.nan, feature_names=booster.feature_names)
    json.dump(booster.predict(d, pred_contribs=True).astype(np.float64).tolist(), sys.stdout)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"fixtures": fixtures, "train": train, "predict": predict, "contribs": contribs}[command](*args)
