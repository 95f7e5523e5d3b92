"""The Markdown report and the colored terminal summary."""
from __future__ import annotations

STATUS_COLORS = {"pass": "32", "warn": "33", "fail": "31", "no_data": "35", "insufficient": "35", "n/a": "2"}


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{value:.2%}"
    if unit == "share of offered":
        return f"{value:.0%}"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:g}"


def _objective_cell(o: dict) -> str:
    return f"{o['status']} {fmt(o['measured'], o['unit'])}" + (f" ({o['detail']})" if o.get("detail") else "")


def stage_notes(stage: dict) -> list[str]:
    """What a reader must know about a stage besides its figures: incomplete data, drops."""
    notes = list(stage["server"]["notes"])
    busy = [f"{name} ({w['cpu_cores']:.2f} core)" for name, w in (stage["client"].get("workers") or {}).items()
            if w.get("saturated")]
    if busy:
        notes.append(f"generator-bound: {', '.join(busy)} saturated; client figures include its own delays")
    dropped = stage["client"].get("dropped")
    if dropped:
        sent = stage["client"].get("sent") or 0
        notes.append(f"the generator dropped {dropped} arrivals ({dropped / (sent + dropped):.1%}): "
                     "they count against the throughput objective")
    return notes


def headline(report: dict) -> list[str]:
    v, cap = report["verdict"], report["capacity"]
    lines = [f"Verdict: {v['status'].upper()} (exit {v['exit_code']}): {v['reason']}"]
    if cap["highest_passing_stage"]:
        lines.append(f"Capacity: stage {cap['highest_passing_stage']} met every objective at "
                     f"{cap['highest_passing_rps']:.0f} req/s")
    if cap.get("generator_bound_stages"):
        lines.append(f"Generator-bound: {', '.join(cap['generator_bound_stages'])}: a load generator was saturated, so "
                     "these stages measured the generator, not the API (they cannot be the capacity)")
    if cap["first_failing_stage"]:
        broken = ", ".join(f"{b['objective']} {fmt(b['measured'], b['unit'])} vs {fmt(b['threshold'], b['unit'])}"
                           + (f" (x{b['ratio']:.2f})" if b["ratio"] is not None and b["unit"] == "ms" else "")
                           for b in cap["broken"])
        lines.append(f"First stage to break an objective: {cap['first_failing_stage']}: {broken}")
    lines += report["sentences"]
    reps = report.get("replicas")
    if reps:
        spread = "spread the load evenly" if reps["even"] else f"spread the load unevenly in {', '.join(reps['uneven_stages'])}"
        lines.append(f"Replicas: {len(reps['replicas'])} behind the balancer, which {spread}")
        first = reps.get("first_broken")
        if first:
            lines.append(f"First replica to break: {first['replica']} in stage {first['stage']} ({first['what']})")
    scrape = report["run"].get("scrape_interval")
    if scrape:
        scope = ", ".join(f"{k}={v if isinstance(v, str) else '|'.join(v)}" for k, v in report["run"].get("scope", {}).items())
        lines.append(f"Prometheus scrape interval: {scrape['seconds']:g} s ({scrape['source']}); queries scoped to {scope}")
    drift = report.get("drift")
    if drift:
        lines.append(f"Drift: {drift.get('summary', drift.get('status'))}")
    return lines


