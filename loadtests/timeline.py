"""The wall-clock timeline of a run's stages, built from the profile (runfolder.files.TIMELINE writes and reads it)."""
from __future__ import annotations

from loadtests import clock
from loadtests.profile import Profile


def build(profile: Profile, wall_start: float, stopped_at: float | None = None) -> dict:
    """Absolute windows of the stages reached by `stopped_at` (default: now); a cut stage is marked. wall_start
    is kept exact: the generators place requests in windows from that very value."""
    now = stopped_at if stopped_at is not None else clock.now()
    stages = []
    for w in profile.windows():
        start = wall_start + w.start_s
        if start >= now:
            break
        end = min(wall_start + w.end_s, now)
        stages.append({"index": w.index, "name": w.name, "users": w.users, "offered_rps": w.offered_rps,
                       "start": round(start, 3), "measure_from": round(min(wall_start + w.measure_from_s, end), 3),
                       "end": round(end, 3), "completed": end >= wall_start + w.end_s - 0.5})
    planned = [{"name": w.name, "offered_rps": w.offered_rps} for w in profile.windows()]
    return {"profile": profile.name, "kind": profile.kind, "arrival": profile.arrival, "planned": planned,
            "wall_start": wall_start, "stopped_at": round(now, 3), "stages": stages}
