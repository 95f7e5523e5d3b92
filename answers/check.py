"""Every answered prediction checked as the client received it: recomputed offline with the served model's
artifact, compared with the body the generator read, counted per stage.

The generator's record (sent_predictions.db) holds what it sent and what came back, for any API; the API's own
recording would miss the case this check exists for: answers that go wrong after the API recorded the right one
(a cache serving another user's score, a proxy, a batch whose rows were mixed up on the way out).
"""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic_settings import BaseSettings, SettingsConfigDict

from api import models
from api.features import FEATURES
from slo.stats.confidence import clopper_pearson

TOLERANCE = 1e-6    # the API rounds a probability to 6 decimals: a half unit of that, and float noise, pass
EXAMPLES = 5        # request ids of wrong answers kept per stage


class AnswersUnreadable(ValueError):
    """The generator's record cannot be read; the message names the file."""


@dataclass(frozen=True)
class Artifact:
    """The model the answers are checked against, and where it came from."""
    model: models.Model
    path: Path

    @property
    def version(self) -> str:
        return self.model.version


def read_answers(db: Path) -> pd.DataFrame:
    """Every answer the generator received: request id, time, inputs, probability, prediction, version."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return pd.read_sql_query(
                f"SELECT request_id, ts, {', '.join(FEATURES)}, probability, prediction, model_version "
                "FROM predictions_wide ORDER BY ts", conn)
    except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
        raise AnswersUnreadable(f"{db}: not the generator's record of answers ({exc})") from None


def checkable(answers: pd.DataFrame) -> pd.Series:
    """Answers that can be recomputed and compared: every input known and both outputs read from the body."""
    return answers[[*FEATURES, "probability", "prediction"]].notna().all(axis=1)


def wrong_answers(answers: pd.DataFrame, expected: np.ndarray, version: str, tolerance: float) -> np.ndarray:
    """Which answers differ from the model's: a probability beyond tolerance, a class the probability does not give
    (unless it sits within tolerance of 0.5), or another model version named in the answer (a stale worker)."""
    received = answers["probability"].to_numpy(float)
    off = np.abs(received - expected) > tolerance
    expected_class = (expected >= 0.5).astype(int)
    wrong_class = (answers["prediction"].to_numpy(int) != expected_class) & (np.abs(expected - 0.5) > tolerance)
    named = answers["model_version"]
    stale = (named.notna() & (named != version)).to_numpy()
    return off | wrong_class | stale


def _share(checked: int, wrong: int, level: float) -> dict:
    low, high = clopper_pearson(wrong, checked, level) if checked else (None, None)
    return {"checked": checked, "wrong": wrong, "share": wrong / checked if checked else None,
            "interval": None if low is None else [round(low, 6), round(high, 6)], "level": level}


def per_stage(answers: pd.DataFrame, wrong: np.ndarray, stages: list[dict], level: float) -> dict[str, dict]:
    """Each stage's answers (received from its start to its end, settle included: a wrong answer is wrong whenever
    it came), with an exact binomial interval of the wrong share and a few wrong answers' request ids."""
    ts = answers["ts"].to_numpy(float)
    out = {}
    for st in stages:
        inside = (ts >= st["start"]) & (ts < st["end"])
        bad = inside & wrong
        out[st["name"]] = {**_share(int(inside.sum()), int(bad.sum()), level),
                           "examples": answers["request_id"][bad].head(EXAMPLES).tolist()}
    return out


def check(db: Path, artifact: Artifact, stages: list[dict], level: float = 0.95, tolerance: float = TOLERANCE,
          served_version: str | None = None) -> dict:
    """The check of one run: skipped, saying why, when the artifact is not the model the API served."""
    if served_version is not None and served_version != artifact.version:
        return skipped(f"the artifact {artifact.path} is {artifact.version}, the API served {served_version}: "
                       "give MODEL_ARTIFACT the served model's file")
    started = time.perf_counter()
    received = read_answers(db)
    ok = checkable(received)
    if received.size and not ok.any():
        return skipped(f"none of the {len(received)} answers carried both a probability and a class to compare (the "
                       "profile's scenario.outputs names them)")
    answers = received[ok].reset_index(drop=True)
    expected = np.asarray(models.predict_frame(artifact.model, answers))
    wrong = wrong_answers(answers, expected, artifact.version, tolerance)
    stages_out = per_stage(answers, wrong, stages, level)
    staged = sum(s["checked"] for s in stages_out.values())
    return {"status": "checked", "model": {"version": artifact.version, "path": str(artifact.path)},
            "tolerance": tolerance, **_share(len(answers), int(wrong.sum()), level),
            "outside_stages": len(answers) - staged, "not_checkable": int((~ok).sum()), "stages": stages_out,
            "examples": answers["request_id"][wrong].head(EXAMPLES).tolist(),
            "seconds": round(time.perf_counter() - started, 2)}


def skipped(why: str) -> dict:
    return {"status": "skipped", "why": why, "stages": {}}


class AnswersSettings(BaseSettings):
    """MODEL_ARTIFACT: the served model's file, to check an API the harness did not start (by default, the model
    the harness's own API serves: API_MODEL and MODEL_PATH, as the API reads them)."""
    model_config = SettingsConfigDict(extra="ignore", protected_namespaces=())

    model_artifact: Path | None = None


def artifact_for(path: Path | None, started_here: bool) -> Artifact | str:
    """The model to check answers with, or why there is none."""
    if path is None and not started_here:
        return ("the API was not started by slobench, and MODEL_ARTIFACT names no model file to check its answers "
                "with")
    path = Path(path or models.ModelSettings().model_file)
    try:
        return Artifact(models.load(path), path)
    except models.ModelError as exc:
        return f"cannot load the model artifact: {exc}"
