"""The learned clause classifier of the semantic triage layer (issue 14, round 5).

``content/triage_classifier.yaml`` holds one-vs-rest logistic regressions per
rule family over the MiniLM clause vector (``backcare.triage.classifier``),
fitted by ``tuning/fit_triage_classifier.py``. These tests check the file,
the fitting code, that a denied clause never fires whatever the weights say,
and that the classifier reaches paraphrases the nearest-example scorer misses.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backcare.errors import PackValidationError
from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.model import TriageLevel
from backcare.retrieval.dense import Encoder
from backcare.triage._negation import ScopeReader, normalise
from backcare.triage.classifier import (
    FAMILIES,
    ClauseClassifier,
    fit_logistic,
    load_clause_classifier,
)
from backcare.triage.semantic import SemanticDetector

REPO = Path(__file__).resolve().parents[1]
FILE = REPO / "content" / "triage_classifier.yaml"


@functools.cache
def _shared() -> tuple[KnowledgePack, Encoder, SemanticDetector]:
    """Pack, real encoder and the pack's semantic detector (outside fixtures, for hypothesis)."""
    from backcare.service import default_encoder, triage_layers
    from backcare.settings import Settings

    pack = load_pack()
    detector = triage_layers(pack).semantic
    assert detector is not None
    return pack, default_encoder(Settings().model_dir), detector


def _flags(detector: SemanticDetector, text: str, encoder: Encoder) -> dict[str, TriageLevel]:
    pack, _, _ = _shared()
    flags = detector.detect(normalise(text), encoder, ScopeReader(pack.red_flags.language))
    return {flag.id: flag.level for flag in flags}


# --- the file ------------------------------------------------------------------


def test_the_fitted_file_loads_and_its_header_matches_it() -> None:
    classifier = load_clause_classifier(REPO / "content")
    assert classifier is not None
    _, encoder, _ = _shared()
    text = FILE.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[0].startswith("# Fitted by tuning/fit_triage_classifier.py")
    # Fitted for the encoder the layer runs with, and said so in the header.
    assert classifier.model_id == encoder.model_id
    assert f"encoder {classifier.model_id}" in header[1]
    # Fit data only, named; the dev and test sets never.
    fitted_on = " ".join(header)
    assert "generated_fit.jsonl" in fitted_on and "handwritten_fit2.jsonl" in fitted_on
    assert "Never *_test, handwritten_fit3" in fitted_on
    # Round 6: the self-care look-alikes are fit data, and the header says the shipped mode.
    assert "handwritten_fit4.jsonl" in fitted_on
    assert any(h.startswith(f"# Mode {classifier.mode}:") for h in header)
    # One header line per family, with the threshold the body holds.
    assert classifier.classes[0] == "none"
    assert set(classifier.classes[1:]) == set(FAMILIES)
    for name, threshold in classifier.thresholds.items():
        line = next(h for h in header if re.match(rf"#\s+{name}\s+threshold", h))
        assert f"threshold {threshold:.2f}" in line
    dim = encoder.encode(["a clause"]).shape[1]
    assert classifier.weights.shape == (len(classifier.classes), 1 + dim)


def test_a_classifier_file_with_unknown_classes_is_refused(tmp_path: Path) -> None:
    (tmp_path / "triage_classifier.yaml").write_text(
        "classes: [none, kidneys]\nthresholds: {kidneys: 0.5}\n"
        "weights:\n  - [0.0, 1.0]\n  - [0.0, -1.0]\n",
        encoding="utf-8",
    )
    with pytest.raises(PackValidationError, match="kidneys"):
        load_clause_classifier(tmp_path)


def test_a_classifier_file_with_ragged_weights_is_refused(tmp_path: Path) -> None:
    (tmp_path / "triage_classifier.yaml").write_text(
        "classes: [none, cauda]\nthresholds: {cauda: 0.5}\nweights:\n  - [0.0, 1.0]\n  - [0.0]\n",
        encoding="utf-8",
    )
    with pytest.raises(PackValidationError, match="weight rows"):
        load_clause_classifier(tmp_path)


def test_no_file_means_no_classifier(tmp_path: Path) -> None:
    assert load_clause_classifier(tmp_path) is None


