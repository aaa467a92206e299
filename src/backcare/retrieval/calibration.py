"""Per-knowledge-base calibration: how high an off-topic question scores *here*.

The same fused score means different things in different knowledge bases: a
26-entry pack with many alternate phrasings, a 16-entry FAQ page with none,
and 20,000 MedQuAD questions give off-topic questions, and so right answers,
different typical scores. A confidence fitted on one of them therefore
abstained on 40 % of answerable questions on the seed page (issue 15).

So when a knowledge base is indexed, two groups of questions are asked of it:
the everyday questions of ``background.py`` (off-topic anywhere) and up to
100 of its own questions (a right answer at its easiest). The mean best fused
score of each is kept in its manifest: ``mean`` (off-topic level) and
``spread`` (own-question level minus off-topic level). The confidence model
(``abstain.py``) reads a score as ``(score - mean) / spread`` and a margin as
``margin / spread``: 0 is "as good as an off-topic question", 1 "as good as
asking one of its own questions verbatim". Its coefficients were fitted on
that scale, pooled over three kinds of knowledge base (``tuning/fit.py``).
The result depends on the fusion weights, so it records them; a knowledge
base calibrated under other weights is recalibrated when opened.

The same two groups also place the query's *relevance* to the knowledge base
as a whole (the mean dense similarity of its nearest entries, see
``retriever.relevance_of``): ``relevance_mean`` is where off-topic questions
land, ``relevance_spread`` the distance to where its own questions land. A
right answer and an off-topic question can have the same best score on a
knowledge base with no alternate phrasings; they rarely have the same
neighbourhood, so this separates "off-topic" from "hard" (issue 15).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from backcare.model import RetrievalParams
from backcare.retrieval.background import BACKGROUND

__all__ = [
    "MANIFEST_KEY",
    "MIN_SPREAD",
    "OWN_QUESTIONS",
    "Calibration",
    "calibrate",
    "from_pairs",
    "from_scores",
    "fusion_key",
    "own_sample",
]

MANIFEST_KEY = "calibration"
# A spread this small would turn rounding noise into huge scaled scores; fused
# scores are in [0, 1], and real knowledge bases measure 0.3-0.6.
MIN_SPREAD = 0.05
# Own questions asked per knowledge base: enough for a stable mean, few enough
# that calibrating 47k entries takes seconds.
OWN_QUESTIONS = 100


def fusion_key(params: RetrievalParams) -> str:
    """The fusion settings a calibration is only valid for, as a short string."""
    key = (
        f"dense={params.dense_weight:g};answer={params.answer_weight:g};"
        f"bm25={params.bm25_weight:g};share={params.bm25_answer_share:g}"
    )
    # A query adapter moves every dense score: a calibration is only valid for its own.
    if params.query_adapter is not None and params.query_adapter_sha256:
        key += f";adapter={params.query_adapter_sha256[:12]}"
    return key


@dataclass(frozen=True)
class Calibration:
    """Where off-topic questions and a knowledge base's own questions score in it.

    ``mean`` is the off-topic level, ``spread`` the distance from it to the
    own-question level. The identity (mean 0, spread 1) leaves scores as they are.
    """

    mean: float = 0.0
    spread: float = 1.0
    fusion: str = ""
    questions: int = 0
    # None: not measured (a calibration stored before the relevance feature, or
    # one built from best scores alone); the confidence then reads every query
    # as relevant as the knowledge base's own questions.
    relevance_mean: float | None = None
    relevance_spread: float = 1.0
    # The background questions' raw confidence features, one row each (best
    # fused score, margin, coverage, anchor, relevance): where this knowledge
    # base puts off-topic questions, for its own threshold
    # (``abstain.kb_threshold``). Empty: not measured; the shared threshold applies.
    background: tuple[tuple[float, float, float, float, float], ...] = ()

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and math.isfinite(self.spread)) or self.spread <= 0:
            raise ValueError(f"calibration needs a finite mean and a positive spread, got {self}")
        if self.relevance_mean is not None and not (
            math.isfinite(self.relevance_mean)
            and math.isfinite(self.relevance_spread)
            and self.relevance_spread > 0
        ):
            raise ValueError(
                f"calibration needs a finite relevance level and a positive spread, got {self}"
            )

    def scaled_relevance(self, relevance: float | None) -> float:
        """``relevance`` on this knowledge base's scale: 0 off-topic, 1 its own questions.

        Without a measured relevance (either side) it is 1.0, the neutral
        reading: the other features decide alone, as before the feature existed.
        """
        if relevance is None or self.relevance_mean is None:
            return 1.0
        return (relevance - self.relevance_mean) / self.relevance_spread

    def as_dict(self) -> dict[str, object]:
        """The manifest form."""
        form: dict[str, object] = {
            "mean": round(self.mean, 6),
            "spread": round(self.spread, 6),
            "fusion": self.fusion,
            "questions": self.questions,
        }
        if self.relevance_mean is not None:
            form["relevance_mean"] = round(self.relevance_mean, 6)
            form["relevance_spread"] = round(self.relevance_spread, 6)
        if self.background:
            form["background"] = [[round(value, 6) for value in row] for row in self.background]
        return form

    @classmethod
    def from_manifest(
        cls, manifest: Mapping[str, object], params: RetrievalParams
    ) -> Calibration | None:
        """The calibration a manifest holds for ``params``' fusion; None when absent or stale.

        A malformed entry counts as absent: it is recomputed, never trusted.
        """
        raw = manifest.get(MANIFEST_KEY)
        if not isinstance(raw, dict) or raw.get("fusion") != fusion_key(params):
            return None
        try:
            level = raw.get("relevance_mean")
            return cls(
                mean=float(raw["mean"]),
                spread=float(raw["spread"]),
                fusion=str(raw["fusion"]),
                questions=int(raw.get("questions", 0)),
                relevance_mean=None if level is None else float(level),
                relevance_spread=float(raw.get("relevance_spread", 1.0)),
                background=_rows(raw.get("background", ())),
            )
        except (KeyError, TypeError, ValueError):
            return None


def _rows(raw: object) -> tuple[tuple[float, float, float, float, float], ...]:
    """The manifest's background rows, checked (a malformed one raises ValueError)."""
    if not isinstance(raw, (list, tuple)):
        raise ValueError("calibration background must be a list of rows")
    rows = []
    for row in raw:
        if not isinstance(row, (list, tuple)) or len(row) != 5:
            raise ValueError("a calibration background row has five numbers")
        values = tuple(float(value) for value in row)
        if not all(math.isfinite(value) for value in values):
            raise ValueError("calibration background values must be finite")
        rows.append((values[0], values[1], values[2], values[3], values[4]))
    return tuple(rows)


