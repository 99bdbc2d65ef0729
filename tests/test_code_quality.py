"""The linters stay clean: ruff over the code and tests, bandit over the application
(configured in pyproject.toml, [tool.ruff] and [tool.bandit])."""
from __future__ import annotations

import json
import subprocess
import sys

from workflow.platform.settings import PROJECT_ROOT

RUFF_PATHS = [name for name in ("workflow", "tests", "bench") if (PROJECT_ROOT / name).is_dir()]


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *arguments], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def test_ruff_finds_nothing():
    result = run("ruff", "check", "--output-format", "concise", "--no-cache", *RUFF_PATHS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bandit_finds_nothing():
    result = run("bandit", "-q", "-r", "workflow", "-c", "pyproject.toml", "-f", "json")
    report = json.loads(result.stdout)
    findings = [f"{issue['filename']}:{issue['line_number']}: {issue['test_id']} "
                f"{issue['issue_text']}" for issue in report["results"]]
    assert findings == [] and report["errors"] == [], "\n".join(findings) + str(report["errors"])
    assert report["metrics"]["_totals"]["loc"] > 1000  # it did scan the application