# --- the fitting code ------------------------------------------------------------


def test_fit_logistic_separates_classes_it_was_shown() -> None:
    rng = np.random.default_rng(7)
    centres = np.eye(3, 8) * 3
    y = np.repeat(np.arange(3), 40)
    x = centres[y] + rng.normal(scale=0.5, size=(len(y), 8))
    weights = fit_logistic(x, y, 3, l2=1e-3)
    model = ClauseClassifier.from_arrays(weights, ("none", "cauda", "legs"), {})
    assert (model.probabilities(x).argmax(axis=1) == y).mean() > 0.95
    # Deterministic: the same data gives the same weights.
    assert np.array_equal(weights, fit_logistic(x, y, 3, l2=1e-3))


def test_a_minority_class_is_not_drowned_by_balanced_weights() -> None:
    # 5 positives against 200 "none": balanced weights still give the few a high probability.
    rng = np.random.default_rng(3)
    x = np.vstack([rng.normal(size=(200, 6)), rng.normal(loc=2.5, size=(5, 6))])
    y = np.array([0] * 200 + [1] * 5)
    model = ClauseClassifier.from_arrays(fit_logistic(x, y, 2, l2=1e-3), ("none", "cauda"), {})
    assert model.probabilities(x[200:])[:, 1].mean() > 0.5


# --- in the layer ----------------------------------------------------------------


def _always(detector: SemanticDetector, dim: int) -> ClauseClassifier:
    """A classifier that calls every clause every family (the bias alone decides)."""
    names = ("none", *FAMILIES)
    weights = np.zeros((len(names), 1 + dim))
    weights[1:, 0] = 20.0
    return ClauseClassifier.from_arrays(weights, names, dict.fromkeys(FAMILIES, 0.5))


DENIED = (
    "I have no trouble peeing at all",
    "no numbness around my bottom",
    "my legs aren't weak",
    "no chest pain and my breathing is fine",
    "I didn't fall and I haven't had an accident",
    "never had cancer",
    "no fever",
    "my bladder and bowels are normal",
    "weakness in my legs: none",
)


def test_the_eager_classifier_does_fire_on_the_same_words_undenied() -> None:
    # The control for the two tests below: without the denial it fires.
    _, encoder, detector = _shared()
    eager = detector.with_classifier(_always(detector, encoder.encode(["x"]).shape[1]))
    nearest = detector.with_classifier(None)
    text = "I have trouble peeing since my back went"
    assert set(_flags(eager, text, encoder)) - set(_flags(nearest, text, encoder))


@pytest.mark.parametrize("text", DENIED)
def test_a_denied_clause_never_fires_even_if_the_classifier_says_yes(text: str) -> None:
    _, encoder, detector = _shared()
    dim = encoder.encode(["x"]).shape[1]
    eager = detector.with_classifier(_always(detector, dim))
    # The layer never hands a denied clause to the classifier.
    assert not {rule for rule, level in _flags(eager, text, encoder).items() if level.rank >= 2}, (
        text
    )


def test_a_question_or_an_old_event_never_fires_even_if_the_classifier_says_yes() -> None:
    _, encoder, detector = _shared()
    eager = detector.with_classifier(_always(detector, encoder.encode(["x"]).shape[1]))
    for text in (
        "what if I couldn't pee, would that be serious?",
        "years ago I fell off a ladder, that healed completely",
    ):
        assert not {r for r in _flags(eager, text, encoder) if r in FAMILIES["cauda"]}, text
        assert "major_trauma" not in _flags(eager, text, encoder), text


UNCHANGED = (
    "my waterworks are the same as ever",
    "me bladder's grand, it's me back",
    "legs and bladder are behaving themselves",
)


@pytest.mark.parametrize("text", UNCHANGED)
def test_a_report_of_no_change_is_reassurance_even_if_the_classifier_says_yes(text: str) -> None:
    # Round 6: "the same as ever", "behaving themselves", "grand" say all is well.
    _, encoder, detector = _shared()
    eager = detector.with_classifier(_always(detector, encoder.encode(["x"]).shape[1]))
    assert not {r for r in _flags(eager, text, encoder) if r in FAMILIES["cauda"]}, text


