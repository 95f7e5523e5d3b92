"""The run's capacity: the interval in req/s, what decided each end, and the knee's fits behind it."""
from __future__ import annotations

from slo.verdicts.report.frozen import Frozen


class AtTypicalSpeed(Frozen):
    """The capacity found in shares of saturation, every stage placed at the share of its own saturation it offered
    (slo/verdicts/knee_speed.at_typical_speed), and stated in req/s at the run's typical prediction time."""
    typical_demand_ms: float
    bracket_pct: list[float | None]
    interval_pct: list[float | None]
    decided_by: list[str]
    interval_rps: list[float | None]


class AtUsualSpeed(Frozen):
    """The same interval in shares of saturation (AtTypicalSpeed.interval_pct) stated in req/s at the machine's usual
    prediction time: the median of the typical ones of this run and the earlier runs like it in its results folder
    (same profile, SLO file and target; slobench/history.like_runs), so runs on a machine whose speed moved between
    them answer at one speed (knee_speed.at_usual_speed), the share moved as a queue's knee moves with its speed
    (`shift_pct`)."""
    runs: int
    usual_demand_ms: float
    range_ms: list[float]
    ratio: float                      # this run's typical prediction time over the usual one
    shift_pct: float = 0.0            # how far the knee's share moves between the two speeds (an M/M/1 queue's)
    interval_rps: list[float | None]


class Crossing(Frozen):
    """Where the knee's curve, fitted across the stages (slo/verdicts/knee.fit_crossing), crosses the lowest
    objective's limit: which objective, the stages fitted (those read from their whole tails, and of those the ones
    read from the generator's latencies where the API records none) and how they scattered, and the stages whose own
    share contradicted the interval. Its figures come in the unit the stages were placed in."""
    objective: str
    stages: list[str]
    from_tail: list[str] = []
    from_generator: list[str] = []
    dispersion: float
    contradicted_by: list[str] = []


class KneeFit(Crossing):
    """The crossing at the rates the stages offered: its estimate and interval in req/s ([None, None] where the band
    does not cross the limit on both sides; an end None where a stage's own share contradicts it)."""
    estimate_rps: float
    interval_rps: list[float | None]
    slope_per_rps: float


class KneeShare(Crossing):
    """The crossing with every stage placed at the share of its own saturation it offered, in %
    (slo/verdicts/knee_speed.knee_share), with the processes counted and the run's typical prediction time."""
    estimate_pct: float
    interval_pct: list[float | None]
    slope_per_pct: float
    servers: int
    typical_demand_ms: float
    method: str


class Capacity(Frozen):
    """The run's capacity (slo/verdicts/capacity.py): the interval [low, high] in req/s, what decided each end
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
    held_stages: list[str] = []   # held while other work took the API's core (loadtests/holds.py); absent where none
    breaks_order: list[str] = []
    fit: KneeFit | None = None
    knee_share: KneeShare | None = None
    speed: AtTypicalSpeed | None = None
    usual_speed: AtUsualSpeed | None = None
