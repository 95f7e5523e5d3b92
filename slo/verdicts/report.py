"""The SLO report of a run as typed, frozen models: built once by the evaluator (slo/verdicts/evaluate.py), written
as slo_report.json, and read by attribute: from a stage's row on, by the machine's marks, the capacity and the
knee's fit, the verdict and the refinement's steering; read back, by the reports, the history, a baseline comparison
and a repeat set.

The JSON holds each model's fields as they were given (`exclude_unset`): a field of one kind of objective appears only
on that kind's rows, and a report read back writes the same JSON. The figures inside a stage (`server`, `client`, an
objective's `confidence`) and the run-wide analyses but the capacity (serving, family...) stay mappings, their
fields listed in docs/reading-a-report.md. A change of what the JSON holds bumps SCHEMA_VERSION, and the golden report
(tests/slo/golden/slo_report.json) shows it."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from common.exit_codes import Verdict
from runfolder import names

SCHEMA_VERSION = 5


class ReportError(ValueError):
    """A report file that is not an SLO report this version of slobench reads: names the file and the field."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Window(_Frozen):
    """The measured part of a stage, in wall-clock seconds."""
    start: float
    end: float
    seconds: float


class Confidence(_Frozen):
    """The interval that decided an objective in one stage (slo/stats/intervals.py): its level and ends in the
    objective's own terms (`terms`: a share over the threshold, the mean in ms...), the limit it is judged against,
    the method and what it assumes, and the decision it supports. A share's also holds its counts (a threshold
    between bucket edges brackets `counted` as [fewer, more]), how much dependence widened it and where that was
    measured, and its reading from the stage's whole tail; an undecided one, what would decide it; one judged in a
    family of tests, how the family policy treated it. Empty where the objective has no interval."""
    level: float | None = None
    low: float | None = None
    high: float | None = None
    limit: float | None = None
    terms: str | None = None
    method: str | None = None
    assumes: str | None = None
    decision: str | None = None
    observed: bool = False          # a census or an exact count: not a sample
    collapsed: bool = False         # the queue grew through the window: the figure is what it was
    requests: int | float | None = None
    counted: int | float | list[int | float] | None = None
    bracketed: bool = False
    design_effect: float | None = None
    design_effect_from: str | None = None
    divisor: float | None = None
    blocks: int | None = None
    effective_blocks: float | None = None
    widened_by: float | None = None
    requests_minimum: int | None = None
    requests_needed: int | None = None
    seconds_needed: float | None = None
    tail: dict | None = None
    family: dict | None = None

    @property
    def counted_range(self) -> tuple[float, float] | None:
        """(counted at least, counted at most): a bracketed count's two ends, else the count twice."""
        if self.counted is None:
            return None
        return tuple(self.counted) if isinstance(self.counted, list) else (self.counted, self.counted)

    @property
    def in_shares(self) -> bool:
        """Whether the interval is of a share (of requests over a threshold, of errors...), not of a figure in ms."""
        return "share" in (self.terms or "")


class ObjectiveResult(_Frozen):
    """One objective judged in one stage: its status (pass, warn, fail, inconclusive, no_data, insufficient), the
    measured figure against its threshold, and the interval that decided it (`confidence`)."""
    name: str
    kind: str
    status: str
    measured: float | None = None
    threshold: float | None = None
    warning: float | None = None
    unit: str | None = None
    confidence: Confidence = Confidence()
    detail: str | None = None   # what else decided the row (answers not checkable, arrivals dropped)
    # latency quantiles
    quantile: float | None = None
    bucket_ms: list | None = None   # the bucket edges around the measured figure
    # the answers check
    checked: int | None = None
    wrong: int | None = None
    examples: list[str] | None = None
    # throughput of an open model
    dropped: float | None = None
    # an imported SLI: how fast it burns its error budget, and how its file's objective was mapped
    burn_rate: float | None = None
    mapping: str | None = None


