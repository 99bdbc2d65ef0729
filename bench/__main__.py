"""`python -m bench [--cases N] [--repeat N] [--duration S] [--json FILE]` (see README.md).

Seeds a scratch database (SQLite in a temporary folder, or BENCH_DATABASE_URL), measures
(a)-(e) against baselines taken in the same run and prints the table. The exit code is 0
even when a goal is missed: this is a report, not a test.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .report import Line, table, write_json


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases to seed (10 000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions (5)")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="seconds of HTTP load per server (10)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--skip", default="", help="measures to leave out, e.g. 'e' or 'de'; "
                        "'x' leaves out the query plans")
    return parser.parse_args(argv)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    workdir = Path(tempfile.mkdtemp(prefix="ideflodet-bench-"))
    # Nothing may land in the project's instance/ folder.
    os.environ.update(INSTANCE_PATH=str(workdir), SECRET_KEY="bench", MAIL_BACKEND="none")
    if "d" not in args.skip:
        from . import worker

        worker.start()  # before this process grows: see bench/worker.py
    try:
        return _run(args, workdir)
    finally:
        if args.keep:
            _say(f"scratch folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(args: argparse.Namespace, workdir: Path) -> int:
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    from . import load, measures, scratch, seed

    url = scratch.sqlalchemy_url(workdir, os.environ.get("BENCH_DATABASE_URL"))
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    _say(f"Scratch database: {backend} ({_safe(url)}); migrating")
    scratch.create_schema(url, workdir)
    app = scratch.make_app(url, workdir)
    started = time.perf_counter()
    with app.app_context():
        counts = seed.seed(args.cases)
    seconds = time.perf_counter() - started
    _say(f"Seeded in {seconds:.1f} s: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if backend == "PostgreSQL":
        # A database in use has been vacuumed and analysed by autovacuum (PostgreSQL 13 and
        # later also after inserts): planner statistics, and a visibility map that lets an
        # index-only scan skip the table. Right after a bulk load it has neither until
        # autovacuum comes by. SQLite has no statistics unless someone runs ANALYZE, and the
        # app does not: measured as is.
        with app.app_context():
            from workflow.platform.extensions import db

            with db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as connection:  # VACUUM runs outside one
                connection.exec_driver_sql("VACUUM ANALYZE")

    lines: list[Line] = []
    targets, urls = measures.page_urls(app)
    if "b" not in args.skip:
        _say("(b) case list and case page")
        lines += measures.measure_pages(app, url, args.repeat)
    if "c" not in args.skip:
        _say("(c) portfolio aggregates")
        lines += measures.measure_portfolio(app, args.repeat)
    if "d" not in args.skip:
        _say("(d) peak memory of a worker")
        lines.append(_memory(url, workdir, targets, urls))
    if "a" not in args.skip:
        _say("(a) firing events")
        lines.append(measures.measure_firing(app, args.repeat, avoid=set(targets.case_ids)))
    if "e" not in args.skip:
        _say(f"(e) HTTP throughput ({args.duration:g} s per server)")
        has_healthz = any(rule.rule == "/healthz" for rule in app.url_map.iter_rules())
        lines += load.measure_throughput(url, workdir, urls, measures.PAGE_USER,
                                         args.duration, has_healthz)
    context = {"backend": backend, "cases": args.cases, "repeat": args.repeat,
               "seed_seconds": round(seconds, 1), "rows": counts, "cpus": os.cpu_count(),
               "python": platform.python_version(), "when": time.strftime("%Y-%m-%d %H:%M")}
    print(f"\nIdéflödet benchmark: {backend}, {args.cases} cases "
          f"({counts['case_history']} history rows), {os.cpu_count()} CPUs, "
          f"best/median of {args.repeat}\n")
    print(table(lines))
    if "x" not in args.skip:
        from . import explain

        plans = explain.explain(app)
        context["plans"] = plans
        print("\n" + explain.render(plans))
    if args.json:
        write_json(args.json, lines, context)
    return 0


# Issue 14 (d): a worker's peak after the benchmark's pages, in MiB (not a ratio).
MEMORY_GOAL_MIB = 120


def _memory(url: str, workdir: Path, targets, urls: list[str]) -> Line:
    from . import worker

    ours = worker.peak_rss("ours", url, workdir, [*urls, "/portfolio"])
    bare = worker.peak_rss("baseline", url, workdir, [targets.baseline_list_url, *urls[1:]])
    peak = ours["maxrss_mib"]
    return Line("(d) peak RSS of a worker after the pages", peak,
                bare["maxrss_mib"], "MiB", peak / bare["maxrss_mib"],
                f"ours <= {MEMORY_GOAL_MIB} MiB", peak <= MEMORY_GOAL_MIB,
                f"ru_maxrss of a fresh process after {ours['requests']} requests (case list, "
                f"case pages, /portfolio); baseline: the throwaway app, same list and case "
                f"pages; both forked at {ours['at_start_mib']:.0f} MiB")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
