"""The run over time, as the report's charts and a baseline's per-scrape samples read it: the server's figures from
Prometheus range queries, and the generator's own seconds."""
from __future__ import annotations

from pydantic import ConfigDict

from slo.verdicts.report.frozen import Frozen

Values = list[int | float | None]   # one value a step; None where a step had none (a gap, never a made-up zero)


class ServerSeries(Frozen):
    """The server's figures over the run, one value a step of `step_s` (the scrape resolution; slo/stats/series.py):
    `t` in seconds since the run started. Beside the fixed figures, one array a latency quantile the run judged,
    named p<quantile>_ms after the SLO file's objectives (p50_ms, p99.9_ms): read with values()."""
    model_config = ConfigDict(extra="allow")
    t: list[int | float]
    step_s: int | float
    rps_all_traffic: Values | None = None
    rps: Values | None = None
    errors_5xx_per_s: Values | None = None
    mean_ms: Values | None = None
    compute_ms: Values | None = None   # what one prediction cost the API, where it exports its predict calls

    def values(self, name: str) -> Values | None:
        """The array of figure `name` (a field, or a quantile's p<quantile>_ms), None where the run has none."""
        return getattr(self, name, None) if name in type(self).model_fields else (self.model_extra or {}).get(name)


class ClientSeries(Frozen):
    """The generator's own seconds over the run (loadtests/client_series.py): `t` in seconds since the run started,
    requests sent and failed each second, arrivals scheduled (open model only), users, its percentiles, and the CPU
    cores each of its processes used."""
    t: list[int | float]
    requests: list[int]
    failures: list[int]
    arrivals: list[int] | None = None
    users: list[int | None] = []
    cpu_cores: dict[str, Values] = {}
    p50_ms: Values | None = None
    p95_ms: Values | None = None
    p99_ms: Values | None = None

    def values(self, name: str) -> Values | None:
        """The array of figure `name`, None where the run has none."""
        return getattr(self, name, None) if name in type(self).model_fields else None


class RunSeries(Frozen):
    """The run over time: the server's figures (None without a Prometheus range answer) and the generator's seconds
    (None where it recorded none)."""
    server: ServerSeries | None = None
    client: ClientSeries | None = None

    def side(self, name: str) -> ServerSeries | ClientSeries | None:
        """The series of `name`, "server" or "client"."""
        return self.server if name == "server" else self.client
