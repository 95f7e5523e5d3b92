"""The load generator itself: requests per CPU-second, closed users against the open-model dispatcher, and a
generator's memory over a long run at its ceiling. Target: a raw ASGI app on its own core."""
from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from loadtests.profile import load_profile
from loadtests.run import GeneratorPlan, run_headless
from stack.procs import free_port, http_get, spawn, stop_pid, wait_until
from runfolder import names

CLOSED = """name: bench-closed
scenario: {{weights: {{predict_user: 1}}, rate_per_user: 0}}
settle_s: 2
stages:
  - {{name: s, users: 64, spawn_rate: 1000, duration_s: {seconds}}}
"""
OPEN = """name: bench-open
kind: open
arrival: poisson
max_concurrency: {conc}
scenario: {{weights: {{predict_user: 1}}}}
settle_s: 2
stages:
  - {{name: s, rate_rps: {rate}, duration_s: {seconds}}}
"""


def _target(tmp: Path, core: int):
    port = free_port()
    proc = spawn([sys.executable, "-m", "uvicorn", "benchmarks.raw_app:app", "--port", str(port), "--log-level",
                  "warning", "--no-access-log"], tmp / "target.log", cpus={core})
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_get(url + "/health")[0] == 200, 60, "raw ASGI target", proc, tmp / "target.log")
    return proc, url


def _run(profile_text: str, url: str, tmp: Path, core: int, rss: list | None = None) -> dict:
    run = tmp / f"run-{time.monotonic_ns()}"
    run.mkdir()
    (run / "p.yaml").write_text(profile_text)
    stop = threading.Event()

    def sample():  # the generator's memory while it runs (its process is the newest Locust child)
        while not stop.is_set():
            for p in psutil.process_iter(["cmdline"]):
                if "locust" in " ".join(p.info["cmdline"] or []) and str(run) in " ".join(p.info["cmdline"] or []):
                    rss.append(p.memory_info().rss)
                    break
            time.sleep(5)
    sampler = threading.Thread(target=sample, daemon=True)
    if rss is not None:
        sampler.start()
    try:
        run_headless(run / "p.yaml", load_profile(str(run / "p.yaml")), url, run, GeneratorPlan(processes=1), {core},
                     on_line=lambda *_: None)
    finally:
        stop.set()
    doc = json.loads((run / names.CLIENT_STATS).read_text())
    [stage] = {k.split("|")[0] for k in doc["stages"]}
    requests = sum(v["requests"] for k, v in doc["stages"].items())
    [(worker, stages)] = doc["workers"].items()
    w = stages[stage]
    return {"rps": requests / w["wall_s"], "cpu": w["cpu_s"] / w["wall_s"], "per_cpu_s": requests / max(w["cpu_s"], 1e-9)}


def measure(seconds: int = 20, long_s: int = 600) -> dict:
    cores = sorted(psutil.Process().cpu_affinity())
    target_core, gen_core = cores[0], cores[-1]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        proc, url = _target(tmp, target_core)
        try:
            closed = _run(CLOSED.format(seconds=seconds), url, tmp, gen_core)
            # The same concurrency as the 64 closed users: the dispatcher's cost per request, not a bigger backlog's.
            dispatcher = _run(OPEN.format(rate=8000, seconds=seconds, conc=64), url, tmp, gen_core)
            rss: list[int] = []
            _run(CLOSED.format(seconds=long_s), url, tmp, gen_core, rss=rss)
        finally:
            stop_pid(proc.pid)
    return {"closed": closed, "open": dispatcher, "long_s": long_s,
            "rss_mib": (rss[0] / 2**20, rss[-1] / 2**20) if rss else (None, None)}
