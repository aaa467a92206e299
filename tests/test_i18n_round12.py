"""Round 12 of foreign triage: the ninth set's misses and over-triage, by class.

Each positive case is wording written for the test (no line of an eval set)
and fails on the code before round 12 (dfe27cf; docs/languages.md, "Round
12"); each class has guards that must stay where they were.
"""

from __future__ import annotations

import pytest

from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.model import TriageLevel
from tests.test_i18n_safety_net import _triage


@pytest.fixture(scope="module")
def pack() -> KnowledgePack:
    return load_pack()


def _level(pack: KnowledgePack, lang: str, text: str) -> TriageLevel:
    return _triage(pack, text, lang).level


def _fires(pack: KnowledgePack, lang: str, text: str, rule: str) -> bool:
    result = _triage(pack, text, lang)
    return result.level is TriageLevel.EMERGENCY and any(f.id == rule for f in result.flags)


# Class 1 (over-triage): plenty of urine, boasted with a simile or blamed on
# what was drunk, opened the bladder topic and asked at urgent.
PLENTY = [
    ("es", "con tantos litros de té que tomo, orino a chorros; la espalda sí que molesta"),
    ("es", "hago pis como una fuente, la lumbar me tiene frita"),
    ("fr", "je fais pipi comme une fontaine avec toute cette tisane, j'ai mal aux reins"),
    ("fr", "avec autant de thé je pisse à flots, le dos coince"),
    ("de", "ich pinkel wie ein Gaul bei literweise Kaffee, der Rücken zwickt"),
    ("pl", "siusiam litrami po tej herbacie, krzyż mnie łupie"),
    ("pl", "leję jak wielbłąd po tylu litrach wody, plecy sztywne"),
    ("pt", "faço xixi que nem cavalo com tanta água, mas as costas travaram"),
    ("pt", "mijando feito torneira de tanto chá, a lombar dói"),
]


@pytest.mark.parametrize(("lang", "text"), PLENTY)
def test_plenty_of_urine_is_not_a_bladder_question(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert _level(pack, lang, text) is TriageLevel.SELF_CARE


# Guards: a loss said beside the same words still fires.
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "bebo mucha agua pero no consigo orinar nada desde ayer"),
        ("fr", "je bois beaucoup d'eau mais je n'arrive plus à uriner"),
        ("de", "ich trinke viel Tee, aber seit gestern kann ich nicht mehr pinkeln"),
        ("pl", "piję dużo wody, ale od rana nie mogę się wysikać"),
        ("pt", "tomo muita água mas não consigo fazer xixi desde ontem"),
    ],
)
def test_drinking_words_do_not_hide_retention(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _level(pack, lang, text) is TriageLevel.EMERGENCY


# Class 2: serious injury told with a tumbling verb on "runter-" or as a
# fall off a motorbike at a stated speed.
TRAUMA = [
    ("de", "ich bin gestern die Bodentreppe runtergekullert, jetzt zieht es im Kreuz"),
    ("de", "bin die ganzen Stufen runtergesegelt und der Rücken sticht"),
    ("pl", "przewróciłem się jadąc 50 na godzinę, kręgosłup pali"),
    ("pl", "wyrżnąłem z motocykla na zakręcie, krzyż boli"),
]


@pytest.mark.parametrize(("lang", "text"), TRAUMA)
def test_tumbling_and_motorbike_falls(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _fires(pack, lang, text, "major_trauma")


# Class 3: a knee or leg that gives way by itself or over and over.
GIVING_WAY = [
    ("es", "la rodilla derecha cede sola cuando bajo la cuesta, desde el lumbago"),
    ("pt", "meu joelho dobrou sozinho três vezes hoje, as costas doem"),
    ("es", "la rodilla flaquea sin avisar cada vez que bajo, tengo lumbago"),
]


@pytest.mark.parametrize(("lang", "text"), GIVING_WAY)
def test_leg_giving_way_by_itself(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _fires(pack, lang, text, "leg_weakness")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "la rodilla no me falla, solo tengo la espalda cargada"),
        ("pt", "o joelho não falha, só as costas doem quando abaixo"),
    ],
)
def test_knee_denials_stay_below_emergency(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _level(pack, lang, text) is not TriageLevel.EMERGENCY


# Class 4: the navel was no belly word in any table, and the belly's beat
# was read only in the present ("pulsa"), never as a gerund ("pulsando").
NAVEL_BEAT = [
    ("pt", "meu umbigo fica latejando e as costas doem demais"),
    ("es", "el ombligo me late como un corazón y la espalda me revienta"),
    ("es", "siento la tripa pulsando sola y la espalda me está matando"),
    ("fr", "mon nombril bat tout seul, douleur terrible au dos"),
    ("de", "der Nabel pocht und der Rücken bringt mich um"),
    ("pl", "pępek mi pulsuje i plecy bolą okropnie"),
]


@pytest.mark.parametrize(("lang", "text"), NAVEL_BEAT)
def test_navel_and_gerund_beat_are_aortic(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _fires(pack, lang, text, "aortic")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("pt", "o piercing do umbigo inflamou e tenho dor nas costas"),
        ("es", "me duele un poco alrededor del ombligo y la espalda"),
        ("fr", "j'ai un bouton près du nombril et mal au dos"),
    ],
)
def test_navel_without_a_beat_is_not_aortic(pack: KnowledgePack, lang: str, text: str) -> None:
    assert not _fires(pack, lang, text, "aortic")


# Class 5: "not even" ("nem", "ni", "nawet nie") said the bladder's lost
# feeling as plainly as "not", but the nets' losses knew only "not".
NOT_EVEN = [
    ("pt", "a bexiga fica cheia e eu nem percebo, só vou ao banheiro no horário"),
    ("es", "la vejiga se me llena y ni me entero, voy al baño por costumbre"),
    ("es", "el pis se me escurre y ni siquiera lo noto desde la lumbalgia"),
]


@pytest.mark.parametrize(("lang", "text"), NOT_EVEN)
def test_not_even_states_a_bladder_loss(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _fires(pack, lang, text, "cauda_equina")


# Guards: "I don't even feel pain when I pee" reassures; it stays below emergency.
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("pt", "nem sinto dor ao fazer xixi, só as costas"),
        ("pt", "faço xixi e nem sinto nada de diferente, é só a lombar"),
    ],
)
def test_not_even_pain_is_no_loss(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _level(pack, lang, text) is not TriageLevel.EMERGENCY
