"""Duplicate hints: Swedish normalisation and ranking as pure Python, then the service on the
databases (who sees which hint), the page, and the precision measurement."""
from __future__ import annotations

import pytest
import yaml
from flask import render_template_string
from sqlalchemy import func, select

from helpers import IDEA, case_in, drive, new_direct_case, new_draft, unit, user
from workflow.calc.similarity import (
    NGRAM_PREFIX,
    STOPWORDS,
    build_index,
    ngrams,
    stem,
    tokens,
    words,
)
from workflow.models import Case, Department, Region, Unit
from workflow.platform.extensions import db
from workflow.similar import service as similar

# ---------------------------------------------------------------- normalisation


def test_words_are_lowercased_keep_swedish_letters_and_split_on_everything_else():
    assert words("Nyckel-hantering: ÅÄÖ, 2026 års idé!") == [
        "nyckel", "hantering", "åäö", "års", "ide"]
    assert words("") == [] and words(None) == []


def test_stopwords_and_single_letters_are_dropped():
    assert {"och", "att", "som", "inte", "vi", "är", "för"} <= STOPWORDS
    assert tokens("Vi och de som inte är här, t ex i dag") == ["dag"]


@pytest.mark.parametrize("forms", [
    ("brukare", "brukaren", "brukarna", "brukarens"),
    ("nyckel", "nycklar", "nyckeln", "nycklarna"),
    ("delegering", "delegeringar", "delegeringen", "delegera", "delegeras"),
    ("dokumentation", "dokumentera", "dokumenterar", "dokumenterade"),
    ("digital", "digitala", "digitalt"),
    ("schema", "scheman", "schemat"),
    ("utbildning", "utbilda"),
    ("hemtjänst", "hemtjänsten", "hemtjänstens"),
    ("planering", "planera", "planeras", "planerade"),
    ("mobil", "mobilen", "mobiler", "mobilerna"),
])
def test_inflected_forms_share_a_stem(forms):
    assert len({stem(word) for word in forms}) == 1, {word: stem(word) for word in forms}


def test_short_words_are_left_alone_and_stems_keep_a_vowel():
    assert [stem(w) for w in ("bil", "dag", "rum", "app")] == ["bil", "dag", "rum", "app"]
    assert stem("stra") == "stra"  # "str" would have no vowel left


def test_long_stems_add_character_ngrams_short_ones_do_not():
    grams = ngrams(stem("nyckelhantering"))
    assert NGRAM_PREFIX + "nyck" in grams and all(g.startswith(NGRAM_PREFIX) for g in grams)
    assert ngrams("bil") == ()


# ---------------------------------------------------------------- ranking

DOCS = [
    (1, "Digital nyckelhantering i hemtjänsten",
     "Vi hämtar nycklar i ett nyckelskåp på kontoret och köar varje morgon."),
    (2, "Bokning av hemtjänstbilar", "Bilarna bokas på en whiteboard på kontoret."),
    (3, "Läkemedelsdispenser med påminnelse", "Brukare tar sina läkemedel vid rätt tid."),
    (4, "Digital signering av läkemedelsdelegeringar",
     "Delegeringar skrivs ut på papper och signeras av sjuksköterskan."),
]


def test_a_differently_worded_idea_finds_the_same_need_first():
    index = build_index(DOCS)
    ranked = index.most_similar("Signera delegeringarna digitalt",
                                "Sjuksköterskan signerar varje delegering på papper.")
    assert ranked[0][0] == 4
    assert ranked == sorted(ranked, key=lambda r: (-r[1], r[0]))
    assert all(0 < score <= 1 for _, score in ranked)


def test_compound_words_meet_through_ngrams():
    index = build_index([(1, "Nyckelskåp på kontoret", ""), (2, "Bokning av bilar", "")])
    assert [i for i, _ in index.most_similar("Nyckelhantering", "", min_score=0.01)] == [1]


def test_the_title_weighs_more_than_the_need():
    index = build_index([(1, "Bilar", "Kalender för aktiviteter"),
                         (2, "Kalender för aktiviteter", "Bilar")])
    assert index.most_similar("Kalender", "")[0][0] == 2


