"""The SLO file as typed pydantic models, validated and normalized on load; the evaluator never sees YAML."""
from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, model_validator

from prometheus_client.utils import floatToGoString

from common import contract
from common.prometheus_api import matchers
from common.specfile import SpecError, Strict, register_tags
from slo.file.baseline_criteria import BaselineCriteria

class MetricsSpec(Strict):
    requests_total: str = contract.REQUESTS_TOTAL
    latency_histogram: str = contract.REQUEST_LATENCY
    status_label: str = contract.LABEL_STATUS
    selector: dict[str, str] = Field(default_factory=lambda: {contract.LABEL_ENDPOINT: "/predict"})
    up_selector: dict[str, str] = Field(default_factory=lambda: {"job": "api"})
    # Which requests count as the offered traffic for the throughput objective (Prometheus's own scrapes do not).
    traffic_matchers: str = f'{contract.LABEL_ENDPOINT}!="/metrics"'


class _Objective(Strict):
    """What every kind of objective has, and what each kind says of itself (none, unless it overrides): the share
    whose count decides it with none counted (zero_count), its SLI for burn-rate alerts (alert_sli), and the team's
    own queries over a stage window (stage_queries)."""
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""

    def zero_count(self) -> tuple[float, str] | None:
        """(the largest share allowed, what none counted means) where a count decides the objective."""
        return None

    def alert_sli(self, m: "MetricsSpec", bucket_bounds: tuple[float, ...]) -> tuple[float, str] | None:
        """(target, PromQL of the bad-event ratio over [W]) where the objective is an error budget to alert on."""
        return None

    def stage_queries(self, range_: str, seconds: float, step: str) -> dict[str, str]:
        """The team's own queries over one stage window (`range_`, e.g. 47800ms), by result name."""
        return {}

    def queue_knee_rps(self, service_rps: float) -> float | None:
        """The arrival rate at which an M/M/1 queue serving `service_rps` at most meets the objective exactly;
        None where latency does not decide it."""
        return None


class _Banded(_Objective):
    """An objective with a threshold and an optional warning band that must lie on its passing side."""
    _band: ClassVar[tuple[str, str, bool]] = ("", "", True)   # (threshold field, warning field, higher is worse)

    @model_validator(mode="after")
    def _warning_on_the_passing_side(self):
        threshold_field, warning_field, higher_is_worse = self._band
        threshold, warning = getattr(self, threshold_field), getattr(self, warning_field)
        if warning is None:
            return self
        if higher_is_worse and warning > threshold:
            raise ValueError(f"{warning_field} must be <= {threshold_field}")
        if not higher_is_worse and warning < threshold:
            raise ValueError(f"{warning_field} must be >= {threshold_field}")
        return self


class LatencyQuantile(_Banded):
    _band: ClassVar[tuple[str, str, bool]] = ("threshold_ms", "warning_ms", True)
    kind: Literal["latency_quantile"]
    quantile: float = Field(gt=0, lt=1)
    threshold_ms: float = Field(gt=0)
    warning_ms: float | None = Field(None, gt=0)

    def zero_count(self) -> tuple[float, str] | None:
        return 1 - self.quantile, f"none over {self.threshold_ms:g} ms"

    def alert_sli(self, m: "MetricsSpec", bucket_bounds: tuple[float, ...]) -> tuple[float, str] | None:
        """Requests slower than the threshold, counted at its bucket edge; not for a median: 14.4 x a 50 % budget
        exceeds any ratio, so it could never page."""
        if self.quantile < 0.9:
            return None
        seconds = self.threshold_ms / 1000
        if bucket_bounds and not any(abs(seconds - b) < 1e-12 for b in bucket_bounds):
            raise SpecError(f"objectives[{self.name}].threshold_ms: {self.threshold_ms:g} ms is not a histogram "
                            "bucket boundary, so the share of slower requests cannot be counted exactly")
        le = floatToGoString(seconds)
        fast = f'sum(rate({m.latency_histogram}_bucket{matchers(m.selector, f"le={chr(34)}{le}{chr(34)}")}[W]))'
        count = f"sum(rate({m.latency_histogram}_count{matchers(m.selector)}[W]))"
        return self.quantile, f"1 - ({fast} / {count})"

    def queue_knee_rps(self, service_rps: float) -> float | None:
        """An M/M/1 latency is exponential at rate mu - lambda: its quantile q meets the threshold t where
        exp(-(mu - lambda) t) = 1 - q."""
        return service_rps - math.log(1 / (1 - self.quantile)) / (self.threshold_ms / 1000)


