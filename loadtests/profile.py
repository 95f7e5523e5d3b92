"""Load profiles: YAML files of stages, parsed into typed models; each stage's window computed from them
(loadtests/windows.py holds the window itself)."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from common.specfile import SpecError, Strict as _Strict, load_yaml, spec_error
from loadtests.holds import Hold, Held, held
from loadtests.probe_and_refine import MAX_LOOKS, Probe, Refine
from loadtests.windows import StageWindow, window_at

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"


# The route each task of the scenario requests (the API's endpoint label).
TASK_ROUTES = {"predict_user": "/predict", "predict_features": "/predict/features", "health": "/health"}


class Outputs(_Strict):
    """Where a prediction's output lies in the API's JSON answer (top-level field names); a field an answer lacks
    is left empty, and drift then compares the inputs only."""
    probability: str = Field("probability", min_length=1)
    prediction: str = Field("prediction", min_length=1)
    model_version: str = Field("model_version", min_length=1)


class Scenario(_Strict):
    # Relative weights of the three tasks; names match the API's routes.
    weights: dict[Literal["predict_user", "predict_features", "health"], int] = Field(
        default_factory=lambda: {"predict_user": 8, "predict_features": 1, "health": 1})
    rate_per_user: float = Field(10.0, ge=0)  # req/s each user aims at (0: no think time)
    traffic: Literal["serving", "drifted"] = "serving"
    outputs: Outputs = Outputs()

    def share_of(self, route: str) -> float:
        """The share of requests that go to `route`."""
        return sum(w for t, w in self.weights.items() if TASK_ROUTES[t] == route) / sum(self.weights.values())

    @model_validator(mode="after")
    def _some_weight(self):
        if not any(w > 0 for w in self.weights.values()) or any(w < 0 for w in self.weights.values()):
            raise ValueError("weights must be >= 0 with at least one > 0")
        return self


MIN_MEASURED_S = 5   # a stage's measured window at least, as declared and as ended at a look


class Stage(_Strict):
    name: str = Field(min_length=1)
    users: int | None = Field(None, ge=1, le=10_000)        # closed model: concurrent users
    spawn_rate: float = Field(100.0, gt=0)
    rate_rps: float | None = Field(None, gt=0, le=100_000)  # open model: arrivals per second
    # Open model: the rate as a share of the target's saturation, measured by the probe before the stages
    # (loadtests/probe.py), so the ladder sits at the same place on a fast and a slow machine.
    saturation_share: float | None = Field(None, gt=0, le=5)
    # Open model: the rate as a share of the knee an M/M/1 queue serving the measured saturation would have under
    # the SLO file's latency objectives (SloSpec.queue_knee_rps): where the knee lies as a share of saturation
    # moves with what a request costs against the thresholds (near 85 % at 15 ms, 73 % at 27 ms), so stages placed
    # by it stay close around the knee on any machine.
    predicted_knee_share: float | None = Field(None, gt=0, le=5)
    duration_s: float = Field(gt=0, le=24 * 3600)
    # Judged while it runs at this many looks, the first at first_look of its measured window, and ended at the
    # first look that decides it (every objective passed, or one failed, at the level that holds over every look:
    # slo/stats/looks.py). One look: it runs its whole duration_s.
    looks: int = Field(1, ge=1, le=MAX_LOOKS)
    first_look: float = Field(0.5, gt=0, le=1)

    @model_validator(mode="after")
    def _one_rate(self):
        if sum(x is not None for x in (self.rate_rps, self.saturation_share, self.predicted_knee_share)) > 1:
            raise ValueError("declare one of rate_rps, saturation_share or predicted_knee_share")
        return self

    @property
    def placed_from_probe(self) -> bool:
        """Its rate is a share of what the probe measures, still to be placed."""
        return self.saturation_share is not None or self.predicted_knee_share is not None

    def share_of(self, saturation_rps: float, knee_rps: float | None) -> float:
        """Its share of the saturation, once measured (the predicted knee's share of it applied)."""
        if self.saturation_share is not None:
            return self.saturation_share
        if knee_rps is None:
            raise SpecError(f"stage {self.name}: predicted_knee_share places the stage from the knee the SLO file's "
                            "latency objectives predict, and it declares none: use saturation_share")
        return self.predicted_knee_share * knee_rps / saturation_rps


class Placement(_Strict):
    """The measured saturation (and the knee predicted at it) a profile's shares were placed from (set by
    `Profile.placed`)."""
    saturation_rps: float = Field(gt=0)
    knee_rps: float | None = Field(None, gt=0)   # the knee predicted from it, where stages are shares of that
    shares: dict[str, float] = Field(default_factory=dict)   # stage name -> its share of the saturation
    knee_shares: dict[str, float] = Field(default_factory=dict)   # stage name -> its declared predicted_knee_share
    # Shares placed at or below a declared rate before them (the gated stage's, on a slow machine): they run, and
    # are gated only by name (StageWindow.ungated), as a refinement's steps are: the knee may lie there.
    under_declared: list[str] = Field(default_factory=list)


class Profile(_Strict):
    name: str
    description: str = ""
    # closed: Locust users wait for each answer (load drops when the API slows down);
    # open: requests start on a schedule of arrivals whatever the answers (no coordinated omission).
    kind: Literal["closed", "open"] = "closed"
    arrival: Literal["poisson", "constant"] = "poisson"
    max_concurrency: int = Field(1000, ge=1, le=100_000)  # open model: requests in flight at most
    scenario: Scenario = Scenario()
    settle_s: float = Field(2.0, ge=0)  # excluded after each ramp, so queues reach steady state
    probe: Probe | None = None   # measure the target's saturation before the stages (implied by any share)
    refine: Refine | None = None  # open model: step toward the knee after the stages, within a budget
    hold: Hold | None = None   # open model: hold arrivals while other work takes the API's core (loadtests/holds.py)
    placement: Placement | None = None
    # Stages the run ended at a look that decided them (set by `Profile.ended_at`): name -> the duration_s declared.
    ended_early: dict[str, float] = Field(default_factory=dict)
    # Stages held while the load ran (set by `Profile.held`): name -> where its arrivals stopped and its run again.
    held_stages: dict[str, Held] = Field(default_factory=dict)
    stages: list[Stage] = Field(min_length=1)

    @property
    def poisson_arrivals(self) -> bool:
        """Whether requests arrive as a Poisson process: an open model's default, which the judge's throughput
        interval assumes (a constant schedule and a closed model's users are not one)."""
        return self.kind == "open" and self.arrival == "poisson"

    @model_validator(mode="after")
    def _stages_are_judgeable(self):
        for s in self.stages:
            if self.kind == "closed" and s.users is None:
                raise ValueError(f"stage {s.name}: a closed-model profile declares users in every stage")
            if self.kind == "closed" and s.placed_from_probe:
                raise ValueError(f"stage {s.name}: saturation_share and predicted_knee_share place open-model "
                                 "arrivals; a closed-model profile declares users")
            if self.kind == "open" and s.rate_rps is None and not s.placed_from_probe:
                raise ValueError(f"stage {s.name}: an open-model profile declares rate_rps, saturation_share or "
                                 "predicted_knee_share in every stage")
        for section in ("refine", "hold"):
            if getattr(self, section) is not None and self.kind != "open":
                raise ValueError(f"a closed-model profile cannot declare {section}: it steps or holds "
                                 "open-model arrivals")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError("stage names must be unique")
        for window in self.windows():
            if window.measured_s < MIN_MEASURED_S:
                raise ValueError(f"stage {window.name}: ramp and settle leave {window.measured_s:.1f} s "
                                 f"to measure; at least {MIN_MEASURED_S} s are needed (raise duration_s or spawn_rate)")
        return self

    @property
    def needs_probe(self) -> bool:
        """Some stage's rate is a share of the target's saturation, still to be measured."""
        return any(s.placed_from_probe for s in self.stages)

    @property
    def probe_plan(self) -> Probe | None:
        """How to probe the target before the stages: as declared, by default when a stage needs it, else none."""
        return self.probe or (Probe() if self.needs_probe else None)

    def placed(self, saturation_rps: float, knee_rps: float | None = None) -> "Profile":
        """This profile with each share of saturation (or of the knee predicted at it, `knee_rps`) turned into its
        rate (to 0.1 req/s), the saturation, the knee and the shares kept in `placement`. Both figures are taken to
        0.01 req/s first, as `placement` hands them to the load generator, which places the profile again from them:
        the rates are the same on both sides. A share that lands at or below a declared rate before it (the gated
        stage, on a slow machine) runs too, ungated (Placement.under_declared): on a machine slowed by other work the
        knee lay under the gated rate, and a ladder that skipped those shares left the capacity open ('below 22.8
        req/s')."""
        saturation_rps, knee_rps = round(saturation_rps, 2), knee_rps and round(knee_rps, 2)
        exact = {s.name: s.share_of(saturation_rps, knee_rps) for s in self.stages if s.placed_from_probe}
        knee_shares = {s.name: s.predicted_knee_share for s in self.stages if s.predicted_knee_share is not None}
        stages, under, floor = [], [], 0.0
        for s in self.stages:
            if not s.placed_from_probe:
                stages.append(s)
                floor = max(floor, s.rate_rps or 0.0)
                continue
            rate = max(0.1, round(exact[s.name] * saturation_rps, 1))
            if rate <= floor:
                under.append(s.name)
            stages.append(s.model_copy(update={"rate_rps": rate, "saturation_share": None,
                                               "predicted_knee_share": None}))
        placement = Placement(saturation_rps=saturation_rps, knee_rps=knee_rps if knee_shares else None,
                              shares={name: round(share, 4) for name, share in exact.items()},
                              knee_shares=knee_shares, under_declared=under)
        return self.model_copy(update={"stages": stages, "placement": placement})

    def ended_at(self, name: str, end_s: float) -> "Profile":
        """This profile with stage `name` ending `end_s` into the test (a look decided it), the stages after it
        moved earlier; unchanged unless `end_s` lies inside the stage, past MIN_MEASURED_S of its measured window.
        The shape, the dispatchers, the recorders and the timeline all take their windows from the profile, so a
        generator that runs that profile ends the stage for all of them at once."""
        window = next((w for w in self.windows() if w.name == name), None)
        if window is None or not window.measure_from_s + MIN_MEASURED_S <= end_s < window.end_s:
            return self
        stages = [s.model_copy(update={"duration_s": round(end_s - window.start_s, 3)}) if s.name == name else s
                  for s in self.stages]
        return self.model_copy(update={"stages": stages,
                                       "ended_early": {**self.ended_early, name: self.stages[window.index].duration_s}})

    def held(self, name: str, from_s: float, until_s: float) -> "Profile":
        """This profile with stage `name`'s arrivals held from `from_s` to `until_s` into the test, then the stage
        run again (loadtests/holds.py)."""
        return held(self, name, from_s, until_s)

    @property
    def total_s(self) -> float:
        return sum(s.duration_s for s in self.stages)

    def outline(self) -> list[str]:
        """What the profile runs, one line a stage: what it offers and for how long."""
        lines = []
        for w in self.windows():
            stage = self.stages[w.index]
            load = (f"{stage.saturation_share:.0%} of the measured saturation" if stage.saturation_share else
                    f"{stage.predicted_knee_share:.0%} of the knee predicted at the measured saturation"
                    if stage.predicted_knee_share else
                    f"{w.offered_rps:g} req/s arrivals" if self.kind == "open" else
                    f"{w.users} users" + (f", {w.offered_rps:g} req/s offered" if w.offered_rps else ", no think time"))
            if self.placement and w.name in self.placement.knee_shares:
                load += f" ({self.placement.knee_shares[w.name]:.0%} of the predicted knee,"
                load += f" {self.placement.shares[w.name]:.0%} of the measured saturation)"
            elif self.placement and w.name in self.placement.shares:
                load += f" ({self.placement.shares[w.name]:.0%} of the measured saturation)"
            if w.ungated:
                load += ", gated only by name (placed at or under a declared rate)"
            lines.append(f"{w.name}: {load}, {w.end_s - w.start_s:g} s ({w.measured_s:g} s measured)")
        if self.refine:
            r = self.refine
            lines.append(f"then steps where the capacity is uncertain, at least {r.step_s:g} s each, for up to "
                         f"{r.budget_s:g} s" + (f" (the whole run within {r.run_budget_s:g} s)" if r.run_budget_s else "")
                         + f" or until it is within {r.aim:.0%}")
        return lines

    def headline(self) -> str:
        """`default: closed model, 6 stages, 130 s`."""
        model = f"open model ({self.arrival} arrivals)" if self.kind == "open" else "closed model"
        return f"{self.name}: {model}, {len(self.stages)} stage{'s' * (len(self.stages) > 1)}, {self.total_s:g} s"

    def stage_at(self, elapsed_s: float) -> StageWindow | None:
        """The stage running elapsed_s into the test; None once every stage is over."""
        return window_at(self.windows(), elapsed_s)

    def windows(self) -> list[StageWindow]:
        """Each stage's offsets from the test start; the measured part excludes ramp and settle.
        The one definition of a stage's timing: the shape, the dispatcher and the timeline all use it."""
        out, t, prev_users = [], 0.0, 0
        ungated = set(self.placement.under_declared) if self.placement else set()
        for i, s in enumerate(self.stages):
            if self.kind == "open":
                ramp, offered, users = 0.0, s.rate_rps, 0  # arrivals switch rate at once
            else:
                ramp = abs(s.users - prev_users) / s.spawn_rate
                offered = s.users * self.scenario.rate_per_user if self.scenario.rate_per_user > 0 else None
                users = prev_users = s.users
            hold = self.held_stages.get(s.name)
            out.append(StageWindow(i, s.name, users, offered, t, t + s.duration_s,
                                   min(t + ramp + self.settle_s, t + s.duration_s), s.name in ungated,
                                   hold.from_s if hold else None))
            t += s.duration_s
        return out


def resolve(name_or_path: str) -> Path:
    """A profile name ('smoke') from loadtests/profiles/, or a path to a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    candidate = PROFILES_DIR / f"{name_or_path}.yaml"
    if not candidate.is_file():
        known = ", ".join(shipped())
        raise SpecError(f"unknown profile {name_or_path!r}: known profiles are {known} (or give a path to a YAML file)")
    return candidate


def shipped() -> list[str]:
    """The names of the profiles that come with slobench (loadtests/profiles/)."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def load_profile(name_or_path: str, saturation_rps: float | None = None, knee_rps: float | None = None) -> Profile:
    """The profile, placed at saturation_rps (and the knee predicted at it, knee_rps) when its stages are shares
    of what the probe measures and one is given."""
    raw, filename = load_yaml(resolve(name_or_path))
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        raise spec_error(exc, filename, raw) from None
    return profile.placed(saturation_rps, knee_rps) if saturation_rps and profile.needs_probe else profile
