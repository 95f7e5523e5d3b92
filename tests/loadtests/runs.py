"""What the end-to-end run tests share: a looser SLO file, and whether the stack a run started is gone."""
from pathlib import Path

import yaml

from stack.procs import pid_alive, port_in_use
from tests.slos import LINEAR_SLO


def loose_slo(tmp_path) -> Path:
    """The linear SLO with its latencies a tenfold looser, for tests of what follows a met SLO (the drift gate's
    code, an interrupted run's judged stage): a slow spell of a machine running another load test beside them left
    a 12 to 25 s stage's p50 undecided (share over 10 ms in [0.03 %, 61.6 %] against 50 %)."""
    slo = yaml.safe_load(LINEAR_SLO.read_text())
    for o in slo["objectives"]:
        o.update({k: 10 * v for k, v in o.items() if k in ("threshold_ms", "warning_ms")})
    path = tmp_path / "slo.yaml"
    path.write_text(yaml.safe_dump(slo))
    return path


def stack_stopped(manifest: dict) -> bool:
    """The API and the Prometheus the run started: neither process alive, neither port taken."""
    ran = manifest["ran"]
    ports = [int(ran[k]["url"].rsplit(":", 1)[1]) for k in ("api", "prometheus")]
    return not any(pid_alive(ran[k]["pid"]) for k in ("api", "prometheus")) and not any(port_in_use(p) for p in ports)
