"""Evaluate a run folder: raw Prometheus answers + stage timeline + client logs -> the SLO report."""
from __future__ import annotations

import time
from pathlib import Path

from slo import accuracy, collect as collect_mod
from slo.baseline import compare
from slo.blocks import per_scrape
from slo.intervals import evidence_of
from slo.figures import replica_figures, server_figures, sli_figures
from slo.series import server_series
from slo.spec import LatencyQuantile, RatioSli, SloSpec, ThresholdSli
from slo.verdict import capacity, completeness, is_gated, judge_objective, mean_hides_tail, run_verdict, stage_status

SCHEMA_VERSION = 1
REPORT_QUANTILES = (0.5, 0.95, 0.99)


class EvaluationError(RuntimeError):
    """The run cannot be judged (missing timeline, raw answers for other metrics...): exit 2."""


def _quantiles(spec: SloSpec) -> list[float]:
    return sorted(set(REPORT_QUANTILES) | {o.quantile for o in spec.objectives if isinstance(o, LatencyQuantile)})


def explain_gap(client: dict, server: dict, processes: int) -> dict:
    """Name what separates Locust's p95 from the server's: the generator, queueing, or the network."""
    c95, s95 = client.get("p95_ms"), (server["quantiles"].get("0.95") or {}).get("ms")
    if c95 is None or s95 is None:
        return {"p95_gap_ms": None, "cause": "no data"}
    gap = round(c95 - s95, 3)
    cpu = client.get("generator_cpu_cores")
    busy = [f"{name} {w['cpu_cores']:.2f}" for name, w in (client.get("workers") or {}).items() if w.get("saturated")]
    if busy:
        cause = (f"the load generator was saturated ({', '.join(busy)} core busy): client times include its own "
                 "scheduling delays")
    elif cpu is not None and cpu >= 0.85 * processes:
        cause = (f"the load generator was saturated ({cpu:.2f} of {processes} core(s) busy): "
                 "client times include its own scheduling delays")
    elif gap > max(2.0, 0.5 * s95):
        cause = ("queueing before the handler: requests waited in the API's accept queue and event loop "
                 "before the server's clock started")
    else:
        cause = "small: loopback network and client overhead"
    return {"p95_gap_ms": gap, "cause": cause}


def _down_sentences(stage: dict) -> list[str]:
    """When Prometheus found the API (or, with replicas, which replica) down inside the stage's window."""
    replicas = stage["server"].get("replicas") or {}
    found = ([(f"replica {i}", r["down_at"]) for i, r in sorted(replicas.items()) if r.get("down_at") is not None]
             if len(replicas) > 1 else [("the API", stage["server"].get("down_at"))])
    return [f"In stage {stage['name']}, Prometheus found {who} down at {time.strftime('%H:%M:%S', time.gmtime(down))} "
            f"UTC, {down - stage['window']['start']:.0f} s into the measured window."
            for who, down in found if down is not None]