def test_ties_go_to_the_lowest_id_and_identical_text_scores_one():
    index = build_index([(7, "Språkstöd vid hembesök", ""), (3, "Språkstöd vid hembesök", "")])
    assert index.most_similar("Språkstöd vid hembesök", "") == [(3, 1.0), (7, 1.0)]


def test_exclude_limit_and_min_score():
    index = build_index(DOCS)
    query = ("Digital nyckelhantering i hemtjänsten", "nycklar")
    assert index.most_similar(*query, exclude=1)[0][0] != 1
    assert 1 not in [i for i, _ in index.most_similar(*query, exclude={1, 2})]
    assert len(index.most_similar(*query, limit=1, min_score=0)) == 1
    assert index.most_similar("Helt orelaterat ord", "zebra") == []
    assert index.most_similar("", "") == []


def test_smoothed_idf_keeps_words_that_every_document_has():
    index = build_index([(1, "hemtjänst nycklar", ""), (2, "hemtjänst bilar", "")])
    assert index.idf[stem("hemtjänst")] == pytest.approx(1.0)
    assert index.idf[stem("nycklar")] > 1.0
    assert build_index([]).most_similar("nycklar", "") == []
    with pytest.raises(ValueError):
        build_index([(1, "a", ""), (1, "b", "")])


# ---------------------------------------------------------------- the service

KEYS = {"title": "Digital nyckelhantering i hemtjänsten",
        "need": "Vi hämtar och lämnar brukarnas nycklar i ett nyckelskåp på kontoret före och "
                "efter varje pass. Det blir köer vid skåpet och borttappade nycklar ger låsbyten."}
OTHERS = [
    {"title": "Bokning av hemtjänstbilar", "need": "Bilarna bokas på en whiteboard på kontoret."},
    {"title": "Läkemedelsdispenser med påminnelse",
     "need": "Brukare med dospåsar får besök flera gånger om dagen bara för medicinen."},
    {"title": "Körlistor som räknar med verklig restid",
     "need": "Tiden mellan besöken räcker inte till brukare utanför tätorten."},
]
QUERY = ("Öppna ytterdörren hos brukaren med telefonen",
         "Varje morgon köar vi vid skåpet för att hämta nycklarna, och tappas en nyckel måste "
         "låset bytas.")


def _submitted(author: str = "medarbetare", unit_name: str | None = None, **fields):
    unit_id = unit(unit_name).id if unit_name else unit().id
    return drive(new_draft(author, unit_id=unit_id, **fields), [("submit", author, {})])


def test_a_new_idea_finds_the_known_case_in_another_forvaltning_first(ctx):
    for fields in OTHERS:
        _submitted(**fields)
    keys = _submitted("lars", "Vårdcentral Hemse", **KEYS)
    hints = similar.similar_cases(user("medarbetare"), *QUERY)
    assert hints[0].id == keys.id
    assert hints[0].department == "Hälso- och sjukvårdsförvaltningen"
    assert hints[0].state == "submitted" and hints[0].state_label == "Inlämnad"
    assert [h.score for h in hints] == sorted((h.score for h in hints), reverse=True)
    assert len(similar.similar_cases(user("medarbetare"), *QUERY, limit=1)) == 1
    assert similar.similar_cases(user("medarbetare"), " ", "") == []


def test_drafts_and_the_direct_channel_never_appear_not_even_for_management(ctx):
    draft = new_draft(**KEYS)
    direct = new_direct_case()
    open_case = case_in("submitted")
    assert direct.state == "direct" and draft.state == "draft"
    for username in ("medarbetare", "fchef", "admin"):
        ids = [h.id for h in similar.similar_cases(user(username), IDEA["title"], IDEA["need"],
                                                   limit=50, min_score=0)]
        assert open_case.id in ids
        assert draft.id not in ids and direct.id not in ids
    ranked = similar.ranked_ids(user("admin").region_id, IDEA["title"], IDEA["need"],
                                limit=50, min_score=0)
    assert [case_id for case_id, _score in ranked] == [open_case.id]


