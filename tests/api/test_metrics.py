"""Metric names, labels and bucket layout, read from an injected registry."""
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from api.app import create_app
from api.settings import ApiSettings
from common import contract as c


@pytest.fixture
def served(model_path):
    registry = CollectorRegistry()
    with TestClient(create_app(ApiSettings(model_path=model_path), registry)) as client:
        client.post("/predict", json={"user_id": "7590-VHVEG"})
        client.post("/predict", json={"user_id": "7590-VHVEG"})
        client.post("/predict", json={"user_id": "nobody"})
        client.get("/users/7590-VHVEG/secret")
        client.get("/health")
        yield registry, client


@pytest.mark.parametrize("labels, count", [
    ({"endpoint": "/predict", "method": "POST", "status": "200"}, 2),
    ({"endpoint": "/predict", "method": "POST", "status": "404"}, 1),
    ({"endpoint": c.UNMATCHED_ENDPOINT, "method": "GET", "status": "404"}, 1),
    ({"endpoint": "/health", "method": "GET", "status": "200"}, 1),
], ids=["successes by route template", "a 404 of a known route", "an unmatched path under one value", "health"])
def test_requests_are_counted_by_route_method_and_status(served, labels, count):
    registry, _ = served
    assert registry.get_sample_value(c.REQUESTS_TOTAL, labels) == count


def test_latency_is_observed_for_every_status(served):
    registry, _ = served
    n = registry.get_sample_value(c.REQUEST_LATENCY + "_count", {"endpoint": "/predict", "method": "POST"})
    assert n == 3  # two 200s and one 404: errors count too


def test_no_user_id_ever_appears_in_a_label(served):
    _, client = served
    text = client.get("/metrics").text
    assert "7590-VHVEG" not in text and "nobody" not in text


def test_buckets_are_ms_scale_and_contain_the_slo_thresholds(served):
    registry, _ = served
    bounds = [float(s.labels["le"]) for m in registry.collect() if m.name == c.REQUEST_LATENCY
              for s in m.samples if s.name.endswith("_bucket") and s.labels["endpoint"] == "/predict"]
    assert bounds[0] == 0.00025 and bounds[-1] == float("inf") and 2.0 in bounds
    for threshold in (0.008, 0.01, 0.02, 0.025, 0.04, 0.05, 0.08, 0.1):
        assert threshold in bounds
    assert len([b for b in bounds if b <= 0.01]) >= 8


def test_model_metrics_count_classes_and_probabilities(served):
    registry, _ = served
    by_class = sum(registry.get_sample_value(c.PREDICTIONS_TOTAL, {c.LABEL_CLASS: k}) or 0 for k in "01")
    assert by_class == 2
    assert registry.get_sample_value(c.PREDICTION_PROBABILITY + "_count") == 2
    infos = [s for m in registry.collect() if m.name == c.MODEL_INFO for s in m.samples]
    assert len(infos) == 1 and infos[0].labels["trained_as_of"] == "2024-01-31" and infos[0].value == 1
