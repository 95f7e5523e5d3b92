"""The README's run against a target whose knee is known (benchmarks/queue_app.py: an M/M/1 queue, its service a
sleep): whether the capacity interval holds the true knee, how wide it is, and how long the run took.

The run is slobench's own (`slobench loadtest --profile default`, drift off; or, with `--capacity`, `slobench
capacity`: the same ladder, then steps for BUDGET seconds, make capacity's search), pointed at the queue and at a
Prometheus started for it (TARGET_URL, PROMETHEUS_URL): the path of a deployment slobench did not start, whose
API exports no prediction time. The queue has core 0, Prometheus and the generator core 1.
`python -m benchmarks.known_knee [SERVICE_MS [RUNS]] [--capacity [--budget SECONDS]]`."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.queue_app import knee_rps
from loadtests.profile import load_profile
from runfolder import names
from slo.file.load import load_slo
from slo.verdicts.report import Report
from stack import prometheus_server
from stack.procs import free_port, http_get, spawn, stop_pid, wait_until

SERVICE_MS = 18.0   # mu = 55.6 req/s: p95's knee at 45.6 req/s of predictions, the lowest of the shipped SLO file's


def measure(service_ms: float = SERVICE_MS, runs: int = 1, profile: str = "default", results: Path | None = None,
            log=print, capacity_budget_s: float | None = None) -> dict:
    """{knee_rps, knees: per objective, runs: [{exit_code, interval_rps, width, held, wall_s, decided_by, run}]};
    each run's folder kept under `results` when given (else in a temporary folder, removed). With
    `capacity_budget_s`, make capacity's search (that many seconds of steps after the ladder) instead of the
    README's run."""
    mix = load_profile(profile).scenario
    knees = knee_rps(load_slo(), service_ms / 1000, mix.share_of("/predict") + mix.share_of("/predict/features"))
    truth = min(knees.values())
    out = {"service_ms": service_ms, "knees": {k: round(v, 2) for k, v in knees.items()}, "knee_rps": round(truth, 2),
           "runs": []}
    for n in range(runs):
        got = run_once(service_ms, profile, n, results, _command(profile, capacity_budget_s))
        low, high = got["interval_rps"]
        got["held"] = (low is None or low <= truth) and (high is None or truth <= high)
        out["runs"].append(got)
        log(f"  run {n + 1}: exit {got['exit_code']}, capacity {got['interval_rps']} req/s "
            f"({'holds' if got['held'] else 'misses'} {truth:.1f}), width {got['width']}, {got['wall_s']:.0f} s")
    return out


def _command(profile: str, capacity_budget_s: float | None) -> list[str]:
    """slobench's arguments: the README's run, or make capacity's search with its budget."""
    if capacity_budget_s is None:
        return ["loadtest", "--profile", profile, "--no-drift"]
    return ["capacity", "--profile", profile, "--budget-seconds", f"{capacity_budget_s:g}"]


def run_once(service_ms: float, profile: str, seed: int, results: Path | None, command: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = results or tmp / "results"
        port, prom_port = free_port(), free_port()
        app = spawn([sys.executable, "-m", "benchmarks.queue_app", str(port), str(service_ms), str(seed)],
                    tmp / "queue.log", cpus={0})
        prom = None
        try:
            url, prom_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{prom_port}"
            wait_until(lambda: http_get(url + "/health")[0] == 200, 60, "the queue target", app, tmp / "queue.log")
            (tmp / "prometheus.yml").write_text(prometheus_server.render_config(f"127.0.0.1:{port}", 1))
            prom = prometheus_server.start(prometheus_server.find_binary(None), tmp / "prometheus.yml",
                                           tmp / "tsdb", prom_port, tmp / "prometheus.log", cpus={1})
            wait_until(lambda: prometheus_server.target_up(prom_url), 30, "Prometheus scraping the queue")
            env = {**os.environ, "TARGET_URL": url, "PROMETHEUS_URL": prom_url, "RESULTS_DIR": str(results)}
            started = time.monotonic()
            with open(tmp / "run.log", "w") as out:
                code = subprocess.run([sys.executable, "-m", "slobench", *command], env=env, stdout=out,
                                      stderr=subprocess.STDOUT).returncode
            wall = time.monotonic() - started
            reports = sorted(results.glob(f"*/{names.SLO_REPORT}"), key=lambda p: p.stat().st_mtime)
            if not reports:
                raise RuntimeError(f"the run wrote no report (exit {code}):\n{(tmp / 'run.log').read_text()[-2000:]}")
            cap = Report.read(reports[-1]).capacity
        finally:
            stop_pid(app.pid)
            if prom is not None:
                stop_pid(prom.pid)
    return {"exit_code": code, "interval_rps": list(cap.interval_rps), "width": cap.width,
            "decided_by": cap.decided_by, "bracket_rps": cap.bracket_rps, "wall_s": round(wall, 1),
            "run": str(reports[-1].parent)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.known_knee", description=__doc__.split("\n\n")[0])
    parser.add_argument("service_ms", nargs="?", type=float, default=SERVICE_MS, help="the queue's mean service time")
    parser.add_argument("runs", nargs="?", type=int, default=1, help="how many runs in a row")
    parser.add_argument("--capacity", action="store_true", help="make capacity's search instead of the README's run")
    parser.add_argument("--budget", type=float, default=300.0, help="with --capacity: seconds of steps after the ladder")
    args = parser.parse_args()
    service = args.service_ms
    result = measure(service, args.runs, results=Path(__file__).resolve().parent.parent / "results" / "known-knee",
                     capacity_budget_s=args.budget if args.capacity else None)
    print(f"M/M/1 queue, {service:g} ms a request: knee {result['knee_rps']} req/s ({result['knees']})")
