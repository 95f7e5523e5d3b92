"""The optimized variant: a logistic regression trained with scikit-learn, served as a pure-Python scorer from JSON."""
from __future__ import annotations

import hashlib
import json
import math
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from api.features import ENCODED_COLUMNS, FEATURES, encode
from api.models import ModelError, Versioned


@dataclass(frozen=True)
class ChurnModel(Versioned):
    """Logistic regression with the scaler folded into the weights: one dot product per prediction."""

    weights: tuple[float, ...]
    intercept: float
    metadata: dict
    kind = "linear"

    def probability(self, vector: list[float]) -> float:
        z = self.intercept
        for w, x in zip(self.weights, vector):
            z += w * x
        # Numerically stable logistic for large |z|.
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def predict(self, features: dict) -> float:
        return self.probability(encode(features))

    def encode(self, features: dict) -> list[float]:
        return encode(features)

    def predict_batch(self, rows: Sequence[list[float]]) -> list[float]:
        return [self.probability(v) for v in rows]


def train(frame, seed: int = 42, holdout: float = 0.2) -> ChurnModel:
    """Fit on one snapshot frame (api.data.load_snapshot); deterministic for a given seed."""
    import numpy as np
    import pandas
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    started = time.perf_counter()
    x = np.array([encode(row) for row in frame[list(FEATURES)].to_dict("records")])
    y = frame["churn_label"].to_numpy()
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=holdout, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(x_tr)
    clf = LogisticRegression(max_iter=2000, random_state=seed).fit(scaler.transform(x_tr), y_tr)
    auc = float(roc_auc_score(y_te, clf.predict_proba(scaler.transform(x_te))[:, 1]))

    # Fold standardisation into the weights: w' = w / scale, b' = b - sum(w * mean / scale).
    w = clf.coef_[0] / scaler.scale_
    b = float(clf.intercept_[0] - np.sum(clf.coef_[0] * scaler.mean_ / scaler.scale_))
    weights = tuple(round(float(v), 12) for v in w)
    intercept = round(b, 12)
    digest = hashlib.sha256(json.dumps([weights, intercept]).encode()).hexdigest()[:10]
    as_of = str(frame["as_of"].iloc[0])
    metadata = {
        "version": f"churn-logreg-{as_of}-{digest}",
        "algorithm": "logistic_regression",
        "seed": seed,
        "trained_as_of": as_of,
        "features": list(FEATURES),
        "encoded_columns": list(ENCODED_COLUMNS),
        "n_train": int(len(y_tr)),
        "n_holdout": int(len(y_te)),
        "holdout_roc_auc": round(auc, 4),
        "train_churn_rate": round(float(y.mean()), 4),
        "training_seconds": round(time.perf_counter() - started, 2),
        "library_versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "pandas": pandas.__version__,
        },
    }
    return ChurnModel(weights=weights, intercept=intercept, metadata=metadata)


def save(model: ChurnModel, path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"metadata": model.metadata, "weights": list(model.weights), "intercept": model.intercept}
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def load(path: Path | str) -> ChurnModel:
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
        metadata, weights, intercept = doc["metadata"], doc["weights"], doc["intercept"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: not a slobench model file ({exc})") from None
    if metadata.get("encoded_columns") != list(ENCODED_COLUMNS) or len(weights) != len(ENCODED_COLUMNS):
        raise ModelError(f"{path}: encoded_columns: the model was trained on another feature schema; rebuild it with `make model API_MODEL=linear`")
    return ChurnModel(weights=tuple(weights), intercept=float(intercept), metadata=metadata)