class ServerFigures(_Frozen):
    """The server's figures over a stage's window, from Prometheus (slo/stats/figures.server_figures): requests,
    rates, errors, the mean and the quantiles (`quantiles`: {"0.99": {ms, bucket_ms}}), availability, completeness;
    with the API's own timing of its predictions (`serving`, saturation.stage_serving), and per replica, per
    imported SLI and per scrape. Every field has a default, so a report with fewer figures still reads."""
    window_s: float = 0.0
    requests: float = 0.0
    rps: float | None = None
    rps_all_traffic: float | None = None
    errors_5xx: float = 0.0
    errors_4xx: float = 0.0
    status_200: float = 0.0
    mean_ms: float | None = None
    up_min: float | None = None
    up_share_min: float | None = None
    down_at: float | None = None
    up_samples: float | None = None
    counter_resets: float = 0.0
    api_loop_lag_p99_ms: float | None = None
    requests_interpolated: float | None = None
    status_200_interpolated: float | None = None
    quantiles: dict[str, dict] = {}
    error_ratio: float | None = None
    distribution: list[list[float]] = []
    ratio_4xx: float | None = None
    notes: list[str] = []
    complete: bool = True
    replicas: dict[str, dict] = {}
    slis: dict[str, dict] = {}
    per_scrape: dict = {}
    serving: dict | None = None

    def quantile_ms(self, q: float) -> float | None:
        """Prometheus's estimate of quantile q over the window, in ms; None where it has none."""
        return (self.quantiles.get(f"{q:g}") or {}).get("ms")

    @property
    def availability(self) -> float | None:
        """The lowest share of the target's instances up at any scrape of the window (one instance: its lowest up),
        as slo/stats/figures.availability reads it for the objective."""
        return self.up_share_min if self.up_share_min is not None else self.up_min


class ClientFigures(_Frozen):
    """The generators' own figures over a stage's window (loadtests/client_figures.stage_figures): what they sent
    and received, their latencies (HDR histograms merged from every process, `hdr_*`), how busy each process was
    (`workers`), whether they kept up, and the answers checked against the served model (`answers`). A stage the
    generators logged nothing for holds only `model` (and `answers`, where checked)."""
    model: str | None = None            # closed or open
    source: str | None = None
    requests: int = 0
    requests_all_endpoints: int = 0
    failures: int = 0
    no_response: int = 0
    status_200: int = 0
    sender_errors: int = 0
    sent: int | None = None             # the open model's arrivals: sent, and dropped for lack of a free user
    dropped: int | None = None
    rps: float | None = None
    rps_all_endpoints: float | None = None
    mean_ms: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    percentiles: list[list[float]] = []
    hdr_count: int | None = None
    hdr_p50_ms: float | None = None
    hdr_p95_ms: float | None = None
    hdr_p99_ms: float | None = None
    generator_cpu_cores: float | None = None
    generator_loop_lag_p99_ms: float | None = None
    generator_send_lag_p99_ms: float | None = None
    generator_bound: bool = False
    machine_stall: bool = False
    workers: dict[str, dict] = {}
    answers: dict | None = None

    @property
    def tail_p99_ms(self) -> float | None:
        """The users' p99: from the merged HDR histograms where recorded, else Locust's own."""
        return self.hdr_p99_ms if self.hdr_p99_ms is not None else self.p99_ms


class StageMachine(_Frozen):
    """What the machine did during a stage (slo/verdicts/machine.py): the share of the API's cores other work took,
    with its interval, worst spell, steal and idle shares, against the run's typical stage (`reference`); the core's
    fixed work timed (`speed` {unit_ms, low, high, seconds, reference_ms}) and the prediction time a request took
    (`service` {ms, reference_ms}); whether the stage ran on a slower or faster machine than the rest of the run,
    and `by` what (`service`: the prediction time and the fixed work; else other work's share), or served the
    queue a slowed stage left (`after`: that stage). The shares are None where the API's cores were not sampled."""
    taken_share: float | None = None
    low: float | None = None
    high: float | None = None
    worst_spell: float | None = None
    steal_share: float = 0.0
    idle_share: float | None = None
    seconds: int | None = None
    method: str | None = None
    reference: float | None = None
    slowed: bool = False
    faster: bool = False
    after: str | None = None
    by: str | None = None
    speed: dict | None = None
    service: dict | None = None


