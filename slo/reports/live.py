"""The live SLO tab's rows (loadtests/webui/live_tab.py shows them in Locust's web UI): one stage's window so far,
judged as the run's report judges a stage (slo/verdicts/stage.py), so the tab and the report cannot disagree."""
from __future__ import annotations

from slo.reports.cells import fmt
from slo.verdicts.kinds import kind_of
from slo.verdicts.stage import StageJudge


def stage_rows(judge: StageJudge, name: str, entry: dict, start: float, end: float, offered_rps: float | None
               ) -> list[dict]:
    """Per objective: the stage, the objective, its figure so far and threshold as the report prints them, its
    status, and the window judged (epoch seconds, for whoever reads the tab's rows from /stats/requests). The answers
    are checked after the run, against the served model: nothing to show of them live."""
    judged = judge.so_far(entry, start, end, offered_rps)
    return [{"stage": name, "objective": o.name, "measured": fmt(j["measured"], j["unit"]),
             "threshold": fmt(j["threshold"], j["unit"]), "status": j["status"],
             "window_start": round(start, 3), "window_end": round(end, 3)}
            for o, j in zip(judge.spec.objectives, judged.objectives) if kind_of(o).shown_live]