@pytest.mark.parametrize(
    "text",
    ["my bladder is not behaving since my back went", "my waterworks aren't the same as ever"],
)
def test_a_change_reported_with_the_same_words_still_reaches_the_classifier(text: str) -> None:
    # The control: after "not" / "n't" the same words report a change.
    _, encoder, detector = _shared()
    eager = detector.with_classifier(_always(detector, encoder.encode(["x"]).shape[1]))
    assert {r for r in _flags(eager, text, encoder) if r in FAMILIES["cauda"]}, text


def test_the_semantic_fit_skips_what_the_layer_skips() -> None:
    # Round 6: tuning/fit_triage_semantic.py counts a clause for a rule only
    # where SemanticDetector.detect could fire it, so questions, episodes long
    # over and other people's histories do not tighten a rule's threshold.
    import sys

    sys.path.insert(0, str(REPO / "tuning"))
    from fit_triage_semantic import _skipped

    pack, encoder, detector = _shared()
    scope = ScopeReader(pack.red_flags.language)
    personal = detector.personal
    assert "cancer_history" in personal and "cauda_equina" not in personal

    def skipped(text: str) -> list[object]:
        normalised = normalise(text)
        scores = detector.score(normalised, detector.candidates(normalised, scope), encoder)
        assert scores, text
        return _skipped(normalised.text, scores, scope, personal)

    (question,) = skipped("what does saddle anaesthesia mean")
    assert "saddle_numbness" in question and "cancer_history" in question
    (over,) = skipped("years ago I wet myself after an operation, all cleared up")
    assert "cauda_equina" in over and "cancer_history" not in over
    (now,) = skipped("I wet myself without noticing")
    assert "cauda_equina" not in now


# Fit-data paraphrases (handwritten_fit.jsonl / generated_fit.jsonl, never dev or test)
# that the nearest-example scorer alone leaves below emergency.
PARAPHRASES = (
    "my bladder just lets go when I stand up now, it started with this back pain",
    "since this morning I can't tell when I need the loo, back has been bad for a week",
    "tingleing betwen my legs and inner thies with my back pain",
    "I fell off the garage roof onto the patio",
)


@pytest.mark.parametrize("text", PARAPHRASES)
def test_the_classifier_catches_a_paraphrase_the_nearest_examples_miss(text: str) -> None:
    _, encoder, detector = _shared()
    nearest = detector.with_classifier(None)
    assert not any(
        level is TriageLevel.EMERGENCY for level in _flags(nearest, text, encoder).values()
    )
    assert detector.classifier is not None
    learned = detector.with_classifier(detector.classifier.with_mode("add"))
    assert TriageLevel.EMERGENCY in _flags(learned, text, encoder).values()


FLAGGED = (
    "I can't control my bladder",
    "my bum has gone numb",
    "both my legs are weak and tingly",
    "crushing pain in my chest",
    "I fell off a ladder onto my back",
    "I have a high fever",
)
UNRELATED = (
    "I work in an office",
    "heat helps a bit",
    "my GP is closed until next week",
    "I sat on the sofa all evening",
    "my legs are tired from the walk",
    "the toilet seat is cold in the morning",
    "I've been taking paracetamol",
)


@settings(max_examples=30, deadline=None)
@given(
    flagged=st.sampled_from(FLAGGED),
    extra=st.lists(st.sampled_from(UNRELATED), min_size=1, max_size=2),
    before=st.booleans(),
)
def test_an_unrelated_clause_never_lowers_the_layers_level(
    flagged: str, extra: list[str], before: bool
) -> None:
    _, encoder, detector = _shared()
    assert detector.classifier is not None
    learned = detector.with_classifier(detector.classifier.with_mode("add"))
    alone = TriageLevel.most_urgent(list(_flags(learned, flagged, encoder).values()))
    padding = ". ".join(extra)
    text = f"{padding}. {flagged}" if before else f"{flagged}. {padding}"
    together = TriageLevel.most_urgent(list(_flags(learned, text, encoder).values()))
    assert together.rank >= alone.rank
