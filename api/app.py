"""The FastAPI application: /predict, /predict/features, /health, /metrics."""
from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import os
import time
from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from pydantic import BaseModel, ConfigDict, Field

from api import data, model_canary, models, record_schema
from api.features import FEATURES, Features
from api.metrics import build_metrics, probe_loop_lag
from api.middleware import PREDICTION_KEY, InstrumentationMiddleware
from api.protocol import RECEIVED_AT
from api.recorder import PredictionRecorder
from api.serving import Predictor, plan_for
from api.settings import ApiSettings

log = logging.getLogger("api")


class UserRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str = Field(min_length=1, max_length=64)


def _json(content: dict, status: int = 200) -> Response:
    # orjson: fast, and a NaN becomes null instead of invalid JSON; no jsonable_encoder for these plain payloads.
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


def load_online_features(settings: ApiSettings, model: models.Model) -> dict[str, tuple]:
    """user_id -> (the 14 features, the model's input row, the features serialized once (an orjson fragment the answer
    embeds as is), the features in their stored form, so the recorder has nothing to convert on the served core)
    for the serving snapshot."""
    frame = data.load_snapshot(settings.serving_as_of, settings.data_dir)
    table = {}
    for row in frame[["user_id", *FEATURES]].to_dict("records"):
        user_id = row.pop("user_id")
        row = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        table[user_id] = (row, model.encode(row), orjson.Fragment(orjson.dumps(row)), record_schema.stored(row))
    return table


_request_ids = itertools.count()
_ID_PREFIX = f"{os.getpid():x}{int(time.time()):x}"


def _request_id(request: Request) -> str:
    # Unique per process and start; cheaper than uuid4 on the request path.
    return request.headers.get("x-request-id") or f"{_ID_PREFIX}-{next(_request_ids):x}"


def _start_serving(state, settings: ApiSettings) -> None:
    """Load the model and the online features (not ready, logged, when either fails), time the canary, start the
    predictor and the recorder."""
    try:
        state.model = models.load(settings.model_file)
        state.online = load_online_features(settings, state.model)
    except (models.ModelError, data.DataError) as exc:
        log.error("not ready: %s", exc)
        state.model, state.online = None, {}
    if state.model is not None and state.online:
        # Before serving, on the API's own core: what one prediction costs this machine now.
        first_rows = [entry[1] for entry in itertools.islice(state.online.values(), model_canary.ROWS)]
        state.canary = model_canary.of_model(state.model, first_rows)
    if state.model is not None:
        state.predictor = Predictor(state.model, plan_for(state.model.kind, settings.api_predict_in,
                                                          settings.api_predict_threads, settings.api_batch_max,
                                                          settings.api_batch_wait_ms), state.metrics)
        state.predictor.start()
    if state.model is not None and state.metrics is not None:
        meta = state.model.metadata
        state.metrics.model_info.labels(meta["version"], meta["trained_as_of"]).set(1)
    if settings.predictions_db is not None:
        state.recorder = PredictionRecorder(
            settings.predictions_db, settings.recorder_batch_size, settings.recorder_flush_interval_s)
    # The model and the online table out of the collector's sight: a full collection over them would stall
    # requests in flight (the served tail, not the model's cost).
    gc.collect()
    gc.freeze()


async def _stop_serving(state, settings: ApiSettings) -> None:
    """Answer what the predictor holds, then flush the recording: every acknowledged prediction is written."""
    if state.predictor is not None:
        await state.predictor.stop()
    if state.recorder is not None:
        state.recorder.close()
        log.info("recorder flushed %d predictions to %s", state.recorder.written, settings.predictions_db)


@asynccontextmanager
async def _lifespan(app: FastAPI):
    state = app.state
    _start_serving(state, state.settings)
    probe = asyncio.create_task(probe_loop_lag(state.metrics)) if state.metrics is not None else None
    try:
        yield
    finally:
        if probe is not None:
            probe.cancel()
        await _stop_serving(state, state.settings)


def create_app(settings: ApiSettings | None = None, registry: CollectorRegistry | None = None) -> FastAPI:
    settings = settings or ApiSettings()
    app = FastAPI(title="StreamFlow churn API", version="1.0", lifespan=_lifespan)
    app.state.settings = settings
    app.state.model, app.state.online, app.state.recorder, app.state.predictor = None, {}, None, None
    app.state.canary = None
    app.state.metrics = build_metrics(registry or CollectorRegistry()) if settings.metrics_enabled else None
    # Always installed: it enforces the body-size limit; metrics and recording inside it are optional.
    app.add_middleware(InstrumentationMiddleware, state=app.state, max_body_bytes=settings.max_body_bytes)

    async def _serve(request: Request, user_id: str | None, features: dict, row,
                     features_json: orjson.Fragment | None = None, values: tuple | None = None) -> Response:
        model = app.state.model
        probability = await app.state.predictor.predict(row, request.scope.get(RECEIVED_AT) or time.perf_counter())
        prediction = int(probability >= 0.5)
        request_id = _request_id(request)
        request.scope[PREDICTION_KEY] = (request_id, user_id, values or features, probability, prediction)
        return _json({"user_id": user_id, "prediction": prediction, "probability": round(probability, 6),
                      "model_version": model.version, "features_used": features_json or features,
                      "request_id": request_id})

    def _not_ready() -> Response:
        return _json({"detail": "model or features not loaded"}, 503)

    @app.post("/predict", summary="Predict churn for a user of the serving snapshot")
    async def predict(body: UserRequest, request: Request) -> Response:
        if app.state.model is None:
            return _not_ready()
        hit = app.state.online.get(body.user_id)
        if hit is None:
            return _json({"detail": f"unknown user_id {body.user_id!r} in serving snapshot {settings.serving_as_of}"}, 404)
        return await _serve(request, body.user_id, *hit)

    @app.post("/predict/features", summary="Predict churn from features the client brings")
    async def predict_features(body: Features, request: Request) -> Response:
        if app.state.model is None:
            return _not_ready()
        features = body.model_dump()
        return await _serve(request, None, features, app.state.model.encode(features))

    @app.get("/health", summary="200 when the model and the online features are loaded")
    async def health() -> Response:
        if app.state.model is None or not app.state.online:
            return _not_ready()
        return _json({"status": "ok", "model_version": app.state.model.version, "model": app.state.model.kind,
                      "serving": app.state.predictor.plan.as_dict(), "workers": settings.api_workers,
                      "n_jobs": (app.state.model.metadata.get("params") or {}).get("n_jobs"),
                      "serving_as_of": settings.serving_as_of, "users": len(app.state.online),
                      "canary": app.state.canary.as_dict() if app.state.canary else None})

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        body = app.state.metrics.exposition() if app.state.metrics is not None else b""
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app
