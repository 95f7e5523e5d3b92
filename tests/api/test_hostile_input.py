"""Hostile input: fuzzing from the API's own OpenAPI, random paths, oversized and malformed bodies."""
import random
import string
import subprocess

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from api.app import create_app
from api.settings import ApiSettings
from tests import needs
from tests.conftest import running_api


def _series(registry) -> int:
    return sum(len(m.samples) for m in registry.collect())


def test_two_thousand_random_paths_leave_the_number_of_series_unchanged(model_path):
    registry = CollectorRegistry()
    rng = random.Random(3)
    with TestClient(create_app(ApiSettings(model_path=model_path), registry)) as client:
        client.get("/nope")  # the unmatched series exists once
        client.post("/nope")
        before = _series(registry)
        for _ in range(2_000):  # one path that added a series would show: the count is exact
            path = "/" + "/".join("".join(rng.choices(string.ascii_letters + string.digits + "-_.~%", k=rng.randint(1, 12)))
                                  for _ in range(rng.randint(1, 4)))
            client.request(rng.choice(["GET", "POST"]), path)
        assert _series(registry) == before


@pytest.mark.parametrize("body, content_type, status", [
    (b'{"user_id": ', "application/json", 422),
    (b"\xff\xfe\x00garbage", "application/json", 422),
    (b'{"user_id": "' + b"x" * 100_000 + b'"}', "application/json", 413),
    (b"user_id=7590-VHVEG", "application/x-www-form-urlencoded", 422),
], ids=["truncated JSON", "binary garbage", "a 100 kB body", "a form instead of JSON"])
def test_malformed_and_oversized_bodies_get_4xx_with_a_reason(model_path, body, content_type, status):
    with TestClient(create_app(ApiSettings(model_path=model_path), CollectorRegistry())) as client:
        r = client.post("/predict", content=body, headers={"content-type": content_type})
        assert r.status_code == status and r.json()["detail"]


def test_a_chunked_body_over_the_limit_is_refused(model_path):
    def chunks():
        for _ in range(100):
            yield b"x" * 1024
    with TestClient(create_app(ApiSettings(model_path=model_path), CollectorRegistry())) as client:
        r = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413


@pytest.mark.integration
def test_schemathesis_finds_no_server_error(model_path, tmp_path):
    schemathesis = needs.binary("schemathesis")
    with running_api(model_path, tmp_path) as (url, _):
        done = subprocess.run([schemathesis, "run", f"{url}/openapi.json",
                               "-c", "not_a_server_error", "-n", "80", "--request-timeout", "5", "--seed", "1"],
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout.split("Test cases:")[-1].split("\n")[1]
