"""Placeholder replaced by the drift issue."""


def check_run(run_dir, db):
    return {"status": "skipped", "summary": "drift check not implemented yet"}
