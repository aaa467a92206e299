"""Feedback: ratings of replies and unanswered questions, their store and their review.

``SqlFeedbackStore`` keeps them (with its own Alembic migrations, usually in the
diary's database); ``backcare.feedback.review`` clusters the unanswered
questions for ``backcare review``. The review is not imported here: it needs
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

__all__ = [
    "RATINGS",
    "Abstained",
    "Feedback",
    "FeedbackStore",
    "SqlFeedbackStore",
    "StoredAbstained",
    "StoredFeedback",
]
