"""The one way slobench talks to Prometheus: prometheus-api-client, and one error for everything that goes wrong.

The evaluator, the scrape-interval discovery, the live tab and the stack's readiness checks all ask through
`Prometheus`; label matchers are written by `matchers` alone."""
from __future__ import annotations

from datetime import datetime, timezone


class PrometheusError(RuntimeError):
    """Prometheus could not be reached or refused a query: the harness cannot judge (exit 2)."""


class Prometheus:
    """A client of one Prometheus (or any server of its HTTP API: Thanos, Mimir, VictoriaMetrics)."""

    def __init__(self, url: str, timeout: float = 15.0, retries: int = 2):
        from prometheus_api_client import PrometheusConnect
        from urllib3.util.retry import Retry

        self.url = url.rstrip("/")
        self._client = PrometheusConnect(url=self.url, disable_ssl=True, timeout=timeout,
                                         retry=Retry(total=retries, backoff_factor=0.3,
                                                     status_forcelist=[502, 503, 504]))

    def query(self, promql: str, at: float | None = None) -> list[dict]:
        """An instant query's result (at a Unix time, else now)."""
        params = None if at is None else {"time": f"{at:.3f}"}
        return self._ask(promql, lambda: self._client.custom_query(promql, params=params))

    def query_range(self, promql: str, start: float, end: float, step_s: float) -> list[dict]:
        """A range query's result from start to end (Unix times) every step_s seconds."""
        at = lambda t: datetime.fromtimestamp(t, tz=timezone.utc)  # noqa: E731
        return self._ask(promql, lambda: self._client.custom_query_range(promql, at(start), at(end), f"{step_s:g}s"))

    def active_targets(self) -> list[dict]:
        """The targets Prometheus scrapes now, with their labels and scrape intervals."""
        return self._ask("the targets API", lambda: self._client.get_targets(state="active"))["activeTargets"]

    def _ask(self, what: str, call):
        from prometheus_api_client import PrometheusApiClientException
        from requests.exceptions import RequestException

        try:
            return call()
        except RequestException as exc:
            raise PrometheusError(f"Prometheus at {self.url} is unreachable: {type(exc).__name__}") from None
        except PrometheusApiClientException as exc:
            raise PrometheusError(f"Prometheus at {self.url} refused {what!r}: {exc}") from None
        except (KeyError, ValueError) as exc:  # an answer that is not the Prometheus API's
            raise PrometheusError(f"Prometheus at {self.url} gave an unreadable answer to {what!r}: {exc}") from None


def matchers(labels: dict[str, str], extra: str = "") -> str:
    """`{a="x",b="y"}`, values escaped as PromQL strings; the one place label matchers are written."""
    parts = [f'{k}="{_quoted(v)}"' for k, v in sorted(labels.items())]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}"


def _quoted(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"')