def evaluate(run_dir: Path, spec: SloSpec, raw: dict, tl: dict, clients: dict[str, dict | None],
             baseline: dict | None = None, processes: int = 1, client_series: dict | None = None,
             manifest: dict | None = None, run_end: dict | None = None) -> dict:
    """The SLO report of a run: tl is its stage timeline (stages.json), clients the generator's figures per stage
    (None where no client log was kept), raw the Prometheus answers, client_series the generator's seconds,
    manifest what ran where, run_end how it ended (Locust's exit code, an interrupt, worker finals); all data,
    read by the caller."""
    db = Path(run_dir) / "predictions.db"
    quantile_objectives = {o.name: (o.quantile, o.threshold_ms) for o in spec.objectives if isinstance(o, LatencyQuantile)}
    if raw.get("metrics") != spec.metrics.model_dump():
        raise EvaluationError(f"{run_dir}/{collect_mod.RAW_FILE} was collected for other metrics or selectors than this "
                              "SLO file declares; re-evaluate against a running Prometheus (--prometheus-url)")
    raw_by_name = {e["name"]: e for e in raw["stages"]}
    scrape_s = float(raw.get("scrape_interval_s", 1.0))
    kind = tl.get("kind", "closed")
    endpoint = spec.metrics.selector.get("endpoint")
    stages = []
    sentences = []
    for st in tl["stages"]:
        entry = raw_by_name.get(st["name"])
        if entry is None:
            continue
        server = server_figures(entry, spec.metrics.status_label, _quantiles(spec), scrape_s)
        server["replicas"] = replica_figures(entry, entry["window_s"])
        server["slis"] = sli_figures(entry, [o.name for o in spec.objectives if isinstance(o, (RatioSli, ThresholdSli))])
        logged = clients.get(st["name"])
        client = {**(logged or {}), "model": kind}
        enough = server["requests"] >= spec.min_samples
        evidence = evidence_of(entry, spec.metrics.status_label, spec.confidence_level, scrape_s, st["measure_from"],
                               st["end"], poisson_arrivals=kind == "open" and tl.get("arrival", "poisson") == "poisson")
        objectives = [judge_objective(o, server, st.get("offered_rps"), enough, client, evidence)
                      for o in spec.objectives]
        server["per_scrape"] = per_scrape(evidence.bucket_blocks, evidence.mean_blocks, list(REPORT_QUANTILES))
        stage = {"index": st["index"], "name": st["name"], "users": st["users"], "offered_rps": st.get("offered_rps"),
                 "began": st.get("start", st["measure_from"]),
                 "window": {"start": st["measure_from"], "end": st["end"], "seconds": entry["window_s"]},
                 "completed": st["completed"], "gated": is_gated(spec, st), "server": server, "client": client,
                 "gap": explain_gap(client, server, processes), "objectives": objectives}
        stage["status"] = stage_status(objectives)
        if not st["completed"]:
            server["notes"].append("the stage was cut short (the run stopped during it)")
        lat = accuracy.recorded(db, st["measure_from"], st["end"], endpoint)
        boundaries = sorted(1000 * float(r["metric"]["le"]) for r in (entry["answers"].get("latency_buckets") or {})
                            .get("result", []) if r["metric"].get("le") not in (None, "+Inf"))
        stage["accuracy"] = accuracy.quantile_accuracy(server, lat, quantile_objectives, boundaries)
        stage["reconciliation"] = accuracy.reconcile(client if logged else None, server,
                                                     None if lat is None else len(lat),
                                                     spec.reconciliation_tolerance, spec.min_samples, entry["window_s"],
                                                     scrape_s)
        sentences += mean_hides_tail(st["name"], objectives)
        sentences += _down_sentences(stage)
        stages.append(stage)

    report = {
        "schema_version": SCHEMA_VERSION,
        "service": spec.service,
        "run": {"id": Path(run_dir).resolve().name, "profile": tl["profile"], "started": tl["wall_start"],
                "stopped": tl["stopped_at"],
                "scrape_interval": {"seconds": scrape_s, "source": raw.get("scrape_interval_source", "assumed")},
                "scope": {**spec.metrics.up_selector, **({"instances": raw["instances"]} if raw.get("instances") else {})}},
        "slo": spec.model_dump(mode="json"),
        "stages": stages,
        "capacity": capacity(stages),
        "sentences": sentences,
        "baseline": None,
        "reconciliation": _run_reconciliation(stages, spec),
        "replicas": replica_summary(stages, spec),
        "series": {"server": server_series(raw.get("series"), tl["wall_start"]), "client": client_series},
        "manifest": manifest,
    }
    baselines = baseline if isinstance(baseline, list) else [baseline] if baseline else []
    report["baseline"], failures = compare([report], baselines, spec) if baselines else (None, [])
    report["completeness"] = completeness(tl, spec, run_end)
    report["verdict"] = run_verdict(stages, failures, report["completeness"],
                                    (report["baseline"] or {}).get("untested", []))
    return report


def _run_reconciliation(stages: list[dict], spec: SloSpec) -> dict:
    """Counts over the whole run, and the stages whose counts did not agree."""
    totals = {k: sum((s["reconciliation"].get(k) or 0) for s in stages)
              for k in ("locust_answered", "locust_no_response", "prometheus", "prometheus_200", "recorded")}
    flagged = [f"{s['name']}: {', '.join(s['reconciliation']['flagged'])}" for s in stages if s["reconciliation"]["flagged"]]
    return {**totals, "tolerance": spec.reconciliation_tolerance, "flagged": flagged, "ok": not flagged}


def replica_summary(stages: list[dict], spec: SloSpec) -> dict | None:
    """With several instances: whether the balancer spread the load evenly, and which replica broke first."""
    seen = [s for s in stages if len(s["server"].get("replicas") or {}) > 1]
    if not seen:
        return None
    p99_threshold = next((o.threshold_ms for o in spec.objectives if isinstance(o, LatencyQuantile)
                          and o.quantile == 0.99), None)
    uneven, first = [], None
    for s in seen:
        reps = s["server"]["replicas"]
        total = sum(r["requests"] for r in reps.values())
        if total >= spec.min_samples:
            shares = [r["requests"] / total for r in reps.values()]
            if max(shares) > 1.2 / len(reps) or min(shares) < 0.8 / len(reps):
                uneven.append(f"{s['name']} ({', '.join(f'{x:.0%}' for x in sorted(shares))})")
        for instance, r in reps.items():
            what = ("down" if (r.get("up_min") is not None and r["up_min"] < 1) else
                    "p99 over its threshold" if p99_threshold and (r.get("p99_ms") or 0) > p99_threshold else
                    "5xx answers" if r.get("errors_5xx") else None)
            if what and first is None:
                first = {"replica": instance, "stage": s["name"], "what": what, "down_at": r.get("down_at")}
    return {"replicas": sorted({i for s in seen for i in s["server"]["replicas"]}), "even": not uneven,
            "uneven_stages": uneven, "first_broken": first}
