"""What a report shows of its run's manifest (slobench/manifest.py summary): what ran, where, with which versions,
and the machine's speed before the load."""
from __future__ import annotations

from slo.verdicts.report.frozen import Frozen


class GitState(Frozen):
    commit: str | None = None
    dirty: bool = False


class HostInfo(Frozen):
    hostname: str | None = None
    cpus: int | None = None
    memory_gb: float | None = None
    platform: str | None = None


class ProcessPlace(Frozen):
    """Where one of the run's processes listened (None: it listens nowhere, the generator) and the cores it was
    pinned to (None: any)."""
    url: str | None = None
    cpus: list[int] | None = None


class ApiPlacement(Frozen):
    """How the model was served: the API's own /health answer (`serving`: model, model_version, its serving plan),
    its worker processes, its replicas behind nginx (host:port each), the cores it had, and whether the harness
    started it."""
    serving: dict | None = None
    workers: int | None = None
    replicas: list[str] = []
    cpus: list[int] | None = None
    started_here: bool | None = None

    def servers(self) -> int:
        """The API processes that compute predictions in parallel: worker processes times replicas, at most one per
        core the API was pinned to (threads share one interpreter's lock, so they are not counted)."""
        processes = max(1, int(self.workers or 1)) * max(1, len(self.replicas) or 1)
        return min(processes, len(self.cpus or []) or processes)


class RunManifest(Frozen):
    """The manifest's summary a report carries. `canary` is the machine's speed before the load (common/canary.py:
    {api, generator, api_skipped}), `probe` the saturation the ladder was placed from (slobench/probing.py)."""
    git: GitState | None = None
    versions: dict[str, str | None] = {}
    host: HostInfo | None = None
    slo_file: str | None = None
    shared_machine: str | None = None
    processes: dict[str, ProcessPlace] = {}
    api: ApiPlacement | None = None
    generators: int | None = None
    canary: dict | None = None
    probe: dict | None = None
    remote_workers: int | None = None

    def servers(self) -> int:
        """The API processes that serve predictions in parallel (ApiPlacement.servers; one where none is known)."""
        return self.api.servers() if self.api else 1

    def target(self) -> tuple:
        """What the run judged: the served model and its version, and whether the harness started the API or where
        it ran."""
        api = self.api or ApiPlacement()
        served = api.serving or {}
        where = "started here" if api.started_here else (self.processes.get("api") or ProcessPlace()).url
        return served.get("model"), served.get("model_version"), where

    def api_canary(self) -> dict | None:
        """The served model's fixed work, timed on the API's core before the load; None where it was not."""
        return (self.canary or {}).get("api")

    def probe_rps(self) -> float | None:
        """The saturation the probe measured, which a ladder of shares was placed from."""
        return (self.probe or {}).get("rps")
