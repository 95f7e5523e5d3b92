"""What the whole run's stages add up to: their counts reconciled over the run, and, behind a balancer, whether the
replicas shared the load and which broke first (the report's `reconciliation` and `replicas`)."""
from __future__ import annotations

from slo.file.model import SloSpec
from slo.verdicts.report import Stage


def run_reconciliation(stages: list[Stage], spec: SloSpec) -> dict:
    """Counts over the whole run, and the stages whose counts did not agree."""
    totals = {k: sum((getattr(s.reconciliation, k) or 0) for s in stages)
              for k in ("locust_answered", "locust_no_response", "prometheus", "prometheus_200", "recorded")}
    flagged = [f"{s.name}: {', '.join(s.reconciliation.flagged)}" for s in stages if s.reconciliation.flagged]
    return {**totals, "tolerance": spec.reconciliation_tolerance, "flagged": flagged, "ok": not flagged}


def replica_summary(stages: list[Stage], spec: SloSpec) -> dict | None:
    """With several instances: whether the balancer spread the load evenly, and which replica broke first."""
    seen = [s for s in stages if len(s.server.replicas) > 1]
    if not seen:
        return None
    p99_threshold = next((o.threshold_ms for o in spec.quantile_objectives() if o.quantile == 0.99), None)
    uneven, first = [], None
    for s in seen:
        reps = s.server.replicas
        total = sum(r["requests"] for r in reps.values())
        if total >= spec.min_samples:
            shares = [r["requests"] / total for r in reps.values()]
            if max(shares) > 1.2 / len(reps) or min(shares) < 0.8 / len(reps):
                uneven.append(f"{s.name} ({', '.join(f'{x:.0%}' for x in sorted(shares))})")
        for instance, r in reps.items():
            what = ("down" if (r.get("up_min") is not None and r["up_min"] < 1) else
                    "p99 over its threshold" if p99_threshold and (r.get("p99_ms") or 0) > p99_threshold else
                    "5xx answers" if r.get("errors_5xx") else None)
            if what and first is None:
                first = {"replica": instance, "stage": s.name, "what": what, "down_at": r.get("down_at")}
    return {"replicas": sorted({i for s in seen for i in s.server.replicas}), "even": not uneven,
            "uneven_stages": uneven, "first_broken": first}
