"""The served model, by kind: the lab's random forest (the default) or the folded linear scorer; loading picks by file."""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol, Sequence

from pydantic_settings import BaseSettings, SettingsConfigDict

from api.features import FEATURES
from common.environment import REPO_ROOT

ModelKind = Literal["forest", "linear"]
KINDS: tuple[str, ...] = ("forest", "linear")
SUFFIXES = {"forest": ".skops", "linear": ".json"}


class ModelError(ValueError):
    """The model file is missing or does not fit this code's feature schema."""


class Model(Protocol):
    """What the API serves: rows prepared once (encode), then probabilities for a batch of them."""

    kind: str
    metadata: dict

    @property
    def version(self) -> str: ...

    def encode(self, features: dict): ...

    def predict_batch(self, rows: Sequence) -> list[float]: ...


class Versioned:
    """A model's version, read from its metadata (both variants keep it there)."""

    metadata: dict

    @property
    def version(self) -> str:
        return self.metadata["version"]


def default_path(kind: str) -> Path:
    """models/churn-forest.skops or models/churn-linear.json in the repository."""
    return REPO_ROOT / "models" / f"churn-{kind}{SUFFIXES[kind]}"


class ModelSettings(BaseSettings):
    """API_MODEL picks the kind; MODEL_PATH, when set, names the file (its suffix then says the kind)."""
    model_config = SettingsConfigDict(extra="ignore", protected_namespaces=())

    api_model: ModelKind = "forest"
    model_path: Path | None = None

    @property
    def model_file(self) -> Path:
        return self.model_path or default_path(self.api_model)


def kind_of(path: Path | str) -> str:
    suffix = Path(path).suffix
    for kind, known in SUFFIXES.items():
        if suffix == known:
            return kind
    raise ModelError(f"{path}: unknown model format {suffix!r}: expected "
                     + " or ".join(f"{s} ({k})" for k, s in SUFFIXES.items()))


PREDICT_ROWS = 4096  # rows per predict call over a frame: batched, and memory stays flat however many rows


def predict_frame(model: Model, frame) -> list[float]:
    """The model's probability for each row of a frame holding the 14 features (a snapshot, a recording), in batches."""
    records = frame[list(FEATURES)].to_dict("records")
    out: list[float] = []
    for i in range(0, len(records), PREDICT_ROWS):
        out += model.predict_batch([model.encode(r) for r in records[i:i + PREDICT_ROWS]])
    return out


def load(path: Path | str) -> Model:
    """The model in `path`; its format (and so its kind) is told by the file's suffix."""
    path = Path(path)
    kind = kind_of(path)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found; build it with `make model API_MODEL={kind}`")
    if kind == "forest":
        from api.models import forest
        return forest.load(path)
    from api.models import linear
    return linear.load(path)


def train(kind: str, frame, seed: int = 42) -> Model:
    if kind == "forest":
        from api.models import forest
        return forest.train(frame, seed=seed)
    from api.models import linear
    return linear.train(frame, seed=seed)


def save(model: Model, path: Path | str) -> Path:
    if kind_of(path) != model.kind:
        raise ModelError(f"{path}: a {model.kind} model is saved as {SUFFIXES[model.kind]}")
    if model.kind == "forest":
        from api.models import forest
        return forest.save(model, path)
    from api.models import linear
    return linear.save(model, path)
