"""Every endpoint's success and error paths, in-process, with an isolated registry and a real SQLite file."""
import sqlite3

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from api.app import create_app
from api.features import FEATURES
from api.settings import ApiSettings

GOOD = {"months_active": 1, "monthly_fee": 29.85, "paperless_billing": True, "plan_stream_tv": False,
        "plan_stream_movies": False, "net_service": "DSL", "watch_hours_30d": 24.5, "avg_session_mins_7d": 29.1,
        "unique_devices_30d": 3, "skips_7d": 4, "rebuffer_events_7d": 1, "failed_payments_90d": 1,
        "support_tickets_90d": 0, "ticket_avg_resolution_hrs_90d": 16.0}


@pytest.fixture
def registry():
    return CollectorRegistry()


@pytest.fixture
def client(model_path, tmp_path, registry):
    settings = ApiSettings(model_path=model_path, predictions_db=tmp_path / "p.db")
    with TestClient(create_app(settings, registry)) as c:
        yield c


def test_predict_by_user_id_answers_from_the_serving_snapshot(client):
    r = client.post("/predict", json={"user_id": "7590-VHVEG"})
    assert r.status_code == 200
    body = r.json()
    assert body["user_id"] == "7590-VHVEG" and body["prediction"] in (0, 1)
    assert 0 < body["probability"] < 1
    assert body["model_version"].startswith("churn-logreg-")
    assert set(body["features_used"]) == set(FEATURES)
    # month_001's watch hours differ from month_000's: the serving snapshot is the production month.
    assert body["features_used"]["watch_hours_30d"] != 24.483650766787413


def test_an_unknown_user_is_a_404_with_a_reason(client):
    r = client.post("/predict", json={"user_id": "0000-NOBODY"})
    assert r.status_code == 404
    assert "unknown user_id '0000-NOBODY'" in r.json()["detail"]


def test_predict_from_features_answers(client):
    r = client.post("/predict/features", json=GOOD)
    assert r.status_code == 200 and r.json()["user_id"] is None


@pytest.mark.parametrize("change, field", [
    ({"net_service": "Cable"}, "net_service"),
    ({"monthly_fee": -1}, "monthly_fee"),
    ({"months_active": "many"}, "months_active"),
    ({"watch_hours_30d": 10_000}, "watch_hours_30d"),
    ({"colour": "blue"}, "colour"),
    ({"plan_stream_tv": True, "net_service": "No"}, "plan_stream_tv"),
], ids=["an unknown net_service", "a negative fee", "a non-integer month count", "more watch hours than a month has",
        "an unknown field", "a streaming plan without net service"])
def test_invalid_features_are_a_422_naming_the_field(client, change, field):
    r = client.post("/predict/features", json={**GOOD, **change})
    assert r.status_code == 422
    assert field in r.text


def test_a_missing_feature_is_a_422_naming_it(client):
    body = {k: v for k, v in GOOD.items() if k != "skips_7d"}
    r = client.post("/predict/features", json=body)
    assert r.status_code == 422 and "skips_7d" in r.text


@pytest.mark.parametrize("payload", ['{"user_id": ', "[]", '{"user_id": ""}'],
                         ids=["malformed JSON", "a JSON array", "an empty user id"])
def test_a_bad_predict_body_is_a_422(client, payload):
    r = client.post("/predict", content=payload, headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_an_oversized_body_is_a_413(client):
    r = client.post("/predict", content=b'{"user_id": "' + b"x" * 70_000 + b'"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "larger than" in r.json()["detail"]


def test_health_is_200_when_loaded(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["users"] == 7043


def test_health_says_what_one_prediction_cost_the_machine_as_the_api_started(client):
    """The speed canary: the same fixed rows predicted one at a time before serving, its median in its interval."""
    canary = client.get("/health").json()["canary"]
    assert canary["work"].startswith("one single-row linear prediction (churn-logreg-")
    assert canary["repeats"] == 41 and 0 < canary["low"] <= canary["ms"] <= canary["high"]


def test_health_is_503_when_the_model_is_missing(tmp_path):
    settings = ApiSettings(model_path=tmp_path / "absent.json")
    with TestClient(create_app(settings, CollectorRegistry())) as c:
        assert c.get("/health").status_code == 503
        assert c.post("/predict", json={"user_id": "7590-VHVEG"}).status_code == 503


def test_served_predictions_are_recorded_and_failures_are_not(model_path, tmp_path):
    db = tmp_path / "p.db"
    settings = ApiSettings(model_path=model_path, predictions_db=db)
    with TestClient(create_app(settings, CollectorRegistry())) as c:
        for _ in range(3):
            c.post("/predict", json={"user_id": "7590-VHVEG"})
        c.post("/predict/features", json=GOOD)
        c.post("/predict", json={"user_id": "nobody"})
        c.post("/predict/features", json={**GOOD, "monthly_fee": -5})
    rows = sqlite3.connect(db).execute(
        "SELECT endpoint, user_id, monthly_fee, prediction, latency_s FROM predictions_wide").fetchall()
    assert len(rows) == 4
    assert sorted(r[0] for r in rows) == ["/predict"] * 3 + ["/predict/features"]
    assert all(r[4] > 0 for r in rows)


def test_replicas_sharing_a_volume_record_into_files_of_their_own(tmp_path):
    import socket
    settings = ApiSettings(predictions_db=str(tmp_path / "predictions-{hostname}.db"))
    assert settings.predictions_db == tmp_path / f"predictions-{socket.gethostname()}.db"


@pytest.mark.parametrize("pick, expected", [(max, 1), (min, 0)],
                         ids=["the user the model scores highest is predicted to churn",
                              "the user it scores lowest is not"])
def test_the_predicted_class_and_probability_are_the_models_own(client, model_path, pick, expected):
    """Independent of the app: the artifact scores every user of the serving month itself."""
    from api import data, models
    from api.settings import ApiSettings
    model = models.load(model_path)
    settings = ApiSettings(model_path=model_path)
    frame = data.load_snapshot(settings.serving_as_of, settings.data_dir)
    scored = {row["user_id"]: model.predict({k: row[k] for k in FEATURES})
              for row in frame[["user_id", *FEATURES]].to_dict("records")}
    user = pick(scored, key=scored.get)
    body = client.post("/predict", json={"user_id": user}).json()
    assert body["prediction"] == expected and body["probability"] == pytest.approx(scored[user], abs=1e-6)
