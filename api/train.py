"""`python -m api.train`: train the churn model on the training snapshot and save it."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from api.data import DEFAULT_DATA_DIR, DataError, load_snapshot
from api.models import KINDS, SUFFIXES, ModelError, ModelSettings, kind_of, save, train
from common.environment import environment_error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--snapshot", default="2024-01-31", help="training snapshot (as_of or month folder)")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--model", choices=KINDS, default=None, help="the kind to train (default: API_MODEL, else forest)")
    parser.add_argument("--out", default=None, help="the file (default: MODEL_PATH, else models/churn-<kind>.<suffix>)")
    args = parser.parse_args(argv)
    try:
        settings = ModelSettings(**({"api_model": args.model} if args.model else {}))
        frame = load_snapshot(args.snapshot, args.data_dir)
        out = Path(args.out) if args.out else settings.model_file
        if kind_of(out) != settings.api_model:
            raise ModelError(f"{out}: a {settings.api_model} model is saved as {SUFFIXES[settings.api_model]} "
                             "(set MODEL_PATH or --out accordingly)")
    except ValidationError as exc:
        print(environment_error(exc), file=sys.stderr)
        return 2
    except (DataError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model = train(settings.api_model, frame, seed=args.seed)
    path = save(model, out)
    meta = model.metadata
    print(f"model {meta['version']} trained on {meta['trained_as_of']} ({meta['n_train']} rows) in "
          f"{meta['training_seconds']:g} s: hold-out ROC AUC {meta['holdout_roc_auc']:.4f} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
