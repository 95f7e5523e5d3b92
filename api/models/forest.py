"""The lab's model: a 300-tree balanced random forest behind a one-hot encoder, persisted with skops (no pickle)."""
from __future__ import annotations

import hashlib
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from api.features import BOOLEAN_FEATURES, FEATURES
from api.models import ModelError, Versioned

# The only type a forest file may hold beyond what skops trusts by default; anything else is refused on load.
TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]
CATEGORICAL = ("net_service",)


def row_of(features: dict) -> tuple:
    """One request's features in FEATURES order, booleans as numbers (what the pipeline was fitted on)."""
    return tuple(float(bool(features[k])) if k in BOOLEAN_FEATURES else features[k] for k in FEATURES)


@dataclass(frozen=True)
class ForestModel(Versioned):
    """scikit-learn's predict_proba on the fitted pipeline, as the lab's MLflow pyfunc served it."""

    pipeline: object
    metadata: dict
    kind = "forest"

    def encode(self, features: dict) -> tuple:
        return row_of(features)

    def predict_batch(self, rows: Sequence[tuple]) -> list[float]:
        import pandas as pd
        frame = pd.DataFrame.from_records(list(rows), columns=list(FEATURES))
        return self.pipeline.predict_proba(frame)[:, 1].tolist()

    def predict(self, features: dict) -> float:
        return self.predict_batch([row_of(features)])[0]


def build_pipeline(seed: int):
    """The lab's pipeline: one-hot net_service, the rest as is, a 300-tree forest weighting the classes."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    prep = ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(CATEGORICAL))],
                             remainder="passthrough")
    forest = RandomForestClassifier(n_estimators=300, class_weight="balanced", random_state=seed)
    return Pipeline([("prep", prep), ("forest", forest)])


def train(frame, seed: int = 42, holdout: float = 0.2) -> ForestModel:
    """Fit on one snapshot frame (api.data.load_snapshot); deterministic for a given seed."""
    import numpy as np
    import pandas
    import sklearn
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    x = pandas.DataFrame.from_records([row_of(r) for r in frame[list(FEATURES)].to_dict("records")],
                                      columns=list(FEATURES))
    y = frame["churn_label"].to_numpy()
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=holdout, random_state=seed, stratify=y)
    started = time.perf_counter()
    pipeline = build_pipeline(seed).fit(x_tr, y_tr)
    seconds = time.perf_counter() - started
    held_out = pipeline.predict_proba(x_te)[:, 1]
    auc = float(roc_auc_score(y_te, held_out))
    digest = hashlib.sha256(np.round(held_out, 9).tobytes()).hexdigest()[:10]
    as_of = str(frame["as_of"].iloc[0])
    forest = pipeline.named_steps["forest"]
    metadata = {
        "version": f"churn-forest-{as_of}-{digest}",
        "algorithm": "random_forest",
        "params": {"n_estimators": forest.n_estimators, "class_weight": forest.class_weight,
                   "n_jobs": forest.n_jobs, "encoder": "OneHotEncoder(net_service)"},
        "seed": seed,
        "trained_as_of": as_of,
        "features": list(FEATURES),
        "n_train": int(len(y_tr)),
        "n_holdout": int(len(y_te)),
        "holdout_roc_auc": round(auc, 4),
        "train_churn_rate": round(float(y.mean()), 4),
        "training_seconds": round(seconds, 2),
        "library_versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                             "numpy": np.__version__, "pandas": pandas.__version__},
    }
    return ForestModel(pipeline=pipeline, metadata=metadata)


def save(model: ForestModel, path: Path | str) -> Path:
    import zipfile

    import skops.io as sio
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump({"metadata": model.metadata, "pipeline": model.pipeline}, path, compression=zipfile.ZIP_DEFLATED)
    return path


def load(path: Path | str) -> ForestModel:
    """Loaded by skops from an allow-list of types: a file holding anything else is refused, never executed."""
    import skops.io as sio
    path = Path(path)
    try:
        unexpected = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
        if unexpected:
            raise ModelError(f"{path}: holds types this API does not load: {', '.join(unexpected)}")
        doc = sio.load(path, trusted=TRUSTED_TYPES)
        metadata, pipeline = doc["metadata"], doc["pipeline"]
    except ModelError:
        raise
    except Exception as exc:  # skops raises many kinds on a damaged or foreign file
        raise ModelError(f"{path}: not a slobench forest file ({type(exc).__name__}: {exc})") from None
    if metadata.get("features") != list(FEATURES):
        raise ModelError(f"{path}: features: the model was trained on another feature schema; "
                         "rebuild it with `make model API_MODEL=forest`")
    return ForestModel(pipeline=pipeline, metadata=metadata)
