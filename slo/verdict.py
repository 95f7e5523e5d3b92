"""Judge each objective per stage, then the run: gate, capacity, and what the mean hides."""
from __future__ import annotations

from slo.spec import Availability, ErrorRatio, LatencyMean, LatencyQuantile, RatioSli, SloSpec, ThresholdSli, Throughput

JUDGED = ("pass", "warn", "fail")


def _grade(measured, threshold, warning, higher_is_worse: bool = True) -> str:
    if measured is None:
        return "no_data"
    worse = (lambda a, b: a > b) if higher_is_worse else (lambda a, b: a < b)
    if worse(measured, threshold):
        return "fail"
    if warning is not None and worse(measured, warning):
        return "warn"
    return "pass"


def judge_objective(o, server: dict, offered_rps: float | None, enough: bool, min_tail_samples: int = 1,
                    client: dict | None = None) -> dict:
    """One objective in one stage; client gives the open model's sent and dropped arrivals."""
    out = {"name": o.name, "kind": o.kind}
    if isinstance(o, (LatencyQuantile, LatencyMean)):
        if isinstance(o, LatencyQuantile):
            # Too few requests above the quantile to know where it lies: say so rather than pass.
            enough = enough and server["requests"] * (1 - o.quantile) >= min_tail_samples
            q = server["quantiles"].get(f"{o.quantile:g}") or {}
            measured, out["bucket_ms"], out["quantile"] = q.get("ms"), q.get("bucket_ms"), o.quantile
        else:
            measured = server.get("mean_ms")
        out.update(measured=measured, threshold=o.threshold_ms, warning=o.warning_ms, unit="ms",
                   status=_grade(measured, o.threshold_ms, o.warning_ms) if enough else "insufficient")
    elif isinstance(o, ErrorRatio):
        measured = server.get("error_ratio")
        out.update(measured=measured, threshold=o.max_ratio, warning=o.warning_ratio, unit="ratio",
                   status=_grade(measured, o.max_ratio, o.warning_ratio) if enough else "insufficient")
    elif isinstance(o, Availability):
        # With replicas, min_up is the share of them that must be up at every scrape (1: every replica).
        measured = server.get("up_share_min", server.get("up_min"))
        out.update(measured=measured, threshold=o.min_up, warning=None, unit="up",
                   status=_grade(measured, o.min_up, None, higher_is_worse=False))
        replicas = len(server.get("replicas") or {})
        if replicas > 1:
            out["detail"] = ("every replica up" if o.min_up >= 1 else f"at least {o.min_up:.0%} of the {replicas} "
                             "replicas up") + " at every scrape"
    elif isinstance(o, (RatioSli, ThresholdSli)):
        sli = (server.get("slis") or {}).get(o.name) or {}
        measured = sli.get("good_share")
        out.update(measured=measured, threshold=o.target, warning=None, unit="ratio",
                   status=_grade(measured, o.target, None, higher_is_worse=False))
        if measured is not None:
            # The error budget is 1 - target; at this load it would burn this many times as fast as allowed.
            burn = (1 - measured) / (1 - o.target) if o.target < 1 else None
            out["burn_rate"] = None if burn is None else round(burn, 3)
            if burn is not None:
                out["detail"] = f"burns the error budget at {burn:.1f}x"
    elif isinstance(o, Throughput):
        achieved = server.get("rps_all_traffic")
        measured = round(achieved / offered_rps, 4) if offered_rps and achieved is not None else None
        dropped, sent = (client or {}).get("dropped") or 0, (client or {}).get("sent") or 0
        if dropped:
            # Arrivals the generator dropped were offered and never served: the share cannot exceed what was sent.
            sent_share = sent / (sent + dropped)
            measured = round(min(measured, sent_share), 4) if measured is not None else round(sent_share, 4)
            out.update(dropped=dropped, detail=f"{dropped / (sent + dropped):.1%} of arrivals dropped by the generator")
        out.update(measured=measured, threshold=o.min_share, warning=o.warning_share, unit="share of offered",
                   status="n/a" if not offered_rps else _grade(measured, o.min_share, o.warning_share, higher_is_worse=False))
    return out