class StageLooks(_Frozen):
    """A stage or step judged while it ran (slobench/ladder_looks.py, refine.py): the shares of its longest length
    at which it was looked at, the run's level and the stricter one each look kept (`per_look_level`), what each
    look found, and the look that decided it (None: it ran to its longest)."""
    stage: str | None = None
    shares: list[float]
    level: float | None = None
    per_look_level: float
    looks: list[dict] = []
    ended_at_look: int | None = None

    @property
    def several(self) -> bool:
        """Whether it was looked at more than once (a single look is the stage's end, as without looks)."""
        return len(self.shares) > 1


class ClientGap(_Frozen):
    """How much of the users' p99 the server's histogram did not see (slo/verdicts/client_gap.py), in parts (the
    generator's lag, the API's event loop, unexplained), and what it comes from."""
    p99_gap_ms: float | None = None
    parts: dict[str, float | None] = {}
    cause: str = "no data"


class Reconciliation(_Frozen):
    """A stage's counts from the generators, Prometheus and the API's recording against each other
    (slo/stats/accuracy.reconcile): their relative gaps, what each may differ by, and which were flagged."""
    locust_answered: int | None = None
    locust_200: int | None = None
    locust_no_response: int = 0
    prometheus: float | None = None
    prometheus_200: float | None = None
    recorded: int | None = None
    gaps: dict[str, float | None] = {}
    allowed: dict[str, float] = {}
    tolerance: float | None = None
    flagged: list[str] = []
    ok: bool = True


class QuantileAccuracy(_Frozen):
    """The histogram's quantile estimates against the exact quantiles of the recorded latencies (slo/stats/
    accuracy.quantile_accuracy), per quantile {estimate_ms, exact_ms, within_bucket...}, and the bucket boundaries
    that would bring an objective's estimate closer."""
    rows: int = 0
    quantiles: dict[str, dict] = {}
    recommendations: list[dict] = []
    note: str | None = None


class Stage(_Frozen):
    """One stage of the run as judged: its window, the server's and the generators' figures, every objective, its
    status and what the checks of its figures found."""
    index: int
    name: str
    users: int | None = None
    offered_rps: float | None = None
    began: float
    window: Window
    completed: bool = True
    gated: bool = False
    refine: bool = False
    looks: StageLooks | None = None
    server: ServerFigures
    client: ClientFigures = ClientFigures()
    gap: ClientGap = ClientGap()
    objectives: list[ObjectiveResult]
    status: str
    machine: StageMachine | None = None
    accuracy: QuantileAccuracy | None = None
    reconciliation: Reconciliation = Reconciliation()
    collapsed: bool = False
    client_breaks: list[str] = []

    @property
    def rate(self) -> float:
        """The rate the stage is placed at: what it offered when the profile declares it, else what it achieved (a
        stage that collapsed achieved far less than it offered, and belongs where it was offered)."""
        return self.offered_rps or self.server.rps_all_traffic or 0.0

    @property
    def departed(self) -> bool:
        """Whether the stage ran on a machine of another speed than the rest of its run, or served the queue such a
        stage left (slo/verdicts/machine.py marks it)."""
        m = self.machine
        return bool(m and (m.slowed or m.faster or m.after))

    def objective(self, name: str) -> ObjectiveResult | None:
        """The stage's row of objective `name`, None where the stage has none."""
        return next((o for o in self.objectives if o.name == name), None)


class AtTypicalSpeed(_Frozen):
    """The capacity found in shares of saturation, every stage placed at the share of its own saturation it offered
    (slo/verdicts/saturation.at_typical_speed), and stated in req/s at the run's typical prediction time."""
    typical_demand_ms: float
    bracket_pct: list[float | None]
    interval_pct: list[float | None]
    decided_by: list[str]
    interval_rps: list[float | None]


class KneeFit(_Frozen):
    """The lowest crossing of an objective's limit by the knee's curve fitted across the stages, at the rates they
    offered (slo/verdicts/knee.fit_crossing): its estimate and interval in req/s ([None, None] where the band does not
    cross the limit on both sides, or a stage's own share contradicts it), the stages fitted and how they scattered."""
    objective: str
    estimate_rps: float
    interval_rps: list[float | None]
    stages: list[str]
    from_tail: list[str] = []
    dispersion: float
    slope_per_rps: float
    contradicted_by: list[str] = []


