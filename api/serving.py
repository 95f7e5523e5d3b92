"""Where and how predictions run: on the event loop, or queued to a thread (optionally in micro-batches), timed apart.

Why a thread for the forest: one `predict_proba` takes about 12 ms. On the event loop it would also hold back
every /metrics scrape and /health probe behind the queue of predictions; in one dedicated thread the loop stays
free (the interpreter hands it the GIL at least every switch interval, 5 ms) and queued requests wait in a FIFO
whose wait is measured. One thread, not Starlette's pool of 40: on one core more threads add no throughput, only
contention for the GIL. The linear scorer (~0.2 ms) runs on the loop: a hop to a thread would cost more than it.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from time import perf_counter

from api.metrics import ApiMetrics


@dataclass(frozen=True)
class ServingPlan:
    """How the model is served: recorded in /health and the run's manifest."""

    where: str                  # "event_loop" or "thread"
    threads: int = 0            # prediction threads per worker process (0 on the event loop)
    batch_max: int = 1          # requests that may share one predict call
    batch_wait_ms: float = 0.0  # how long a batch waits for company once its first request is there

    def as_dict(self) -> dict:
        return {"where": self.where, "threads": self.threads, "batch_max": self.batch_max,
                "batch_wait_ms": self.batch_wait_ms}


def plan_for(kind: str, predict_in: str, threads: int, batch_max: int, batch_wait_ms: float) -> ServingPlan:
    """`auto` serves the forest (or any micro-batching) from threads and the linear scorer on the loop."""
    where = predict_in if predict_in != "auto" else ("thread" if kind == "forest" or batch_max > 1 else "event_loop")
    if where == "event_loop":
        return ServingPlan("event_loop")
    return ServingPlan("thread", threads, batch_max, batch_wait_ms if batch_max > 1 else 0.0)


@dataclass
class _Pending:
    row: object
    received_at: float
    future: asyncio.Future


@dataclass
class Predictor:
    """Runs the model per its plan; observes each request's wait before its prediction starts, the prediction
    itself and the batch size."""

    model: object
    plan: ServingPlan
    metrics: ApiMetrics | None
    _queue: asyncio.Queue | None = field(default=None, init=False)
    _executor: ThreadPoolExecutor | None = field(default=None, init=False)
    _tasks: list = field(default_factory=list, init=False)

    def start(self) -> None:
        if self.plan.where == "thread":
            self._queue = asyncio.Queue()
            self._executor = ThreadPoolExecutor(self.plan.threads, thread_name_prefix="predict")
            self._tasks = [asyncio.create_task(self._consume()) for _ in range(self.plan.threads)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    async def predict(self, row, received_at: float) -> float:
        if self._queue is None:
            return self._run([row], [received_at])[0]
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(row, received_at, future))
        return await future

    def _run(self, rows: list, received: list[float]) -> list[float]:
        started = perf_counter()
        probabilities = self.model.predict_batch(rows)
        if self.metrics is not None:
            self.metrics.observe_batch([started - r for r in received], perf_counter() - started)
        return probabilities

    async def _consume(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            if self.plan.batch_max > 1:
                await self._gather(batch)
            try:
                out = await loop.run_in_executor(self._executor, self._run, [p.row for p in batch],
                                                 [p.received_at for p in batch])
            except Exception as exc:  # the model's failure is each waiting request's 500, not the consumer's end
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(exc)
                continue
            for p, probability in zip(batch, out):
                if not p.future.done():
                    p.future.set_result(probability)

    async def _gather(self, batch: list[_Pending]) -> None:
        """Take what is already queued, then wait up to batch_wait_ms for more, up to batch_max."""
        deadline = perf_counter() + self.plan.batch_wait_ms / 1000
        while len(batch) < self.plan.batch_max:
            if not self._queue.empty():
                batch.append(self._queue.get_nowait())
                continue
            left = deadline - perf_counter()
            if left <= 0:
                return
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), left))
            except asyncio.TimeoutError:
                return
