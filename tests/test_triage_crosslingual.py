"""The cross-language semantic layer (backcare.triage.crosslingual; docs/languages.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backcare.knowledge.pack import KnowledgePack
from backcare.model import TriageLevel
from backcare.retrieval.dense import Encoder
from backcare.retrieval.multilingual import MultilingualEncoder
from backcare.service import multilingual_encoder, prepare_query, triage_layers, triage_message
from backcare.settings import Settings
from backcare.triage._negation import Normalised, normalise
from backcare.triage.semantic import SemanticDetector

REPO = Path(__file__).resolve().parents[1]
FIFTH = sorted((REPO / "eval" / "i18n" / "test").glob("red_flags5_*.jsonl"))
# Emergencies of the fifth fresh set under-triaged at its one run, with every
# layer (docs/languages.md, "Fifth set"). A ratchet, not the goal (0).
FIFTH_UNDER_TRIAGED_AT_RUN = 2


@pytest.fixture(scope="session")
def e5(settings: Settings) -> MultilingualEncoder:
    encoder = multilingual_encoder(settings.model_dir)
    if encoder is None:
        pytest.skip("the multilingual encoder is not built (backcare kb build-multilingual)")
    return encoder


def _level(
    pack: KnowledgePack, text: str, encoder: Encoder, e5: MultilingualEncoder | None
) -> tuple[TriageLevel, list[tuple[str, str]]]:
    result = triage_message(pack, prepare_query(text), encoder=encoder, multilingual=e5)[1]
    return result.level, [(flag.id, flag.layer) for flag in result.flags]


def _denied(pack: KnowledgePack, code: str, text: str) -> bool:
    layer = triage_layers(pack).crosslingual
    assert layer is not None
    denials = layer.denials(code, pack.triage_tables[code].language)
    normalised = normalise(text)
    return not layer.candidates(normalised, denials)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("fr", "aucun problème pour uriner ni engourdissement"),
        ("pt", "não tenho dormência nem problemas para urinar"),
        ("es", "ni hormigueo ni pérdidas de orina"),
        ("de", "keine Taubheit und keine Probleme beim Wasserlassen"),
        ("pl", "nie mam drętwienia ani kłopotów z oddawaniem moczu"),
        ("ar", "ما عندي تنميل ولا مشكلة في البول"),
        ("es", "no noto nada raro en las piernas"),
        ("pl", "sikam normalnie"),
    ],
)
def test_a_denied_or_reassuring_clause_is_not_embedded(
    pack: KnowledgePack, code: str, text: str
) -> None:
    assert _denied(pack, code, text)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("es", "no puedo orinar desde ayer"),
        ("pl", "nie czuję krocza"),
        ("fr", "je n'arrive plus à uriner"),
        ("de", "ich kann das Wasser nicht mehr halten"),
        ("pt", "não consigo segurar o xixi"),
        ("ar", "ما اقدر اتبول من امس"),
        ("es", "tengo fiebre que no baja"),
    ],
)
def test_an_inability_or_a_late_negation_is_still_embedded(
    pack: KnowledgePack, code: str, text: str
) -> None:
    assert not _denied(pack, code, text)


class _Untouchable:
    """A multilingual encoder that fails if the layer ever uses it."""

    @property
    def model_id(self) -> str:
        raise AssertionError("an English message must not reach the multilingual encoder")

    def encode_query(self, text: str) -> np.ndarray:
        raise AssertionError("an English message must not reach the multilingual encoder")


@pytest.mark.parametrize(
    "text",
    ["I can't control my bladder", "my back hurts after gardening", "numb bum and legs"],
)
def test_an_english_message_never_reaches_the_multilingual_encoder(
    pack: KnowledgePack, text: str
) -> None:
    without = triage_message(pack, prepare_query(text))[1]
    with_layer = triage_message(pack, prepare_query(text), multilingual=_Untouchable())[1]  # type: ignore[arg-type]
    assert with_layer == without


class _Recording:
    """The multilingual encoder, noting every text the layer encodes."""

    def __init__(self, inner: MultilingualEncoder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def encode_query(self, text: str) -> np.ndarray:
        self.texts.append(text)
        return self.inner.encode_query(text)


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        # One clause between marks: the question itself, as retrieval encodes it.
        ("¿Es bueno correr todos los días?", ["¿Es bueno correr todos los días?"]),
        ("Czy mogę pływać z bólem pleców?", ["Czy mogę pływać z bólem pleców?"]),
        # Two clauses: each on its own, never the whole message.
        (
            "me duele la espalda desde el lunes, ¿puedo ir a nadar?",
            ["me duele la espalda desde el lunes", "puedo ir a nadar"],
        ),
    ],
)
def test_a_one_clause_message_is_encoded_as_the_query_retrieval_encodes(
    pack: KnowledgePack, e5: MultilingualEncoder, text: str, encoded: list[str]
) -> None:
    triage_message(pack, "tengo fiebre y escalofríos", multilingual=e5)  # embeds the examples
    recording = _Recording(e5)
    query = prepare_query(text)
    triage_message(pack, query, multilingual=recording)  # type: ignore[arg-type]
    assert recording.texts == encoded
    # The retriever's `encode_query(query)` then finds the vector in the cache.
    assert (query in recording.texts) is (len(encoded) == 1)


@pytest.mark.parametrize(
    ("text", "lang", "english_layer"),
    [
        # Identified as a language the cross-language layer reads: e5 reads it alone.
        ("me duele la espalda desde el lunes, ¿puedo ir a nadar?", None, False),
        ("je n'arrive plus à uriner depuis hier soir", "fr", False),
        # English written after choosing Spanish: the English layer still reads it.
        ("my legs have gone weak and I keep tripping over", "es", True),
        ("my legs have gone weak and I keep tripping over", None, True),
    ],
)
def test_the_english_semantic_layer_sits_out_only_identified_served_languages(
    pack: KnowledgePack,
    real_encoder: Encoder,
    e5: MultilingualEncoder,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    lang: str | None,
    english_layer: bool,
) -> None:
    calls: list[str] = []
    detect = SemanticDetector.detect

    def recorded(self: SemanticDetector, normalised: Normalised, *args: Any, **kw: Any) -> Any:
        calls.append(normalised.original)
        return detect(self, normalised, *args, **kw)

    monkeypatch.setattr(SemanticDetector, "detect", recorded)
    triage_message(pack, prepare_query(text), lang=lang, encoder=real_encoder, multilingual=e5)
    assert bool(calls) is english_layer
    # Without the multilingual encoder nothing else reads it: the English layer does.
    calls.clear()
    triage_message(pack, prepare_query(text), lang=lang, encoder=real_encoder)
    assert calls


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # Written for this layer's development, not from any eval file.
        ("pęcherz nie słucha, ciągle mokro w majtkach", "cauda_equina"),
        ("البول صار ينزل لحاله وانا ماشي", "cauda_equina"),
    ],
)
def test_only_the_crosslingual_layer_catches(
    pack: KnowledgePack, real_encoder: Encoder, e5: MultilingualEncoder, text: str, flag: str
) -> None:
    before, _ = _level(pack, text, real_encoder, None)
    after, flags = _level(pack, text, real_encoder, e5)
    assert before is not TriageLevel.EMERGENCY
    assert after is TriageLevel.EMERGENCY
    assert (flag, "semantic") in flags


@pytest.mark.parametrize(
    "text",
    [
        "aucun problème pour uriner ni engourdissement",
        "não tenho dormência nem problemas para urinar",
        "não tenho dormência nem dificuldade para urinar",
    ],
)
def test_a_negated_list_does_not_fire(
    pack: KnowledgePack, real_encoder: Encoder, e5: MultilingualEncoder, text: str
) -> None:
    # The English semantic layer used to read these as cauda_equina: it now
    # also respects the message's own language's denials.
    level, flags = _level(pack, text, real_encoder, e5)
    assert level is TriageLevel.SELF_CARE, flags


def test_the_fifth_set_is_of_each_language_and_written_before_the_layer() -> None:
    assert {path.stem.rsplit("_", 1)[1] for path in FIFTH} == {"es", "fr", "de", "pl", "pt", "ar"}
    for path in FIFTH:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        levels = [row["level"] for row in rows]
        assert len(rows) == 10
        assert levels.count("emergency") == 6 and levels.count("self_care") == 2
        assert levels.count("urgent") == 1 and levels.count("doctor") == 1


def test_the_fifth_set_misses_no_more_emergencies_than_at_its_run(
    pack: KnowledgePack, real_encoder: Encoder, e5: MultilingualEncoder
) -> None:
    rows = [json.loads(line) for path in FIFTH for line in path.read_text("utf-8").splitlines()]
    emergencies = [row["q"] for row in rows if row["level"] == "emergency"]
    missed = [
        q for q in emergencies if _level(pack, q, real_encoder, e5)[0] is not TriageLevel.EMERGENCY
    ]
    assert len(emergencies) == 36
    assert len(missed) <= FIFTH_UNDER_TRIAGED_AT_RUN, missed


@pytest.mark.usefixtures("clean_env")
def test_the_triage_command_runs_the_crosslingual_layer(e5: MultilingualEncoder) -> None:
    # `backcare triage` must check a message with the same layers as `ask`.
    from typer.testing import CliRunner

    from backcare.cli import app

    text = "pęcherz nie słucha, ciągle mokro w majtkach"
    result = CliRunner().invoke(app, ["triage", "--json", text], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["level"] == "emergency"
    assert {"id": "cauda_equina", "layer": "semantic"}.items() <= reply["flags"][0].items()
