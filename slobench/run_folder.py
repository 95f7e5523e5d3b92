"""A run's folder as the judge reads it: one object that knows its layout, each file read once, on first use; and
the SLO reports a comparison reads as its baseline (a run's, or each run's of a repeat set: load_report)."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

from answers import check
from answers.check import AnswersSettings
from loadtests import client_figures, client_series, sent
from slobench import manifest
from runfolder import files, names, recording
from slo.verdicts.evaluate import RunData
from slo.verdicts.report import ApiPlacement, Report, ReportError, RunManifest
from slo.verdicts.report.repeat_set import RepeatSet


def _looked(stage: dict, looks: dict | None) -> dict:
    """A stage or a step judged at looks while it ran (slobench/ladder_looks.py, step_looks.py): its looks, and,
    where one decided it, a stage that ended as planned rather than one cut short."""
    if not looks or looks.get("stage") != stage["name"]:
        return {}
    return {"looks": looks, "completed": stage["completed"] or looks.get("ended_at_look") is not None}


class RunFolder:
    """The timeline, the generators' merged figures, how the load ended and what ran, of one run folder: the
    profile's stages, then any refinement step's, as one run."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @cached_property
    def steps(self) -> list[Path]:
        """The refinement's step folders that hold a timeline, in the order they ran."""
        root = self.path / names.REFINE_DIR
        return sorted(p for p in root.iterdir() if files.TIMELINE.exists(p)) if root.is_dir() else []

    @cached_property
    def parts(self) -> list[tuple[Path, dict]]:
        """Each Locust run of the run (the profile's, then each refinement step's) with its own timeline."""
        return [(folder, files.TIMELINE.read(folder)) for folder in (self.path, *self.steps)]

    @cached_property
    def timeline(self) -> dict:
        """The profile's timeline (its stages' looks with them), each refinement step's stage after its stages
        (marked `refine`)."""
        (_, tl), *steps = self.parts
        ladder = {r["stage"]: r for r in files.LADDER_LOOKS.read(self.path) or []}
        stages = [{**st, **_looked(st, ladder.get(st["name"]))} for st in tl["stages"]]
        for folder, part in steps:
            looks = files.LOOKS.read(folder)
            stages += [{**st, "index": len(stages) + i, "refine": True, **_looked(st, looks)}
                       for i, st in enumerate(part["stages"])]
            tl = {**tl, "stopped_at": part["stopped_at"]}
        return {**tl, "stages": stages}

    @cached_property
    def merged(self) -> dict | None:
        """The Locust master's merge of every process's HDR histograms (client_stats.json); None without one."""
        return files.CLIENT_STATS.read(self.path)

    def client_figures(self, endpoint: str | None) -> dict[str, dict | None]:
        """The generator's figures per stage, each from the Locust run that sent it; None per stage when that run
        has none (a Locust that died first)."""
        out = {}
        for folder, part in self.parts:
            merged = self.merged if folder == self.path else files.CLIENT_STATS.read(folder)
            for st in part["stages"]:
                out[st["name"]] = None if merged is None else client_figures.stage_figures(merged, st, endpoint)
        return out

    def client_seconds(self) -> dict | None:
        """The generator's figures second by second, over the run."""
        tl = self.timeline
        return client_series.series((self.merged or {}).get("series"), tl["wall_start"], tl["stopped_at"])

    def ended(self) -> dict:
        """How the run ended, for the completeness check: what the pipeline recorded, and the workers' finals."""
        recorded = files.ENDED.read(self.path) or {}
        return {**recorded, "finals": (self.merged or {}).get("finals"), "clocks": (self.merged or {}).get("clocks")}

    def machine(self) -> dict | None:
        """What the harness sampled of the API's cores each second while the load ran (None: it did not start it)."""
        return files.MACHINE.read(self.path)

    @cached_property
    def manifest(self) -> RunManifest | None:
        """What ran where (slobench/manifest.py summary); None where the folder has no manifest."""
        found = manifest.summary(self.path)
        return None if found is None else RunManifest.model_validate(found)

    def merge_sent(self) -> Path | None:
        """Each generator process's answered predictions (the refinement steps' too), into the one file the drift
        check and the answers check read."""
        return sent.merge(self.path, more=tuple(self.steps))

    def answers(self, level: float, tolerance: float) -> dict:
        """Every answer the generators received, checked per stage against the served model (answers/check.py)."""
        db = self.path / names.SENT_PREDICTIONS
        if not db.is_file():
            return check.skipped(f"no {names.SENT_PREDICTIONS} in the run folder: the generators kept no answers")
        ran = self.manifest
        api = (ran and ran.api) or ApiPlacement()
        artifact = check.artifact_for(AnswersSettings().model_artifact, bool(api.started_here))
        if isinstance(artifact, str):
            return check.skipped(artifact)
        served = (api.serving or {}).get("model_version")
        try:
            return check.check(db, artifact, self.timeline["stages"], level, tolerance, served)
        except check.AnswersUnreadable as exc:
            return check.skipped(str(exc))

    def recorded(self, start: float, end: float, endpoint: str | None) -> tuple:
        """The API's recorded latencies (ms, in time order) of a window, or None without a recording; and why the
        recording could not be read (None when it could)."""
        return self._latencies(names.PREDICTIONS, start, end, endpoint)

    def sent_latencies(self, start: float, end: float, endpoint: str | None) -> tuple:
        """The generator's latencies (ms, in time order) of a window's answers, as it saw them, or None where it timed
        none (its record before it did holds 0 in each); and why its record could not be read (None when it could:
        the answers check says so too)."""
        return self._latencies(names.SENT_PREDICTIONS, start, end, endpoint, timed_only=True)

    def _latencies(self, name: str, start: float, end: float, endpoint: str | None, timed_only: bool = False
                   ) -> tuple:
        try:
            return recording.recorded(self.path / name, start, end, endpoint, timed_only), None
        except recording.RecordingUnreadable as exc:
            return None, str(exc)

    def run_data(self, raw: dict, endpoint: str | None, answers: dict | None = None) -> RunData:
        """Everything the evaluator judges, read from this folder, with Prometheus's answers `raw` and the answers
        check's result."""
        return RunData(run_id=self.path.resolve().name, raw=raw, timeline=self.timeline,
                       clients=self.client_figures(endpoint), recording=self.recorded,
                       generator_recording=self.sent_latencies,
                       client_series=self.client_seconds(), manifest=self.manifest, run_end=self.ended(),
                       machine=self.machine(), answers=answers)


class BaselineError(RuntimeError):
    """The baseline run cannot be read: exit 2."""


def load_report(path: Path) -> list[Report]:
    """A run's SLO report, or every run of a repeat set (its repeat_report.json names them): the baseline side
    of a comparison, pooled."""
    path = Path(path)
    if path.is_dir() and (path / names.REPEAT_REPORT).is_file():
        try:
            runs = RepeatSet.read(path / names.REPEAT_REPORT).runs
        except ReportError as exc:
            raise BaselineError(f"not a readable repeat set's report: {exc}") from None
        return [_read(path.parent / run / names.SLO_REPORT) for run in runs]
    return [_read(path / names.SLO_REPORT if path.is_dir() else path)]


def _read(path: Path) -> Report:
    if not path.is_file():
        raise BaselineError(f"{path}: no SLO report there to compare with")
    try:
        return Report.read(path)
    except ReportError as exc:
        raise BaselineError(f"not a readable SLO report: {exc}") from None
