"""What separates the users' clock from the server's: the client's p99 against the server's, split into what was
measured (the generator's own lateness, the API's event loop) and what nothing measured; and a latency objective
met on the server that the client's figures break."""
from __future__ import annotations

from slo.stats.figures import quantile_ms, users_p99


def _generator_lag(client: dict) -> float | None:
    """The generator's own lateness at p99 (the worse of its event loop's and its send lag), or None unmeasured."""
    lags = [v for v in (client.get("generator_loop_lag_p99_ms"), client.get("generator_send_lag_p99_ms")) if v is not None]
    return max(lags) if lags else None


def explain_gap(client: dict, server: dict) -> dict:
    """What separates the client's p99 from the server's, from measurements only: the generator's own lateness
    (its event loop, and the open model's send lag), the API's event-loop lag, and what nothing measured
    (network, kernel, the accept queue: time before the handler's clock starts), called unexplained."""
    c99 = users_p99(client)
    s99 = quantile_ms(server["quantiles"], 0.99)
    if c99 is None or s99 is None:
        return {"p99_gap_ms": None, "cause": "no data"}
    gap = round(c99 - s99, 3)
    generator = _generator_lag(client)
    api = server.get("api_loop_lag_p99_ms")
    left = max(gap, 0.0)
    parts = {}
    for name, measured in (("generator", generator), ("api_event_loop", api)):
        if measured is not None:
            parts[name] = round(min(measured, left), 3)  # a part explains at most what is left of the gap
            left -= parts[name]
    parts["unexplained"] = round(max(left, 0.0), 3) + 0.0  # + 0.0: never "-0" when rounding a tiny remainder
    said = [f"the generator's own lag up to {parts['generator']:g} ms (its p99, measured)" if generator is not None
            else "the generator's own lag not measured",
            f"the API's event-loop lag up to {parts['api_event_loop']:g} ms (its p99, measured)" if api is not None
            else "the API's event-loop lag not measured (the target does not export it)",
            f"{parts['unexplained']:g} ms unexplained (network, kernel, the accept queue: before the handler's clock "
            "starts)"]
    busy = [f"{name} ({'; '.join(w.get('why') or ['saturated'])})" for name, w in (client.get("workers") or {}).items()
            if w.get("saturated")]
    cause = (f"generator-bound: {', '.join(busy)}; " if busy else "") + ", ".join(said)
    return {"p99_gap_ms": gap, "parts": parts, "cause": cause}


def client_tail_breaks(stage: dict) -> list[str]:
    """A latency quantile met on the server that users' own clock breaks by more than the generator's measured lag
    explains: flagged, never passed in silence (where the generator's lag explains it, the figure is the
    instrument's, and the stage notes say so)."""
    out = []
    client = stage["client"]
    own = _generator_lag(client) or 0.0
    for o in stage["objectives"]:
        if o["kind"] != "latency_quantile" or o["status"] not in ("pass", "warn"):
            continue
        seen = client.get(f"hdr_p{100 * o['quantile']:g}_ms", client.get(f"p{100 * o['quantile']:g}_ms"))
        if seen is None or seen <= o["threshold"]:
            continue
        if client.get("generator_bound"):
            # Its client figures are the saturated generator's own: the stage is set aside as generator-bound, and
            # what users would have seen cannot be told from them.
            stage["server"]["notes"].append(
                f"the client's {o['name']} ({seen:.1f} ms) is over the {o['threshold']:g} ms objective, but a generator "
                "was saturated: its client figures cannot tell what users saw")
        elif seen - own > o["threshold"]:
            out.append(f"In stage {stage['name']}, {o['name']} passed on the server ({o['measured']:.1f} ms) but the "
                       f"client measured {seen:.1f} ms, over the {o['threshold']:g} ms objective even without the "
                       f"generator's own lag ({own:g} ms): users saw more than the server's histogram shows "
                       f"({stage['gap']['cause']}).")
        else:
            stage["server"]["notes"].append(
                f"the client's {o['name']} ({seen:.1f} ms) is over the {o['threshold']:g} ms objective only by the "
                f"generator's own measured lag ({own:g} ms): the instrument's error, not the API's")
    return out
