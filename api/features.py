"""The 14 model features: their schema, request validation and numeric encoding."""
from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NET_SERVICES = ("DSL", "Fiber optic", "No")
BOOLEAN_FEATURES = ("paperless_billing", "plan_stream_tv", "plan_stream_movies")

FEATURES = (
    "months_active", "monthly_fee", "paperless_billing", "plan_stream_tv", "plan_stream_movies",
    "net_service", "watch_hours_30d", "avg_session_mins_7d", "unique_devices_30d", "skips_7d",
    "rebuffer_events_7d", "failed_payments_90d", "support_tickets_90d", "ticket_avg_resolution_hrs_90d",
)

# The model's input columns, in order; derived from FEATURES by encode().
ENCODED_COLUMNS = (
    "months_active", "log1p_months_active", "monthly_fee", "paperless_billing", "plan_stream_tv",
    "plan_stream_movies", "net_service=DSL", "net_service=Fiber optic", "net_service=No",
    "watch_hours_30d", "avg_session_mins_7d", "unique_devices_30d", "skips_7d",
    "rebuffer_events_7d", "failed_payments_90d", "support_tickets_90d", "ticket_avg_resolution_hrs_90d",
)


class Features(BaseModel):
    """One user's features, as a client sends them to POST /predict/features."""

    model_config = ConfigDict(extra="forbid", strict=False)

    months_active: int = Field(ge=0, le=600)
    monthly_fee: float = Field(ge=0, le=1000)
    paperless_billing: bool
    plan_stream_tv: bool
    plan_stream_movies: bool
    net_service: Literal["DSL", "Fiber optic", "No"]
    watch_hours_30d: float = Field(ge=0, le=720)
    avg_session_mins_7d: float = Field(ge=0, le=1440)
    unique_devices_30d: int = Field(ge=0, le=100)
    skips_7d: int = Field(ge=0, le=10_000)
    rebuffer_events_7d: int = Field(ge=0, le=10_000)
    failed_payments_90d: int = Field(ge=0, le=100)
    support_tickets_90d: int = Field(ge=0, le=1_000)
    ticket_avg_resolution_hrs_90d: float = Field(ge=0, le=10_000)

    @model_validator(mode="after")
    def _streaming_needs_net_service(self) -> "Features":
        if self.net_service == "No" and (self.plan_stream_tv or self.plan_stream_movies):
            raise ValueError("plan_stream_tv and plan_stream_movies must be false when net_service is 'No'")
        return self


def encode(f: dict) -> list[float]:
    """Turn one feature dict into the model's input vector (ENCODED_COLUMNS order)."""
    net = f["net_service"]
    months = float(f["months_active"])
    return [
        months, math.log1p(months), float(f["monthly_fee"]), float(bool(f["paperless_billing"])),
        float(bool(f["plan_stream_tv"])), float(bool(f["plan_stream_movies"])),
        float(net == "DSL"), float(net == "Fiber optic"), float(net == "No"),
        float(f["watch_hours_30d"]), float(f["avg_session_mins_7d"]), float(f["unique_devices_30d"]),
        float(f["skips_7d"]), float(f["rebuffer_events_7d"]), float(f["failed_payments_90d"]),
        float(f["support_tickets_90d"]), float(f["ticket_avg_resolution_hrs_90d"]),
    ]
