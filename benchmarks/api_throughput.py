"""Throughput of /predict against a bare FastAPI route, the cost of metrics + recording, and each model variant's
ceiling (the linear scorer, the forest one request a call, the forest in micro-batches), under wrk."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from stack.procs import free_port, http_get, spawn, stop_pid, wait_until

POST_LUA = 'wrk.method = "POST"\nwrk.body = \'{"user_id": "7590-VHVEG"}\'\nwrk.headers["Content-Type"] = "application/json"\n'


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is needed for the throughput benchmark: apt-get install wrk")
    return found


def _serve(cmd: list[str], env: dict, log: Path, health: str, cores: set[int]):
    port = free_port()
    env = {**env, "API_PORT": str(port)}
    proc = spawn([*cmd, "--port", str(port)] if "uvicorn" in cmd else cmd, log, env=env, cpus=cores)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_get(url + health)[0] == 200, 60, " ".join(cmd), proc, log)
    return proc, url


def _wrk(wrk: str, url: str, seconds: int, cores: set[int], lua: Path | None) -> float:
    cmd = [wrk, "-t1", "-c32", f"-d{seconds}s", url] + (["-s", str(lua)] if lua else [])
    done = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=lambda: os.sched_setaffinity(0, cores))
    m = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if not m or non2xx:
        raise RuntimeError(f"wrk against {url} failed:\n{done.stdout}{done.stderr}")
    return float(m.group(1))


def measure(seconds: int = 8, rounds: int = 2) -> dict:
    """Req/s of each variant, one uvicorn worker pinned to one core, wrk on the other; best of `rounds`."""
    wrk = ensure_wrk()
    cores = sorted(os.sched_getaffinity(0))
    server_core, client_core = {cores[0]}, {cores[-1]}
    tmp = Path(tempfile.mkdtemp(prefix="slobench-bench-"))
    lua = tmp / "post.lua"
    lua.write_text(POST_LUA)
    variants = {
        "bare FastAPI GET /json": ([sys.executable, "-m", "uvicorn", "benchmarks.bare_app:app", "--log-level", "warning",
                                    "--no-access-log", "--http", "httptools"], {}, "/json", "/json", None),
        "/predict, metrics + recording": ([sys.executable, "-m", "api"], {"PREDICTIONS_DB": str(tmp / "p.db"),
                                                                          "API_MODEL": "linear"}, "/health", "/predict", lua),
        "/predict, both off": ([sys.executable, "-m", "api"], {"METRICS_ENABLED": "false", "API_MODEL": "linear"},
                               "/health", "/predict", lua),
        "forest /predict": ([sys.executable, "-m", "api"], {"API_MODEL": "forest"}, "/health", "/predict", lua),
        "forest /predict, batches of 32": ([sys.executable, "-m", "api"],
                                           {"API_MODEL": "forest", "API_BATCH_MAX": "32", "API_BATCH_WAIT_MS": "2"},
                                           "/health", "/predict", lua),
    }
    results = {name: 0.0 for name in variants}
    for _ in range(rounds):
        for name, (cmd, env, health, path, script) in variants.items():
            proc, url = _serve(cmd, env, tmp / "server.log", health, server_core)
            try:
                _wrk(wrk, url + path, 2, client_core, script)  # warm-up
                results[name] = max(results[name], _wrk(wrk, url + path, seconds, client_core, script))
            finally:
                stop_pid(proc.pid)
    shutil.rmtree(tmp, ignore_errors=True)
    return results
