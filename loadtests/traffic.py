"""What the simulated clients send: user ids and feature payloads, as served or shifted (drifted)."""
from __future__ import annotations

from api.data import load_snapshot
from api.features import FEATURES

SERVING_SNAPSHOT = "2024-02-29"


def _drift(row: dict) -> dict:
    """A plausible shift: worse streaming quality, higher fees, newer and less engaged customers."""
    out = dict(row)
    out["monthly_fee"] = round(min(1000.0, row["monthly_fee"] * 1.35 + 10), 2)
    out["rebuffer_events_7d"] = row["rebuffer_events_7d"] + 4
    out["failed_payments_90d"] = row["failed_payments_90d"] + 1
    out["support_tickets_90d"] = row["support_tickets_90d"] + 2
    out["months_active"] = max(1, row["months_active"] // 4)
    out["watch_hours_30d"] = round(row["watch_hours_30d"] * 0.6, 3)
    out["skips_7d"] = row["skips_7d"] + 5
    out["unique_devices_30d"] = max(1, row["unique_devices_30d"] - 1)
    out["ticket_avg_resolution_hrs_90d"] = round(row["ticket_avg_resolution_hrs_90d"] * 1.5 + 4, 2)
    return out


def load_traffic(kind: str = "serving") -> tuple[list[str], list[dict]]:
    """(user ids of the serving snapshot, feature payloads) for the scenarios."""
    frame = load_snapshot(SERVING_SNAPSHOT)
    ids = frame["user_id"].tolist()
    rows = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
            for r in frame[list(FEATURES)].to_dict("records")]
    if kind == "drifted":
        rows = [_drift(r) for r in rows]
    return ids, rows
