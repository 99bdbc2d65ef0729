"""Duplicate hints as a page of their own: /ideas/similar?title=…&need=…

The same hints appear on the case page and, after "Sök liknande idéer", on Ny idé (those
views call :mod:`workflow.similar.service` themselves). This page needs no JavaScript: a GET
form that shows the cases in the whole region most like the given title and need.

Note: the text travels in the address, so it lands in the browser history and in access logs.
Ny idé therefore checks for similar ideas with its own POST button, whose path is kept out of
the access log (anonymous ideas must leave no trace).
"""
from __future__ import annotations

from flask import Blueprint, render_template_string, request
from flask_login import current_user, login_required

from workflow.models import TEXT_MAX, TITLE_MAX
from workflow.similar import service as similar

bp = Blueprint("similar", __name__)

PAGE = """{% extends "base.html" %}
{% from "_similar.html" import similar_page, similar_page_title %}
{% block title %}{{ similar_page_title() }}{% endblock %}
{% block content %}{{ similar_page(items, title, need, searched) }}{% endblock %}"""


@bp.before_request
@login_required
def require_login():
    """Every page here needs a logged-in user."""


@bp.get("/ideas/similar")
def search():
    title = request.args.get("title", "")[:TITLE_MAX]
    need = request.args.get("need", "")[:TEXT_MAX]
    searched = bool(title.strip() or need.strip())
    items = similar.similar_cases(current_user, title, need) if searched else []
    return render_template_string(PAGE, items=items, title=title, need=need, searched=searched)
