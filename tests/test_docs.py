"""docs/ holds the domain rules in the project's own words; the code cites those documents,
never a file outside the repository."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ("workflow", "config", "seeds", "templates")
CITING = (*CODE, "tests", "docs", "bench", "deploy")
OUTSIDE = re.compile(r"DOMAIN\.md|\.\./shared")
CITED_DOC = re.compile(r"docs/([A-Za-z0-9_.-]+\.md)")
SUFFIXES = {".py", ".html", ".txt", ".yaml", ".yml", ".toml", ".md", ".po", ".cfg", ".ini",
            ".j2", ".sh", ".service", ".conf"}


def text_files(*folders: str):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                yield path
    yield ROOT / "README.md"


def test_nothing_cites_a_file_outside_the_repository():
    found = [f"{path.relative_to(ROOT)}:{number}"
             for path in text_files(*CODE, "docs")
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if OUTSIDE.search(line)]
    assert found == []


def test_every_cited_document_exists():
    cited = {(name, str(path.relative_to(ROOT)))
             for path in text_files(*CITING)
             for name in CITED_DOC.findall(path.read_text(encoding="utf-8"))}
    assert cited, "the code cites docs/"
    missing = sorted((name, where) for name, where in cited if not (ROOT / "docs" / name).is_file())
    assert missing == []


def test_the_index_lists_every_domain_document():
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "docs").glob("*.md")):
        if path.name != "README.md":
            assert f"({path.name})" in index, path.name
