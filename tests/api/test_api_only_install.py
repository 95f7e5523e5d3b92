"""The API deploys alone: a venv holding only the package's base dependencies serves every endpoint."""
import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from stack.procs import ROOT, free_port, http_get, spawn, stop_pid, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.deployment]
API_PART = ("pyproject.toml", "README.md", "common", "api")  # what the Compose API image copies too


def api_only_venv(where: Path) -> Path:
    """A fresh venv with `pip install .` of the API part (no extras), as the API image installs it."""
    src = where / "src"
    src.mkdir()
    for name in API_PART:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, src / name)
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", str(src)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return venv


def _post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_the_api_serves_the_forest_from_a_venv_holding_only_the_api_part(tmp_path, forest_path):
    venv = api_only_venv(tmp_path)
    python = str(venv / "bin" / "python")
    for harness_module in ("locust", "evidently", "pytest", "hdrh", "prometheus_api_client"):
        probe = subprocess.run([python, "-c", f"import {harness_module}"], capture_output=True, timeout=60, cwd=tmp_path)
        assert probe.returncode != 0, f"{harness_module} is installed in the API-only venv"
    port = free_port()
    # Installed without -e, from a folder of its own: paths come from settings, not from the checkout.
    proc = spawn([python, "-m", "api"], tmp_path / "api.log", cwd=tmp_path,
                 env={"API_PORT": str(port), "MODEL_PATH": str(forest_path), "DATA_DIR": str(ROOT / "data" / "streamflow"),
                      "PREDICTIONS_DB": str(tmp_path / "p.db"), "PYTHONPATH": ""})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_get(url + "/health")[0] == 200, 90, "API-only install", proc, tmp_path / "api.log")
        assert json.loads(http_get(url + "/health")[1])["model"] == "forest"  # scikit-learn and skops are the API's
        status, body = _post(url + "/predict", {"user_id": "7590-VHVEG"})
        assert status == 200 and body["prediction"] in (0, 1) and 0 <= body["probability"] <= 1
        assert _post(url + "/predict", {"user_id": "no-such-user"})[0] == 404
        assert _post(url + "/predict/features", {"watch_hours_30d": -1})[0] == 422
        metrics = http_get(url + "/metrics")[1].decode()
        assert 'api_requests_total{endpoint="/predict",method="POST",status="200"} 1.0' in metrics
    finally:
        stop_pid(proc.pid)
    served_from = subprocess.run([python, "-c", "import api; print(api.__file__)"], capture_output=True, text=True,
                                 timeout=60, cwd=tmp_path).stdout
    assert "site-packages" in served_from, served_from
