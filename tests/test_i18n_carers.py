"""Someone else's symptom in es, fr, de, pl, pt and ar: now, or long ago.

Issue 17, the eighth development set: a carer telling of a relative in the
present tense ("mi padre no nota las piernas") went unflagged because the
rules' verb families held only the first person; another person's event
placed years back ("o meu tio deixou de urinar há anos") was flagged as if
it were happening now. The lines here are new wording, not the set's lines,
so that they test the mechanisms (verb families, the others' past scope,
list reassurance) rather than the set.
"""

from __future__ import annotations

import pytest

from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.model import TriageLevel
from backcare.triage._negation import ScopeReader, normalise
from backcare.triage.rules import scope_reader
from tests.test_i18n_safety_net import _triage  # rules, every model-free layer, the net


@pytest.fixture(scope="module")
def pack() -> KnowledgePack:
    return load_pack()


# A relative's symptom told now, in the third person: the rules alone catch it.
CARER_NOW = [
    ("es", "mi tía no siente las piernas desde hoy", "both_legs"),
    ("es", "a mi abuelo se le escapa el pis y no se entera", "cauda_equina"),
    ("fr", "ma sœur ne sent plus rien entre les jambes", "saddle_numbness"),
    ("fr", "mon oncle ne sent plus ses jambes depuis midi", "both_legs"),
    ("de", "meine Frau kann das kleine Geschäft nicht mehr halten", "cauda_equina"),
    ("pl", "dziadek nie ma czucia w kroczu od rana", "saddle_numbness"),
    ("pt", "a minha irmã não sente as nádegas desde ontem", "saddle_numbness"),
    ("pt", "o meu avô fez xixi na calça sem perceber", "cauda_equina"),
    ("ar", "أختي لا تستطيع التبول منذ الصباح", "cauda_equina"),
    ("ar", "جدي لا يشعر برجليه منذ الظهر", "both_legs"),
    ("es", "a mi padre se le doblan las dos rodillas", "both_legs"),
    ("de", "mein Vater war seit gestern nicht mehr pinkeln", "cauda_equina"),
    ("pt", "o meu marido não faz xixi desde ontem", "cauda_equina"),
    ("ar", "أمي لا تستطيع حبس البول منذ الصباح", "cauda_equina"),
    ("de", "mein Vater spürt seine Beine nicht mehr", "both_legs"),
    ("de", "meine Mutter merkt nicht mehr, wann sie aufs Klo muss", "cauda_equina"),
]


@pytest.mark.parametrize(
    ("lang", "text", "rule"), CARER_NOW, ids=[f"{c[0]}-{i}" for i, c in enumerate(CARER_NOW)]
)
def test_a_carers_present_tense_line_fires(
    pack: KnowledgePack, lang: str, text: str, rule: str
) -> None:
    result = _triage(pack, text, lang)
    assert result.level is TriageLevel.EMERGENCY
    assert any(flag.id == rule and flag.layer == "rules" for flag in result.flags)


# Another person's history, placed back in time, beside the writer's own strain.
OTHERS_PAST = [
    ("es", "mi tío hace años no podía orinar tras una operación; a mí solo me duele la espalda"),
    ("fr", "mon oncle avait perdu le contrôle de sa vessie, moi j'ai juste un lumbago"),
    ("de", "mein Opa konnte damals nach der OP nicht pinkeln; ich habe nur einen Hexenschuss"),
    ("pl", "dziadek kiedyś po operacji nie mógł oddać moczu; mnie tylko boli krzyż"),
    ("pt", "o meu avô há muitos anos não conseguia urinar; eu só tenho dor nas costas"),
    ("ar", "جدي قبل سنوات لم يستطع التبول بعد العملية؛ أنا فقط عندي ألم في الظهر"),
]


@pytest.mark.parametrize(
    ("lang", "text"), OTHERS_PAST, ids=[f"{c[0]}-{i}" for i, c in enumerate(OTHERS_PAST)]
)
def test_another_persons_past_history_does_not_fire(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert _triage(pack, text, lang).level is TriageLevel.SELF_CARE


# The same symptom for the same relative, now: the past scope must not reach it.
OTHERS_NOW = [
    ("es", "mi tío no puede orinar desde esta mañana"),
    ("pl", "dziadek od rana nie może oddać moczu"),
    ("pt", "o meu avô não consegue urinar desde hoje de manhã"),
    ("ar", "جدي لا يستطيع التبول منذ الصباح"),
    # an old operation in the same sentence does not make today's loss history
    ("es", "mi padre, operado en 2019, no puede orinar desde ayer"),
    ("fr", "mon père, opéré il y a deux ans, ne sent plus ses jambes depuis ce matin"),
    ("de", "mein Vater wurde vor Jahren operiert und spürt seit heute seine Beine nicht"),
    ("pt", "o meu avô operado há anos não consegue urinar desde ontem"),
    ("ar", "أبي أجرى عملية قبل سنوات ولا يستطيع التبول منذ الصباح"),
]


@pytest.mark.parametrize(
    ("lang", "text"), OTHERS_NOW, ids=[f"{c[0]}-{i}" for i, c in enumerate(OTHERS_NOW)]
)
def test_the_same_relative_now_still_fires(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _triage(pack, text, lang).level is TriageLevel.EMERGENCY


def test_the_others_past_scope_needs_another_person(pack: KnowledgePack) -> None:
    # "hace años" in the writer's own sentence is read clause by clause as before.
    reader: ScopeReader = scope_reader(pack.triage_tables["es"])
    own = normalise("hace años me operaron y ahora no puedo orinar").text
    theirs = normalise("a mi padre hace años le operaron y no podía orinar").text
    own_at = own.index("orinar")
    theirs_at = theirs.index("orinar")
    assert not reader.is_long_over(own, own_at, own_at + 6)
    assert reader.is_long_over(theirs, theirs_at, theirs_at + 6)


# Look-alikes: a list closed by one plural reassurance, a relative's old cancer, "not yet today".
LISTS = [
    ("pt", "bexiga, intestino e pernas normais, só a lombar presa"),
    ("fr", "vessie et intestins normaux, juste un blocage du dos"),
    ("de", "meine Tante hatte vor Jahren Brustkrebs, ich habe mich verhoben"),
    ("pl", "ciocia miała raka piersi wiele lat temu, ja tylko naciągnąłem plecy"),
    # not yet today is not "no more since yesterday"
    ("de", "ich war heute noch nicht pinkeln, alles normal"),
    ("pt", "ele não faz xixi na cama desde pequeno"),
]


@pytest.mark.parametrize(("lang", "text"), LISTS, ids=[f"{c[0]}-{i}" for i, c in enumerate(LISTS)])
def test_look_alikes_raise_nothing(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _triage(pack, text, lang).level is TriageLevel.SELF_CARE
