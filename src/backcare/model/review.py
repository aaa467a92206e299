"""Review types: unanswered questions clustered, proposals, and answers rated badly."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from backcare.model.base import Frozen

__all__ = [
    "Proposal",
    "RatedEntry",
    "ReviewReport",
    "UnansweredCluster",
]


class Proposal(Frozen):
    """The entry a cluster of unanswered questions most likely belongs to.

    ``score`` is the retriever's mean confidence for that entry over the
    cluster's examples; a maintainer accepts the proposal (the examples become
    alternates of the entry) or rejects it (``backcare review accept|reject``).
    """

    entry_id: str
    question: str
    score: float = Field(ge=0.0, le=1.0)


class UnansweredCluster(Frozen):
    """Questions asked of one knowledge base that went unanswered and mean about the same.

    ``id`` names the cluster for ``backcare review accept CLUSTER ENTRY``: a
    hash of its leading question, so it stays the same while that question
    leads it. ``kb`` is the label of the knowledge base its questions were
    asked of: the same question asked of two knowledge bases makes two
    clusters with one id, told apart by ``kb``. ``kbs`` is ``(kb,)``, kept for
    clients that read it from before clusters were made per knowledge base.
    """

    question: str
    count: int
    examples: tuple[str, ...] = ()
    kb: str = ""
    kbs: tuple[str, ...] = ()
    last_asked: AwareDatetime
    id: str = ""
    proposal: Proposal | None = None


class RatedEntry(Frozen):
    """How the answers from one entry were rated, with some questions rated badly."""

    entry_id: str
    kb: str
    helpful: int = 0
    not_helpful: int = 0
    wrong: int = 0
    examples: tuple[str, ...] = ()

    @property
    def bad(self) -> int:
        """Ratings that were not helpful or wrong."""
        return self.not_helpful + self.wrong


class ReviewReport(Frozen):
    """What a maintainer reviews: frequent unanswered questions and the worst-rated answers."""

    unanswered: tuple[UnansweredCluster, ...] = ()
    worst_rated: tuple[RatedEntry, ...] = ()
    abstained_total: int = 0
    ratings_total: int = 0
