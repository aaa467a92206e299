"""Round 10 of foreign triage: the mechanisms round 9 left open.

Each test holds wording written for it (no line of an eval set) and fails on
the code before round 10 (docs/languages.md, "Round 10").
"""

from __future__ import annotations

import pytest

from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.language import detect_language
from backcare.language.markers import has_english_marker
from backcare.model import TriageLevel
from backcare.service import prepare_query, triage_layers, triage_message
from backcare.triage._clauses import clauses
from backcare.triage._negation import normalise
from tests.test_i18n_safety_net import _triage


@pytest.fixture(scope="module")
def pack() -> KnowledgePack:
    return load_pack()


def _cut(text: str) -> list[str]:
    return [text[start:end] for start, end in clauses(text)]


# Mechanism 1: French "plus" is "no longer", not a clause break.
@pytest.mark.parametrize(
    "text",
    [
        "mes jambes ne me portent plus depuis ce matin",
        "il ne peut plus retenir ses urines",
        "jai plus de sensations en bas",
        "ca ne passe plus rien quand je vais aux toilettes",
    ],
)
def test_french_no_longer_keeps_its_clause(text: str) -> None:
    assert _cut(text) == [text]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("my back hurts plus i cant pee", ["my back hurts", "i cant pee"]),
        ("back pain plus numb bum", ["back pain", "numb bum"]),
        ("it kills me plus my legs are weak", ["it kills me", "my legs are weak"]),
        ("plus a fever", ["a fever"]),
    ],
)
def test_english_plus_still_breaks(text: str, parts: list[str]) -> None:
    assert _cut(text) == parts


def test_the_french_net_reads_no_longer_across_plus(pack: KnowledgePack) -> None:
    # Cut at "plus", the net saw "il ne peut" and "retenir ses urines" apart
    # and only asked about the bladder (urgent).
    result = _triage(pack, "il ne peut plus retenir ses urines", "fr")
    assert result.level is TriageLevel.EMERGENCY
    assert any(flag.id == "cauda_equina" for flag in result.flags)


# Mechanism 2: a table's match that the message language denies does not count.
DENIED_ABROAD = [
    ("pt", "sem incontinência, só dor nas costas depois do ginásio"),
    ("pt", "não tenho incontinência, só as costas presas"),
    ("es", "dolor de espalda sin incontinencia ni hormigueo"),
    ("fr", "sans incontinence, juste le dos bloqué"),
]


@pytest.mark.parametrize(("lang", "text"), DENIED_ABROAD)
def test_a_foreign_denial_stops_the_other_tables(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _triage(pack, text, lang).level is TriageLevel.SELF_CARE


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("pt", "tenho incontinência desde ontem e dor nas costas"),
        ("es", "tengo incontinencia desde ayer y me duele la espalda"),
        ("fr", "je suis incontinent depuis hier avec le mal de dos"),
    ],
)
def test_the_same_words_told_still_fire(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _triage(pack, text, lang).level is TriageLevel.EMERGENCY


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("no incontinence, just a stiff back", TriageLevel.SELF_CARE),
        ("incontinence since yesterday and my back is agony", TriageLevel.EMERGENCY),
    ],
)
def test_an_english_denial_stops_the_foreign_tables(
    pack: KnowledgePack, text: str, level: TriageLevel
) -> None:
    # "incontinence" is also the French word, and the French table's cues
    # do not read the English "no".
    assert _triage(pack, text, "en").level is level


# Mechanism 3: an English marker must be a whole word, not part of one.
@pytest.mark.parametrize(
    "text",
    [
        "as minhas duas pernas ficaram sem força nenhuma hoje",  # "for" + "a"
        "de repente noté que no controlo la vejiga",  # "not" + "e"
    ],
)
def test_a_marker_inside_a_foreign_word_is_not_english(text: str) -> None:
    assert not has_english_marker(text)
    assert detect_language(text).code != "en"


def test_english_markers_still_count() -> None:
    assert has_english_marker("the pain in my espalda")
    assert has_english_marker("it\u2019s mi espalda")


def test_a_portuguese_line_with_forca_gets_the_portuguese_net(pack: KnowledgePack) -> None:
    detected, result = triage_message(
        pack, prepare_query("perdi a força nas duas pernas e não consigo levantar")
    )
    assert detected.code == "pt"
    assert result.lang == "pt"
    assert result.level.rank >= TriageLevel.URGENT.rank


# Mechanism 4: the cross-language layer may not call a clause that says the
# person walks (or is better for walking) leg weakness.
WALKS = [
    ("fr", "le dos me lance mais je marche normalement", True),
    ("fr", "ça va mieux quand je marche", True),
    ("fr", "mon pied tombe quand je marche", False),
    ("fr", "mais je marche plus", False),
    ("pt", "as costas doem mas ando", True),
    ("pt", "alivia ao caminhar", True),
    ("pt", "não consigo andar", False),
    ("pt", "mas ando arrastando a perna", False),
    ("es", "me tira la espalda pero mejora cuando camino", True),
    ("es", "pero ando arrastrando el pie", False),
    ("de", "beim gehen wird es besser", True),
    ("de", "ich kann nicht mehr laufen", False),
    ("pl", "lepiej jak chodzę", True),
    ("pl", "ale chodzę z trudem", False),
    ("ar", "يتحسن لما أمشي", True),
    ("ar", "ما اقدر امشي", False),
]


@pytest.mark.parametrize(("lang", "text", "walks"), WALKS)
def test_a_clause_that_walks_is_not_weak_legs(
    pack: KnowledgePack, lang: str, text: str, walks: bool
) -> None:
    layer = triage_layers(pack).crosslingual
    assert layer is not None
    examples = layer.languages[lang]
    clause = normalise(text).text
    for rule in ("leg_weakness", "both_legs"):
        assert examples.allows(rule, clause, 0, len(clause)) is not walks
    # Only the leg rules: a walking clause may still be anything else.
    assert examples.allows("cauda_equina", clause, 0, len(clause))
