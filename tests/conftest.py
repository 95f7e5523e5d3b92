"""Shared fixtures: a trained model and a real uvicorn API on a free loopback port."""
from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from api import model as model_lib
from api.data import load_snapshot
from stack.procs import api_command, free_port, http_get, spawn, stop_pid, wait_until


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The project's model (what `make model` builds), trained here with the real code if missing."""
    if not model_lib.DEFAULT_MODEL_PATH.is_file():
        model_lib.save(model_lib.train(load_snapshot("2024-01-31")), model_lib.DEFAULT_MODEL_PATH)
    return model_lib.DEFAULT_MODEL_PATH


@contextlib.contextmanager
def running_api(model_path: Path, tmp: Path, **env):
    """A real `python -m api` on a free port; yields (base_url, process); stops it on exit."""
    port = free_port()
    log = tmp / f"api-{port}.log"
    proc = spawn(api_command(), log, env={"API_PORT": str(port), "MODEL_PATH": str(model_path),
                                          **{k.upper(): str(v) for k, v in env.items()}})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_get(url + "/health")[0] == 200, 60, "API", proc, log)
        yield url, proc
    finally:
        stop_pid(proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)


@pytest.fixture
def api_server(model_path, tmp_path):
    with running_api(model_path, tmp_path, predictions_db=tmp_path / "predictions.db") as (url, proc):
        yield url, proc, tmp_path / "predictions.db"
