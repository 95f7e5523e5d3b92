"""Metric names, label names and buckets shared by the API (which emits) and the evaluators (which query)."""

REQUESTS_TOTAL = "api_requests_total"
REQUEST_LATENCY = "api_request_latency_seconds"
PREDICTIONS_TOTAL = "api_predictions_total"
PREDICTION_PROBABILITY = "api_prediction_probability"
MODEL_INFO = "api_model_info"
# How late the API's event loop wakes a sleeping task (a probe every 20 ms): time requests wait before the
# handler's clock starts, measured the same way as the load generator's own loop lag.
EVENT_LOOP_LAG = "api_event_loop_lag_seconds"
LOOP_LAG_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
LOOP_PROBE_S = 0.02

# Queue and compute apart (what Triton reports as queue and compute durations), as histograms: how long a request
# waited between its parse and the start of its prediction, how long one predict call took (once per call: with
# micro-batching a call serves several requests), how many requests shared it; and the requests in flight.
PREDICTION_WAIT = "api_prediction_wait_seconds"
PREDICTION_COMPUTE = "api_prediction_compute_seconds"
PREDICTION_BATCH_SIZE = "api_prediction_batch_size"
REQUESTS_IN_FLIGHT = "api_requests_in_flight"
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)

LABEL_ENDPOINT = "endpoint"
LABEL_METHOD = "method"
LABEL_STATUS = "status"
LABEL_CLASS = "predicted_class"

# Every path that matches no route shares this label value, so random paths cannot create series.
UNMATCHED_ENDPOINT = "unmatched"

# Fine resolution from 0.25 ms to 2 s. The default SLO thresholds (slo/slos.yaml: p50 10 ms,
# mean 25 ms, p95 50 ms, p99 100 ms, their warning bands 8/20/40/80 ms) are bucket
# boundaries, so a verdict at a threshold is exact rather than interpolated.
LATENCY_BUCKETS = (
    0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.008, 0.01,
    0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.08, 0.1, 0.15, 0.2,
    0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0,
)

PROBABILITY_BUCKETS = tuple(round(0.05 * i, 2) for i in range(1, 21))

