"""Each kind of objective judged in one stage, one class a kind: which figure it reads, how its interval is drawn
from the stage's evidence (slo/stats/intervals.py), which way its warning band lies, and what else its report row
says. A new kind of objective is its model in slo/file/model.py (what it says of itself: the count that decides
it, its alert's SLI, its own queries over a stage) and one class here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, get_args

from slo.file.model import Answers, Availability, ErrorRatio, LatencyMean, LatencyQuantile, RatioSli, ThresholdSli, Throughput
from slo.stats import intervals, sli_intervals
from slo.stats.figures import availability, quantile_entry


@dataclass(frozen=True)
class StageFigures:
    """What a stage gives every objective: the server's figures, the rate it was offered, whether it served enough
    requests to judge, the generators' figures (the open model's arrivals, the answers checked) and the evidence."""
    server: dict
    offered_rps: float | None
    enough: bool
    client: dict
    evidence: intervals.Evidence


def _status(confidence: dict, measured, warning, enough: bool, higher_is_worse: bool = True) -> str:
    """The interval decides pass, fail or inconclusive; a confident pass whose figure is in the warning band warns."""
    if not enough:
        return "insufficient"
    decision = confidence.get("decision")
    if decision is None or measured is None:
        return "no_data"
    in_band = warning is not None and (measured > warning if higher_is_worse else measured < warning)
    return "warn" if decision == "pass" and in_band else decision


class Kind:
    """One kind of objective: `row` gives its report row's fields after its name and kind. `counted_after_load`: its
    verdict rests on what is counted once the load has ended (the generator's arrivals, the answers checked), so a
    look at a stage while it runs cannot judge it as the report will; `shown_live`, whether the live tab has a figure
    of it so far. What reads the report's rows asks the kind (kind_of): how a repeat set pools them (`pooled`: a
    share's counts or a mean's blocks), whether its share over a threshold rises with the load as the knee's curve is
    fitted (`rises_with_load`), whether it is an average that can hide a tail (`averages`) or a tail it can hide
    (`is_tail`), whether its failure says the API did not keep up (`keeps_up`)."""
    models: ClassVar[tuple[type, ...]]
    counted_after_load: ClassVar[bool] = False
    shown_live: ClassVar[bool] = True
    pooled: ClassVar[str | None] = None
    rises_with_load: ClassVar[bool] = False
    averages: ClassVar[bool] = False
    keeps_up: ClassVar[bool] = False

    def is_tail(self, row) -> bool:
        return False

    def row(self, o, s: StageFigures) -> dict:
        raise NotImplementedError


class QuantileKind(Kind):
    models = (LatencyQuantile,)
    pooled = "share"
    rises_with_load = True

    def is_tail(self, row) -> bool:
        """p95 and above: what a mean within its objective can hide."""
        return row.quantile >= 0.95

    def row(self, o: LatencyQuantile, s: StageFigures) -> dict:
        q = quantile_entry(s.server["quantiles"], o.quantile)
        measured, c = q.get("ms"), intervals.quantile(o, s.evidence)
        return {"bucket_ms": q.get("bucket_ms"), "quantile": o.quantile, "measured": measured,
                "threshold": o.threshold_ms, "warning": o.warning_ms, "unit": "ms", "confidence": c,
                "status": _status(c, measured, o.warning_ms, s.enough)}


class MeanKind(Kind):
    models = (LatencyMean,)
    pooled = "mean"
    averages = True

    def row(self, o: LatencyMean, s: StageFigures) -> dict:
        measured = s.server.get("mean_ms")
        c = intervals.mean(o, s.evidence, measured)
        return {"measured": measured, "threshold": o.threshold_ms, "warning": o.warning_ms, "unit": "ms",
                "confidence": c, "status": _status(c, measured, o.warning_ms, s.enough)}


class ErrorRatioKind(Kind):
    models = (ErrorRatio,)
    pooled = "share"

    def row(self, o: ErrorRatio, s: StageFigures) -> dict:
        measured = s.server.get("error_ratio")
        c = intervals.error_ratio(o, s.evidence, s.server)
        return {"measured": measured, "threshold": o.max_ratio, "warning": o.warning_ratio, "unit": "ratio",
                "confidence": c, "status": _status(c, measured, o.warning_ratio, s.enough)}


class AvailabilityKind(Kind):
    """Every scrape counted (a census): with replicas, min_up is the share of them that must be up at every scrape."""
    models = (Availability,)

    def row(self, o: Availability, s: StageFigures) -> dict:
        measured = availability(s.server)
        c = intervals.availability(o, s.evidence, measured, s.server.get("up_samples"))
        out = {"measured": measured, "threshold": o.min_up, "warning": None, "unit": "up", "confidence": c,
               "status": _status(c, measured, None, True, higher_is_worse=False)}
        replicas = len(s.server.get("replicas") or {})
        if replicas > 1:
            out["detail"] = ("every replica up" if o.min_up >= 1 else f"at least {o.min_up:.0%} of the {replicas} "
                             "replicas up") + " at every scrape"
        return out


class SliKind(Kind):
    """An imported SLI: the share of good events (or good scrapes), its interval (`interval`), and its burn rate."""
    interval: ClassVar = None

    def row(self, o: RatioSli | ThresholdSli, s: StageFigures) -> dict:
        sli = (s.server.get("slis") or {}).get(o.name) or {}
        measured = sli.get("good_share")
        c = self.interval(o, s.evidence, sli)
        out = {"measured": measured, "threshold": o.target, "warning": None, "unit": "ratio", "confidence": c,
               "status": _status(c, measured, None, True, higher_is_worse=False)}
        if measured is not None:
            # The error budget is 1 - target; at this load it would burn this many times as fast as allowed.
            burn = (1 - measured) / (1 - o.target) if o.target < 1 else None
            out["burn_rate"] = None if burn is None else round(burn, 3)
            if burn is not None:
                out["detail"] = f"burns the error budget at {burn:.1f}x"
        if getattr(o, "mapping", ""):
            out["mapping"] = o.mapping
        return out


class RatioSliKind(SliKind):
    models = (RatioSli,)
    interval = staticmethod(sli_intervals.ratio_sli)


class ThresholdSliKind(SliKind):
    models = (ThresholdSli,)
    interval = staticmethod(sli_intervals.threshold_sli)


class AnswersKind(Kind):
    """The answers the generators received, recomputed with the served model (answers/check.py)."""
    models = (Answers,)
    counted_after_load = True
    shown_live = False   # checked after the run, against the served model

    def row(self, o: Answers, s: StageFigures) -> dict:
        figures = s.client.get("answers") or {}
        if not figures.get("checked"):
            return {"measured": None, "threshold": o.max_wrong_share, "warning": None, "unit": "ratio", "status": "n/a",
                    "detail": figures.get("why") or "no answer came back in this stage to check"}
        c = intervals.answers(o, s.evidence, figures["checked"], figures["wrong"])
        out = {"measured": figures["share"], "threshold": o.max_wrong_share, "warning": None, "unit": "ratio",
               "confidence": c, "status": _status(c, figures["share"], None, True), "checked": figures["checked"],
               "wrong": figures["wrong"], "examples": figures.get("examples", [])}
        if figures["wrong"]:
            out["detail"] = f"{figures['wrong']} of {figures['checked']} answers wrong"
        return out


class ThroughputKind(Kind):
    """The share of the offered load served; no objective where no rate was offered."""
    models = (Throughput,)
    counted_after_load = True
    keeps_up = True

    def row(self, o: Throughput, s: StageFigures) -> dict:
        achieved, offered = s.server.get("rps_all_traffic"), s.offered_rps
        measured = round(achieved / offered, 4) if offered and achieved is not None else None
        dropped, sent = s.client.get("dropped") or 0, s.client.get("sent") or 0
        if sent + dropped and achieved is not None and s.server.get("window_s"):
            # The open model counted its arrivals in the window: the share of those served is exact, free of the
            # Poisson schedule's own noise around the nominal rate. Answers beyond what was sent are edge effects:
            # the share cannot exceed what was sent.
            measured = round(min(achieved * s.server["window_s"], sent) / (sent + dropped), 4)
        out = {"dropped": dropped, "detail": f"{dropped / (sent + dropped):.1%} of arrivals dropped by the generator"} \
            if dropped else {}
        c = intervals.throughput(o, s.evidence, achieved, offered, measured, arrivals=sent + dropped)
        return {**out, "measured": measured, "threshold": o.min_share, "warning": o.warning_share,
                "unit": "share of offered", "confidence": c,
                "status": "n/a" if not offered else _status(c, measured, o.warning_share, True, higher_is_worse=False)}


KINDS: dict[type, Kind] = {model: kind for kind in (QuantileKind(), MeanKind(), ErrorRatioKind(), AvailabilityKind(),
                                                     RatioSliKind(), ThresholdSliKind(), AnswersKind(),
                                                     ThroughputKind())
                           for model in kind.models}


KIND_NAMED: dict[str, Kind] = {get_args(model.model_fields["kind"].annotation)[0]: kind
                               for model, kind in KINDS.items()}


def kind_of(o) -> Kind:
    """The kind of an objective, or of a report's row of one (by its `kind`)."""
    return KIND_NAMED[o.kind]


def judged_while_running(o) -> bool:
    """Whether a look at a running stage can judge this objective as the report will (Kind.counted_after_load)."""
    return not KINDS[type(o)].counted_after_load


def judge_objective(o, server: dict, offered_rps: float | None, enough: bool, client: dict | None = None,
                    evidence: intervals.Evidence | None = None) -> dict:
    """One objective in one stage, with its confidence; client gives the open model's sent and dropped arrivals,
    evidence the window's counts and per-scrape blocks."""
    ev = evidence or intervals.Evidence(level=0.95, window_s=server.get("window_s") or 0, scrape_s=1.0, buckets={})
    return {"name": o.name, "kind": o.kind, **KINDS[type(o)].row(o, StageFigures(server, offered_rps, enough,
                                                                                  client or {}, ev))}
