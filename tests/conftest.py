"""Shared fixtures: the trained models and a real uvicorn API on a free loopback port.

The tests serve the linear variant unless they ask for the forest: the harness's checks need an API that answers
faster than the generator sends, and the forest's own behaviour (its knee, its thread, its probabilities) has tests
of its own. Both variants are the same API: routes, metrics, recording and validation are shared code."""
from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import psutil
import pytest

from api import models
from api.data import load_snapshot
from stack.procs import api_command, free_port, http_get, spawn, stop_pid, wait_until
from tests import timeouts

os.environ["API_MODEL"] = "linear"  # every process a test starts inherits it, unless the test says otherwise


def trained(kind: str) -> Path:
    """The project's model of that kind (what `make model` builds), trained here with the real code if missing."""
    path = models.default_path(kind)
    if not path.is_file():
        # Written aside, then renamed: parallel test workers may train at once, and none reads half a file.
        aside = path.with_name(f"{path.stem}.{os.getpid()}{path.suffix}")
        models.save(models.train(kind, load_snapshot("2024-01-31")), aside)
        os.replace(aside, path)
    return path


@pytest.fixture(scope="session")
def model_path() -> Path:
    return trained("linear")


@pytest.fixture(scope="session")
def forest_path() -> Path:
    return trained("forest")


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


LEFT_BEHIND = pytest.StashKey[str]()


def _left_by(base: str, spared: set[int]) -> list:
    """The processes whose command line or environment names a path under the folder `base` (a run folder, a
    Prometheus data directory, a recording), but those in `spared`. Under it, not beside: another xdist worker's
    folder (popen-gw10) starts with this one's name (popen-gw1)."""
    under = base.rstrip("/") + "/"
    left = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if proc.pid not in spared and (any(under in a for a in proc.cmdline())
                                           or any(under in v for v in proc.environ().values())):
                left.append(proc)
    return left


@pytest.fixture(scope="session", autouse=True)
def _no_process_left_behind(tmp_path_factory, pytestconfig):
    """Once the tests of this process are done, none of the processes they started runs on: a harness killed by a
    test's timeout cannot stop the API and Prometheus it started, which would then take the machine's cores from
    every test after it (and from a load run made after the tests). Each is stopped and named."""
    yield
    base = str(tmp_path_factory.getbasetemp())
    me = psutil.Process()
    spared = {me.pid, *(p.pid for p in me.parents())}
    left = _left_by(base, spared)
    named = [f"{p.pid} ({' '.join(_command(p))[:80]})" for p in left]
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    if left:
        pytestconfig.stash[LEFT_BEHIND] = f"stopped {len(left)} process(es) left running under {base}: " \
            + ", ".join(named)


def _command(proc) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:
        return ["?"]


def pytest_terminal_summary(terminalreporter, config):
    """What _no_process_left_behind stopped, said once the session's output is no longer captured (an xdist worker's
    stays with it)."""
    said = config.stash.get(LEFT_BEHIND, None)
    if said:
        terminalreporter.write_line(f"[tests] {said}", yellow=True)


def pytest_configure(config):
    """In the load phase (make test), each pytest-xdist worker keeps to a core of its own: every process its tests
    start (API, generator, Prometheus) inherits that core, so two load runs never share one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and os.environ.get("SLOBENCH_TEST_CORE_PER_WORKER") == "1":
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[int(worker.removeprefix("gw")) % len(cores)]})


def pytest_collection_modifyitems(items):
    """Each test's own time bound (tests/timeouts.py), unless it declares one; a coverage simulation (10,000 draws)
    is bounded by timeouts.COVERAGE_S. The longest tests first (timeouts.longest_first), so that two workers end
    together."""
    items[:] = [items[i] for i in timeouts.longest_first([item.nodeid for item in items])]
    for item in items:
        if item.get_closest_marker("coverage") is not None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(timeouts.COVERAGE_S))
        elif item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(timeouts.bound(item.nodeid)))


@pytest.fixture(autouse=True)
def _no_process_without_the_marker(request, monkeypatch):
    """A test not marked integration starts no process (make test-unit's promise): it fails saying so."""
    if request.node.get_closest_marker("integration"):
        return

    def refuse(self, args, *a, **kw):
        raise AssertionError(f"{request.node.nodeid} starts a process ({args!r}) but is not marked integration")
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
