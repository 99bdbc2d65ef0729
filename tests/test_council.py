"""The council's scoring, ranking and capacity, through the service and the page."""
from __future__ import annotations

from decimal import Decimal

import pytest

from helpers import case_in, unit, user
from workflow.council import service as scoring
from workflow.models import RoleAssignment
from workflow.platform.errors import PermissionDenied, ValidationFailed
from workflow.platform.extensions import db

ALL_FIVE = {"benefit": 5, "urgency": 5, "feasibility": 5, "risk": 1, "strategic_fit": 5}
MIDDLE = {"benefit": 3, "urgency": 3, "feasibility": 3, "risk": 3, "strategic_fit": 3}


def second_member():
    member = user("vu")
    member.roles.append(RoleAssignment(role="council", department=unit().department))
    db.session.commit()
    return member


def test_members_score_and_the_tool_ranks_with_spread(ctx):
    strong, weak = case_in("council"), case_in("council")
    other = second_member()
    scoring.save_score(user("rad"), strong, ALL_FIVE)
    scoring.save_score(other, strong, MIDDLE)
    scoring.save_score(user("rad"), weak, MIDDLE)
    ranked = {r.case_id: r for r in scoring.council_overview(user("rad"), unit().department).ranked}
    # rad gives 5 everywhere (risk 1 counts as 5): 5.00; vu gives 3 everywhere: 3.00
    assert ranked[strong.id].weighted_mean == Decimal("4.00")
    assert ranked[strong.id].spread_range == Decimal("2.00")
    assert ranked[strong.id].scorers == 2 and ranked[strong.id].rank == 1
    assert ranked[weak.id].weighted_mean == Decimal("3.00") and ranked[weak.id].rank == 2


def test_scoring_again_replaces_ones_scores(ctx):
    case = case_in("council")
    scoring.save_score(user("rad"), case, MIDDLE)
    scoring.save_score(user("rad"), case, ALL_FIVE, "Omprövat efter mötet")
    assert scoring.my_score(user("rad"), case).scores == ALL_FIVE


@pytest.mark.parametrize("who", ["vu", "fchef", "medarbetare", "chef"])
def test_only_council_members_may_score(ctx, who):
    case = case_in("council")
    with pytest.raises(PermissionDenied):
        scoring.save_score(user(who), case, MIDDLE)


def test_bad_scores_are_refused(ctx):
    case = case_in("council")
    with pytest.raises(ValidationFailed):
        scoring.save_score(user("rad"), case, {**MIDDLE, "benefit": 7})
    with pytest.raises(ValidationFailed):
        scoring.save_score(user("rad"), case, {"benefit": 3})
    assert scoring.my_score(user("rad"), case) is None


def test_mandatory_cases_skip_the_ranking_but_count_in_capacity(ctx):
    case = case_in("council")
    case.origin = "mandatory"
    db.session.commit()
    other = case_in("council")
    scoring.save_score(user("rad"), other, MIDDLE)
    view = scoring.council_overview(user("rad"), unit().department)
    rows = {r.case_id: r for r in view.ranked}
    assert rows[case.id].mandatory and rows[case.id].rank is None
    assert view.capacity.lines[0].case_id == case.id  # mandatory first
    # both dossiers cost 285 000 kr over their horizon
    assert view.capacity.lines[1].cumulative_cost_sek == 570_000
    assert all(line.fits for line in view.capacity.lines)


def test_council_page_scores_in_the_browser(app):
    with app.app_context():
        case_id = case_in("council").id
    client = app.test_client()
    client.post("/login", data={"username": "rad", "password": "demo"})
    page = client.get("/council").get_data(as_text=True)
    assert "Prioritering i digitaliseringsrådet" in page and "Inte poängsatt" in page
    data = {f"case{case_id}-{k}": str(v) for k, v in ALL_FIVE.items()}
    assert client.post(f"/council/cases/{case_id}/score", data=data).status_code == 302
    page = client.get("/council").get_data(as_text=True)
    assert "<td>5,00</td>" in page  # the weighted mean, in Swedish notation
    staff = app.test_client()
    staff.post("/login", data={"username": "vu", "password": "demo"})
    assert staff.post(f"/council/cases/{case_id}/score", data=data).status_code == 403
