"""Evaluate PromQL in Prometheus's own engine on synthetic series, through `promtool test rules`."""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import yaml

from tests import needs


def binary() -> str:
    return needs.binary("promtool")


def evaluate(series: dict[str, str], expr: str, at: str, interval: str = "1s") -> dict[str, float]:
    """{labels: value} of expr at `at`, the series given in promtool's notation ('0+100x60') every `interval`."""
    test = {"rule_files": [], "evaluation_interval": interval,
            "tests": [{"interval": interval, "input_series": [{"series": k, "values": v} for k, v in series.items()],
                       # No expected samples: promtool prints what it got, which is what we read.
                       "promql_expr_test": [{"expr": expr, "eval_time": at, "exp_samples": []}]}]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.yml"
        path.write_text(yaml.safe_dump(test))
        out = subprocess.run([binary(), "test", "rules", str(path)], capture_output=True, text=True, timeout=60)
    text = out.stdout + out.stderr
    got = re.search(r"got: (.*)", text)
    if out.returncode == 0:
        return {}
    if got is None:
        raise AssertionError(f"promtool could not evaluate {expr!r}:\n{text}")
    if got.group(1).strip() == "nil":
        return {}
    return {labels: float(value) for labels, value in re.findall(r"(\{[^}]*\}) (\S+?)(?:,|$)", got.group(1))}
