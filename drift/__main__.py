"""`python -m drift`: month against month (--ref, --cur) or a load run's recorded traffic (--run)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from api.data import DataError
from drift.recorded import RecordedDataError
from drift.settings import DriftSettings
from common.environment import paths
from runfolder import names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drift", description=__doc__)
    parser.add_argument("--ref", default="2024-01-31", help="reference snapshot (as_of or month folder)")
    parser.add_argument("--cur", default="2024-02-29", help="current snapshot")
    parser.add_argument("--run", type=Path, help="a results/<run> folder: check the traffic it recorded instead")
    parser.add_argument("--threshold", type=float, help="drift share at which to RETRAIN (default 0.30, DRIFT_THRESHOLD)")
    parser.add_argument("--out", type=Path, default=paths().results_dir / "drift")
    args = parser.parse_args(argv)
    try:
        settings = DriftSettings(**({"threshold": args.threshold} if args.threshold is not None else {}))
    except ValidationError as exc:
        print(f"error: threshold: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    try:
        if args.run:
            from drift.check import check_run
            if not args.run.is_dir():
                raise RecordedDataError(f"{args.run}: no such run folder")
            result = check_run(args.run, args.run / names.PREDICTIONS, strict=True, settings=settings)
            print(result.get("line") or f"[Evidently] {result['summary']}")
            return 0
        from drift import performance
        from drift.months import compare_months
        result, line = compare_months(args.ref, args.cur, args.out, settings.threshold, settings.max_auc_drop)
        drifted = ", ".join(result["drifted_columns"]) or "none"
        print(f"drifted columns: {drifted} ({result['drifted_count']} of {result['columns_tested']})")
        print(f"performance: {performance.sentence(result['performance'])}")
        print(f"decision: {result['decision']}, {result['decided_by']}")
        print(line)
        return 0
    except (DataError, RecordedDataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
