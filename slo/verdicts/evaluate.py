"""The SLO report of a run: Prometheus's answers, the stage timeline and the generators' merged figures in; every
objective per stage, the family policy, capacity, the baseline comparison and the run's verdict out."""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from slo.file.model import SloSpec
from slo.stats import accuracy, clustering, family, tail
from slo.stats.figures import bucket_counts
from slo.stats.intervals import with_level
from slo.stats.series import server_series
from slo.verdicts.baseline import compare
from slo.verdicts.machine import machine_sentences, mark_departures, stage_machine
from slo.verdicts.capacity import capacity
from slo.verdicts.objectives import (JUDGED, collapsed, completeness, is_gated, mean_hides_tail, run_verdict,
                                     stage_status, worker_clocks)
from slo.verdicts.saturation import knee_sentences, predicted_saturation, saturation_check, stage_serving
from slo.verdicts.client_gap import client_tail_breaks, explain_gap
from slo.verdicts.report import SCHEMA_VERSION, Capacity, Report, RunManifest, Stage
from slo.verdicts.run_wide import replica_summary, run_reconciliation
from slo.verdicts.stage import Judged, StageJudge
from runfolder import names

class EvaluationError(RuntimeError):
    """The run cannot be judged (missing timeline, raw answers for other metrics...): exit 2."""


# A window's recorded server latencies (ms, in time order, or None without a recording) and why the recording could
# not be read (None when it could): what the run folder's reader gives for (start, end, endpoint).
Recording = Callable[[float, float, "str | None"], tuple]


def no_recording(start: float, end: float, endpoint: str | None) -> tuple[None, None]:
    return None, None


@dataclass(frozen=True)
class RunData:
    """What a run holds, as its folder's reader (slobench/run_folder.py) hands it over; the evaluator opens no file.
    timeline: its stages (stages.json); raw: Prometheus's answers; clients: the generators' merged figures per
    stage (None where the run has none); recording: the API's recorded latencies of a window (for the exact
    quantiles); generator_recording: the generator's, each answer as it saw it (a stage's tail where the API
    records none); client_series: the generator's seconds; manifest: what ran where; run_end: how it ended
    (Locust's exit code, an interrupt, worker finals); machine: what the harness sampled of the API's cores each
    second (None when it did not start the API); answers: every received answer checked against the served model
    (answers/check.py; None: not checked)."""
    run_id: str
    raw: dict
    timeline: dict
    clients: dict[str, dict | None]
    recording: Recording = no_recording
    generator_recording: Recording = no_recording
    client_series: dict | None = None
    manifest: RunManifest | None = None
    run_end: dict | None = None
    machine: dict | None = None
    answers: dict | None = None

    @property
    def scrape_s(self) -> float:
        """Prometheus's scrape interval the answers were collected at (1 s where they do not say)."""
        return float(self.raw.get("scrape_interval_s", 1.0))


def _down_sentences(stage: Stage) -> list[str]:
    """When Prometheus found the API (or, with replicas, which replica) down inside the stage's window."""
    replicas = stage.server.replicas
    found = ([(f"replica {i}", r["down_at"]) for i, r in sorted(replicas.items()) if r.get("down_at") is not None]
             if len(replicas) > 1 else [("the API", stage.server.down_at)])
    return [f"In stage {stage.name}, Prometheus found {who} down at {time.strftime('%H:%M:%S', time.gmtime(down))} "
            f"UTC, {down - stage.window.start:.0f} s into the measured window."
            for who, down in found if down is not None]


def _served_short(st: dict, server: dict) -> bool:
    """A window that served less than 95 % of the rate it was offered: a queue grew through it (judged so later by
    its throughput objective), so its clustering is its own, not its neighbours'."""
    return bool(st.get("offered_rps")) and (server.get("rps_all_traffic") or 0.0) < 0.95 * st["offered_rps"]


def _stage_answers(answers: dict | None, name: str) -> dict | None:
    """One stage's answers check, or why there is none."""
    if answers is None:
        return None
    return (answers.get("stages") or {}).get(name) or {"why": answers.get("why") or "no answer in this stage"}


