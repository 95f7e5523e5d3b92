"""`python -m api.train`: train the churn model on the training snapshot and save it."""
from __future__ import annotations

import argparse
import sys

from api.data import DEFAULT_DATA_DIR, DataError, load_snapshot
from api.model import DEFAULT_MODEL_PATH, save, train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--snapshot", default="2024-01-31", help="training snapshot (as_of or month folder)")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default=str(DEFAULT_MODEL_PATH))
    args = parser.parse_args(argv)
    try:
        frame = load_snapshot(args.snapshot, args.data_dir)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model = train(frame, seed=args.seed)
    path = save(model, args.out)
    meta = model.metadata
    print(f"model {meta['version']} trained on {meta['trained_as_of']} ({meta['n_train']} rows): "
          f"hold-out ROC AUC {meta['holdout_roc_auc']:.4f} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
