"""Every table of a report, as data: the Markdown and the HTML report render the same sections, so the one
holds what the other holds. The stages' tables are here; the run's own (its baseline, the model's side, what ran)
in run_tables.py; the cells they are made of in cells.py."""
from __future__ import annotations

from slo.reports.cells import Cell, Table, fmt
from slo.reports.run_tables import baseline, drift, manifest, performance
from slo.verdicts.report import ObjectiveResult, QuantileAccuracy, Report, Stage
from slo.verdicts.wording import interval_text, short


def objective_text(o: ObjectiveResult) -> str:
    """`pass 1.9 ms 0–0.12%`: status, the figure, and the interval that decided it (in the objective's terms)."""
    interval = short(o.confidence)
    return (f"{o.status} {fmt(o.measured, o.unit)}" + (f" {interval}" if interval else "")
            + (f" ({o.detail})" if o.detail else ""))


def stage_notes(stage: Stage) -> list[str]:
    """What a reader must know about a stage besides its figures: incomplete data, drops."""
    notes = list(stage.server.notes)
    busy = [f"{name} ({'; '.join(w.get('why') or ['saturated'])})"
            for name, w in stage.client.workers.items() if w.get("saturated")]
    if busy:
        notes.append(f"generator-bound: {', '.join(busy)}; client figures include its own delays")
    stalled = [f"{name} ({'; '.join(w.get('why') or [])} at {w['cpu_cores']:.2f} core)"
               for name, w in stage.client.workers.items() if w.get("stalled")]
    if stalled:
        notes.append(f"the machine paused the generator: {', '.join(stalled)}; the client's figures include the "
                     "pause, the server's do not")
    dropped = stage.client.dropped
    if dropped:
        sent = stage.client.sent or 0
        notes.append(f"the generator dropped {dropped} arrivals ({dropped / (sent + dropped):.1%}): "
                     "they count against the throughput objective")
    return notes


def objectives(report: Report) -> Table:
    names = [o["name"] for o in report.slo["objectives"]]
    rows = []
    for s in report.stages:
        cells = [Cell(objective_text(o), o.status, {"data-objective": o.name, "data-value": o.measured})
                 for o in s.objectives]
        rows.append([Cell(s.name, attrs={"data-stage": s.name}), "yes" if s.gated else "no",
                     f"{s.offered_rps:.0f}" if s.offered_rps else "-",
                     Cell(fmt(s.server.rps_all_traffic), attrs={"data-value": s.server.rps_all_traffic}),
                     *cells])
    return Table("objectives", "Objectives per stage", ["stage", "gated", "offered req/s", "achieved req/s", *names], rows,
                 note=INTERVAL_LEGEND.format(level=report.slo.get("confidence_level", 0.95)))


INTERVAL_LEGEND = ("Beside each figure, its {level:.0%} interval: for a quantile, of the share of requests over its "
                   "threshold (p99 passes when the whole interval is at most 1 %); for the mean, of the mean; for "
                   "errors, of the 5xx share; for throughput, of the achieved share. A figure without one is exact.")


def _quantile_cell(q: dict, key: str) -> str:
    d = q.get(key) or {}
    b = d.get("bucket_ms")
    return f"{fmt(d.get('ms'), 'ms')} [{b[0]:g}, {b[1] if b[1] is not None else 'inf'}]" if b else fmt(d.get("ms"), "ms")


def confidence(report: Report) -> Table:
    """Each objective's interval: in what terms, by which method, how much dependence widened it, and for an
    inconclusive one, how many requests would decide it."""
    rows = []
    for s in report.stages:
        for o in s.objectives:
            c = o.confidence
            need = c.requests_needed
            rows.append([s.name, o.name, Cell(o.status, o.status), c.terms or "-", interval_text(c),
                         f"{c.design_effect:g} (x{c.widened_by or 1:g} wider)" if c.design_effect else "-",
                         f"{need:,} ({c.seconds_needed:g} s)" if need and c.seconds_needed else
                         (f"{need:,}" if need else "-"), c.method or "-"])
    return Table("confidence", "Confidence of each verdict",
                 ["stage", "objective", "verdict", "interval of", "interval", "design effect", "requests to decide",
                  "method"], rows,
                 note="PASS and FAIL only when the whole interval lies on one side of the objective; otherwise "
                      "INCONCLUSIVE. Requests of one scrape are not independent (a stall slows many): the design "
                      "effect is how much more the per-scrape blocks vary than independent requests would.")


def server_beside_client(report: Report) -> Table:
    rows = []
    for s in report.stages:
        sv, cl, q = s.server, s.client, s.server.quantiles
        rows.append([s.name, fmt(sv.mean_ms, "ms"), fmt(sv.quantile_ms(0.5), "ms"),
                     _quantile_cell(q, "0.95"), _quantile_cell(q, "0.99"), fmt(cl.p50_ms, "ms"),
                     fmt(cl.p95_ms, "ms"), fmt(cl.p99_ms, "ms"), fmt(cl.generator_cpu_cores),
                     f"{fmt(s.gap.p99_gap_ms, 'ms')}: {s.gap.cause}"])
    return Table("server-client", "Server (Prometheus) beside client (Locust), endpoint latency",
                 ["stage", "server mean", "server p50", "server p95 [bucket]", "server p99 [bucket]", "client p50",
                  "client p95", "client p99", "generator CPU (cores)", "p99 gap, what it comes from"], rows)