def markdown(report: dict) -> str:
    names = [o["name"] for o in report["slo"]["objectives"]]
    out = [f"# SLO report: {report['service']}, run {report['run']['id']}", "", *[f"- {l}" for l in headline(report)], ""]
    out += ["## Objectives per stage", "",
            "| stage | gated | offered req/s | achieved req/s | " + " | ".join(names) + " |",
            "|---|---|---|---|" + "---|" * len(names)]
    for s in report["stages"]:
        cells = [_objective_cell(o) for o in s["objectives"]]
        offered = f"{s['offered_rps']:.0f}" if s["offered_rps"] else "-"
        out.append(f"| {s['name']} | {'yes' if s['gated'] else 'no'} | {offered} | "
                   f"{fmt(s['server']['rps_all_traffic'])} | " + " | ".join(cells) + " |")
    out += ["", "## Server (Prometheus) beside client (Locust), endpoint latency", "",
            "| stage | server mean | server p50 | server p95 [bucket] | server p99 [bucket] | client p50 | client p95 | client p99 | "
            "generator CPU (cores) | p95 gap, cause |", "|---|---|---|---|---|---|---|---|---|---|"]
    for s in report["stages"]:
        sv, cl, q = s["server"], s["client"], s["server"]["quantiles"]

        def qcell(key):
            d = q.get(key) or {}
            b = d.get("bucket_ms")
            return f"{fmt(d.get('ms'), 'ms')} [{b[0]:g}, {b[1] if b[1] is not None else 'inf'}]" if b else fmt(d.get("ms"), "ms")
        out.append(f"| {s['name']} | {fmt(sv['mean_ms'], 'ms')} | {fmt((q.get('0.5') or {}).get('ms'), 'ms')} | "
                   f"{qcell('0.95')} | {qcell('0.99')} | {fmt(cl.get('p50_ms'), 'ms')} | {fmt(cl.get('p95_ms'), 'ms')} | "
                   f"{fmt(cl.get('p99_ms'), 'ms')} | {fmt(cl.get('generator_cpu_cores'))} | "
                   f"{fmt(s['gap']['p95_gap_ms'], 'ms')}: {s['gap']['cause']} |")
    replica_rows = [f"| {s['name']} | {i} | {fmt(r['rps'])} | {fmt(r['p99_ms'], 'ms')} | {fmt(r['errors_5xx'])} | "
                    f"{fmt(r['up_min'])} |"
                    for s in report["stages"] if len(s["server"].get("replicas") or {}) > 1
                    for i, r in sorted(s["server"]["replicas"].items())]
    if replica_rows:
        out += ["", "## Replicas per stage", "", "| stage | replica | req/s | p99 | 5xx | lowest up |",
                "|---|---|---|---|---|---|", *replica_rows]
    worker_rows = [f"| {s['name']} | {name} | {w['requests']} | {fmt(w['cpu_cores'])} | {'SATURATED' if w['saturated'] else 'no'} |"
                   for s in report["stages"] for name, w in (s["client"].get("workers") or {}).items()]
    if worker_rows:
        out += ["", "## Load generators per stage", "", "| stage | generator | requests | CPU (cores) | saturated |",
                "|---|---|---|---|---|", *worker_rows]
    out += ["", "## Accuracy: histogram estimates against the exact quantiles of the recorded latencies", "",
            "| stage | recorded | p50 est / exact | p95 est / exact | p99 est / exact | inside the bucket |", "|---|---|---|---|---|---|"]
    for s in report["stages"]:
        acc = s.get("accuracy") or {}
        qs = acc.get("quantiles", {})
        cells = [f"{fmt((qs.get(k) or {}).get('estimate_ms'), 'ms')} / {fmt((qs.get(k) or {}).get('exact_ms'), 'ms')}"
                 for k in ("0.5", "0.95", "0.99")]
        inside = "yes" if qs and all(v["within_bucket"] for v in qs.values()) else ("-" if not qs else "NO")
        out.append(f"| {s['name']} | {acc.get('rows', 0)} | " + " | ".join(cells) + f" | {inside} |")
    recs = [f"- {s['name']}, {r['objective']}: {r['why']}; add bucket boundaries at {', '.join(f'{b:g}' for b in r['add_boundaries_ms'])} ms"
            for s in report["stages"] for r in (s.get("accuracy") or {}).get("recommendations", [])]
    if recs:
        out += ["", "Bucket recommendations:", *recs]
    out += ["", "## Counts reconciled", "",
            "| stage | Locust answered | no response | Prometheus | Prometheus 200 | recorded rows | gaps | ok |",
            "|---|---|---|---|---|---|---|---|"]
    for s in report["stages"]:
        r = s.get("reconciliation") or {}
        gaps = ", ".join(f"{k} {v:+.2%}" for k, v in (r.get("gaps") or {}).items() if v is not None) or "-"
        out.append(f"| {s['name']} | {fmt(r.get('locust_answered'))} | {fmt(r.get('locust_no_response'))} | "
                   f"{fmt(r.get('prometheus'))} | {fmt(r.get('prometheus_200'))} | {fmt(r.get('recorded'))} | {gaps} | "
                   f"{'yes' if r.get('ok', True) else 'FLAGGED'} |")
    rec = report.get("reconciliation")
    if rec:
        out.append(f"| run | {fmt(rec['locust_answered'])} | {fmt(rec['locust_no_response'])} | {fmt(rec['prometheus'])} | "
                   f"{fmt(rec['prometheus_200'])} | {fmt(rec['recorded'])} | tolerance {rec['tolerance']:.0%} | "
                   f"{'yes' if rec['ok'] else 'FLAGGED'} |")
    notes = [f"- {s['name']}: {n}" for s in report["stages"] for n in stage_notes(s)]
    if notes:
        out += ["", "## Notes", "", *notes]
    if report.get("baseline"):
        b = report["baseline"]
        names = ("rps", "mean", "p50", "p95", "p99", "client_p99")
        out += ["", f"## Against baseline {b['run']}", "", "| stage | " + " | ".join(names) + " |",
                "|---|" + "---|" * len(names)]
        for row in b["stages"]:
            out.append(f"| {row['stage']} | " + " | ".join(
                f"{v['change']:+.1%}" if v["change"] is not None else "-" for v in row["figures"].values()) + " |")
        out += [f"- {f}" for f in b["failures"]]
        if b.get("models_note"):
            out += ["", b["models_note"]]
    return "\n".join(out) + "\n"


def terminal(report: dict, color: bool = True) -> str:
    def paint(text: str, status: str) -> str:
        return f"\033[{STATUS_COLORS.get(status, '0')}m{text}\033[0m" if color else text

    names = [o["name"] for o in report["slo"]["objectives"]]
    width = max([5, *(len(s["name"]) for s in report["stages"])])
    head = f"{'stage':<{width}}  gate  {'req/s':>7}  " + "  ".join(f"{n:>13}" for n in names)
    lines = [head, "-" * len(head)]
    for s in report["stages"]:
        cells = "  ".join(paint(f"{_objective_cell(o):>13}", o["status"]) for o in s["objectives"])
        lines.append(f"{s['name']:<{width}}  {'yes ' if s['gated'] else 'no  '}  {fmt(s['server']['rps_all_traffic']):>7}  {cells}")
    notes = [f"{s['name']}: {n}" for s in report["stages"] for n in stage_notes(s)]
    if notes:
        lines += ["", "Notes:", *notes]
    v = report["verdict"]
    lines += ["", *[paint(l, v["status"]) if i == 0 else l for i, l in enumerate(headline(report))]]
    return "\n".join(lines)
