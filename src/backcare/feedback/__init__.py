"""Feedback: ratings of replies and unanswered questions, their store and their review.

``SqlFeedbackStore`` keeps them (with its own Alembic migrations, usually in the
diary's database); ``backcare.feedback.review`` clusters the unanswered
questions for ``backcare review``; ``log_unanswered`` is how every shell
keeps a question it could not answer. The review is not imported here: it needs
numpy and the retriever, and logging one rating should not load them.
"""

from backcare.feedback.store import (
    RATINGS,
    Abstained,
    Feedback,
    FeedbackStore,
    SqlFeedbackStore,
    StoredAbstained,
    StoredFeedback,
)
from backcare.feedback.unanswered import log_unanswered

__all__ = [
    "RATINGS",
    "Abstained",
    "Feedback",
    "FeedbackStore",
    "SqlFeedbackStore",
    "StoredAbstained",
    "StoredFeedback",
    "log_unanswered",
]
