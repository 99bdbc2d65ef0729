"""Test-only support for tests/test_scheduling.py: an app factory for scheduler subprocesses,

    flask --app scheduler_support:create_app scheduler   (with tests/ on PYTHONPATH)

whose schedule holds a single job that appends "<pid> <now>" to the file named by the
environment variable SCHEDULER_TEST_RUNS, so a test can see which process ran it."""
from __future__ import annotations

import os
from datetime import datetime

from flask import Flask

import workflow
from workflow.ops import jobs
from workflow.ops.scheduling import register_cli

RUNS_FILE_VARIABLE = "SCHEDULER_TEST_RUNS"
JOB_NAME = "test-record-run"


def record_run(now: datetime) -> int:
    with open(os.environ[RUNS_FILE_VARIABLE], "a", encoding="utf-8") as runs:
        runs.write(f"{os.getpid()} {now.isoformat()}\n")
    return 1


def create_app() -> Flask:
    app = workflow.create_app()
    # Only the test job: the real jobs must not run (or send mail) against a test database.
    jobs.SCHEDULE.clear()
    jobs.SCHEDULE[JOB_NAME] = jobs.JobSpec(JOB_NAME, record_run, every_minutes=1)
    if "scheduler" not in app.cli.commands:  # in case workflow/ops/cli.py does not add it
        register_cli(app)
    return app
