"""The difference between two process definition versions, as pure Python."""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

from workflow.platform.settings import PROJECT_ROOT
from workflow.states.definition import parse_definition
from workflow.states.diff import Change, diff_definitions

STANDARD = Path(PROJECT_ROOT) / "config" / "processes" / "standard-v1.yaml"


def raw_v1() -> dict:
    return yaml.safe_load(STANDARD.read_text(encoding="utf-8"))


def state(raw: dict, name: str) -> dict:
    return next(s for s in raw["states"] if s["name"] == name)


def event(raw: dict, name: str) -> dict:
    return next(e for e in raw["events"] if e["name"] == name)


def raw_v2() -> dict:
    """Version 2 as the admin tests load it: a new exit from APT, a removed local solution,
    a faster council, park open to management too with a comment required, and plan
    proposals back to refinement."""
    raw = copy.deepcopy(raw_v1())
    raw["version"] = 2
    council = state(raw, "council")
    council["target_days"] = 30
    council["waiting_for"] = ["council", "developer"]
    raw["states"] = [s for s in raw["states"] if s["name"] != "resolved_locally"]
    raw["states"].append({"name": "quick_win", "final": True,
                          "label": {"sv": "Snabb vinst", "en": "Quick win"},
                          "plain": {"sv": "Idén genomfördes direkt.", "en": "Done at once."}})
    raw["events"] = [e for e in raw["events"] if e["name"] != "resolve_locally"]
    raw["events"].append({"name": "quick_win", "from": ["apt"], "to": "quick_win",
                          "roles": ["manager"],
                          "label": {"sv": "Genomför direkt", "en": "Do it at once"}})
    park = event(raw, "park")
    park["roles"] = ["council", "management"]
    park["guards"] = ["comment_given"]
    event(raw, "reactivate")["to"] = "refinement"
    return raw


def changes_of(items, name: str) -> dict[str, Change]:
    item = next(i for i in items if i.name == name)
    return {c.key: c for c in item.changes}


def test_the_same_definition_has_no_difference():
    v1 = parse_definition(raw_v1())
    diff = diff_definitions(v1, parse_definition(raw_v1()))
    assert diff.empty
    assert diff.as_dict()["states"] == {"added": [], "removed": [], "changed": []}
    assert diff.summary() == {"compared_with": 1}


def test_states_added_removed_and_changed():
    diff = diff_definitions(parse_definition(raw_v1()), parse_definition(raw_v2()))
    assert (diff.old_version, diff.new_version) == (1, 2)
    assert diff.states_added == ("quick_win",)
    assert diff.states_removed == ("resolved_locally",)
    assert [i.name for i in diff.states_changed] == ["council"]
    council = changes_of(diff.states_changed, "council")
    assert set(council) == {"target_days", "waiting_for"}
    assert (council["target_days"].before, council["target_days"].after) == (45, 30)
    assert council["waiting_for"].after == ["council", "developer"]


def test_events_added_removed_and_changed_with_roles_guards_and_targets():
    diff = diff_definitions(parse_definition(raw_v1()), parse_definition(raw_v2()))
    assert diff.events_added == ("quick_win",)
    assert diff.events_removed == ("resolve_locally",)
    assert sorted(i.name for i in diff.events_changed) == ["park", "reactivate"]
    park = changes_of(diff.events_changed, "park")
    assert set(park) == {"roles.council", "guards", "fields.comment"}
    assert (park["roles.council"].before, park["roles.council"].after) == (
        ["council"], ["council", "management"])
    assert park["roles.council"].attribute == "roles"
    assert park["roles.council"].qualifier == "council"
    assert (park["guards"].before, park["guards"].after) == ([], ["comment_given"])
    # The guard reads the comment, so the validator made the field required.
    assert park["fields.comment"].before["required"] is False
    assert park["fields.comment"].after["required"] is True
    reactivate = changes_of(diff.events_changed, "reactivate")
    assert {k: (c.before, c.after) for k, c in reactivate.items()} == {
        "to": ("council", "refinement")}


def test_the_process_header_and_labels_are_compared_per_language():
    raw = raw_v1()
    raw["version"] = 2
    raw["label"] = {"sv": "Ny standard", "en": raw["label"]["en"]}
    state(raw, "draft")["label"]["en"] = "Sketch"
    diff = diff_definitions(parse_definition(raw_v1()), parse_definition(raw))
    assert [(c.key, c.after) for c in diff.process] == [("label.sv", "Ny standard")]
    draft = changes_of(diff.states_changed, "draft")
    assert list(draft) == ["label.en"] and draft["label.en"].after == "Sketch"
    assert draft["label.en"].qualifier == "en"


def test_role_order_is_not_a_change_but_visibility_default_is():
    raw = raw_v1()
    event(raw, "reactivate")["roles"] = ["developer", "council"]
    state(raw, "submitted")["visible_to"] = ["manager", "admin"]
    diff = diff_definitions(parse_definition(raw_v1()), parse_definition(raw))
    assert [i.name for i in diff.events_changed] == []
    submitted = changes_of(diff.states_changed, "submitted")
    assert (submitted["visible_to"].before, submitted["visible_to"].after) == (
        None, ["manager", "admin"])


def test_roles_per_source_state_and_event_sources():
    raw = raw_v1()
    event(raw, "return")["roles"] = {"council": ["council"], "management": ["management"]}
    event(raw, "return")["from"] = ["council", "management"]
    diff = diff_definitions(parse_definition(raw_v1()), parse_definition(raw))
    ret = changes_of(diff.events_changed, "return")
    assert (ret["from"].before, ret["from"].after) == (
        ["council", "management", "political"], ["council", "management"])
    assert (ret["roles.political"].before, ret["roles.political"].after) == (["registrar"], None)


def test_without_an_old_version_everything_is_added():
    v1 = parse_definition(raw_v1())
    diff = diff_definitions(None, v1)
    assert diff.old_version is None and not diff.empty
    assert diff.states_added == tuple(v1.states) and diff.events_added == tuple(v1.events)
    assert diff.states_changed == () and diff.process == ()
    assert "compared_with" not in diff.summary()


def test_summary_and_lines_name_every_change():
    diff = diff_definitions(parse_definition(raw_v1()), parse_definition(raw_v2()))
    assert diff.summary() == {
        "compared_with": 1, "states_added": "quick_win", "states_removed": "resolved_locally",
        "states_changed": "council", "events_added": "quick_win",
        "events_removed": "resolve_locally", "events_changed": "park, reactivate"}
    lines = diff.lines()
    assert "  state council.target_days: 45 -> 30" in lines
    assert "  event reactivate.to: council -> refinement" in lines
    assert "  event park.roles.council: [council] -> [council, management]" in lines
