"""A learned clause classifier for the semantic triage layer (round 5, docs/triage.md).

The nearest-example scorer of ``backcare.triage.semantic`` fires a rule when a
clause sits close to one of its example phrasings; that rewards the examples'
wording. This classifier reads the same MiniLM clause vector (no extra encode)
with one logistic regression per rule *family* (``FAMILIES``) against a
``none`` class, fitted on the examples and on the clauses of the fit sets
(``tuning/fit_triage_classifier.py``), so it scores the direction a clause's
meaning takes. Its weights and cross-validated thresholds live in
``content/triage_classifier.yaml``.

It never sees a denied clause: the semantic layer hands it only the
candidates its gate and negation check let through, and skips hypothetical,
long-over and someone-else's clauses as it does for the nearest-example scorer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import ValidationError

from backcare.errors import PackValidationError
from backcare.model import ClassifierParams
from backcare.model.yamltext import parse_yaml

__all__ = [
    "FAMILIES",
    "ClassifierMode",
    "ClauseClassifier",
    "fit_logistic",
    "load_clause_classifier",
]

FILE_NAME = "triage_classifier.yaml"

# Rules that people describe in the same words share one class: the
# classifier says "this clause is about bladder/bowel/saddle loss", and the
# nearest examples then pick which of the family's rules it is.
FAMILIES: Mapping[str, tuple[str, ...]] = {
    "cauda": ("cauda_equina", "saddle_numbness"),
    "legs": ("both_legs", "leg_weakness"),
    "chest": ("chest_breathless", "aortic"),
    "trauma": ("major_trauma",),
    "infection": ("fever_unwell", "infection_risk"),
    "cancer": ("cancer_history",),
}

ClassifierMode = Literal["add", "replace", "off"]
"""``add``: fires besides the nearest-example scorer; ``replace``: instead of it
for the families' rules; ``off``: loaded but silent."""

_Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ClauseClassifier:
    """One-vs-rest logistic regressions over clause vectors; row 0 is ``none``."""

    classes: tuple[str, ...]
    weights: _Matrix  # classes x (1 + dim): bias first
    thresholds: Mapping[str, float]
    mode: ClassifierMode = "add"
    model_id: str = ""

    @classmethod
    def from_arrays(
        cls,
        weights: npt.NDArray[np.floating],
        classes: Sequence[str],
        thresholds: Mapping[str, float],
        *,
        mode: ClassifierMode = "add",
        model_id: str = "",
    ) -> ClauseClassifier:
        """A classifier from fitted weights (``fit_logistic``'s) and class names."""
        return cls(
            classes=tuple(classes),
            weights=np.asarray(weights, dtype=np.float32),
            thresholds=dict(thresholds),
            mode=mode,
            model_id=model_id,
        )

    def with_mode(self, mode: ClassifierMode) -> ClauseClassifier:
        """The same weights in another mode (for comparing them)."""
        return replace(self, mode=mode)

    def probabilities(self, vectors: npt.NDArray[np.floating]) -> _Matrix:
        """Each class's probability for each clause vector (clauses x classes)."""
        logits = vectors @ self.weights[:, 1:].T + self.weights[:, 0]
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def fired(self, vectors: npt.NDArray[np.floating]) -> list[set[str]]:
        """Per clause, the families whose probability reaches their threshold."""
        if self.mode == "off" or not len(vectors):
            return [set() for _ in range(len(vectors))]
        probs = self.probabilities(vectors)
        return [
            {
                name
                for k, name in enumerate(self.classes)
                if name in self.thresholds and row[k] >= self.thresholds[name]
            }
            for row in probs
        ]


def fit_logistic(
    x: npt.NDArray[np.floating],
    y: npt.NDArray[np.integer],
    classes: int,
    l2: float,
    *,
    iterations: int = 400,
) -> npt.NDArray[np.float64]:
    """One-vs-rest L2 logistic regressions with balanced class weights.

    Minimised with Böhning's bound: ``p(1-p) <= 1/4`` makes one fixed matrix
    an upper bound of every Hessian, so it is inverted once per class and each
    step costs two matrix-vector products; the steps decrease the convex
    objective monotonically to its unique minimum, deterministically.

    Args:
        x: samples x dim.
        y: the class of each sample, 0 to ``classes - 1``.
        classes: how many classes.
        l2: the penalty on the weights (not the bias), per unit of sample weight.
        iterations: the most steps; it stops earlier once a step changes nothing.

    Returns:
        classes x (1 + dim): the bias, then the weights, of each class against the rest.
    """
    design = np.hstack([np.ones((len(x), 1)), np.asarray(x, dtype=np.float64)])
    dim = design.shape[1]
    penalty = np.full(dim, l2)
    penalty[0] = 0.0  # the bias is not shrunk: the base rate is data, not noise
    out = np.zeros((classes, dim))
    for k in range(classes):
        target = (y == k).astype(np.float64)
        positives = max(target.sum(), 1.0)
        negatives = max(len(target) - target.sum(), 1.0)
        # Balanced weights: a family with 60 clauses counts as much as `none` with 3,000.
        sample = np.where(target == 1, len(target) / (2 * positives), len(target) / (2 * negatives))
        sample /= sample.sum()
        bound = 0.25 * (design * sample[:, None]).T @ design + np.diag(penalty + 1e-9)
        inverse = np.linalg.inv(bound)
        w = np.zeros(dim)
        for _ in range(iterations):
            p = 1.0 / (1.0 + np.exp(-(design @ w)))
            gradient = design.T @ (sample * (p - target)) + penalty * w
            step = inverse @ gradient
            w -= step
            if float(np.abs(step).max()) < 1e-6:
                break
        out[k] = w
    return out


def load_clause_classifier(root: Path) -> ClauseClassifier | None:
    """The classifier of a content folder, or None when it has no ``triage_classifier.yaml``.

    Raises:
        PackValidationError: the file is not a valid classifier (shape, classes, thresholds).
    """
    path = root / FILE_NAME
    if not path.exists():
        return None
    try:
        params = ClassifierParams.model_validate(parse_yaml(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise PackValidationError(f"{path}: not a clause classifier: {exc}") from exc
    unknown = sorted(set(params.classes[1:]) - set(FAMILIES))
    if params.classes[0] != "none" or unknown:
        raise PackValidationError(
            f"{path}: classes must be 'none' then families of {sorted(FAMILIES)}; "
            f"unknown: {unknown}; rerun tuning/fit_triage_classifier.py"
        )
    return ClauseClassifier.from_arrays(
        np.array(params.weights, dtype=np.float32),
        params.classes,
        params.thresholds,
        mode=params.mode,
        model_id=params.model_id,
    )
