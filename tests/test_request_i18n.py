"""The templates' faster translations and dates (issue 14) say exactly what Flask-Babel says."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import render_template_string
from flask_babel import force_locale, format_datetime

from workflow.platform.i18n import short_datetime, translations

MOMENTS = [
    datetime(2026, 1, 5, 7, 3),                      # winter time, naive = UTC
    datetime(2026, 3, 29, 0, 59),                    # the hour before summer time
    datetime(2026, 3, 29, 1, 0),                     # summer time begins
    datetime(2026, 7, 1, 22, 30),                    # summer, the next day in Sweden
    datetime(2026, 10, 25, 0, 30),                   # the last hour of summer time
    datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc),
    datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5))),
]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_short_datetime_is_flask_babels_short_format(app, language):
    with app.test_request_context(headers={"Accept-Language": language}):
        for moment in MOMENTS:
            assert short_datetime(moment) == format_datetime(moment, "short"), moment
        with force_locale("en" if language == "sv" else "sv"):
            for moment in MOMENTS:
                assert short_datetime(moment) == format_datetime(moment, "short"), moment


def test_the_template_date_filter_uses_the_readers_time_zone_and_language(app):
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        text = render_template_string("{{ moment|datetime }}",
                                      moment=datetime(2026, 7, 1, 22, 30))
    assert text == "2026-07-02 00:30"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = render_template_string("{{ moment|datetime }}",
                                      moment=datetime(2026, 7, 1, 22, 30))
    assert text == "7/2/26, 12:30\u202fAM"


def test_a_forced_language_gets_its_own_catalogue_and_the_request_gets_its_back(app):
    template = "{{ _('Rubrik') }}"
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        assert render_template_string(template) == "Rubrik"
        first = translations()
        with force_locale("en"):
            assert render_template_string(template) == "Title"
            assert translations() is not first
        assert render_template_string(template) == "Rubrik"
        assert translations() is first


def test_template_gettext_still_formats_and_escapes(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = render_template_string("{{ _('%(n)s st', n=value) }}", value="<b>3</b>")
    assert text == "&lt;b&gt;3&lt;/b&gt; in total"
