"""The objectives counted in requests, scrapes or answers: the error ratio, availability, throughput and the answers
recomputed with the served model."""
from __future__ import annotations

from slo.file.model import Answers, Availability, ErrorRatio, Throughput
from slo.stats import confidence, intervals
from slo.stats.figures import availability
from slo.stats.intervals import Evidence
from slo.verdicts.kinds.base import Kind, StageFigures, status_of, undecided


class ErrorRatioKind(Kind):
    models = (ErrorRatio,)
    pooled = "share"

    def row(self, o: ErrorRatio, s: StageFigures) -> dict:
        measured = s.server.get("error_ratio")
        c = self.interval(o, s.evidence, s.server)
        return {"measured": measured, "threshold": o.max_ratio, "warning": o.warning_ratio, "unit": "ratio",
                "confidence": c, "status": status_of(c, measured, o.warning_ratio, s.enough)}

    def interval(self, o: ErrorRatio, ev: Evidence, server: dict) -> dict:
        b = ev.error_blocks
        n, x = (b.total, b.counted) if b else (round(server.get("requests") or 0), round(server.get("errors_5xx") or 0))
        if n <= 0:
            return undecided(ev, "no requests in the window")
        base = {"level": ev.level, "terms": "share of 5xx answers", "limit": o.max_ratio, "requests": round(n),
                "counted": round(x)}
        if o.max_ratio == 0:
            return {**base, "low": x / n, "high": x / n,
                    "method": "exact: no error is allowed, and every one is counted",
                    "decision": "pass" if x == 0 else "fail", "observed": True}
        dep = confidence.dependence(b, ev.level, ev.declared_deff, ev.clustering.get("errors"))
        low, high = confidence.share_interval(x, n, ev.level, dep)
        out = {**base, "low": round(low, 6), "high": round(high, 6), "design_effect": round(dep.deff, 3),
               "blocks": dep.blocks, "effective_blocks": round(dep.effective_blocks, 1),
               "design_effect_from": dep.decided_by(), "divisor": round(dep.divisor, 4), "assumes": dep.assumes(),
               "method": "Clopper-Pearson on " + ("exact per-scrape counts of the request counter" if b else
                                                  "counts from increase() over the window")
               + f", at the effective size n/{dep.divisor:.2f}",
               "decision": confidence.decide(low, high, o.max_ratio)}
        if out["decision"] == "inconclusive":
            share = x / n
            rate = n / ev.window_s if ev.window_s else None
            intervals.add_needed(out, share, o.max_ratio, ev.level, dep.divisor, rate, n,
                                 high - share if share < o.max_ratio else share - low)
        return out


class AvailabilityKind(Kind):
    """Every scrape counted (a census): with replicas, min_up is the share of them that must be up at every scrape."""
    models = (Availability,)

    def row(self, o: Availability, s: StageFigures) -> dict:
        measured = availability(s.server)
        c = self.interval(o, s.evidence, measured, s.server.get("up_samples"))
        out = {"measured": measured, "threshold": o.min_up, "warning": None, "unit": "up", "confidence": c,
               "status": status_of(c, measured, None, True, higher_is_worse=False)}
        replicas = len(s.server.get("replicas") or {})
        if replicas > 1:
            out["detail"] = ("every replica up" if o.min_up >= 1 else f"at least {o.min_up:.0%} of the {replicas} "
                             "replicas up") + " at every scrape"
        return out

    def interval(self, o: Availability, ev: Evidence, measured: float | None, scrapes: float | None) -> dict:
        if measured is None or not scrapes:
            return undecided(ev, "no up samples")
        k = round(scrapes)
        if measured >= o.min_up:
            low = confidence.clopper_pearson(k, k, ev.level)[0]
            method = (f"every one of the window's {k} scrapes found the target up: a census of scrapes, so the "
                      f"verdict is observed; the interval is the share of time up that {k} scrapes support (a "
                      "downtime shorter than a scrape can go unseen)")
            return {"level": ev.level, "low": round(low, 6), "high": 1.0, "terms": "share of time up", "method": method,
                    "decision": "pass", "observed": True}
        return {"level": ev.level, "low": measured, "high": measured, "terms": "lowest share of instances up",
                "method": "a scrape found it below the objective: observed, not sampled", "decision": "fail",
                "observed": True}


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
        c = self.interval(o, s.evidence, figures["checked"], figures["wrong"])
        out = {"measured": figures["share"], "threshold": o.max_wrong_share, "warning": None, "unit": "ratio",
               "confidence": c, "status": status_of(c, figures["share"], None, True), "checked": figures["checked"],
               "wrong": figures["wrong"], "examples": figures.get("examples", [])}
        if figures["wrong"]:
            out["detail"] = f"{figures['wrong']} of {figures['checked']} answers wrong"
        return out

    def interval(self, o: Answers, ev: Evidence, checked: int, wrong: int) -> dict:
        """Every answer was recomputed: the count of wrong ones is a census; the interval is what it supports about the
        share of wrong answers the API gives at this load (exact binomial, answers taken as independent)."""
        low, high = confidence.clopper_pearson(wrong, checked, ev.level)
        base = {"level": ev.level, "low": round(low, 6), "high": round(high, 6), "terms": "share of wrong answers",
                "limit": o.max_wrong_share, "requests": checked, "counted": wrong}
        if o.max_wrong_share == 0:
            return {**base, "observed": True, "decision": "pass" if wrong == 0 else "fail",
                    "method": f"a census of the stage's {checked} answers, each recomputed with the served model: none "
                              "may be wrong; the interval is the wrong share they support (Clopper-Pearson)"}
        return {**base,
                "method": f"Clopper-Pearson on the stage's {checked} answers, each recomputed with the served model",
                "assumes": "answers wrong independently of each other",
                "decision": confidence.decide(low, high, o.max_wrong_share)}


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
        c = self.interval(o, s.evidence, achieved, offered, measured, arrivals=sent + dropped)
        return {**out, "measured": measured, "threshold": o.min_share, "warning": o.warning_share,
                "unit": "share of offered", "confidence": c,
                "status": "n/a" if not offered else status_of(c, measured, o.warning_share, True,
                                                               higher_is_worse=False)}

    def interval(self, o: Throughput, ev: Evidence, achieved_rps: float | None, offered_rps: float | None,
                   measured: float | None, arrivals: float = 0) -> dict:
        """The served share of the offered load: exact against counted arrivals (open model) or a deterministic
        schedule; against the nominal rate of a Poisson schedule whose arrivals were not counted, Garwood's interval."""
        if measured is None or not offered_rps or achieved_rps is None:
            return undecided(ev, "no offered rate to compare with")
        if arrivals:
            low = high = measured
            method = f"exact counts: answers against the {arrivals:,.0f} arrivals the generator scheduled in the window"
        elif ev.poisson_arrivals:
            offered = offered_rps * ev.window_s
            lo, hi = confidence.poisson_interval(achieved_rps * ev.window_s, ev.level)
            low, high = lo / offered, hi / offered
            method = ("Garwood's Poisson interval on the achieved count against the nominal rate (the arrivals were "
                      "not counted)")
        else:
            low = high = measured
            method = "exact count against a deterministic schedule (no arrival noise)"
        out = {"level": ev.level, "low": round(low, 4), "high": round(high, 4), "limit": o.min_share,
               "terms": "achieved share of the offered load", "method": method, "observed": low == high,
               "decision": confidence.decide(low, high, o.min_share, higher_is_worse=False)}
        if out["decision"] == "inconclusive":
            intervals.add_needed(out, 1 - measured, 1 - o.min_share, ev.level, 1.0, offered_rps)
        return out
