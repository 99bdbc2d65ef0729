"""English is one click away: every text the code and templates mark has an English translation."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "workflow" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _first(value) -> str:
    return value if isinstance(value, str) else value[0]


def _parts(value) -> tuple[str, ...]:
    """A message's translation(s): plural messages have one per form."""
    return (value,) if isinstance(value, str) else tuple(value)


def _ids(catalogue) -> set[str]:
    return {_first(m.id) for m in catalogue if m.id}


def test_every_marked_text_has_an_english_translation(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "--mapping",
                    str(ROOT / "babel.cfg"), "--keywords", "N_", "--keywords", "_l",
                    "--output-file", str(template), "."], check=True, cwd=ROOT,
                   capture_output=True)
    with template.open("rb") as handle:
        marked = _ids(read_po(handle))
    with CATALOGUE.open("rb") as handle:
        english = read_po(handle)
    assert len(marked) > 400  # the extraction really read the code and templates
    translated = {_first(m.id) for m in english if m.id and _parts(m.string) and all(
        _parts(m.string)) and not m.fuzzy}
    missing = sorted(marked - translated)
    assert not missing, f"run `make extract-messages` and translate: {missing[:10]}"


def test_translations_keep_their_placeholders():
    with CATALOGUE.open("rb") as handle:
        english = read_po(handle)
    broken = [m.id for m in english if m.id and any(
        set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(_first(m.id)))
        for text in _parts(m.string) if text)]
    assert broken == []


def test_dossier_page_in_english(app):
    from helpers import case_in
    with app.app_context():
        case_id = case_in("management").id
    client = app.test_client()
    client.post("/login", data={"username": "fchef", "password": "demo"})
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/cases/{case_id}/dossier").get_data(as_text=True)
    assert "Benefit calculation" in page and "Nyttokalkyl<" not in page
