"""A team's own SLIs (ratio and threshold SLIs, slo/file/model.py): the good share of the events their queries
counted, or of the window's scrapes where their condition held."""
from __future__ import annotations

from slo.file.model import RatioSli, ThresholdSli
from slo.stats import confidence
from slo.stats.intervals import Evidence, add_needed
from slo.verdicts.kinds.base import Kind, StageFigures, status_of, undecided


class SliKind(Kind):
    """An imported SLI: the share of good events (or good scrapes), its interval (`interval`), and its burn rate."""

    def row(self, o: RatioSli | ThresholdSli, s: StageFigures) -> dict:
        sli = (s.server.get("slis") or {}).get(o.name) or {}
        measured = sli.get("good_share")
        c = self.interval(o, s.evidence, sli)
        out = {"measured": measured, "threshold": o.target, "warning": None, "unit": "ratio", "confidence": c,
               "status": status_of(c, measured, None, True, higher_is_worse=False)}
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

    def interval(self, o: RatioSli, ev: Evidence, figures: dict) -> dict:
        """The share of good events the team's queries counted in the window."""
        share = figures.get("good_share")
        if share is None:
            return undecided(ev, "no data")
        return _good_share(o, ev, share, figures.get("total") or 0, "the window's good and total events",
                           say_needed=True)


class ThresholdSliKind(SliKind):
    models = (ThresholdSli,)

    def interval(self, o: ThresholdSli, ev: Evidence, figures: dict) -> dict:
        """The share of the window's scrapes where the team's condition held: every scrape was evaluated, so the share
        is observed (a census), like availability; the interval says what that many scrapes support about the share of
        time."""
        share = figures.get("good_share")
        if share is None:
            return undecided(ev, "no data")
        n = ev.window_s / ev.scrape_s if ev.scrape_s else 0
        what = f"the window's {n:.0f} scrapes"
        out = _good_share(o, ev, share, n, what)
        if n:
            out.update(decision=confidence.decide(share, share, o.target, higher_is_worse=False), observed=True,
                       method=f"a census of {what}: the verdict is observed; the interval is what they support "
                              "about the share of time (Clopper-Pearson)")
        return out


def _good_share(o: RatioSli | ThresholdSli, ev: Evidence, share: float, n: float, what: str,
                say_needed: bool = False) -> dict:
    """Clopper-Pearson on the good share of `n` events (`what`), independent but for the declared design effect, with
    the events an undecided one needs where `say_needed`; a point verdict where the query gives a share without
    counts."""
    if not n:
        return {"level": ev.level, "low": share, "high": share, "terms": "share of good events", "decision":
                confidence.decide(share, share, o.target, higher_is_worse=False),
                "method": "the query gives a share without counts: no interval (a point verdict)"}
    d = ev.declared_deff   # events counted by the team's query: no blocks, independence but for the declared deff
    bad_low, bad_high = confidence.clopper_pearson((1 - share) * n / d, n / d, ev.level)
    low, high = 1 - bad_high, 1 - bad_low
    out = {"level": ev.level, "low": round(low, 6), "high": round(high, 6), "limit": o.target,
           "terms": "share of good events", "method": f"Clopper-Pearson on {what}",
           "assumes": "events independent" + (f" but for the declared design effect {d:g}" if d > 1 else ""),
           "decision": confidence.decide(low, high, o.target, higher_is_worse=False)}
    if say_needed and out["decision"] == "inconclusive":
        add_needed(out, 1 - share, 1 - o.target, ev.level, d, n / ev.window_s if ev.window_s else None, n,
                   (high - share) if share < o.target else (share - low))
    return out
