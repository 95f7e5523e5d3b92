"""A repeat set's report (slo/verdicts/repeats.py builds it, slo/reports/repeat_set.py writes it as
repeat_report.json and .md): per stage, each figure's spread across the runs and each objective pooled over them,
the runs' capacities, and one verdict. Like the run's report, built once and read by attribute; the JSON holds the
fields as they were given (`exclude_unset`)."""
from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from common.exit_codes import Verdict
from runfolder import names
from slo.verdicts.report.comparison import BaselineComparison
from slo.verdicts.report.frozen import Frozen, first_error
from slo.verdicts.report.run_report import ReportError, json_in


class Spread(Frozen):
    """One figure across the runs: the median and range, and from two runs on the t interval of their mean and the
    coefficient of variation (None where the mean is 0)."""
    n: int
    median: float
    min: float
    max: float
    mean: float | None = None
    low: float | None = None
    high: float | None = None
    cv: float | None = None

    @property
    def has_interval(self) -> bool:
        return self.low is not None


class Pooled(Frozen):
    """An objective's interval over the runs pooled: a share's counts summed (runs as clusters), or a mean's
    average; the decision it supports and how it was drawn."""
    low: float
    high: float
    decision: str
    method: str
    requests: int | None = None
    counted: int | list[int] | None = None
    design_effect: float | None = None
    measured: float | None = None


class PooledObjective(Frozen):
    """One objective of one stage across the runs: each run's status, the set's, the pooled interval where the
    objective pools, and a calibration warning where confident verdicts disagree."""
    per_run: list[str]
    status: str
    pooled: Pooled | None = None
    calibration: str | None = None


class RepeatStage(Frozen):
    """A stage every run reached: its figures' spreads and its objectives pooled; `level` only where the runs judged
    it at looks (the looks' stricter level, which the pooled intervals keep)."""
    name: str
    gated: bool
    figures: dict[str, Spread]
    objectives: dict[str, PooledObjective]
    level: float | None = None


class RepeatCapacity(Frozen):
    """Each run's capacity interval, and across the runs the spread of the knee's share of saturation and of the
    prediction time of each run's typical stage (None where fewer than two runs measured them)."""
    interval_rps: list[list[float | None]]
    knee_share_pct: Spread | None = None
    demand_ms: Spread | None = None


class RepeatSet(Frozen):
    """The repeat set: its runs (in run order), what they ran, the level, its stages, capacities and verdict, and
    where it was compared with a baseline, that comparison."""
    runs: list[str]
    profile: str | None = None
    service: str | None = None
    level: float
    stages: list[RepeatStage]
    capacity: RepeatCapacity
    verdict: Verdict
    baseline: BaselineComparison | None = None

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_unset=True) + "\n"

    @classmethod
    def json_schema(cls) -> dict:
        """The JSON Schema of repeat_report.json (docs/repeat_report.schema.json), for tools that read repeat sets
        without slobench."""
        return {"$schema": "https://json-schema.org/draft/2020-12/schema",
                "$comment": f"{names.REPEAT_REPORT}; made from slo/verdicts/report/repeat_set.py",
                **cls.model_json_schema()}

    @classmethod
    def read(cls, path: Path) -> RepeatSet:
        """The repeat set's report in `path`; a ReportError naming the file, and the field, where it is none."""
        data = json_in(path)
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise ReportError(f"{path}: {first_error(e)}") from None
