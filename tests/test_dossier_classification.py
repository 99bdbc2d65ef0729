"""Information classification (docs/dossier-rules.md): levels, linked objects, gates and warnings."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from workflow.calc.classification import (
    AXES,
    LEVELS,
    CaseClassification,
    Levels,
    ObjectRecord,
    combine_max,
    evaluate,
    review_overdue,
)

TODAY = date(2025, 6, 15)
RECENT = date(2025, 1, 10)


def obj(id=1, name="Treserva", *, personal=False, sensitive=False, last_review=RECENT, **levels):
    return ObjectRecord(id=id, name=name, levels=Levels(**levels), personal_data=personal,
                        sensitive_personal_data=sensitive, last_review=last_review)


def case(**changes):
    """A complete classification at level 2 that passes on its own."""
    data = {
        "information": "Besöksplanering i hemtjänsten: namn, adress och tider.",
        "levels": {"confidentiality": 2, "integrity": 2, "availability": 1},
        "personal_data": True,
        "risk_analysis": "Riskanalys 2025-03, dnr SOF 2025/112.",
        "risk_analysis_date": "2025-03-01",
        "risk_of_not_developing": "Fortsatt dubbelregistrering och missade besök.",
    }
    data.update(changes)
    return CaseClassification.model_validate(data)


# What sensitive personal data needs besides the flag: confidentiality 3 and a DPIA.
SENSITIVE_READY = {"levels": {"confidentiality": 3, "integrity": 2, "availability": 1},
                   "dpia_date": "2025-03-05", "dpia_reference": "Konsekvensbedömning SOF 2025/113"}


def run(classification, objects=(), *, signed_off=False, today=TODAY):
    return evaluate(classification, list(objects), signed_off=signed_off, today=today)


def codes(failures):
    return [f.code for f in failures]


# --- labels and the Levels model -------------------------------------------------------------

def test_labels_cover_scale_and_axes():
    assert list(LEVELS) == [0, 1, 2, 3, 4]
    assert LEVELS[4] == "Synnerligen allvarlig"
    assert list(AXES) == ["confidentiality", "integrity", "availability", "traceability"]
    assert list(Levels.model_fields) == list(AXES)


def test_levels_highest_and_defaults():
    assert Levels().highest() == 0
    assert Levels(integrity=3, traceability=1).highest() == 3


@pytest.mark.parametrize("bad", ["3", 3.0, True, 5, -1, None])
def test_levels_reject_non_strict_or_out_of_range(bad):
    with pytest.raises(ValidationError):
        Levels(confidentiality=bad)


def test_levels_reject_unknown_axis():
    with pytest.raises(ValidationError):
        Levels.model_validate({"confidentiality": 1, "authenticity": 2})


def test_combine_max_per_axis():
    # confidentiality max(1,3)=3, integrity max(2,0)=2, availability max(0,4)=4, traceability 0
    combined = combine_max([Levels(confidentiality=1, integrity=2),
                            Levels(confidentiality=3, availability=4)])
    assert combined == Levels(confidentiality=3, integrity=2, availability=4, traceability=0)
    assert combine_max([]) == Levels()
    assert combine_max(iter([Levels(traceability=2)])) == Levels(traceability=2)


# --- review_overdue: the 12-month boundary ---------------------------------------------------

@pytest.mark.parametrize("last, today, overdue", [
    (None, TODAY, True),
    (date(2024, 6, 15), date(2025, 6, 15), False),   # exactly 12 months
    (date(2024, 6, 15), date(2025, 6, 16), True),    # 12 months and a day
    (date(2024, 6, 16), date(2025, 6, 15), False),
    (date(2024, 2, 29), date(2025, 2, 28), False),   # leap day: due 28 Feb the next year
    (date(2024, 2, 29), date(2025, 3, 1), True),
    (date(2023, 2, 28), date(2024, 2, 28), False),   # into a leap year
    (date(2023, 2, 28), date(2024, 2, 29), True),
    (date(2023, 3, 1), date(2024, 2, 29), False),
    (date(2025, 7, 1), TODAY, False),                # recorded in the future: not overdue
])
def test_review_overdue(last, today, overdue):
    assert review_overdue(last, today) is overdue


# --- CaseClassification validation -----------------------------------------------------------

def test_defaults_allow_half_filled_section():
    blank = CaseClassification()
    assert blank.levels == Levels()
    assert blank.object_ids == [] and blank.risk_analysis_date is None
    assert codes(run(blank).problems) == ["information_missing", "risk_of_not_developing_missing"]


def test_strips_whitespace_so_blank_text_counts_as_missing():
    result = run(case(information="   ", risk_of_not_developing="\n"))
    assert codes(result.problems) == ["information_missing", "risk_of_not_developing_missing"]


@pytest.mark.parametrize("changes", [
    {"levels": {"confidentiality": "3"}},
    {"levels": {"integrity": 5}},
    {"levels": {"availability": -1}},
    {"levels": {"traceability": True}},
    {"levels": {"confidentiality": 3.0}},
    {"object_ids": [1, 2, 1]},
    {"object_ids": [0]},
    {"object_ids": ["3"]},
    {"object_ids": list(range(1, 52))},
    {"personal_data": "yes"},
    {"sensitive_personal_data": 1},
    {"information": "x" * 2001},
    {"risk_analysis": "x" * 4001},
    {"security_protection_analysis": "x" * 4001},
    {"risk_of_not_developing": "x" * 2001},
    {"risk_analysis_date": "2025-02-30"},
    {"risk_analysis_date": 1735689600},
    {"risk_analysis_date": True},
    {"owner": "Anna"},
])
def test_rejects_malformed_input(changes):
    with pytest.raises(ValidationError):
        case(**changes)


def test_accepts_limits():
    c = case(object_ids=list(range(1, 51)), information="x" * 2000, risk_analysis="x" * 4000)
    assert len(c.object_ids) == 50


# --- a passing case and the result dict ------------------------------------------------------

def test_complete_level_two_case_passes_without_sign_off():
    result = run(case(object_ids=[1]), [obj(confidentiality=2, personal=True)])
    assert result.problems == [] and result.passes
    assert result.warnings == []
    assert result.highest_level == 2
    assert not (result.needs_risk_analysis or result.needs_security_sign_off
                or result.needs_security_protection_analysis)


def test_to_dict_is_json_safe():
    import json

    result = run(case(object_ids=[1, 9]),
                 [obj(confidentiality=3, last_review=date(2023, 1, 1))])
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["required_minimum"] == {"confidentiality": 3, "integrity": 0,
                                        "availability": 0, "traceability": 0}
    assert data["missing_objects"] == [9]
    assert data["overdue_objects"] == ["Treserva"]
    assert data["passes"] is False
    assert {"code": "object_review_overdue", "message": result.warnings[0].message,
            "params": {"object": "Treserva", "object_id": 1, "date": "2023-01-01"}} \
        in data["warnings"]


# --- linked objects: the required minimum ----------------------------------------------------

def test_effective_level_follows_strictest_linked_object():
    # own:        K2 R2 T1 S0
    # Treserva:   K3 R1 T0 S0
    # Lifecare:   K1 R2 T2 S3
    # required  = K3 R2 T2 S3 (per-axis max of the objects)
    # effective = K3 R2 T2 S3 (per-axis max of own and required)
    objects = [obj(1, "Treserva", confidentiality=3, integrity=1),
               obj(2, "Lifecare", confidentiality=1, integrity=2, availability=2, traceability=3)]
    result = run(case(object_ids=[1, 2]), objects, signed_off=True)
    assert result.required_minimum == Levels(confidentiality=3, integrity=2, availability=2,
                                             traceability=3)
    assert result.effective_levels == result.required_minimum
    assert result.highest_level == 3 and result.needs_risk_analysis
    below = [f for f in result.problems if f.code == "level_below_object"]
    assert [dict(f.params) for f in below] == [
        {"axis": "confidentiality", "level": 2, "required": 3, "object": "Treserva",
         "object_id": 1},
        {"axis": "availability", "level": 1, "required": 2, "object": "Lifecare",
         "object_id": 2},
        {"axis": "traceability", "level": 0, "required": 3, "object": "Lifecare",
         "object_id": 2},
    ]
    assert below[0].message % below[0].params == (
        "Konfidentialitet är 2 men det kopplade objektet Treserva har 3: "
        "nivån måste vara minst 3.")
    assert below[2].message.startswith("Spårbarhet är %(level)s")


def test_own_level_above_objects_is_kept():
    result = run(case(object_ids=[1]), [obj(confidentiality=1)])
    assert result.required_minimum == Levels(confidentiality=1)
    assert result.effective_levels == Levels(confidentiality=2, integrity=2, availability=1)
    assert "level_below_object" not in codes(result.problems)


def test_tie_names_first_linked_object():
    objects = [obj(2, "Procapita", integrity=3), obj(1, "Treserva", integrity=3)]
    result = run(case(object_ids=[1, 2], levels={}), objects, signed_off=True)
    below = [f for f in result.problems if f.code == "level_below_object"]
    assert below[0].params["object"] == "Treserva"   # object_ids order, not record order


def test_missing_objects_are_problems():
    result = run(case(object_ids=[4, 1, 7]), [obj(1)])
    assert result.missing_objects == [4, 7]
    missing = [f for f in result.problems if f.code == "object_not_found"]
    assert [dict(f.params) for f in missing] == [{"object_id": 4, "number": 1},
                                                {"object_id": 7, "number": 3}]


def test_record_not_asked_for_is_a_service_error():
    with pytest.raises(ValueError):
        run(case(object_ids=[1]), [obj(1), obj(2, "Annan")])
    with pytest.raises(ValueError):
        run(case(object_ids=[1]), [obj(1), obj(1)])


# --- level 3 and level 4 gates ---------------------------------------------------------------

def test_level_three_needs_risk_analysis_and_sign_off():
    result = run(case(levels={"integrity": 3}, risk_analysis="", risk_analysis_date=None))
    assert result.needs_risk_analysis and result.needs_security_sign_off
    assert not result.needs_security_protection_analysis
    assert codes(result.problems) == ["risk_analysis_missing", "security_sign_off_missing"]
    assert result.problems[1].message.startswith(
        "Informationssäkerhetssamordnaren har inte godkänt klassningen.")


def test_level_three_passes_with_recent_analysis_and_sign_off():
    assert run(case(levels={"integrity": 3}), signed_off=True).problems == []


def test_level_three_from_linked_object_triggers_gates():
    result = run(case(object_ids=[1], levels={"confidentiality": 3}),
                 [obj(confidentiality=3)], signed_off=False)
    assert codes(result.problems) == ["security_sign_off_missing"]


def test_risk_analysis_without_date():
    result = run(case(levels={"availability": 3}, risk_analysis_date=None), signed_off=True)
    assert codes(result.problems) == ["risk_analysis_date_missing"]


@pytest.mark.parametrize("analysed, today, problem", [
    ("2024-06-15", date(2025, 6, 15), []),                          # exactly 12 months
    ("2024-06-14", date(2025, 6, 15), ["risk_analysis_outdated"]),
    ("2024-02-29", date(2025, 2, 28), []),                          # leap day
    ("2024-02-29", date(2025, 3, 1), ["risk_analysis_outdated"]),
    ("2025-06-16", date(2025, 6, 15), ["risk_analysis_date_in_future"]),
])
def test_risk_analysis_age(analysed, today, problem):
    result = run(case(levels={"confidentiality": 3}, risk_analysis_date=analysed),
                 signed_off=True, today=today)
    assert codes(result.problems) == problem


def test_outdated_analysis_message_names_date():
    result = run(case(levels={"confidentiality": 3}, risk_analysis_date="2023-05-02"),
                 signed_off=True)
    failure = result.problems[0]
    assert failure.params == {"date": "2023-05-02"}
    assert "2023-05-02" in failure.message % failure.params


def test_old_analysis_does_not_matter_below_level_three():
    assert run(case(risk_analysis_date="2019-01-01")).problems == []


def test_level_four_needs_security_protection_analysis():
    result = run(case(levels={"confidentiality": 4}), signed_off=True)
    assert result.needs_security_protection_analysis
    assert codes(result.problems) == ["security_protection_analysis_missing"]
    assert result.problems[0].message == (
        "Nivå 4 kräver en dokumenterad säkerhetsskyddsanalys innan beslut.")


def test_level_four_with_everything_passes():
    c = case(levels={"confidentiality": 4}, security_protection_analysis="SSA 2025-04, dnr 7.")
    assert run(c, signed_off=True).problems == []


def test_level_four_without_anything_lists_every_gate():
    c = case(levels={"traceability": 4}, risk_analysis="", risk_analysis_date=None)
    assert codes(run(c).problems) == ["risk_analysis_missing", "security_sign_off_missing",
                                      "security_protection_analysis_missing"]


def test_level_four_from_object_needs_analysis_even_if_own_is_lower():
    result = run(case(object_ids=[1]), [obj(confidentiality=4)], signed_off=True)
    assert codes(result.problems) == ["level_below_object", "security_protection_analysis_missing"]


# --- personal data ---------------------------------------------------------------------------

def test_sensitive_without_personal_is_contradiction():
    result = run(case(personal_data=False, sensitive_personal_data=True, **SENSITIVE_READY),
                 signed_off=True)
    assert codes(result.problems) == ["sensitive_without_personal_data"]
    assert result.personal_data and result.sensitive_personal_data


def test_personal_data_flags_are_own_or_any_object():
    result = run(case(object_ids=[1, 2], personal_data=False),
                 [obj(1), obj(2, "Lifecare", personal=True, sensitive=True)])
    assert result.personal_data and result.sensitive_personal_data
    assert codes(result.warnings) == ["object_has_personal_data",
                                      "object_has_sensitive_personal_data"]
    assert result.warnings[0].params == {"object": "Lifecare", "object_id": 2}


def test_no_personal_data_anywhere():
    result = run(case(personal_data=False), [])
    assert not result.personal_data and not result.sensitive_personal_data
    assert result.warnings == []


def test_personal_data_without_risk_analysis_warns_below_level_three():
    result = run(case(risk_analysis="", risk_analysis_date=None))
    assert result.problems == []
    assert codes(result.warnings) == ["personal_data_without_risk_analysis"]


# --- sensitive personal data (GDPR art. 9 and 35) -------------------------------------------

def test_sensitive_data_at_confidentiality_two_is_refused():
    """GDPR art. 9 data is classified at least 3 (allvarlig) for confidentiality (SKR's KLASSA;
    docs/dossier-rules.md): a problem that blocks the decision, not a warning."""
    result = run(case(sensitive_personal_data=True, levels={"confidentiality": 2},
                      dpia_date="2025-03-05", dpia_reference="DPIA SOF 2025/113"))
    assert codes(result.problems) == ["sensitive_data_confidentiality_too_low"]
    assert result.problems[0].params == {"level": 2, "required": 3}
    assert not result.passes and result.needs_dpia


def test_sensitive_data_at_three_without_a_dpia_is_refused():
    """GDPR art. 35: processing art. 9 data on a large scale needs a konsekvensbedömning
    (DPIA) before it starts; its date and where it is recorded are both required."""
    for missing in ({"dpia_date": None}, {"dpia_reference": ""}, {"dpia_date": None,
                                                                   "dpia_reference": ""}):
        changes = {**SENSITIVE_READY, **missing}
        result = run(case(sensitive_personal_data=True, **changes), signed_off=True)
        assert codes(result.problems) == ["dpia_missing"], missing


def test_sensitive_data_at_three_with_a_dpia_passes():
    result = run(case(sensitive_personal_data=True, **SENSITIVE_READY), signed_off=True)
    assert result.problems == [] and result.passes and result.needs_dpia
    assert result.to_dict()["needs_dpia"] is True


def test_a_dpia_dated_after_today_is_refused():
    result = run(case(sensitive_personal_data=True, **{**SENSITIVE_READY,
                                                       "dpia_date": "2025-06-16"}),
                 signed_off=True)
    assert codes(result.problems) == ["dpia_date_in_future"]
    assert run(case(sensitive_personal_data=True, **{**SENSITIVE_READY,
                                                     "dpia_date": "2025-06-15"}),
               signed_off=True).problems == []  # today is fine


def test_personal_data_that_is_not_sensitive_needs_no_dpia():
    result = run(case())
    assert result.problems == [] and not result.needs_dpia


def test_the_dpia_fields_are_validated():
    with pytest.raises(ValidationError):
        case(dpia_date=20250305)
    with pytest.raises(ValidationError):
        case(dpia_reference="x" * 2001)


# --- object reviews --------------------------------------------------------------------------

def test_overdue_and_never_reviewed_objects_warn():
    objects = [obj(1, "Treserva", last_review=date(2024, 6, 14)),
               obj(2, "Lifecare", last_review=None),
               obj(3, "Procapita", last_review=date(2024, 6, 15))]   # exactly 12 months
    result = run(case(object_ids=[1, 2, 3]), objects)
    assert result.overdue_objects == ["Treserva", "Lifecare"]
    assert codes(result.warnings) == ["object_review_overdue", "object_never_reviewed"]
    assert result.problems == []


# --- properties ------------------------------------------------------------------------------

levels_st = st.builds(Levels, **{axis: st.integers(0, 4) for axis in AXES})


@st.composite
def scenarios(draw):
    """A classification, the records the service found, and which ids it did not find."""
    ids = draw(st.lists(st.integers(1, 60), unique=True, max_size=6))
    found = [oid for oid in ids if draw(st.booleans())]
    objects = [ObjectRecord(id=oid, name=f"Objekt {oid}", levels=draw(levels_st),
                            personal_data=draw(st.booleans()),
                            sensitive_personal_data=draw(st.booleans()),
                            last_review=draw(st.none() | st.dates(date(2023, 1, 1), TODAY)))
               for oid in found]
    classification = CaseClassification(
        information=draw(st.sampled_from(["", "Journaluppgifter"])),
        levels=draw(levels_st), object_ids=ids,
        personal_data=draw(st.booleans()), sensitive_personal_data=draw(st.booleans()),
        risk_analysis=draw(st.sampled_from(["", "RA 1"])),
        risk_analysis_date=draw(st.none() | st.dates(date(2023, 1, 1), date(2025, 12, 31))),
        security_protection_analysis=draw(st.sampled_from(["", "SSA 1"])),
        risk_of_not_developing=draw(st.sampled_from(["", "Fler fel"])))
    return classification, objects, draw(st.booleans())


def problem_keys(result):
    return {(f.code, f.params.get("axis"),
             f.params.get("object_id") if f.code == "object_not_found" else None)
            for f in result.problems}


@settings(max_examples=60, deadline=None)
@given(levels_st, levels_st, levels_st)
def test_combine_max_is_a_join(a, b, c):
    assert combine_max([a, b]) == combine_max([b, a])
    assert combine_max([combine_max([a, b]), c]) == combine_max([a, combine_max([b, c])])
    assert combine_max([a, a]) == a
    combined = combine_max([a, b, c])
    for axis in AXES:
        assert all(combined.on(axis) >= lv.on(axis) for lv in (a, b, c))
        assert combined.on(axis) in (a.on(axis), b.on(axis), c.on(axis))


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_effective_levels_cover_own_and_required(scenario):
    classification, objects, signed_off = scenario
    result = evaluate(classification, objects, signed_off=signed_off, today=TODAY)
    for axis in AXES:
        assert result.effective_levels.on(axis) >= classification.levels.on(axis)
        assert result.effective_levels.on(axis) >= result.required_minimum.on(axis)
        assert all(result.required_minimum.on(axis) >= o.levels.on(axis) for o in objects)
    assert result.highest_level == result.effective_levels.highest()
    assert result.needs_risk_analysis == (result.highest_level >= 3)
    assert len(result.missing_objects) == len(classification.object_ids) - len(objects)


@settings(max_examples=80, deadline=None)
@given(scenarios(), st.data())
def test_raising_an_object_level_never_removes_a_problem(scenario, data):
    classification, objects, signed_off = scenario
    if not objects:
        return
    index = data.draw(st.integers(0, len(objects) - 1))
    axis = data.draw(st.sampled_from(list(AXES)))
    target = objects[index]
    raised_level = data.draw(st.integers(target.levels.on(axis), 4))
    raised = ObjectRecord(id=target.id, name=target.name,
                          levels=target.levels.model_copy(update={axis: raised_level}),
                          personal_data=target.personal_data,
                          sensitive_personal_data=target.sensitive_personal_data,
                          last_review=target.last_review)
    after_objects = [*objects[:index], raised, *objects[index + 1:]]
    before = evaluate(classification, objects, signed_off=signed_off, today=TODAY)
    after = evaluate(classification, after_objects, signed_off=signed_off, today=TODAY)
    assert problem_keys(before) <= problem_keys(after)
