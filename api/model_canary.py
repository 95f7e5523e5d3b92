"""The speed canary of the served model: single-row predictions of a few fixed rows, timed as the API starts, on its
own core, before it serves anything (/health reports it). The same work in every run, so two runs' figures can be
compared with the machine's speed beside them."""
from __future__ import annotations

import itertools

from common.canary import Canary, timed

ROWS = 8   # the serving snapshot's first users: the same rows in every run


def of_model(model, rows: list) -> Canary:
    """`rows` are the model's encoded inputs; each timed piece is one of them predicted alone."""
    cycle = itertools.cycle(rows[:ROWS])
    return timed(f"one single-row {model.kind} prediction ({model.version})", lambda: model.predict_batch([next(cycle)]))
