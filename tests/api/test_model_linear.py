import json

import pytest

from api import models
from api.models import linear
from api.data import load_snapshot
from api.features import ENCODED_COLUMNS, FEATURES, encode


@pytest.fixture(scope="module")
def frame():
    return load_snapshot("2024-01-31")


@pytest.fixture(scope="module")
def trained(frame):
    return linear.train(frame, seed=7)


def test_training_is_deterministic_for_a_seed(frame, trained):
    again = linear.train(frame, seed=7)
    assert again.weights == trained.weights and again.version == trained.version


def test_the_model_is_at_least_as_good_as_the_lab(trained):
    assert trained.metadata["holdout_roc_auc"] >= 0.81


def test_metadata_carries_schema_as_of_and_versions(trained):
    meta = trained.metadata
    assert meta["features"] == list(FEATURES)
    assert meta["encoded_columns"] == list(ENCODED_COLUMNS)
    assert meta["trained_as_of"] == "2024-01-31"
    assert {"python", "scikit-learn", "numpy", "pandas"} <= set(meta["library_versions"])
    assert meta["version"].startswith("churn-logreg-2024-01-31-")


def test_the_pure_python_scorer_matches_scikit_learn(frame):
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    model = linear.train(frame, seed=1)
    x = np.array([encode(r) for r in frame[list(FEATURES)].head(300).to_dict("records")])
    y = frame["churn_label"].head(300).to_numpy()
    scaler = StandardScaler().fit(x)
    reference = LogisticRegression(max_iter=2000).fit(scaler.transform(x), y)
    # Fold the reference the same way and compare with its own predict_proba.
    folded = linear.ChurnModel(
        tuple(reference.coef_[0] / scaler.scale_),
        float(reference.intercept_[0] - (reference.coef_[0] * scaler.mean_ / scaler.scale_).sum()), {})
    expected = reference.predict_proba(scaler.transform(x))[:, 1]
    got = [folded.probability(list(row)) for row in x]
    assert max(abs(a - b) for a, b in zip(got, expected)) < 1e-9
    assert 0.0 < model.predict(frame[list(FEATURES)].iloc[0].to_dict()) < 1.0


def test_save_and_load_round_trip(tmp_path, trained):
    path = models.save(trained, tmp_path / "m.json")
    loaded = models.load(path)
    assert loaded.weights == trained.weights and loaded.metadata == trained.metadata


@pytest.mark.parametrize("content, message", [
    (None, "model file not found; build it with `make model API_MODEL=linear`"),
    ("{not json", "not a slobench model file"),
    (json.dumps({"metadata": {"encoded_columns": ["x"]}, "weights": [1.0], "intercept": 0}), "another feature schema"),
], ids=["a missing file", "a file that is not JSON", "a model of another feature schema"])
def test_a_bad_model_file_gets_a_clear_error(tmp_path, content, message):
    path = tmp_path / "m.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(models.ModelError, match=message):
        models.load(path)


def test_the_served_probabilities_are_scikit_learns_on_held_out_rows(frame, trained):
    """Against an independent scikit-learn pipeline fitted on the same split: a wrong fold of the scaler into the
    weights, or a wrong encoding order, makes the served probabilities differ."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = frame[list(FEATURES)].to_dict("records")
    x, y = np.array([encode(r) for r in rows]), frame["churn_label"].to_numpy()
    idx_tr, idx_te = train_test_split(np.arange(len(y)), test_size=0.2, random_state=7, stratify=y)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=7)).fit(x[idx_tr], y[idx_tr])
    expected = pipeline.predict_proba(x[idx_te])[:, 1]
    served = np.array([trained.predict(rows[i]) for i in idx_te])  # what /predict answers, from the raw features
    assert np.max(np.abs(served - expected)) < 1e-6
    assert round(float(roc_auc_score(y[idx_te], served)), 4) == trained.metadata["holdout_roc_auc"]
