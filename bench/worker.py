"""Measure (d): a fresh worker process serves the benchmark's pages, then reports its peak
resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``).

Linux carries a process's high-water mark over fork and exec, so a worker started from the
benchmark process (grown by seeding and measuring) would report that process's peak. The
workers therefore fork from a multiprocessing fork server started by :func:`start` before
anything large is loaded. By hand (from a shell):

    python -m bench.worker ours|baseline DATABASE_URL WORKDIR URL [URL ...]
"""
from __future__ import annotations

import json
import multiprocessing
import resource
import sys
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROUNDS = 5


def start() -> None:
    """Start the fork server now, while this process is still small."""
    multiprocessing.set_forkserver_preload([])
    forkserver.ensure_running()


def peak_rss(kind: str, url: str, workdir: Path, paths: list[str]) -> dict[str, Any]:
    """Serve ``paths`` in a process forked from the fork server; its figures."""
    context = multiprocessing.get_context("forkserver")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_serve_and_send, args=(kind, url, str(workdir), paths,
                                                             send))
    process.start()
    send.close()
    result = receive.recv()
    process.join()
    if "error" in result:
        raise RuntimeError(f"memory worker ({kind}): {result['error']}")
    return result


def _serve_and_send(kind: str, url: str, workdir: str, paths: list[str],
                    send: Connection) -> None:
    try:
        send.send(serve(kind, url, Path(workdir), paths))
    except Exception as exc:  # reported to the benchmark, which stops
        send.send({"error": f"{type(exc).__name__}: {exc}"})
    finally:
        send.close()


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def serve(kind: str, url: str, workdir: Path, paths: list[str]) -> dict[str, Any]:
    before = _maxrss_mib()
    if kind == "ours":
        from bench.measures import PAGE_USER, logged_in_client
        from bench.scratch import make_app
        client = logged_in_client(make_app(url, workdir), PAGE_USER)
    else:
        from bench.baseline_app import create_app
        client = create_app(url).test_client()
    served = 0
    for _ in range(ROUNDS):
        for path in paths:
            answer = client.get(path)
            if answer.status_code != 200:
                raise RuntimeError(f"GET {path}: HTTP {answer.status_code}")
            served += 1
    return {"maxrss_mib": _maxrss_mib(), "at_start_mib": before, "requests": served}


if __name__ == "__main__":
    kind, url, workdir, *paths = sys.argv[1:]
    print(json.dumps(serve(kind, url, Path(workdir), paths)))
