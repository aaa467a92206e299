"""Alembic environment for the feedback tables: runs on a connection ``SqlFeedbackStore`` passes.

``SqlFeedbackStore(url)`` upgrades its tables itself when it opens, with the
open connection in ``cfg.attributes["connection"]``, so there is no
``alembic.ini`` here. The feedback tables keep their own version table, so
they migrate on their own whether or not the diary shares the database.
"""

from __future__ import annotations

from alembic import context

from backcare.feedback.store import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "backcare's migrations run programmatically: open the database with "
        "backcare.SqlFeedbackStore(url), which upgrades it to the latest schema"
    )
context.configure(
    connection=connection,
    target_metadata=None,
    render_as_batch=True,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
