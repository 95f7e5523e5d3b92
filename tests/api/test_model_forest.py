"""The lab's forest: trained as the lab did, served as scikit-learn predicts, persisted without pickle."""
import zipfile

import numpy as np
import pytest

from api import models
from api.data import load_snapshot
from api.features import FEATURES
from api.models import forest


@pytest.fixture(scope="module")
def frame():
    return load_snapshot("2024-01-31")


@pytest.fixture(scope="module")
def saved(tmp_path_factory, frame):
    model = forest.train(frame, seed=42)
    return model, models.save(model, tmp_path_factory.mktemp("forest") / "m.skops")


def test_the_served_probabilities_are_an_independent_scikit_learn_forests_on_held_out_rows(frame, saved):
    """A forest fitted here, on the same split with the lab's parameters and a hand-made one-hot column, predicts
    what the loaded model serves row by row: a wrong column order, encoding or persistence makes them differ."""
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split

    model, path = saved
    loaded = models.load(path)
    rows = frame[list(FEATURES)].to_dict("records")
    y = frame["churn_label"].to_numpy()
    idx_tr, idx_te = train_test_split(np.arange(len(y)), test_size=0.2, random_state=42, stratify=y)
    x = pd.DataFrame(rows)
    onehot = pd.get_dummies(x["net_service"]).astype(float)[["DSL", "Fiber optic", "No"]]
    rest = x.drop(columns=["net_service"]).astype(float)
    matrix = pd.concat([onehot, rest], axis=1).to_numpy()  # the ColumnTransformer's order: encoded, then the rest
    reference = RandomForestClassifier(n_estimators=300, class_weight="balanced", random_state=42)
    reference.fit(matrix[idx_tr], y[idx_tr])
    expected = reference.predict_proba(matrix[idx_te[:200]])[:, 1]
    served = np.array([loaded.predict(rows[i]) for i in idx_te[:200]])  # one row per call, as /predict does
    assert np.max(np.abs(served - expected)) < 1e-12
    assert loaded.version == model.version and loaded.metadata["holdout_roc_auc"] >= 0.80


def test_the_file_holds_no_pickle_and_loads_only_allowed_types(saved, tmp_path):
    _, path = saved
    with zipfile.ZipFile(path) as z:
        assert "schema.json" in z.namelist()
        assert not any(z.read(n).startswith(b"\x80") for n in z.namelist() if not n.endswith(".npy"))
    # A file holding a type outside the allow-list is refused before anything in it is built.
    import skops.io as sio
    from collections import Counter
    odd = tmp_path / "odd.skops"
    sio.dump({"metadata": {"features": list(FEATURES)}, "pipeline": Counter(a=1)}, odd)
    with pytest.raises(models.ModelError, match="holds types this API does not load: collections.Counter"):
        models.load(odd)


def test_metadata_names_the_lab_parameters_and_the_training_time(saved):
    meta = saved[0].metadata
    assert meta["algorithm"] == "random_forest" and meta["params"]["n_estimators"] == 300
    assert meta["params"]["class_weight"] == "balanced" and meta["trained_as_of"] == "2024-01-31"
    assert meta["training_seconds"] > 0 and meta["version"].startswith("churn-forest-2024-01-31-")


@pytest.mark.parametrize("name, content, message", [
    ("m.skops", None, "model file not found; build it with `make model API_MODEL=forest`"),
    ("m.skops", b"not a zip", "not a slobench forest file"),
    ("m.onnx", b"", "unknown model format '.onnx'"),
], ids=["a missing file", "a file that is not a skops archive", "a file of an unknown format"])
def test_a_bad_forest_file_gets_a_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(models.ModelError, match=message):
        models.load(path)


def test_a_batch_predicts_what_its_rows_predict_alone(frame, saved):
    model = saved[0]
    rows = [model.encode(r) for r in frame[list(FEATURES)].head(16).to_dict("records")]
    alone = [model.predict_batch([r])[0] for r in rows]
    assert model.predict_batch(rows) == pytest.approx(alone, abs=1e-12)
