"""The judge of one stage: Prometheus's answers for its measured window in; its server figures, its evidence and
every objective's verdict out. The run's report (evaluate), the live tab in Locust's web UI and the refinement's
steps (through the report) all judge a stage here, so they cannot disagree on what a stage measured."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

from slo.file.model import LatencyQuantile, RatioSli, SloSpec, ThresholdSli
from slo.stats import tail
from slo.stats.blocks import BUCKET_SUFFIX, FROM_HISTOGRAM, FROM_RECORDING, per_scrape, recorded_per_block
from slo.stats.figures import replica_figures, server_figures, sli_figures
from slo.stats.intervals import Evidence, evidence_of, with_level
from slo.verdicts.kinds import judge_objective

REPORT_QUANTILES = (0.5, 0.95, 0.99)


def report_quantiles(spec: SloSpec) -> list[float]:
    """The quantiles a stage's figures carry: the report's own and every quantile objective's."""
    return sorted(set(REPORT_QUANTILES) | {o.quantile for o in spec.quantile_objectives()})


@dataclass(frozen=True)
class Judged:
    """One stage judged: its objectives' report rows, and how to judge them again at another level (the family
    policy's step-down asks each failure again at Holm's level)."""
    objectives: list[dict]
    rejudge: partial
    evidence: Evidence

    def tests(self, spec: SloSpec) -> list[tuple]:
        """(report row, objective, judge, evidence) for every objective, as the family policy takes them."""
        return [(row, o, self.rejudge, self.evidence) for row, o in zip(self.objectives, spec.objectives)]


@dataclass(frozen=True)
class StageJudge:
    """How every stage of a run is judged: the SLO file, the scrape interval, and whether arrivals were Poisson
    (an open model's counts then carry the arrivals' own variance)."""
    spec: SloSpec
    scrape_s: float
    poisson_arrivals: bool

    def figures(self, entry: dict) -> dict:
        """The server's figures over the window: requests, rates, quantiles, mean, errors, replicas and SLIs."""
        spec = self.spec
        server = server_figures(entry, spec.metrics.status_label, report_quantiles(spec), self.scrape_s)
        server["replicas"] = replica_figures(entry, entry["window_s"])
        server["slis"] = sli_figures(entry, [o.name for o in spec.objectives if isinstance(o, (RatioSli, ThresholdSli))])
        return server

    def evidence(self, entry: dict, start: float, end: float) -> Evidence:
        """The window's counts and per-scrape blocks, what every interval is drawn from."""
        spec = self.spec
        return evidence_of(entry, spec.metrics.status_label, spec.confidence_level, self.scrape_s, start, end,
                           poisson_arrivals=self.poisson_arrivals, declared_deff=spec.design_effect)

    def so_far(self, entry: dict, start: float, end: float, offered_rps: float | None,
               level: float | None = None) -> Judged:
        """A window judged from Prometheus's answers alone, as while the load runs (the live tab, a refinement
        step's looks): no generator figures, no recording, no clustering measured over a whole run; at `level` where
        given, else the SLO file's."""
        evidence = self.evidence(entry, start, end)
        return self.judge(self.figures(entry), evidence if level is None else with_level(evidence, level), offered_rps)

    def judge(self, server: dict, evidence: Evidence, offered_rps: float | None, client: dict | None = None,
              clustering: dict | None = None, latencies_ms=None, generator_ms=None) -> Judged:
        """Every objective of the SLO file in this stage. `clustering` is what the whole run measured of how slow
        requests come together (none live: one window alone cannot tell); `latencies_ms` the API's recording of
        the window, in time order, from which each latency quantile's share is also read from its whole tail;
        where there is none, `generator_ms`: the generator's latencies of the window moved onto the server's clock
        (tail.generator_offset_ms)."""
        if clustering is not None:
            evidence = replace(evidence, clustering=clustering)
        enough = server["requests"] >= self.spec.min_samples
        objectives = [judge_objective(o, server, offered_rps, enough, client, evidence) for o in self.spec.objectives]
        if latencies_ms is None:
            self._read_tails(objectives, generator_ms, evidence.window_s, tail.GENERATOR)
        else:
            self._read_tails(objectives, latencies_ms, evidence.window_s)
        server["per_scrape"] = self._per_scrape(evidence, latencies_ms)
        rejudge = partial(judge_objective, server=server, offered_rps=offered_rps, enough=enough, client=client)
        return Judged(objectives, rejudge, evidence)

    @staticmethod
    def _per_scrape(evidence: Evidence, latencies_ms) -> dict:
        """The window's figures one value per scrape (what a baseline comparison samples): the quantiles exact from
        the API's recording where it holds the window (`quantiles_from`), else interpolated in the histogram's
        buckets, with each bucket's edges; the mean from the histogram's sums."""
        scraped = per_scrape(evidence.bucket_blocks, evidence.mean_blocks, list(REPORT_QUANTILES))
        scrapes_with_requests = len(scraped["p50_ms"])
        exact = recorded_per_block(latencies_ms, scrapes_with_requests, list(REPORT_QUANTILES))
        if exact:  # exact quantiles lie in no bucket but at themselves
            scraped = {k: v for k, v in scraped.items() if not k.endswith(BUCKET_SUFFIX)}
        return {**scraped, **exact, "quantiles_from": FROM_RECORDING if exact else FROM_HISTOGRAM}

    def _read_tails(self, objectives: list[dict], latencies_ms, seconds: float, source: str | None = None) -> None:
        """Each latency quantile's share read from the stage's whole recorded tail, beside its interval: what the
        knee's fit across stages uses (read_tail); nothing where the recording holds no latencies."""
        if latencies_ms is None or not len(latencies_ms):
            return
        for row, o in zip(objectives, self.spec.objectives):
            if isinstance(o, LatencyQuantile) and row.get("confidence"):
                row["confidence"]["tail"] = read_tail(row["confidence"], latencies_ms, o.threshold_ms, seconds, source)


def read_tail(confidence: dict, latencies_ms, threshold_ms: float, seconds: float, source: str | None = None
              ) -> dict | None:
    """A latency quantile's share over `threshold_ms` read from a window's whole tail (slo/stats/tail.py), beside
    the interval its counts gave (`confidence`); None where the tail is too thin to read. Read from the generator's
    latencies (`source`), only where the share they show over the threshold lies inside that interval: where
    requests wait before the server's clock starts (a kernel's accept queue, a server that times only its handler),
    the generator sees a tail the server never timed."""
    read = tail.share_over(latencies_ms, threshold_ms, seconds, source)
    if read is None or (source is not None and confidence.get("low") is not None
                        and not confidence["low"] <= read.observed <= confidence["high"]):
        return None
    return read.as_dict()
