"""The process definition validator: the standard process loads, broken ones stop start-up."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from workflow import create_app
from workflow.states import DefinitionError, ProcessRegistry
from workflow.states.definition import load_definition_dir, parse_definition

STANDARD = Path(__file__).resolve().parent.parent / "config" / "processes" / "standard-v1.yaml"


@pytest.fixture
def raw():
    return yaml.safe_load(STANDARD.read_text(encoding="utf-8"))


def event(raw, name):
    return next(e for e in raw["events"] if e["name"] == name)


def test_standard_process_has_every_state_and_event_of_the_domain(raw):
    definition = parse_definition(raw)
    assert set(definition.states) == {
        "draft", "submitted", "direct", "apt", "refinement", "central_support", "council",
        "plan", "management", "political", "approved", "implementation", "follow_up", "closed",
        "resolved_locally", "rejected", "withdrawn", "merged"}
    assert set(definition.events) == {
        "submit", "submit_direct", "withdraw", "take_up", "forward", "resolve_locally", "route",
        "request_support", "support_done", "to_council", "park", "reactivate", "prioritise",
        "return", "approve", "escalate", "decide_yes", "decide_no", "start", "go_live", "close",
        "reject", "merge"}
    assert definition.states["submitted"].label.sv == "Inlämnad"
    assert definition.states["submitted"].target_days == 30
    assert definition.events["reject"].roles_in("apt") == ("manager",)
    assert definition.events["reject"].roles_in("council") == ("council",)


def test_required_fields_follow_from_the_guards(raw):
    definition = parse_definition(raw)
    fields = {f.name: f.required for f in definition.events["decide_yes"].fields}
    assert fields == {"meeting_date": True, "decision_reference": True, "comment": False}


def _broken(raw, mutate):
    broken = copy.deepcopy(raw)
    mutate(broken)
    with pytest.raises(DefinitionError) as info:
        parse_definition(broken, source="config/processes/broken.yaml")
    return str(info.value)


def test_unknown_guard_is_named_with_the_fix(raw):
    message = _broken(raw, lambda r: event(r, "forward")["guards"].append("looks_good"))
    assert "config/processes/broken.yaml" in message
    assert "event 'forward'" in message and "unknown guard 'looks_good'" in message
    assert "Use one of:" in message and "apt_note_given" in message


def test_unknown_role_is_named(raw):
    message = _broken(raw, lambda r: event(r, "take_up").update(roles=["boss"]))
    assert "event 'take_up'.roles" in message and "unknown role 'boss'" in message


def test_unknown_state_in_from_or_to_is_named(raw):
    message = _broken(raw, lambda r: event(r, "park").update(to="archive"))
    assert "event 'park'.to" in message and "unknown state 'archive'" in message
    message = _broken(raw, lambda r: event(r, "park").update({"from": ["limbo"]}))
    assert "unknown state 'limbo'" in message


def test_unreachable_state_is_named(raw):
    def remove_reactivate_and_park(r):
        r["events"] = [e for e in r["events"] if e["name"] not in ("park", "reactivate")]
    message = _broken(raw, remove_reactivate_and_park)
    assert "state 'plan'" in message and "cannot be reached from 'draft'" in message


def test_duplicate_event_is_named(raw):
    message = _broken(raw, lambda r: r["events"].append(copy.deepcopy(event(r, "submit"))))
    assert "event 'submit'" in message and "defined twice" in message


def test_event_from_nowhere_is_named(raw):
    message = _broken(raw, lambda r: event(r, "route").update({"from": []}))
    assert "event 'route'.from" in message and "names no state" in message


def test_event_from_a_final_state_is_refused(raw):
    message = _broken(raw, lambda r: event(r, "reactivate")["from"].append("closed"))
    assert "state 'closed' is final" in message


def test_guard_reading_a_missing_field_is_named(raw):
    message = _broken(raw, lambda r: event(r, "reject").update(fields=[]))
    assert "guard 'motivation_given' reads field 'motivation'" in message


def test_dead_end_state_must_be_final(raw):
    def dead_end(r):
        r["events"] = [e for e in r["events"] if e["name"] != "reactivate"]
    message = _broken(raw, dead_end)
    assert "state 'plan'" in message and "no way out" in message


def test_missing_label_language_is_named(raw):
    message = _broken(raw, lambda r: r["states"][0]["label"].pop("en"))
    assert "state 'draft'.label" in message and "lacks a text for en" in message


def test_yaml_syntax_error_names_the_file(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition_dir(tmp_path)
    assert str(tmp_path / "bad.yaml") in str(info.value)


def test_same_version_twice_is_refused(tmp_path, raw):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError, match="version 1 is also defined"):
        load_definition_dir(tmp_path)


def test_broken_definition_stops_app_start_up(tmp_path, raw):
    event(raw, "approve")["guards"].append("no_such_guard")
    (tmp_path / "standard-v1.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True),
                                               encoding="utf-8")
    with pytest.raises(DefinitionError, match="unknown guard 'no_such_guard'"):
        create_app({"PROCESS_DIR": tmp_path, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "SECRET_KEY": "test"})


def test_registry_serves_every_version_and_picks_the_newest(raw):
    newer = copy.deepcopy(raw)
    newer["version"] = 2
    registry = ProcessRegistry([parse_definition(raw), parse_definition(newer)])
    assert registry.latest("standard").version == 2
    assert registry.get("standard", 1).version == 1