class KneeShare(_Frozen):
    """The same crossing with every stage placed at the share of its own saturation it offered, in %
    (slo/verdicts/saturation.knee_share), with the processes counted and the run's typical prediction time."""
    objective: str
    estimate_pct: float
    interval_pct: list[float | None]
    stages: list[str]
    from_tail: list[str] = []
    dispersion: float
    slope_per_pct: float
    contradicted_by: list[str] = []
    servers: int
    typical_demand_ms: float
    method: str


class Capacity(_Frozen):
    """The run's capacity (slo/verdicts/objectives.capacity): the interval [low, high] in req/s, what decided each end
    (the bracket of confident stages, or the knee's curve fitted across every stage) and at which rates it is
    stated; the stages that set no end, and why; the first stage to break an objective; the knee's fit at the rates
    offered (`fit`) and as a share of saturation (`knee_share`)."""
    interval_rps: list[float | None]
    decided_by: list[str]
    bracket_rps: list[float | None]
    rates: str
    closed: bool = False
    width: float | None = None
    highest_passing_stage: str | None = None
    highest_passing_rps: float | None = None
    lowest_failing_stage: str | None = None
    first_failing_stage: str | None = None
    broken: list[dict] = []
    inconclusive_stages: list[str] = []
    collapsed_stages: list[dict] = []
    client_tail_stages: list[str] = []
    generator_bound_stages: list[str] = []
    generators_needed: dict = {}
    slowed_stages: list[str] = []
    faster_stages: list[str] = []
    after_slowed_stages: list[str] = []
    breaks_order: list[str] = []
    fit: KneeFit | None = None
    knee_share: KneeShare | None = None
    speed: AtTypicalSpeed | None = None


class RunInfo(_Frozen):
    """Which run was judged: its id, profile, start and stop, the scrape interval and the scope of the queries."""
    id: str
    profile: str
    started: float
    stopped: float | None = None
    scrape_interval: dict = {}
    scope: dict = {}
    judged_in: str | None = None


class Report(_Frozen):
    """The SLO report of a run (its JSON: docs/reading-a-report.md, "slo_report.json schema")."""
    schema_version: int
    service: str
    run: RunInfo
    slo: dict
    stages: list[Stage]
    capacity: Capacity
    serving: dict = {}
    sentences: list[str] = []
    family: dict = {}
    baseline: dict | None = None
    reconciliation: dict = {}
    replicas: dict | None = None
    series: dict = {}
    manifest: dict | None = None
    answers: dict | None = None
    completeness: dict = {}
    clocks: dict | None = None
    verdict: Verdict
    drift: dict | None = None

    def stage(self, name: str) -> Stage | None:
        """The stage named `name`, None where the run has none."""
        return next((s for s in self.stages if s.name == name), None)

    def judged_in(self, folder: str) -> Report:
        """The report of a run judged again beside its original reports, in `folder` (slobench judge)."""
        return self.model_copy(update={"run": self.run.model_copy(update={"judged_in": folder})})

    def with_drift(self, drift: dict | None) -> Report:
        """The report with the drift check of the run's served traffic beside its verdicts (drift/check.py)."""
        return self.model_copy(update={"drift": drift})

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
                "$comment": f"{names.SLO_REPORT}, schema_version {SCHEMA_VERSION}; made from slo/verdicts/report.py",
                **cls.model_json_schema()}

    @classmethod
    def of(cls, data: dict, where: str = names.SLO_REPORT) -> Report:
        """A report from its JSON; a ReportError naming `where` and the field that does not fit."""
        version = data.get("schema_version") if isinstance(data, dict) else None
        if version != SCHEMA_VERSION:
            raise ReportError(f"{where}: schema_version: {version}, this slobench reads {SCHEMA_VERSION} (judge the "
                              "run again: slobench judge RUN_FOLDER)")
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
            raise ReportError(f"{where}: {path}: {first['msg']}") from None

    @classmethod
    def read(cls, path: Path) -> Report:
        """The report in `path`; a ReportError naming the file where it is no readable report."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ReportError(f"{path}: {e}") from None
        return cls.of(data, str(path))
