"""duplicate hints search the database's own text index

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-14 10:00:00

Issue 14 item 1: the duplicate hints (workflow/similar/service.py) no longer keep a TF-IDF
index in every worker; they ask the database.

* PostgreSQL: ``cases.search``, a ``tsvector`` the database computes itself (a STORED generated
  column) from the title (weight A) and the need (weight B) with the built-in ``swedish``
  configuration, and a GIN index on it. No ``pg_trgm``: trigram similarity of titles changed
  nothing on the labelled set (docs/similar-ideas.md), so no extension is needed.
* SQLite: ``cases_fts``, an FTS5 table with external content (the rows of ``cases``, nothing
  copied) kept by three triggers and filled once here. SQLite has no Swedish stemmer, so the
  unicode61 tokenizer keeps whole words and the service asks for prefixes of the Swedish stems.

A later migration that rebuilds ``cases`` on SQLite (``batch_alter_table`` copying the table)
drops the triggers with the old table: it must create them again (:func:`create_sqlite`).
"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

SEARCH = ("setweight(to_tsvector('swedish', coalesce(title, '')), 'A') || "
          "setweight(to_tsvector('swedish', coalesce(need, '')), 'B')")

SQLITE_TRIGGERS = (
    """CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN
           INSERT INTO cases_fts (rowid, title, need) VALUES (new.id, new.title, new.need);
       END""",
    """CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN
           INSERT INTO cases_fts (cases_fts, rowid, title, need)
           VALUES ('delete', old.id, old.title, old.need);
       END""",
    """CREATE TRIGGER cases_fts_update AFTER UPDATE OF title, need ON cases BEGIN
           INSERT INTO cases_fts (cases_fts, rowid, title, need)
           VALUES ('delete', old.id, old.title, old.need);
           INSERT INTO cases_fts (rowid, title, need) VALUES (new.id, new.title, new.need);
       END""",
)


def create_sqlite():
    op.execute("CREATE VIRTUAL TABLE IF NOT EXISTS cases_fts USING fts5(title, need, "
               "content='cases', content_rowid='id', tokenize='unicode61 remove_diacritics 0')")
    for trigger in SQLITE_TRIGGERS:
        op.execute(trigger)
    op.execute("INSERT INTO cases_fts (cases_fts) VALUES ('rebuild')")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"ALTER TABLE cases ADD COLUMN search tsvector "
                   f"GENERATED ALWAYS AS ({SEARCH}) STORED")
        op.execute("CREATE INDEX ix_cases_search ON cases USING gin (search)")
    elif dialect == "sqlite":
        create_sqlite()


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_cases_search")
        op.execute("ALTER TABLE cases DROP COLUMN IF EXISTS search")
    elif dialect == "sqlite":
        for name in ("cases_fts_update", "cases_fts_delete", "cases_fts_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS cases_fts")