class LatencyMean(_Banded):
    _band: ClassVar[tuple[str, str, bool]] = ("threshold_ms", "warning_ms", True)
    kind: Literal["latency_mean"]
    threshold_ms: float = Field(gt=0)
    warning_ms: float | None = Field(None, gt=0)

    def queue_knee_rps(self, service_rps: float) -> float | None:
        """An M/M/1 mean latency is 1 / (mu - lambda)."""
        return service_rps - 1 / (self.threshold_ms / 1000)


class ErrorRatio(_Banded):
    _band: ClassVar[tuple[str, str, bool]] = ("max_ratio", "warning_ratio", True)
    kind: Literal["error_ratio"]
    max_ratio: float = Field(ge=0, lt=1)
    warning_ratio: float | None = Field(None, ge=0, lt=1)

    def zero_count(self) -> tuple[float, str] | None:
        return (self.max_ratio, "no error") if self.max_ratio > 0 else None   # no sample proves "never an error"

    def alert_sli(self, m: "MetricsSpec", bucket_bounds: tuple[float, ...]) -> tuple[float, str] | None:
        bad = f'sum(rate({m.requests_total}{matchers(m.selector, f"{m.status_label}=~{chr(34)}5..{chr(34)}")}[W]))'
        return 1 - self.max_ratio, f"({bad} or vector(0)) / sum(rate({m.requests_total}{matchers(m.selector)}[W]))"


class Availability(_Objective):
    """The lowest share of the target's instances up at any scrape of the window: 1 means every replica up
    all along (one instance: never found down); 0.5, at least half of the replicas up at every scrape."""
    kind: Literal["availability"]
    min_up: float = Field(1.0, gt=0, le=1)


class Throughput(_Banded):
    _band: ClassVar[tuple[str, str, bool]] = ("min_share", "warning_share", False)
    kind: Literal["throughput"]
    min_share: float = Field(gt=0, le=1)   # achieved / offered
    warning_share: float | None = Field(None, gt=0, le=1)


class Answers(_Objective):
    """Every answer the generator received, recomputed offline with the served model (answers/check.py): the share
    that differs beyond `tolerance` must not exceed `max_wrong_share` (0, the default: none may be wrong)."""
    kind: Literal["answers"]
    max_wrong_share: float = Field(0.0, ge=0, lt=1)
    tolerance: float = Field(1e-6, gt=0, lt=0.5)


WINDOW = "{{window}}"  # where a ratio or threshold query takes the stage window's range, e.g. [47800ms]
WINDOW_S = "{{window_s}}"  # the window's length in seconds (a rate times it is a count)
STEP = "{{step}}"  # the scrape interval, as a subquery's resolution


