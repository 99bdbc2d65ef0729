"""Consent-based merge in the JSON API: the twins of the buttons on the case page
(cases/merging_web.py, cases/merging.py, docs/process.md)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify

from workflow.cases import access, merging, schemas
from workflow.cases import service as cases
from workflow.models import MergeProposal
from workflow.platform.api import authenticate, json_body
from workflow.platform.extensions import csrf
from workflow.views.openapi import error_responses, json_content, openapi_fragment, ref

bp = Blueprint("api_merging", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)


@bp.get("/cases/<int:case_id>/merge-proposals")
def for_case(case_id: int):
    """Proposals to merge the case into another, and into it from others the caller may see."""
    case = cases.get_case(g.api_user, case_id)
    return jsonify({"items": [proposal_json(p) for p in merging.for_case(g.api_user, case)]})


@bp.post("/merge-proposals/<int:proposal_id>/accept")
def accept(proposal_id: int):
    proposal = merging.get_proposal(g.api_user, proposal_id)
    merging.accept(g.api_user, proposal)
    return jsonify(proposal_json(proposal))


@bp.post("/merge-proposals/<int:proposal_id>/decline")
def decline(proposal_id: int):
    proposal = merging.get_proposal(g.api_user, proposal_id)
    body = json_body(schemas.MergeDecline)
    merging.decline(g.api_user, proposal, body.get("reason"))
    return jsonify(proposal_json(proposal))


@bp.post("/merge-proposals/<int:proposal_id>/withdraw")
def withdraw(proposal_id: int):
    proposal = merging.get_proposal(g.api_user, proposal_id)
    merging.withdraw(g.api_user, proposal)
    return jsonify(proposal_json(proposal))


def proposal_json(proposal: MergeProposal) -> dict[str, Any]:
    """A proposal as the caller may see it: a case's title only if they may see that case."""
    user = g.api_user
    return {
        "id": proposal.id, "status": proposal.status,
        "case_id": proposal.case_id,
        "case_title": proposal.case.title if access.can_view(user, proposal.case) else None,
        "target_id": proposal.target_id,
        "target_title": (proposal.target.title if access.can_view(user, proposal.target)
                         else None),
        "proposed_by": proposal.proposed_by.display_name if proposal.proposed_by else None,
        "comment": proposal.comment or None,
        "created_at": proposal.created_at.isoformat(),
        "decided_by": proposal.decided_by.display_name if proposal.decided_by else None,
        "decided_at": proposal.decided_at.isoformat() if proposal.decided_at else None,
        "reason": proposal.reason,
        "can_accept": proposal.pending and merging.is_owner(user, proposal.target)
        and access.can_view(user, proposal.target),
        "can_withdraw": proposal.pending and merging.may_withdraw(user, proposal),
    }


@openapi_fragment
def _openapi() -> dict[str, Any]:
    proposal_id = [{"name": "proposal_id", "in": "path", "required": True,
                    "schema": {"type": "integer", "minimum": 1}}]
    case_id = [{"name": "case_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1}}]
    answer = {"200": {"description": "Förslaget", **json_content(ref("MergeProposal"))}}
    return {
        "models": [schemas.MergeProposal, schemas.MergeProposalList, schemas.MergeDecline],
        "paths": {
            "/cases/{case_id}/merge-proposals": {"get": {
                "summary": "Förslag om sammanslagning: ärendets egna, och de in i ärendet som "
                           "du får se (mottagarens ansvariga)",
                "parameters": case_id,
                "responses": {"200": {"description": "Förslagen",
                                      **json_content(ref("MergeProposalList"))},
                              **error_responses(401, 404)}}},
            "/merge-proposals/{proposal_id}/accept": {"post": {
                "summary": "Det mottagande ärendets ansvariga godkänner: sammanslagningen "
                           "genomförs",
                "parameters": proposal_id,
                "responses": {**answer, **error_responses(401, 403, 404, 409, 422)}}},
            "/merge-proposals/{proposal_id}/decline": {"post": {
                "summary": "Det mottagande ärendets ansvariga avböjer, med motivering",
                "parameters": proposal_id,
                "requestBody": {"required": True, **json_content(ref("MergeDecline"))},
                "responses": {**answer, **error_responses(401, 403, 404, 409, 422)}}},
            "/merge-proposals/{proposal_id}/withdraw": {"post": {
                "summary": "Den som föreslog (eller får slå samman ärendet) drar tillbaka "
                           "förslaget",
                "parameters": proposal_id,
                "responses": {**answer, **error_responses(401, 403, 404, 409)}}},
        },
    }
