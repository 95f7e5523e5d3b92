"""The report of a run: which run, its stages, its capacity, the run-wide analyses and its verdict; written as
slo_report.json and read back by the file's version."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from common.exit_codes import Verdict
from runfolder import names
from slo.verdicts.report.capacity import Capacity
from slo.verdicts.report.comparison import BaselineComparison, FamilySummary
from slo.verdicts.report.drift import DriftCheck
from slo.verdicts.report.frozen import Frozen, first_error
from slo.verdicts.report.manifest import RunManifest
from slo.verdicts.report.measured import Reconciliation, ReplicaSummary
from slo.verdicts.report.series import RunSeries
from slo.verdicts.report.stage_row import Stage

SCHEMA_VERSION = 10
# Earlier versions whose reports read as this one: what changed since only added a field whose absence has a meaning
# (6: server.per_scrape.quantiles_from, absent where the per-scrape quantiles were interpolated, as every one of
# version 6 was; 7: server.per_scrape.p50/p95/p99_bucket_ms, absent where interpolated quantiles kept no buckets, so
# a comparison with them is not bounded by them, and says so; 8: a stage's held_from, again and again_of and the
# capacity's held_stages, absent where no stage was held; 9: the knee fits' from_generator and a tail's source,
# absent where no tail was read from the generator's latencies). Earlier runs stay a baseline and count in the
# machine's usual speed.
READS_AS_CURRENT = (6, 7, 8, 9)


class ReportError(ValueError):
    """A report file that is not an SLO report this version of slobench reads: names the file and the field."""


def json_in(path: Path):
    """The JSON a report file holds; a ReportError naming the file where it holds none (or cannot be read)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ReportError(f"{path}: {e}") from None


class PredictedSaturation(Frozen):
    """The utilization law over the stages that kept up (slo/verdicts/saturation.predicted_saturation): the seconds
    of prediction a request took, and the rate `servers` processes saturate at."""
    servers: int
    demand_ms: float
    saturation_rps: float
    from_stages: list[str] = []


class Serving(Frozen):
    """How the API served the run: the saturation its prediction time predicts, and how it said it serves (the
    manifest's `api.serving`: model, version, threads or event loop, batches, worker processes)."""
    predicted: PredictedSaturation | None = None
    served: dict | None = None


class Completeness(Frozen):
    """Whether the run ran to its end (slo/verdicts/objectives.completeness): the gated stages not reached or cut
    short, Locust's exit code, and each problem in words (an interrupt, a worker lost)."""
    complete: bool = True
    not_reached: list[str] = []
    cut_short: list[str] = []
    problems: list[str] = []
    locust_exit_code: int | None = None


class WorkerClock(Frozen):
    offset_ms: float
    uncertainty_ms: float


class WorkerClocks(Frozen):
    """Each remote worker's clock against the master's, measured when it joined and corrected for
    (slo/verdicts/objectives.worker_clocks); the offsets known too loosely for the windows, as problems."""
    workers: dict[str, WorkerClock]
    bound_ms: float
    corrected: bool = True
    problems: list[str] = []


class AnswersModel(Frozen):
    version: str
    path: str


class AnswersCheck(Frozen):
    """Every answer the generator received, recomputed with the served model (answers/check.py): how many were
    wrong, with an exact interval of the share, and a few wrong answers' request ids; or why they were not checked.
    Each stage's own share is in its client figures (`stages[].client.answers`)."""
    status: str                 # checked, skipped
    why: str | None = None      # skipped: why
    model: AnswersModel | None = None
    tolerance: float | None = None
    checked: int | None = None
    wrong: int | None = None
    share: float | None = None
    interval: list[float] | None = None
    level: float | None = None
    outside_stages: int | None = None
    not_checkable: int | None = None
    examples: list[str | None] = []
    seconds: float | None = None


class RunInfo(Frozen):
    """Which run was judged: its id, profile, start and stop, the scrape interval and the scope of the queries."""
    id: str
    profile: str
    started: float
    stopped: float | None = None
    scrape_interval: dict = {}
    scope: dict = {}
    judged_in: str | None = None


class Report(Frozen):
    """The SLO report of a run (its JSON: docs/reading-a-report.md, "slo_report.json schema")."""
    schema_version: int
    service: str
    run: RunInfo
    slo: dict
    stages: list[Stage]
    capacity: Capacity
    serving: Serving = Serving()
    sentences: list[str] = []
    family: FamilySummary = FamilySummary()
    baseline: BaselineComparison | None = None
    reconciliation: Reconciliation | None = None   # the stages' counts summed over the run
    replicas: ReplicaSummary | None = None
    series: RunSeries = RunSeries()
    manifest: RunManifest | None = None
    answers: AnswersCheck | None = None
    completeness: Completeness = Completeness()
    clocks: WorkerClocks | None = None
    verdict: Verdict
    drift: DriftCheck | None = None

    def stage(self, name: str) -> Stage | None:
        """The stage named `name`, None where the run has none."""
        return next((s for s in self.stages if s.name == name), None)

    def judged_in(self, folder: str) -> Report:
        """The report of a run judged again beside its original reports, in `folder` (slobench judge)."""
        return self.model_copy(update={"run": self.run.model_copy(update={"judged_in": folder})})

    def with_drift(self, drift: dict | None) -> Report:
        """The report with the drift check of the run's served traffic beside its verdicts (drift/check.py's
        result, typed here)."""
        return self.model_copy(update={"drift": DriftCheck.model_validate(drift) if drift else None})

    def to_json(self) -> dict:
        """The report as slo_report.json holds it."""
        return self.model_dump(mode="json", exclude_unset=True)

    def text(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    @classmethod
    def json_schema(cls) -> dict:
        """The JSON Schema of slo_report.json at this SCHEMA_VERSION (docs/slo_report.schema.json), for tools that
        read reports without slobench."""
        return {"$schema": "https://json-schema.org/draft/2020-12/schema",
                "$comment": f"{names.SLO_REPORT}, schema_version {SCHEMA_VERSION}; made from slo/verdicts/report/",
                **cls.model_json_schema()}

    @classmethod
    def of(cls, data: dict, where: str = names.SLO_REPORT) -> Report:
        """A report from its JSON; a ReportError naming `where` and the field that does not fit."""
        version = data.get("schema_version") if isinstance(data, dict) else None
        if version != SCHEMA_VERSION and version not in READS_AS_CURRENT:
            raise ReportError(f"{where}: schema_version: {version}, this slobench reads {SCHEMA_VERSION} (judge the "
                              "run again: slobench judge RUN_FOLDER)")
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise ReportError(f"{where}: {first_error(e)}") from None

    @classmethod
    def read(cls, path: Path) -> Report:
        """The report in `path`; a ReportError naming the file where it is no readable report."""
        return cls.of(json_in(path), str(path))
