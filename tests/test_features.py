"""Each feature declares the states and events it relies on (workflow/states/features.py); a
process definition that would switch one off is refused at start-up and at upload."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml

from helpers import api_token, login
from workflow import create_app
from workflow.notifications.service import load_rules
from workflow.platform.settings import CONFIG_DIR
from workflow.states import DefinitionError, ProcessRegistry
from workflow.states.definition import load_definition_dir, parse_definition
from workflow.states.features import FEATURES, check_features, escalation_feature, require_features

PROCESS_DIR = CONFIG_DIR / "processes"
V1 = PROCESS_DIR / "standard-v1.yaml"
V2 = PROCESS_DIR / "standard-v2.yaml"
ESCALATION = "Eskalering av ärenden som väntat för länge"


def renamed(text: str, old: str, new: str) -> str:
    """The definition with a state or event renamed everywhere (names, from, to, roles)."""
    return re.sub(rf"\b{old}\b", new, text)


def rename_state(raw: dict, old: str, new: str) -> dict:
    """``raw`` with the state ``old`` renamed (a role of the same name is left alone)."""
    for state in raw["states"]:
        state["name"] = new if state["name"] == old else state["name"]
    for event in raw["events"]:
        event["from"] = [new if s == old else s for s in event["from"]]
        event["to"] = new if event["to"] == old else event["to"]
        if isinstance(event["roles"], dict):
            event["roles"] = {new if s == old else s: r for s, r in event["roles"].items()}
    return raw


def shipped_escalation():
    rules = load_rules(CONFIG_DIR / "notifications.toml",
                       {s for d in load_definition_dir(PROCESS_DIR) for s in d.states})
    return escalation_feature(rules.escalation)


# ------------------------------------------------------------------------------ pure

@pytest.mark.parametrize("path", [V1, V2], ids=["v1", "v2"])
def test_each_shipped_definition_serves_every_feature(path):
    definition = load_definition_dir(PROCESS_DIR)[[V1, V2].index(path)]
    assert definition.source == str(path)
    assert check_features(definition, [shipped_escalation()]) == []
    require_features(definition, [shipped_escalation()])


def test_every_feature_declares_names_the_latest_definition_has():
    latest = ProcessRegistry.from_directory(PROCESS_DIR).latest("standard").definition
    for feature in FEATURES:
        assert feature.states or feature.events, feature.key
        for name in feature.optional_events:
            assert name in latest.events, (feature.key, name)


def test_a_renamed_state_names_every_feature_it_switches_off():
    raw = rename_state(yaml.safe_load(V2.read_text(encoding="utf-8")), "council", "radet")
    problems = check_features(parse_definition(raw))
    features = {p.feature.key for p in problems}
    assert {"meetings", "scoring", "portfolio"} <= features
    assert all(p.entry == "states" and p.missing == ("council",) for p in problems)
    text = next(p for p in problems if p.feature.key == "scoring").text
    assert text.startswith("funktionen ”Digitaliseringsrådets poängsättning” bygger på lägena "
                           "council, som saknas.")


def test_a_removed_event_is_named_too():
    raw = yaml.safe_load(V2.read_text(encoding="utf-8"))
    raw["events"] = [e for e in raw["events"] if e["name"] != "reactivate"]
    raw["states"] = [s if s["name"] != "plan" else {**s, "final": True} for s in raw["states"]]
    problems = check_features(parse_definition(raw))
    assert [(p.feature.key, p.entry, p.missing) for p in problems] == [
        ("plan", "events", ("reactivate",))]


def test_a_renamed_refinement_is_refused_at_start_up(tmp_path: Path):
    (tmp_path / V1.name).write_bytes(V1.read_bytes())
    (tmp_path / V2.name).write_text(renamed(V2.read_text(encoding="utf-8"), "refinement",
                                            "beredning"), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        create_app({"PROCESS_DIR": tmp_path, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "SECRET_KEY": "test"})
    message = str(info.value)
    assert str(tmp_path / V2.name) in message
    assert f"funktionen ”{ESCALATION}” bygger på lägena refinement, som saknas" in message
    assert "Behåll namnen refinement i den nya versionen" in message


# ------------------------------------------------------------------------------ upload

@pytest.fixture
def make_app(make_app, tmp_path_factory):
    """An app whose folder holds only version 1, so that version 2 can be uploaded."""
    folder = tmp_path_factory.mktemp("processes")
    (folder / V1.name).write_bytes(V1.read_bytes())

    def factory(**overrides):
        return make_app(**{"PROCESS_DIR": folder, **overrides})
    return factory


def without_refinement() -> bytes:
    return renamed(V2.read_text(encoding="utf-8"), "refinement", "beredning").encode()


def test_an_upload_without_refinement_is_refused_in_swedish(app, client):
    login(client, "admin")
    response = client.post(
        "/admin/processes/new", content_type="multipart/form-data",
        data={"file": (io.BytesIO(without_refinement()), "standard-v2.yaml")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"funktionen ”{ESCALATION}” bygger på lägena refinement, som saknas" in page
    assert "Behåll namnen refinement i den nya versionen" in page
    # The unchanged file is accepted.
    response = client.post(
        "/admin/processes/new", content_type="multipart/form-data",
        data={"file": (io.BytesIO(V2.read_bytes()), "standard-v2.yaml")})
    assert response.status_code == 200


def test_the_api_refuses_it_and_says_so_in_english(app):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token(client, 'admin')}",
               "Content-Type": "application/yaml", "Accept-Language": "en"}
    response = client.post("/api/v1/admin/processes/preview?filename=v2.yaml",
                           data=without_refinement(), headers=headers)
    assert response.status_code == 422
    problem = next(p for p in response.get_json()["problems"] if p["entry"] == "states")
    assert problem["file"] == "v2.yaml"
    assert problem["problem"] == ("the feature “Escalation of cases that have waited too long” "
                                  "relies on the states refinement, which are missing")
    assert problem["fix"].startswith("Keep the names refinement in the new version")
