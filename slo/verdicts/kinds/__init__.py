"""Each kind of objective judged in one stage, one class a kind: which figure it reads, how its interval is drawn
from the stage's evidence (slo/stats/intervals.py gives the counts, slo/stats/confidence.py the intervals), in what
words, and which decision it supports, which way its warning band lies, and what else its report row says. The
latency kinds live in latency.py, those counted in requests, scrapes or answers in counts.py, a team's own SLIs in
sli.py. A new kind of objective is its model in slo/file/model.py (what it says of itself: the count that decides
it, its alert's SLI, its own queries over a stage) and one class here, registered in KINDS."""
from __future__ import annotations

from typing import get_args

from slo.stats.intervals import Evidence
from slo.verdicts.kinds.base import Kind, StageFigures
from slo.verdicts.kinds.counts import AnswersKind, AvailabilityKind, ErrorRatioKind, ThroughputKind
from slo.verdicts.kinds.latency import MeanKind, QuantileKind
from slo.verdicts.kinds.sli import RatioSliKind, ThresholdSliKind


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
                    evidence: Evidence | None = None) -> dict:
    """One objective in one stage, with its confidence; client gives the open model's sent and dropped arrivals,
    evidence the window's counts and per-scrape blocks."""
    ev = evidence or Evidence(level=0.95, window_s=server.get("window_s") or 0, scrape_s=1.0, buckets={})
    return {"name": o.name, "kind": o.kind, **KINDS[type(o)].row(o, StageFigures(server, offered_rps, enough,
                                                                                  client or {}, ev))}
