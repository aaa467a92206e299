"""Logging the questions backcare could not answer, for ``backcare review``.

Every shell that answers questions (``POST /v1/ask``, ``backcare ask``) calls
``log_unanswered`` with the reply, so the policy is written once: only an
abstained reply is kept, with its normalised text and knowledge base and no
other personal data, and a store that fails never fails the reply.
"""

from __future__ import annotations

import datetime as dt
import logging

from backcare.errors import BackcareError
from backcare.feedback.store import Abstained, FeedbackStore
from backcare.model import Reply
from backcare.retrieval.tokenize import normalise_text

__all__ = ["log_unanswered"]

logger = logging.getLogger(__name__)


def log_unanswered(store: FeedbackStore, reply: Reply, *, now: dt.datetime) -> bool:
    """Keep ``reply``'s question in ``store`` if it abstained; True when it was kept.

    The text kept is the question as ``prepare_query`` normalised it before
    answering. A storage error is logged (its type only: the message may
    quote the question) and swallowed, so the reply still goes out.
    """
    if reply.status != "abstained":
        return False
    try:
        store.add_abstained(Abstained(at=now, query=normalise_text(reply.query), kb=reply.kb))
    except BackcareError as exc:
        logger.warning("could not log an unanswered question: %s", type(exc).__name__)
        return False
    return True