def _collected_scope(run_id: str, spec: SloSpec, raw: dict) -> dict:
    """The up selector the answers were collected with; refused when they were collected for another SLO file's
    metrics. The up selector may have been found at the loaded address (another job name than the file's): the
    answers keep the scope they were collected with; every other metric name and selector must be the file's."""
    collected = dict(raw.get("metrics") or {})
    scope = collected.pop("up_selector", None) or spec.metrics.up_selector
    if collected != spec.metrics.model_dump(exclude={"up_selector"}):
        raise EvaluationError(f"{run_id}/{names.PROMETHEUS_RAW} was collected for other metrics or selectors than "
                              "this SLO file declares; re-evaluate against a running Prometheus (--prometheus-url)")
    return scope


@dataclass(frozen=True)
class MeasuredStage:
    """One stage as judged, before its report row is built: its timeline entry, Prometheus's answers, the server's
    and the generators' figures (logged: whether the generators had any), its objectives judged, and the recording
    of its window (latencies, why unreadable)."""
    st: dict
    entry: dict
    server: dict
    client: dict
    logged: bool
    judged: Judged
    recording: tuple


def _stage_row(spec: SloSpec, m: MeasuredStage, machine: dict | None, scrape_s: float) -> dict:
    """One stage of the report, built once its objectives passed the family policy: its window, figures,
    objectives and status, what the machine did meanwhile, the checks of its quantiles and counts against the API's
    recording and the generator's, and where the client's tail broke what the server met."""
    st, entry, server, client = m.st, m.entry, m.server, m.client
    lat, unreadable = m.recording
    stage = {"index": st["index"], "name": st["name"], "users": st["users"], "offered_rps": st.get("offered_rps"),
             "began": st.get("start", st["measure_from"]),
             "window": {"start": st["measure_from"], "end": st["end"], "seconds": entry["window_s"]},
             "completed": st["completed"], "gated": is_gated(spec, st), "refine": bool(st.get("refine")),
             "looks": st.get("looks"),
             "server": server, "client": client,
             "gap": explain_gap(client, server), "objectives": m.judged.objectives,
             "status": stage_status(m.judged.objectives),
             **{key: st[key] for key in ("held_from", "again", "again_of") if st.get(key) is not None}}
    server["serving"] = stage_serving(entry, server)
    stage["machine"] = stage_machine(machine, st["measure_from"], st["end"], spec.confidence_level)
    if not st["completed"]:
        server["notes"].append("the stage was cut short (the run stopped during it)")
    if st.get("clock_step_s"):
        server["notes"].append(f"the machine's wall clock stepped {st['clock_step_s']:+.1f} s during the stage (a time "
                               "sync): its window is placed where the API's and Prometheus's stamps put it, and its "
                               f"rates are over {entry['window_s']:g} s of wall time for what the generator sent "
                               f"in {entry['window_s'] - st['clock_step_s']:g} s")
    boundaries = sorted(1000 * le for le in bucket_counts(entry["answers"]) if not math.isinf(le))
    quantile_objectives = {o.name: (o.quantile, o.threshold_ms) for o in spec.quantile_objectives()}
    stage["accuracy"] = accuracy.quantile_accuracy(server, lat, quantile_objectives, boundaries)
    stage["reconciliation"] = accuracy.reconcile(client if m.logged else None, server, None if lat is None else len(lat),
                                                 spec.reconciliation_tolerance, spec.min_samples, entry["window_s"],
                                                 scrape_s)
    # Errors that weaken the trust checks: the recording unreadable (no exact quantiles, no row counts), or
    # arrivals counted as sent that never became requests.
    distrust = [unreadable] if unreadable else []
    if client.get("sender_errors"):
        distrust.append(f"{client['sender_errors']} arrivals counted as sent raised in the generator's sender")
    if distrust:
        server["notes"].extend(distrust)
        stage["reconciliation"] = {**stage["reconciliation"], "ok": False,
                                   "flagged": [*stage["reconciliation"].get("flagged", []), *distrust]}
    stage["collapsed"] = collapsed(stage)
    stage["client_breaks"] = client_tail_breaks(stage)
    return stage