def test_the_case_page_hints_never_include_the_case_itself(ctx):
    first, second = _submitted(**KEYS), _submitted(**KEYS)
    hints = similar.similar_to_case(user("admin"), first)
    assert [h.id for h in hints] == [second.id]
    assert hints[0].score == pytest.approx(1.0)


def test_title_for_everyone_need_and_link_only_for_who_may_open_the_case(ctx):
    case = _submitted("lars", "Hemtjänst Visby söder", **KEYS)
    seen = {name: similar.similar_cases(user(name), *QUERY)[0]
            for name in ("medarbetare", "lars", "vu", "admin", "chef")}
    assert {name: hint.id for name, hint in seen.items()} == dict.fromkeys(seen, case.id)
    assert {name: hint.visible for name, hint in seen.items()} == {
        "medarbetare": False, "lars": True, "vu": True, "admin": True, "chef": False}
    hidden = seen["medarbetare"]
    assert hidden.title == KEYS["title"] and hidden.department == "Socialförvaltningen"
    assert hidden.need is None and hidden.unit is None
    assert seen["vu"].need.startswith("Vi hämtar") and seen["vu"].unit == "Hemtjänst Visby söder"


def test_other_regions_are_not_searched(ctx):
    other = Region(name="Region Annanstans")
    department = Department(region=other, name="Socialförvaltningen")
    far_unit = Unit(department=department, name="Hemtjänst")
    db.session.add_all([other, department, far_unit])
    case = _submitted(**KEYS)
    case.unit = far_unit
    db.session.commit()
    assert similar.similar_cases(user("admin"), *QUERY) == []


def test_long_needs_are_cut_to_an_excerpt(ctx):
    _submitted(title=KEYS["title"], need=" ".join([KEYS["need"]] * 3))
    need = similar.similar_cases(user("admin"), *QUERY)[0].need
    assert len(need) <= similar.NEED_EXCERPT + 2 and need.endswith("…")


# ---------------------------------------------------------------- the web


def _login(client, username: str) -> None:
    client.post("/login", data={"username": username, "password": "demo"})


def test_the_similar_page_shows_titles_and_links_only_what_may_be_opened(app, client):
    with app.app_context():
        mine = _submitted(**KEYS).id
        theirs = _submitted("lars", "Hemtjänst Visby söder",
                            title="Nyckelfri hemtjänst med digitala lås",
                            need="Nycklar i nyckelskåpet tar tid att hämta varje morgon.").id
    assert client.get("/ideas/similar?title=x").status_code == 302  # login first
    _login(client, "medarbetare")
    page = client.get("/ideas/similar", query_string={"title": QUERY[0], "need": QUERY[1]})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Liknande ärenden" in html
    assert f'href="/cases/{mine}"' in html and f'href="/cases/{theirs}"' not in html
    assert "Nyckelfri hemtjänst med digitala lås" in html
    assert "Nycklar i nyckelskåpet tar tid" not in html  # their need stays hidden
    empty = client.get("/ideas/similar").get_data(as_text=True)
    assert "Liknande ärenden" not in empty and 'name="title"' in empty
    none = client.get("/ideas/similar?title=zebra").get_data(as_text=True)
    assert "Inga liknande ärenden hittades." in none


def test_the_case_page_shows_similar_cases_but_not_itself(app, client):
    with app.app_context():
        first, second = _submitted(**KEYS).id, _submitted(**KEYS).id
    _login(client, "medarbetare")
    html = client.get(f"/cases/{first}").get_data(as_text=True)
    hints = html.split('id="similar-heading"', 1)[1]
    assert f'href="/cases/{second}"' in hints and f'href="/cases/{first}"' not in hints


