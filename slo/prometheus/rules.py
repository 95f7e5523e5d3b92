"""Prometheus recording and multi-window, multi-burn-rate alerting rules from the SLO file.

The Google SRE workbook's scheme (as Sloth and Pyrra generate it): a latency objective "p99 <= 100 ms"
becomes the SLI "requests slower than 100 ms" with a 99 % target; an error-ratio objective "<= 1 %"
becomes a 99 % target on 5xx. Page on a 14.4x burn over 1 h (and 5 m) or 6x over 6 h (and 30 m);
ticket on 3x over 1 d (and 2 h) or 1x over 3 d (and 6 h).
"""
from __future__ import annotations

from pathlib import Path

import yaml

from slo.file.model import SloSpec

RULES_PATH = Path(__file__).resolve().parents[2] / "stack" / "rules" / "slo-rules.yml"
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# (severity, long window, short window, burn-rate factor)
ALERTS = (("page", "1h", "5m", 14.4), ("page", "6h", "30m", 6.0), ("ticket", "1d", "2h", 3.0), ("ticket", "3d", "6h", 1.0))
RECORD = "slo:sli_error:ratio_rate{window}"


def _slis(spec: SloSpec, bucket_bounds: tuple[float, ...]) -> list[tuple[str, float, str]]:
    """(name, target, PromQL of the bad-event ratio over [W]) for each objective that is an error budget to alert
    on (alert_sli: error ratios and high latency quantiles)."""
    return [(o.name, *sli) for o in spec.objectives if (sli := o.alert_sli(spec.metrics, bucket_bounds))]


def build(spec: SloSpec, bucket_bounds: tuple[float, ...] = ()) -> dict:
    groups = []
    for name, target, ratio in _slis(spec, bucket_bounds):
        labels = {"service": spec.service, "slo": name}
        rules = [{"record": RECORD.format(window=w), "expr": ratio.replace("[W]", f"[{w}]"), "labels": labels}
                 for w in WINDOWS]
        budget = round(1 - target, 6)
        for severity in ("page", "ticket"):
            conditions = [f"(max(slo:sli_error:ratio_rate{long}{{slo=\"{name}\"}}) > {factor:g} * {budget:g} and "
                          f"max(slo:sli_error:ratio_rate{short}{{slo=\"{name}\"}}) > {factor:g} * {budget:g})"
                          for sev, long, short, factor in ALERTS if sev == severity]
            rules.append({
                "alert": f"SloBurnRate{severity.capitalize()}_{name}",
                "expr": " or ".join(conditions),
                "for": "2m" if severity == "page" else "15m",
                "labels": {**labels, "severity": severity},
                "annotations": {"summary": f"{spec.service}: the {name} SLO ({target:.2%}) burns its error budget too fast"},
            })
        groups.append({"name": f"slo-{spec.service}-{name}", "rules": rules})
    return {"groups": groups}


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def write(spec: SloSpec, path: Path | str = RULES_PATH, bucket_bounds: tuple[float, ...] = ()) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Generated from slo/slos.yaml by `make rules` (slo/prometheus/rules.py); do not edit by hand.\n"
    path.write_text(header + yaml.dump(build(spec, bucket_bounds), Dumper=_NoAliases, sort_keys=False, width=200))
    return path
