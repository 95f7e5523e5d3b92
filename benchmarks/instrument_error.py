"""The instrument's own error: against a target that answers at once, with a generator at about a third of a
core, how far the client's p99 (from intended start) lies above the server's, and what the gap comes from.

The generator has core 1 to itself; the target and Prometheus share core 0. Repeated, since identical runs here
differ by tens of percent in a p99: the median and the range are what to quote."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from loadtests.profile import load_profile
from loadtests.run import run_headless
from slo.file.load import load_slo
from slobench.judge import judge
from stack import prometheus_server
from stack.procs import free_port, http_get, spawn, stop_pid, wait_until

PROFILE = """name: bench-instrument
kind: open
arrival: poisson
max_concurrency: 1000
scenario: {weights: {predict_user: 1}}
settle_s: 3
stages:
  - {name: s, rate_rps: 800, duration_s: 33}
"""


def measure(repeats: int = 3) -> dict:
    """{runs: each run's figures, median: the median run by gap, range_ms: the gaps' min and max}."""
    runs = sorted((measure_once() for _ in range(repeats)), key=lambda r: r["gap_ms"])
    return {"runs": runs, "median": runs[len(runs) // 2], "range_ms": (runs[0]["gap_ms"], runs[-1]["gap_ms"])}


def measure_once() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        port, prom_port = free_port(), free_port()
        api = spawn([sys.executable, "-m", "benchmarks.instant_app", str(port)], tmp / "api.log", cpus={0})
        prom = None
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until(lambda: http_get(url + "/health")[0] == 200, 60, "instant target", api, tmp / "api.log")
            (tmp / "prometheus.yml").write_text(prometheus_server.render_config(f"127.0.0.1:{port}", 1))
            prom = prometheus_server.start(prometheus_server.find_binary(None), tmp / "prometheus.yml", tmp / "tsdb", prom_port,
                                    tmp / "prometheus.log", cpus={0})
            prom_url = f"http://127.0.0.1:{prom_port}"
            wait_until(lambda: prometheus_server.target_up(prom_url), 30, "Prometheus scraping the target")
            run = tmp / "run"
            run.mkdir()
            (run / "p.yaml").write_text(PROFILE)
            run_headless(run / "p.yaml", load_profile(str(run / "p.yaml")), url, run, cpus={1}, on_line=lambda *_: None)
            [stage] = judge(run, load_slo(), prom_url).stages
        finally:
            stop_pid(api.pid)
            if prom is not None:
                stop_pid(prom.pid)
    client, server = stage.client, stage.server
    return {"rps": server.rps_all_traffic, "generator_cores": client.generator_cpu_cores,
            "client_p99_ms": client.hdr_p99_ms, "server_p99_ms": server.quantile_ms(0.99),
            "gap_ms": stage.gap.p99_gap_ms, "parts": stage.gap.parts,
            "loop_lag_p99_ms": client.generator_loop_lag_p99_ms,
            "send_lag_p99_ms": client.generator_send_lag_p99_ms, "api_lag_p99_ms": server.api_loop_lag_p99_ms}


if __name__ == "__main__":
    print(measure(1))