def test_ny_ide_checks_for_similar_ideas_without_saving(app, client):
    with app.app_context():
        known = _submitted("lars", "Hemtjänst Visby söder", **KEYS).id
        before = db.session.scalar(select(func.count(Case.id)))
    _login(client, "medarbetare")
    with app.app_context():
        unit_id = unit().id
    page = client.post("/ideas/new", data={"title": QUERY[0], "need": QUERY[1], "effect": "",
                                           "unit_id": unit_id, "check_similar": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Liknande ärenden" in html
    assert KEYS["title"] in html and f'href="/cases/{known}"' not in html  # not lars's to open
    assert QUERY[0] in html  # what was written stays in the form
    with app.app_context():
        assert db.session.scalar(select(func.count(Case.id))) == before


def test_the_macro_renders_nothing_without_hints(ctx):
    macro = '{% from "_similar.html" import similar_list %}{{ similar_list(items) }}'
    assert render_template_string(macro, items=[]).strip() == ""
    item = similar.SimilarCase(id=9, title="Idé", state="apt", state_label="På APT",
                               department="Socialförvaltningen", unit=None, score=0.5,
                               visible=False)
    html = render_template_string(macro, items=[item])
    assert "Idé" in html and "/cases/9" not in html and "Socialförvaltningen" in html


# ---------------------------------------------------------------- measuring


def test_precision_is_measured_on_a_small_labelled_fixture(app, tmp_path):
    texts = [KEYS, *OTHERS,
             {"title": "Nyckelfria lås i hemtjänsten",
              "need": "Brukarnas nycklar hämtas i nyckelskåpet varje morgon."}]
    with app.app_context():
        for fields in texts:
            _submitted(**fields)
    cases_file = tmp_path / "cases.yaml"
    cases_file.write_text(yaml.safe_dump({"cases": texts}, allow_unicode=True), encoding="utf-8")
    pairs_file = tmp_path / "pairs.yaml"
    pairs_file.write_text(yaml.safe_dump({
        "similar": [{"a": 5, "b": 1}],
        "distinct": [{"a": 2, "b": 3}],
        "queries": [{"title": QUERY[0], "need": QUERY[1], "expect": [1, 5]},
                    {"title": "Boka bil", "need": "Vilken bil är ledig?", "expect": [2]}],
    }, allow_unicode=True), encoding="utf-8")
    result = similar.measure_precision(app, pairs_file, cases_file)
    assert result["queries"] == 4  # case 5 asks for 1, case 1 for 5, and the two queries
    for key in ("precision_at_1", "hit_rate_at_3", "precision_at_3"):
        assert 0 <= result[key] <= 1
    assert result["precision_at_1"] == 1.0
    assert result["distinct_checked"] == 2 and result["distinct_in_top_3"] in (0, 1, 2)
    assert set(result["sets"]) == {"pairs", "queries"} and result["misses"] == []


def test_precision_refuses_a_database_without_the_demo(app, tmp_path):
    pairs_file = tmp_path / "pairs.yaml"
    pairs_file.write_text(yaml.safe_dump({"similar": [{"a": 1, "b": 2}]}), encoding="utf-8")
    with app.app_context():
        _submitted(**KEYS)
    with pytest.raises(ValueError, match="seed-demo"):
        similar.measure_precision(app, pairs_file, cases_path=None)


def test_the_labelled_set_refers_to_real_demo_cases():
    labels = yaml.safe_load(similar.PAIRS_PATH.read_text(encoding="utf-8"))
    demo = yaml.safe_load(similar.CASES_PATH.read_text(encoding="utf-8"))["cases"]
    assert len(labels["similar"]) >= 12 and len(labels["distinct"]) >= 12
    assert len(labels["queries"]) >= 12
    positions = [p for pair in labels["similar"] + labels["distinct"] for p in (pair["a"],
                                                                                 pair["b"])]
    positions += [p for query in labels["queries"] for p in query["expect"]]
    assert all(1 <= p <= len(demo) for p in positions)
    similar_pairs = {frozenset((p["a"], p["b"])) for p in labels["similar"]}
    assert not similar_pairs & {frozenset((p["a"], p["b"])) for p in labels["distinct"]}
    assert frozenset((25, 11)) in similar_pairs  # merged in the demo
