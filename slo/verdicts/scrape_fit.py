"""Refuse, before any load, a profile whose measured windows are too short for the target's scrape interval."""
from __future__ import annotations

from typing import Protocol

from common.specfile import SpecError

# A window holding fewer scrapes cannot place its edges (increase() and the edge interpolation need several), and
# its 5 blocks between scrapes are the fewest that estimate the mean's variance (slo/stats/confidence.py MIN_MEAN_BLOCKS).
MIN_SCRAPES_PER_WINDOW = 6


class PlannedProfile(Protocol):
    """What the checks before any load read of a load profile (loadtests.profile.Profile): its name, its stages'
    windows (name, offered rate, measured length, whether gated only by name), its stages' declared shares of
    saturation, its scenario's share of each route, and whether its arrivals are a Poisson process."""
    name: str
    stages: list
    scenario: object
    poisson_arrivals: bool

    def windows(self) -> list: ...


class ProfileTooShort(SpecError):
    """A stage's measured window holds too few scrapes to be judged at this scrape interval."""


def max_scrape_interval_s(profile: PlannedProfile) -> float:
    """The longest scrape interval every measured window of the profile can be judged at."""
    return min(w.measured_s for w in profile.windows()) / MIN_SCRAPES_PER_WINDOW


def check(profile: PlannedProfile, scrape_interval_s: float, source: str = "") -> None:
    """Raise ProfileTooShort naming every stage too short for this interval, and the duration it needs."""
    need = MIN_SCRAPES_PER_WINDOW * scrape_interval_s
    short = [w for w in profile.windows() if w.measured_s < need]
    if not short:
        return
    learned = f" (learned from {source})" if source else ""
    lines = [f"stage {w.name}: a measured window of {w.measured_s:g} s holds fewer than {MIN_SCRAPES_PER_WINDOW} "
             f"scrapes at {scrape_interval_s:g} s; it needs at least {need:g} s measured "
             f"(duration_s {w.end_s - w.start_s:g} -> {w.end_s - w.start_s + need - w.measured_s:g})" for w in short]
    raise ProfileTooShort(f"profile {profile.name} is too short for a scrape interval of {scrape_interval_s:g} s"
                          f"{learned}; no load was sent:\n  " + "\n  ".join(lines))