def own_sample(entries: int, limit: int = OWN_QUESTIONS) -> list[int]:
    """Indexes of up to ``limit`` entries, spread evenly over ``entries`` (deterministic).

    Indexes, not questions: a loaded knowledge base parses an entry only when
    it is read, and reading 47k to keep 100 would cost ~170 MB.
    """
    if entries <= limit:
        return list(range(entries))
    step = entries / limit
    return [int(n * step) for n in range(limit)]


def calibrate(
    measure: Callable[[str], float | tuple[float, float]],
    params: RetrievalParams,
    own: Sequence[str],
    questions: Sequence[str] = BACKGROUND,
) -> Calibration:
    """Ask the background ``questions`` and some of the KB's ``own`` questions.

    Args:
        measure: for a question, the best fused score of any entry (the
            retriever's, with ``params``' fusion), or that score and the
            query's relevance to the knowledge base.
        params: the retrieval parameters whose fusion ``measure`` uses.
        own: questions of the knowledge base itself (see ``own_sample``).
        questions: the off-topic background.
    """
    if not questions or not own:
        raise ValueError("calibration needs at least one background and one own question")
    low = [measure(q) for q in questions]
    high = [measure(q) for q in own]
    if all(isinstance(m, tuple) for m in (*low, *high)):
        return from_pairs(
            [m for m in low if isinstance(m, tuple)],
            params,
            [m for m in high if isinstance(m, tuple)],
        )
    return from_scores(
        [m[0] if isinstance(m, tuple) else m for m in low],
        params,
        [m[0] if isinstance(m, tuple) else m for m in high],
    )


def from_pairs(
    background: Sequence[tuple[float, float]],
    params: RetrievalParams,
    own: Sequence[tuple[float, float]],
) -> Calibration:
    """`from_scores` over (best score, relevance) pairs of background and own questions."""
    return from_scores(
        [score for score, _ in background],
        params,
        [score for score, _ in own],
        background_relevance=[relevance for _, relevance in background],
        own_relevance=[relevance for _, relevance in own],
    )


def from_scores(
    background: Sequence[float],
    params: RetrievalParams,
    own: Sequence[float],
    *,
    background_relevance: Sequence[float] | None = None,
    own_relevance: Sequence[float] | None = None,
) -> Calibration:
    """The calibration from the best fused scores of background and own questions.

    With both relevance sequences (one value per question, as
    ``retriever.relevance_of`` gives) the relevance scale is measured too.
    """
    if not len(background) or not len(own):
        raise ValueError("calibration needs at least one background and one own score")
    low = float(np.mean(np.asarray(background, dtype=np.float64)))
    high = float(np.mean(np.asarray(own, dtype=np.float64)))
    relevance_mean: float | None = None
    relevance_spread = 1.0
    if background_relevance is not None and own_relevance is not None:
        if not len(background_relevance) or not len(own_relevance):
            raise ValueError("calibration needs at least one background and one own relevance")
        relevance_mean = float(np.mean(np.asarray(background_relevance, dtype=np.float64)))
        top = float(np.mean(np.asarray(own_relevance, dtype=np.float64)))
        relevance_spread = max(top - relevance_mean, MIN_SPREAD)
    return Calibration(
        mean=low,
        spread=max(high - low, MIN_SPREAD),
        fusion=fusion_key(params),
        questions=len(background) + len(own),
        relevance_mean=relevance_mean,
        relevance_spread=relevance_spread,
    )
