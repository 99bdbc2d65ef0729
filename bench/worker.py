"""Measure (d): a fresh worker process serves the benchmark's pages, then reports its peak
resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) as JSON on stdout.

    python -m bench.worker ours|baseline DATABASE_URL WORKDIR URL [URL ...]

Run in a process of its own so that neither the seeding nor the other measures count.
"""
from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

ROUNDS = 5


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str]) -> None:
    kind, url, workdir, *paths = argv
    before = _maxrss_mib()
    if kind == "ours":
        from bench.measures import PAGE_USER, logged_in_client
        from bench.scratch import make_app
        client = logged_in_client(make_app(url, Path(workdir)), PAGE_USER)
    else:
        from bench.baseline_app import create_app
        client = create_app(url).test_client()
    served = 0
    for _ in range(ROUNDS):
        for path in paths:
            answer = client.get(path)
            if answer.status_code != 200:
                raise SystemExit(f"GET {path}: HTTP {answer.status_code}")
            served += 1
    print(json.dumps({"maxrss_mib": _maxrss_mib(), "at_start_mib": before,
                      "requests": served}))


if __name__ == "__main__":
    main(sys.argv[1:])