def is_gated(spec: SloSpec, stage: dict) -> bool:
    g = spec.gate
    if g.stages is not None:
        return stage["name"] in g.stages
    if g.required_rps is not None:
        return stage.get("offered_rps") is None or stage["offered_rps"] <= g.required_rps
    return True


def stage_status(objectives: list[dict]) -> str:
    statuses = {o["status"] for o in objectives}
    for s in ("fail", "no_data", "insufficient", "warn"):
        if s in statuses:
            return s
    return "pass"


def mean_hides_tail(stage_name: str, objectives: list[dict]) -> list[str]:
    """One plain sentence when the mean passes in a stage where p95 or p99 fails."""
    means = [o for o in objectives if o["kind"] == "latency_mean" and o["status"] in ("pass", "warn")]
    tails = [o for o in objectives if o["kind"] == "latency_quantile" and o["quantile"] >= 0.95 and o["status"] == "fail"]
    out = []
    for mean in means:
        for tail in tails:
            out.append(f"In stage {stage_name}, the mean hides the tail: the mean was {mean['measured']:.1f} ms, "
                       f"within its {mean['threshold']:g} ms objective, while {tail['name']} was "
                       f"{tail['measured']:.1f} ms, over its {tail['threshold']:g} ms threshold.")
    return out


def capacity(stages: list[dict]) -> dict:
    """The highest stage that met every objective with a generator that kept up, and the first that broke one.
    A stage whose generator was saturated measured the generator: it cannot be the capacity."""
    bound = [s["name"] for s in stages if (s.get("client") or {}).get("generator_bound")]
    met = [s for s in stages if s["status"] in ("pass", "warn") and s["name"] not in bound]
    broken = next((s for s in stages if s["status"] == "fail"), None)
    out = {"highest_passing_stage": None, "highest_passing_rps": None, "first_failing_stage": None, "broken": [],
           "generator_bound_stages": bound}
    if met:
        best = max(met, key=lambda s: (s["server"].get("rps_all_traffic") or 0))
        out.update(highest_passing_stage=best["name"], highest_passing_rps=best["server"].get("rps_all_traffic"))
    if broken:
        out["first_failing_stage"] = broken["name"]
        for o in broken["objectives"]:
            if o["status"] == "fail":
                by = (o["measured"] / o["threshold"]) if o["threshold"] else None
                out["broken"].append({"objective": o["name"], "measured": o["measured"], "threshold": o["threshold"],
                                      "unit": o["unit"], "ratio": round(by, 3) if by is not None else None})
    return out


def run_verdict(stages: list[dict], baseline_failures: list[str]) -> dict:
    gated = [s for s in stages if s["gated"]]
    failed = [s["name"] for s in gated if s["status"] == "fail"]
    unjudged = [s["name"] for s in gated if s["status"] in ("no_data", "insufficient")]
    if not stages or not gated:
        return {"status": "no_data", "exit_code": 2, "reason": "no gated stage was measured: nothing to judge"}
    if failed or baseline_failures:
        reasons = [f"gated stage {n} failed an objective" for n in failed] + baseline_failures
        return {"status": "fail", "exit_code": 1, "reason": "; ".join(reasons)}
    if unjudged:
        return {"status": "no_data", "exit_code": 2,
                "reason": f"not enough data to judge gated stage(s) {', '.join(unjudged)}"}
    unreconciled = [s["name"] for s in gated if not s.get("reconciliation", {}).get("ok", True)]
    if unreconciled:
        return {"status": "untrusted", "exit_code": 2,
                "reason": f"counts do not reconcile in gated stage(s) {', '.join(unreconciled)}: the figures cannot be trusted"}
    warned = [s["name"] for s in gated if s["status"] == "warn"]
    reason = "every objective of every gated stage met" + (f" (warnings in {', '.join(warned)})" if warned else "")
    return {"status": "pass", "exit_code": 0, "reason": reason}