class RatioSli(_Objective):
    """A ratio SLI from the team's own PromQL (OpenSLO ratioMetric, Sloth events or raw): the share of good
    events in the stage window must reach `target`. Each query sums its events (or, for bad_ratio_query, gives
    the bad share) over {{window}}."""
    kind: Literal["ratio"]
    target: float = Field(gt=0, lt=1)
    good_query: str | None = None
    bad_query: str | None = None
    bad_ratio_query: str | None = None
    total_query: str | None = None
    # How the team's queries were mapped onto the window, for the report (e.g. a rate's own range smooths edges).
    mapping: str = ""

    @model_validator(mode="after")
    def _one_way_to_count(self):
        given = [f for f in ("good_query", "bad_query", "bad_ratio_query") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError("declare exactly one of good_query, bad_query and bad_ratio_query")
        if (self.total_query is None) != (given[0] == "bad_ratio_query"):
            raise ValueError("total_query goes with good_query or bad_query, and only with them")
        for field in ("good_query", "bad_query", "bad_ratio_query", "total_query"):
            query = getattr(self, field)
            if query is not None and WINDOW not in query:
                raise ValueError(f"{field} must contain {WINDOW} where the stage window goes")
        return self

    def stage_queries(self, range_: str, seconds: float, step: str) -> dict[str, str]:
        """Each of the team's queries with the window's range, length and step put in (they name their own
        selectors: the team's scope, not rewritten here)."""
        out = {}
        for field in ("good_query", "bad_query", "bad_ratio_query", "total_query"):
            query = getattr(self, field)
            if query is not None:
                out[f"sli_{field.removesuffix('_query')}_{self.name}"] = (
                    query.replace(WINDOW, range_).replace(WINDOW_S, f"{seconds:g}").replace(STEP, step))
        return out


class ThresholdSli(_Objective):
    """A threshold SLI (OpenSLO thresholdMetric): the share of the window's scrapes where `query op value`
    holds must reach `target`."""
    kind: Literal["threshold"]
    target: float = Field(gt=0, le=1)
    query: str = Field(min_length=1)
    op: Literal["lt", "lte", "gt", "gte"]
    value: float
    _ops: ClassVar[dict[str, str]] = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

    def stage_queries(self, range_: str, seconds: float, step: str) -> dict[str, str]:
        """The share of the window's scrapes (at `step`) where the condition held."""
        return {f"sli_share_{self.name}": (f"avg(avg_over_time((({self.query}) {self._ops[self.op]} bool "
                                           f"{self.value:g})[{range_}:{step}]))")}


Objective = Annotated[Union[LatencyQuantile, LatencyMean, ErrorRatio, Availability, Throughput, Answers, RatioSli,
                            ThresholdSli], Field(discriminator="kind")]
register_tags("latency_quantile", "latency_mean", "error_ratio", "availability", "throughput", "answers", "ratio",
              "threshold")


class Gate(Strict):
    """Which stages decide the verdict: those whose offered load is at most required_rps, or listed ones."""
    required_rps: float | None = Field(None, gt=0)
    stages: list[str] | None = None


class SloSpec(Strict):
    service: str
    metrics: MetricsSpec = MetricsSpec()
    gate: Gate = Gate()
    objectives: list[Objective] = Field(min_length=1)
    baseline: BaselineCriteria = BaselineCriteria()
    min_samples: int = Field(100, ge=1)  # fewer requests in a stage: "not enough data", not a pass
    reconciliation_tolerance: float = Field(0.02, gt=0, lt=1)  # allowed relative gap between counts
    # Every verdict is decided by an interval at this level: PASS and FAIL only when the whole interval agrees.
    confidence_level: float = Field(0.95, ge=0.5, lt=1)
    # How much bursts inflate a share's variance beyond what one window's scrape blocks can show (rare bursts: a
    # window holding none shows no variance); 1 assumes nothing beyond what each window measures.
    design_effect: float = Field(1.0, ge=1)
    # How a run's many tests combine: holm keeps the chance of any false FAIL (or false "regressed") across the
    # run's gated tests at (1 - confidence_level) / 2; none decides each test at that level alone.
    family: Literal["holm", "none"] = "holm"

    @model_validator(mode="before")
    @classmethod
    def _settings_no_longer_read(cls, raw):
        if isinstance(raw, dict) and "min_tail_samples" in raw:
            raise ValueError("min_tail_samples is no longer read (each quantile's confidence interval decides when "
                             "a stage has enough requests): remove it")
        return raw

    @model_validator(mode="after")
    def _unique_names(self):
        names = [o.name for o in self.objectives]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"objective names must be unique: {', '.join(dupes)}")
        return self

    def quantile_objectives(self) -> list[LatencyQuantile]:
        """The latency quantile objectives: the kind read from the histogram's buckets, by threshold."""
        return [o for o in self.objectives if isinstance(o, LatencyQuantile)]

    def queue_knee_rps(self, saturation_rps: float) -> float | None:
        """Where an M/M/1 queue that serves `saturation_rps` at most meets every latency objective (the lowest of
        their knees, at least a tenth of it); None without a latency objective."""
        knees = [k for o in self.objectives if (k := o.queue_knee_rps(saturation_rps)) is not None]
        return max(0.1 * saturation_rps, min(knees)) if knees else None

    def queue_knee_pct(self, demand_ms: float) -> float | None:
        """The knee as a share of saturation (%) of an M/M/1 queue whose request takes `demand_ms` (queue_knee_rps):
        lower the longer a request takes, since the thresholds do not move."""
        knee = self.queue_knee_rps(1000 / demand_ms)
        return None if knee is None else 100 * knee * demand_ms / 1000

    def latency_thresholds_s(self) -> dict[str, float]:
        return {o.name: o.threshold_ms / 1000 for o in self.objectives if isinstance(o, (LatencyQuantile, LatencyMean))}
