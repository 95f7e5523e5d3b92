"""The stepped load shape: tick() depends only on elapsed time and the declared stages."""
from __future__ import annotations

from loadtests.profile import Profile


def users_at(profile: Profile, elapsed_s: float, processes: int = 1) -> tuple[int, float] | None:
    """(users, spawn_rate) the test should have at elapsed_s; None once every stage is over.

    An open-model profile runs one dispatcher user per Locust process for its whole length."""
    t = 0.0
    for stage in profile.stages:
        t += stage.duration_s
        if elapsed_s < t:
            return (processes, 1000.0) if profile.kind == "open" else (stage.users, stage.spawn_rate)
    return None


def stage_index_at(profile: Profile, elapsed_s: float) -> int | None:
    t = 0.0
    for i, stage in enumerate(profile.stages):
        t += stage.duration_s
        if elapsed_s < t:
            return i
    return None
