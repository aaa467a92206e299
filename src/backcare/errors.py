"""Every error backcare raises on purpose.

The tree::

    BackcareError                    catch this to handle any backcare failure
    ├── ConfigError                  a setting or argument is missing or invalid
    ├── QueryError                   a question cannot be answered at all (has a ``code``)
    ├── KnowledgePackError           a knowledge pack or knowledge base cannot be loaded
    │   └── PackValidationError      a pack file parsed but an entry or field is invalid
    ├── IngestError                  an FAQ document cannot be read
    │   └── UnsupportedFormatError   no reader for this kind of file
    ├── RetrievalError               search failed
    │   └── ModelUnavailableError    the embedding model is missing or broken
    ├── CarePlanError                a care plan cannot be made from the given dates
    ├── FeedbackError                the feedback store failed (has a ``code``)
    └── DiaryError                   the diary store failed
        ├── EntryNotFoundError       no diary row with that id
        ├── StorageUnavailableError  the database cannot be reached (down, locked, unwritable)
        ├── DiaryConflictError       the change clashes with what is stored (a name taken)
        └── DiaryFormatError         a diary export file cannot be read back

Messages say what failed, where, and how to fix it. Third-party errors are
wrapped (``raise XError(...) from exc``) in the module that owns the dependency.
This module imports nothing from backcare.
"""

from __future__ import annotations

__all__ = [
    "BackcareError",
    "CarePlanError",
    "ConfigError",
    "DiaryConflictError",
    "DiaryError",
    "DiaryFormatError",
    "EntryNotFoundError",
    "FeedbackError",
    "IngestError",
    "KnowledgePackError",
    "ModelUnavailableError",
    "PackValidationError",
    "QueryError",
    "RetrievalError",
    "StorageUnavailableError",
    "UnsupportedFormatError",
]


class BackcareError(Exception):
    """Root of every error backcare raises on purpose."""


class ConfigError(BackcareError):
    """A setting or argument is missing or invalid."""


class QueryError(BackcareError):
    """A question cannot be answered at all: empty, too long or not text.

    ``code`` is stable and machine-readable (``empty_query``, ``query_too_long``,
    ``not_text``, ``bad_json``); the message is for people.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class KnowledgePackError(BackcareError):
    """A knowledge pack or knowledge-base folder cannot be loaded."""


class PackValidationError(KnowledgePackError):
    """A pack file parsed, but an entry or a field in it is invalid."""


class IngestError(BackcareError):
    """An FAQ document cannot be read."""


class UnsupportedFormatError(IngestError):
    """No reader handles this kind of file."""


class RetrievalError(BackcareError):
    """Search failed."""


class ModelUnavailableError(RetrievalError):
    """The embedding model is missing, fails its checksum, or cannot run."""


class CarePlanError(BackcareError):
    """A care plan cannot be made (for example an onset date in the future)."""


class FeedbackError(BackcareError):
    """The feedback store failed: the database cannot be opened, read, written or migrated.

    ``code`` is stable and machine-readable: ``storage_unavailable`` (the database
    cannot be reached or written) or ``schema_too_new`` (written by a newer backcare).
    """

    def __init__(self, message: str, *, code: str = "storage_unavailable") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DiaryError(BackcareError):
    """The diary store failed (database down, bad row, failed migration)."""


class EntryNotFoundError(DiaryError):
    """No diary row with that id (for this user)."""


class StorageUnavailableError(DiaryError):
    """The database cannot be reached: server down, file unwritable or locked too long."""


class DiaryConflictError(DiaryError):
    """The change clashes with what is stored (a user name taken, an episode already open)."""


class DiaryFormatError(DiaryError):
    """A diary export (CSV or JSON) cannot be read back; the message says where and why."""
