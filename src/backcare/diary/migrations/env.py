"""Alembic environment for the diary database: runs on a connection ``SqlDiaryStore`` passes.

``SqlDiaryStore(url)`` upgrades the schema itself when it opens
(``command.upgrade(cfg, "head")`` with the open connection in
``cfg.attributes["connection"]``), inside the transaction that holds the
migration lock, so there is no ``alembic.ini`` and no logging set-up here.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "backcare's migrations run programmatically: open the database with "
        "backcare.SqlDiaryStore(url), which upgrades it to the latest schema"
    )
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
