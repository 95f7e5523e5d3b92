"""The wall-clock timeline of a run's stages, built from the profile (runfolder.files.TIMELINE writes and reads it)."""
from __future__ import annotations

from loadtests import clock
from loadtests.profile import Profile


def build(profile: Profile, wall_start: float, stopped_at: float | None = None,
          steps: clock.WallSteps | None = None) -> dict:
    """Absolute windows of the stages reached by `stopped_at` (default: now); a cut stage is marked. wall_start
    is kept exact: the generators place requests in windows from that very value. Times are the generator's
    (clock.now()); with `steps`, each window's ends are put on the machine's wall clock, which the API and
    Prometheus stamp with, and a stage during which that clock stepped says by how much (clock_step_s). A stage a
    look ended early keeps its declared length (declared_s); a stage held says when its arrivals stopped."""
    now = stopped_at if stopped_at is not None else clock.now()
    to_wall = steps.to_wall if steps is not None else (lambda t: t)
    stages = []
    for w in profile.windows():
        start = wall_start + w.start_s
        if start >= now:
            break
        end = min(wall_start + w.end_s, now)
        measure_from = min(wall_start + w.measure_from_s, end)
        stage = {"index": w.index, "name": w.name, "users": w.users, "offered_rps": w.offered_rps,
                 "start": round(to_wall(start), 3), "measure_from": round(to_wall(measure_from), 3),
                 "end": round(to_wall(end), 3), "completed": end >= wall_start + w.end_s - 0.5}
        if w.ungated:
            stage["ungated"] = True
        if w.name in profile.ended_early:   # a look decided it: it ended before the duration_s declared
            stage["declared_s"] = profile.ended_early[w.name]
        stage.update(_held(profile, w.name, wall_start, to_wall))
        step = to_wall(end) - end - (to_wall(measure_from) - measure_from)
        if abs(step) > clock.STEP_S:
            stage["clock_step_s"] = round(step, 3)
        stages.append(stage)
    planned = [{"name": w.name, "offered_rps": w.offered_rps, **({"ungated": True} if w.ungated else {})}
               for w in profile.windows()]
    return {"profile": profile.name, "kind": profile.kind, "arrival": profile.arrival, "planned": planned,
            "wall_start": wall_start, "stopped_at": round(to_wall(now), 3), "stages": stages}


def _held(profile: Profile, name: str, wall_start: float, to_wall) -> dict:
    """A stage held (loadtests/holds.py): when its arrivals stopped, and the stage that ran it again; that stage
    names the one it ran again."""
    hold = profile.held_stages.get(name)
    if hold is not None:
        return {"held_from": round(to_wall(wall_start + hold.from_s), 3), "declared_s": hold.declared_s,
                "again": hold.again}
    return next(({"again_of": held} for held, h in profile.held_stages.items() if h.again == name), {})