def _judge_stages(spec: SloSpec, run: RunData) -> tuple[list[MeasuredStage], list[tuple]]:
    """Every measured stage judged (StageJudge), with the clustering measured over the whole run; the gated
    objectives' tests for the family policy."""
    raw, tl = run.raw, run.timeline
    raw_by_name = {e["name"]: e for e in raw["stages"]}
    scrape_s = run.scrape_s
    kind = tl.get("kind", "closed")
    judge = StageJudge(spec, scrape_s, poisson_arrivals=kind == "open" and tl.get("arrival", "poisson") == "poisson")
    measured = [(st, raw_by_name[st["name"]]) for st in tl["stages"] if st["name"] in raw_by_name]
    # A stage judged at looks while it ran is judged at the looks' level: the only one its verdicts may be stated at.
    evidences = [with_level(judge.evidence(entry, st["measure_from"], st["end"]),
                            (st.get("looks") or {}).get("per_look_level") or spec.confidence_level)
                 for st, entry in measured]
    endpoint = spec.metrics.selector.get("endpoint")
    recordings = [run.recording(st["measure_from"], st["end"], endpoint) for st, _ in measured]
    servers = [judge.figures(entry) for _, entry in measured]
    # Where the API records nothing, the generator's latencies, moved onto the server's clock, read each stage's tail:
    # of the endpoint judged (it keeps predictions only, where a histogram with no endpoint named times /health too).
    # Not its clustering: where requests wait before the server's clock starts, the generator's slow requests are
    # ones the server never timed, and clustered (a stalled event loop made a stage's p99 undecided that way).
    generators = tail.on_the_servers_clock(
        [None if rec[0] is not None or not endpoint else
         run.generator_recording(st["measure_from"], st["end"], endpoint)[0]
         for (st, _), rec in zip(measured, recordings)], [server.get("mean_ms") for server in servers])
    clusters = clustering.of_run(evidences, [r for r, _ in recordings],
                                 [o.threshold_ms / 1000 for o in spec.quantile_objectives()],
                                 [_served_short(st, server) for (st, _), server in zip(measured, servers)],
                                 [st.get("offered_rps") for st, _ in measured])
    stages, tests = [], []
    for (st, entry), evidence, recording, near, server, generator in zip(measured, evidences, recordings, clusters,
                                                                         servers, generators):
        logged = run.clients.get(st["name"])
        client = {**(logged or {}), "model": kind, "answers": _stage_answers(run.answers, st["name"])}
        judged = judge.judge(server, evidence, st.get("offered_rps"), client, near, recording[0], generator)
        tests += judged.tests(spec) if is_gated(spec, st) else []
        stages.append(MeasuredStage(st, entry, server, client, bool(logged), judged, recording))
    return stages, tests


def evaluate(spec: SloSpec, run: RunData, baseline: Report | list[Report] | None = None,
             history: list[Report] = ()) -> Report:
    """The SLO report of a run against `spec`: every objective per stage, the family policy, capacity, what the
    averages hide, the comparison with a baseline (a report, or a repeat set's reports) given the earlier runs like
    it in `history` (for the spread between runs a comparison allows, and the machine's usual speed the capacity is
    also stated at), and the run's verdict."""
    scope = _collected_scope(run.run_id, spec, run.raw)
    measured, tests = _judge_stages(spec, run)
    family = holm_on_gated(spec, tests)
    servers = run.manifest.servers() if run.manifest else 1
    # Built after the family policy (a withdrawn failure is no longer said to fail), then each stage's machine marked
    # against the whole run's, before anything reads them.
    stages, reference = mark_departures([Stage.model_validate(_stage_row(spec, m, run.machine, run.scrape_s))
                                         for m in measured], servers)
    cap = capacity(stages, servers, like=history, spec=spec)
    predicted = predicted_saturation(stages, servers)
    sentences = [line for s in stages for line in mean_hides_tail(s.name, s.objectives) + s.client_breaks
                 + _down_sentences(s)]
    sentences += machine_sentences(stages, reference)
    sentences += knee_sentences(stages, cap, predicted) + saturation_check(predicted, stages, cap.interval_rps)
    judged = _report(spec, run, scope, stages, cap, predicted, family, sentences)
    baselines = baseline if isinstance(baseline, list) else [baseline] if baseline else []
    return against_baseline(judged, baselines, spec, history) if baselines else judged