def replicas(report: Report) -> Table | None:
    rows = [[s.name, i, fmt(r["rps"]), fmt(r["p99_ms"], "ms"), fmt(r["errors_5xx"]), fmt(r["up_min"])]
            for s in report.stages if len(s.server.replicas) > 1
            for i, r in sorted(s.server.replicas.items())]
    return Table("replicas", "Replicas per stage", ["stage", "replica", "req/s", "p99", "5xx", "lowest up"],
                 rows) if rows else None


def generators(report: Report) -> Table | None:
    rows = [[s.name, name, str(w["requests"]), fmt(w["cpu_cores"]), fmt(w.get("loop_lag_p99_ms"), "ms"),
             fmt(w.get("send_lag_p99_ms"), "ms"),
             Cell("SATURATED: " + "; ".join(w.get("why") or []), "fail") if w["saturated"] else "no"]
            for s in report.stages for name, w in s.client.workers.items()]
    return Table("generators", "Load generators per stage", ["stage", "generator", "requests", "CPU (cores)",
                                                             "loop lag p99", "send lag p99", "saturated"],
                 rows) if rows else None


def machine(report: Report) -> Table | None:
    """Per stage: what other work took of the API's core, how fast the core ran a fixed piece of work, what one
    prediction cost, and whether the stage departed from the rest of the run."""
    rows = []
    for s in report.stages:
        m = s.machine
        if not m:
            continue
        speed = m.speed or {}
        cost = (s.server.serving or {}).get("compute_mean_ms")
        departs = Cell("SLOWER", "fail") if m.slowed else Cell("FASTER", "warn") if m.faster else \
            Cell(f"served {m.after}'s queue", "warn") if m.after else "no"
        rows.append([s.name, f"{m.taken_share:.1%} [{m.low:.1%}, {m.high:.1%}]",
                     f"{speed['unit_ms']:.3g} ms [{speed['low']:.3g}, {speed['high']:.3g}]" if speed else "-",
                     fmt(cost, "ms"), departs])
    return Table("machine", "The machine per stage", ["stage", "other work on the API's core", "the core's fixed work",
                                                      "one prediction (mean)", "departs from the run"], rows,
                 note="A stage departs when other work took a tenth of the core more (or less) than in the run's "
                      "typical stage beyond noise, or a quarter more for 5 seconds in a row: it measured the "
                      "machine and sets neither end of the capacity; nor does a stage that served the queue it "
                      "left (in flight up to half of what it held, or more). Nor one whose prediction took a "
                      "quarter more (or less) of the API's time than in the typical stage while the fixed work's "
                      "time moved the same way beyond its interval: the host changed speed. The fixed work alone "
                      "is not judged: it moves with the API's own load.") if rows else None


def accuracy(report: Report) -> Table:
    rows = []
    for s in report.stages:
        acc = s.accuracy or QuantileAccuracy()
        qs = acc.quantiles
        cells = [f"{fmt((qs.get(k) or {}).get('estimate_ms'), 'ms')} / {fmt((qs.get(k) or {}).get('exact_ms'), 'ms')}"
                 for k in ("0.5", "0.95", "0.99")]
        inside = "yes" if qs and all(v["within_bucket"] for v in qs.values()) else ("-" if not qs else "NO")
        rows.append([s.name, str(acc.rows), *cells, inside])
    recs = [f"{s.name}, {r['objective']}: {r['why']}; add bucket boundaries at "
            f"{', '.join(f'{b:g}' for b in r['add_boundaries_ms'])} ms"
            for s in report.stages for r in (s.accuracy.recommendations if s.accuracy else [])]
    return Table("accuracy", "Accuracy: histogram estimates against the exact quantiles of the recorded latencies",
                 ["stage", "recorded", "p50 est / exact", "p95 est / exact", "p99 est / exact", "inside the bucket"],
                 rows, [f"Bucket recommendation: {r}" for r in recs])


def reconciliation(report: Report) -> Table:
    rows = []
    for s in report.stages:
        r = s.reconciliation
        gaps = ", ".join(f"{k} {v:+.2%}" for k, v in r.gaps.items() if v is not None) or "-"
        rows.append([s.name, fmt(r.locust_answered), fmt(r.locust_no_response), fmt(r.prometheus),
                     fmt(r.prometheus_200), fmt(r.recorded), gaps, "yes" if r.ok else Cell("FLAGGED", "fail")])
    rec = report.reconciliation
    if rec:
        rows.append(["run", fmt(rec.locust_answered), fmt(rec.locust_no_response), fmt(rec.prometheus),
                     fmt(rec.prometheus_200), fmt(rec.recorded), f"tolerance {rec.tolerance:.0%}",
                     "yes" if rec.ok else Cell("FLAGGED", "fail")])
    return Table("reconciliation", "Counts reconciled", ["stage", "Locust answered", "no response", "Prometheus",
                                                         "Prometheus 200", "recorded rows", "gaps", "ok"], rows)


def notes(report: Report) -> Table | None:
    items = [f"{s.name}: {n}" for s in report.stages for n in stage_notes(s)]
    return Table("notes", "Notes", [], [], items) if items else None


def all_tables(report: Report) -> list[Table]:
    """The report's sections in reading order."""
    made = [objectives(report), confidence(report), server_beside_client(report), replicas(report), generators(report),
            machine(report), accuracy(report),
            reconciliation(report), notes(report), baseline(report), performance(report), drift(report),
            manifest(report)]
    return [t for t in made if t is not None]
