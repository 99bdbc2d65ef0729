"""The models (workflow/models.py) and the migrations (migrations/versions/) describe the same
schema: a database migrated to the newest revision has every table, column, index and type
the models name, and nothing else but what the database keeps itself
(workflow/ops/migrations.py ``in_models``), compared as ``flask db migrate`` compares them."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workflow.ops.migrations import in_models
from workflow.platform.extensions import db


def test_the_models_and_the_migrations_describe_the_same_schema(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": in_models, "compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_only_what_the_database_keeps_itself_is_left_out(app):
    """Unfiltered, the comparison finds the text index the database keeps (and would drop
    it); the filter leaves out exactly those objects, none the models name."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        unfiltered = compare_metadata(context, db.metadata)
    assert unfiltered
    for difference in unfiltered:
        kind, thing = difference[0], difference[-1]
        assert kind in ("remove_table", "remove_column", "remove_index"), difference
        assert not in_models(thing, thing.name, kind.removeprefix("remove_"), True, None)