def _report(spec: SloSpec, run: RunData, scope: dict, stages: list[Stage], cap: Capacity, predicted: dict | None,
            family: dict, sentences: list[str]) -> Report:
    """The report of the run judged on its own, from its judged stages and what was found across them."""
    raw, tl, manifest, answers = run.raw, run.timeline, run.manifest, run.answers
    complete, clocks = completeness(tl, spec, run.run_end), worker_clocks((run.run_end or {}).get("clocks"), stages)
    return Report.model_validate({
        "schema_version": SCHEMA_VERSION,
        "service": spec.service,
        "run": {"id": run.run_id, "profile": tl["profile"], "started": tl["wall_start"],
                "stopped": tl["stopped_at"],
                "scrape_interval": {"seconds": run.scrape_s, "source": raw.get("scrape_interval_source", "assumed")},
                "scope": {**scope, **({"instances": raw["instances"]} if raw.get("instances") else {})}},
        "slo": spec.model_dump(mode="json"),
        "stages": stages,
        "capacity": cap,
        "serving": {"predicted": predicted, "served": manifest and manifest.api and manifest.api.serving},
        "sentences": sentences,
        "family": family,
        "baseline": None,
        "reconciliation": run_reconciliation(stages, spec),
        "replicas": replica_summary(stages, spec),
        "series": {"server": server_series(raw.get("series"), tl["wall_start"]), "client": run.client_series},
        "manifest": manifest,
        "answers": None if answers is None else {k: v for k, v in answers.items() if k != "stages"},
        "completeness": complete,
        "clocks": clocks,
        "verdict": run_verdict(stages, [], complete, [], clocks.problems if clocks else []),
    })


def against_baseline(judged: Report, baselines: list[Report], spec: SloSpec, history: list[Report]) -> Report:
    """The run judged on its own, then compared with its baseline (the comparison reads the judged run): the report
    with the comparison and the verdict both give."""
    comparison, failures = compare([judged], baselines, spec, history)
    verdict = run_verdict(judged.stages, failures, judged.completeness, comparison.untested,
                          judged.clocks.problems if judged.clocks else [])
    return judged.model_copy(update={"baseline": comparison, "verdict": verdict})


def holm_on_gated(spec: SloSpec, tests: list[tuple]) -> dict:
    """The SLO file's family policy over the gated objective tests that can fail falsely: a FAIL stays only if Holm's
    step-down keeps it across them all; a withdrawn one becomes inconclusive. Tests are (report row, objective,
    judge, evidence)."""
    # Only tests that can fail falsely count: an observed verdict (a census of scrapes, every error counted against
    # none allowed, exact arrival counts) is not a sample, and adding it to the family would only weaken the rest.
    judged = [t for t in tests if t[0]["status"] in JUDGED and not t[0]["confidence"].get("observed")]
    candidates = [(row["confidence"], (lambda level, o=o, judge=judge, ev=ev:
                                       judge(o, evidence=with_level(ev, level))["confidence"].get("decision") == "fail"))
                  for row, o, judge, ev in judged if row["status"] == "fail"]
    result = family.apply(spec.family, len(judged), candidates, spec.confidence_level)
    for row, *_ in judged:
        if not (row["confidence"].get("family") or {}).get("kept", True):
            row["status"] = row["confidence"]["decision"] = "inconclusive"
    return result
