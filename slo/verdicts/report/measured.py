"""What a stage measured besides its objectives: the server's and the generators' figures, what the machine did,
the stage's looks, the client's gap, the counts reconciled and the histogram's accuracy."""
from __future__ import annotations

from slo.stats.figures import availability, quantile_ms, users_p99
from slo.verdicts.report.frozen import Frozen


class ServerFigures(Frozen):
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
        return quantile_ms(self.quantiles, q)

    @property
    def availability(self) -> float | None:
        """The lowest share of the target's instances up at any scrape of the window (one instance: its lowest up),
        read by the one rule the objective reads it by (slo/stats/figures.availability), from the figures given."""
        return availability(self.model_dump(include={"up_share_min", "up_min"}, exclude_unset=True))


class ClientFigures(Frozen):
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
        """The users' p99, by the one rule the client-server gap reads it by (slo/stats/figures.users_p99)."""
        return users_p99(self.model_dump(include={"hdr_p99_ms", "p99_ms"}, exclude_unset=True))


class StageMachine(Frozen):
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


class StageLooks(Frozen):
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


class ClientGap(Frozen):
    """How much of the users' p99 the server's histogram did not see (slo/verdicts/client_gap.py), in parts (the
    generator's lag, the API's event loop, unexplained), and what it comes from."""
    p99_gap_ms: float | None = None
    parts: dict[str, float | None] = {}
    cause: str = "no data"


class Reconciliation(Frozen):
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


class QuantileAccuracy(Frozen):
    """The histogram's quantile estimates against the exact quantiles of the recorded latencies (slo/stats/
    accuracy.quantile_accuracy), per quantile {estimate_ms, exact_ms, within_bucket...}, and the bucket boundaries
    that would bring an objective's estimate closer."""
    rows: int = 0
    quantiles: dict[str, dict] = {}
    recommendations: list[dict] = []
    note: str | None = None


class ReplicaSummary(Frozen):
    """With several instances behind the balancer (slo/verdicts/run_wide.replica_summary): which, whether it spread
    the load evenly (each within 20 % of an even share) and in which stages not, and the first replica to break
    {replica, stage, what, down_at}."""
    replicas: list[str]
    even: bool
    uneven_stages: list[str] = []
    first_broken: dict | None = None
