import pandas as pd
import pytest

from api.data import DataError, load_snapshot, resolve_snapshot
from api.features import FEATURES


@pytest.mark.parametrize("name", ["2024-01-31", "2024-02-29"], ids=["the training month", "the serving month"])
def test_a_snapshot_has_every_user_once_with_the_14_features(name):
    frame = load_snapshot(name)
    assert len(frame) == 7043
    assert frame["user_id"].is_unique
    assert list(frame.columns) == ["user_id", *FEATURES, "churn_label", "as_of"]
    assert (frame["as_of"] == name).all()
    assert not frame[list(FEATURES)].isna().any().any()


def test_empty_streaming_plans_read_as_false_not_true():
    frame = load_snapshot("2024-01-31")
    no_net = frame[frame["net_service"] == "No"]
    assert len(no_net) == 1526
    assert not no_net["plan_stream_tv"].any() and not no_net["plan_stream_movies"].any()
    assert frame["plan_stream_tv"].dtype == bool


def test_booleans_and_labels_are_parsed_from_true_false_text():
    frame = load_snapshot("month_000")
    assert frame["churn_label"].sum() == 1869
    assert load_snapshot("month_001")["churn_label"].sum() == 1701
    assert frame["paperless_billing"].dtype == bool


@pytest.mark.parametrize("name", ["2024-03-31", "month_9"], ids=["an unknown date", "an unknown folder"])
def test_an_unknown_snapshot_is_refused_with_the_known_ones(name):
    with pytest.raises(DataError, match="known snapshots are 2024-01-31"):
        resolve_snapshot(name)


def test_a_missing_table_names_the_file(tmp_path):
    (tmp_path / "month_000").mkdir()
    with pytest.raises(DataError, match=r"users\.csv: file not found"):
        load_snapshot("2024-01-31", tmp_path)


def test_a_bad_boolean_names_the_file_and_the_column(tmp_path):
    import shutil
    from api.data import DEFAULT_DATA_DIR
    shutil.copytree(DEFAULT_DATA_DIR / "month_000", tmp_path / "month_000")
    path = tmp_path / "month_000" / "subscriptions.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[3, "paperless_billing"] = "maybe"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match="paperless_billing: expected True/False, got 'maybe'"):
        load_snapshot("2024-01-31", tmp_path)
