"""Round 9 of foreign triage: classes of error, each fixed by a mechanism.

The seventh blind set's misses, read once it became a development set,
fell into a few classes (docs/languages.md, "Round 9"). Each test here holds
new wording of one class, written for the test (no line of an eval set), and
checks the mechanism that closes it; the same lines on main's code were
under- or over-triaged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare.errors import PackValidationError
from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.model import TriageFlag, TriageLevel
from backcare.service import triage_layers
from backcare.triage._negation import normalise
from backcare.triage.crosslingual import LanguageExamples, load_crosslingual
from backcare.triage.safety_net_i18n import load_translated_net
from tests.test_i18n_safety_net import _pack_with, _triage


@pytest.fixture(scope="module")
def pack() -> KnowledgePack:
    return load_pack()


# Class: a present loss stated on the legs or the chest, which the translated
# net left at `urgent` though CONTENT.md section 3 makes it an emergency
# ("leg getting weaker by the hour", "tight chest, back ache").
STATED_LOSS = [
    ("es", "la pierna derecha se me va quedando sin fuerza de hora en hora", "leg_weakness"),
    (
        "fr",
        "ma jambe gauche faiblit d'heure en heure, je n'arrive plus à monter la marche",
        "leg_weakness",
    ),
    ("de", "mein linkes Bein hat mit jeder Stunde weniger Kraft", "leg_weakness"),
    ("pt", "a perna direita está perdendo força de hora em hora", "leg_weakness"),
    ("fr", "ça me serre la poitrine et le dos me tire", "chest_breathless"),
    ("de", "es drückt auf der Brust und der Rücken tut weh", "chest_breathless"),
    ("pl", "brakuje mi tchu i plecy bolą", "chest_breathless"),
    ("ar", "أحس إني مخنوق وظهري يوجعني", "chest_breathless"),
    ("de", "ich bekomme schlecht Luft und habe Rückenschmerzen", "chest_breathless"),
]


@pytest.mark.parametrize(("lang", "text", "rule"), STATED_LOSS)
def test_a_stated_loss_on_the_legs_or_chest_raises_the_rule(
    pack: KnowledgePack, lang: str, text: str, rule: str
) -> None:
    assert _triage(pack, text, lang, net=False).level is not TriageLevel.EMERGENCY
    result = _triage(pack, text, lang)
    assert result.level is TriageLevel.EMERGENCY
    flag = next(flag for flag in result.flags if flag.id == rule)
    assert flag.layer == "safety_net"
    # the rule's own translated wording, not the topic's question
    assert next(r for r in pack.triage_tables[lang].rules if r.id == rule).message in (
        result.message
    )


CHEST_DENIED = [
    ("es", "el pecho bien, respiro bien, solo la espalda"),
    ("fr", "pas de douleur dans la poitrine, je respire bien"),
    ("de", "keine Schmerzen in der Brust, keine Atemnot"),
    ("pl", "nie boli mnie w klatce, oddycham normalnie"),
    ("pt", "não tenho dor no peito nem falta de ar"),
    ("ar", "ما في ألم في صدري ولا ضيق نفس"),
]


@pytest.mark.parametrize(("lang", "text"), CHEST_DENIED)
def test_a_denied_chest_escalates_nothing(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _triage(pack, text, lang).level is TriageLevel.SELF_CARE


def test_a_language_escalates_only_to_a_rule_of_the_topic(
    tmp_path: Path, pack: KnowledgePack
) -> None:
    assert pack.triage_topics is not None
    # the chest covers chest_breathless and aortic, not cauda_equina
    root = _pack_with(tmp_path, "es", "escalate_to: chest_breathless", "escalate_to: cauda_equina")
    with pytest.raises(PackValidationError, match="escalate_to"):
        load_translated_net(root, pack.triage_topics, pack.follow_up)


def test_a_language_may_not_change_an_english_escalation(
    tmp_path: Path, pack: KnowledgePack
) -> None:
    assert pack.triage_topics is not None
    # English escalates the saddle to saddle_numbness; cauda_equina is also covered
    named = "  saddle:\n    escalate_to: cauda_equina\n    about:"
    root = _pack_with(tmp_path, "fr", "  saddle:\n    about:", named)
    with pytest.raises(PackValidationError, match="differs from English"):
        load_translated_net(root, pack.triage_topics, pack.follow_up)


# Class: incontinence told as an event (waking wet), and the carer's or
# "stopped" voice in the net's escalation ("no le sale", "deixou de").
NET_ESCALATES = [
    ("es", "me he despertado con la cama empapada", "cauda_equina"),
    ("fr", "je me suis réveillé trempé ce matin, ça ne m'arrive jamais", "cauda_equina"),
    ("de", "heute früh nass aufgewacht, das ist mir noch nie passiert", "cauda_equina"),
    ("pl", "rano mokre prześcieradło, pierwszy raz w życiu", "cauda_equina"),
    ("pt", "o meu pai acordou com a cama encharcada hoje", "cauda_equina"),
    ("ar", "قمت من النوم والسرير مبلول", "cauda_equina"),
    ("es", "a mi madre no le sale nada de pis desde anoche", "cauda_equina"),
    ("fr", "mon père a cessé de retenir ses selles depuis hier", "cauda_equina"),
    ("pt", "meu avô deixou de controlar o xixi esta semana", "cauda_equina"),
    ("pl", "dziadek przestał trzymać mocz od wczoraj", "cauda_equina"),
    # Class: road collisions and falls told with other verbs
    ("es", "una furgoneta me embistió en la rotonda y ahora me duele la espalda", "major_trauma"),
    ("fr", "un camion nous a emboutis au feu rouge et j'ai mal au dos", "major_trauma"),
    ("de", "ein LKW ist mir hinten reingefahren, seitdem Rückenschmerzen", "major_trauma"),
    ("pl", "ktoś walnął w mój samochód na skrzyżowaniu i bolą mnie plecy", "major_trauma"),
    (
        "pt",
        # (round 11's rules read "bateu na traseira" themselves; the net's
        # case needs a verb they lack)
        "um caminhão acertou o nosso carro por trás e fiquei com dor nas costas",
        "major_trauma",
    ),
    ("ar", "شاحنة صدمت سيارتنا من ورا وظهري يوجعني", "major_trauma"),
]


@pytest.mark.parametrize(("lang", "text", "rule"), NET_ESCALATES)
def test_the_net_reads_the_event_as_the_rule(
    pack: KnowledgePack, lang: str, text: str, rule: str
) -> None:
    assert _triage(pack, text, lang, net=False).level is not TriageLevel.EMERGENCY
    result = _triage(pack, text, lang)
    assert result.level is TriageLevel.EMERGENCY
    assert any(flag.id == rule and flag.layer == "safety_net" for flag in result.flags)


NIGHT_SWEATS = [
    ("es", "amanecí empapado en sudor"),
    ("fr", "je me suis réveillé trempé de sueur"),
    ("pl", "obudziłem się mokry od potu"),
    ("pt", "acordei encharcado de suor"),
    ("ar", "صحيت مبلول عرق"),
]


@pytest.mark.parametrize(("lang", "text"), NIGHT_SWEATS)
def test_waking_wet_with_sweat_is_not_the_bladder(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    result = _triage(pack, text, lang)
    assert not any(flag.id in ("cauda_equina", "check_bladder") for flag in result.flags)


def test_a_lesser_rule_of_the_topic_does_not_hide_its_escalation(pack: KnowledgePack) -> None:
    net = triage_layers(pack).translated_net
    assert net is not None
    # As when the cross-language layer read a fall from a horse as fracture_risk.
    lesser = TriageFlag(
        id="fracture_risk", level=TriageLevel.URGENT, evidence="caí", layer="semantic"
    )
    lines = net.check("ayer me caí del caballo de espaldas", "es", pack.triage_tables, [lesser])
    assert [line.flag.id for line in lines] == ["major_trauma"]
    # The question stays settled: a fall with no stated height or collision adds nothing.
    assert net.check("me caí en casa", "es", pack.triage_tables, [lesser]) == []


# Class: clinical words as word families (lost erections; a heartbeat felt in
# the belly), caught by the rules alone.
RULE_FAMILIES = [
    ("es", "ya no tengo erecciones desde el sábado y me duele la espalda", "cauda_equina"),
    ("fr", "je n'ai plus aucune érection depuis mardi", "cauda_equina"),
    ("pl", "od soboty nie mam już erekcji", "cauda_equina"),
    ("pt", "perdi as ereções desde a queda", "cauda_equina"),
    ("es", "noto el corazón latiendo en la tripa y mucho dolor de espalda", "aortic"),
    ("fr", "je sens comme un coeur qui bat dans le ventre", "aortic"),
    ("de", "ich spüre einen Herzschlag im Bauch", "aortic"),
    ("pl", "czuję jakby serce biło w brzuchu", "aortic"),
    ("pt", "dor nas costas como se me rasgassem por dentro", "aortic"),
    ("ar", "ألم في ظهري كأنه يتمزق", "aortic"),
]


@pytest.mark.parametrize(("lang", "text", "rule"), RULE_FAMILIES)
def test_a_word_family_fires_its_rule(pack: KnowledgePack, lang: str, text: str, rule: str) -> None:
    result = _triage(pack, text, lang, net=False)
    assert any(flag.id == rule and flag.layer == "rules" for flag in result.flags)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "no tengo problemas de erección, solo dolor de espalda"),
        ("fr", "pas de souci d'érection, juste le dos"),
        ("pl", "nie mam problemów z erekcją, tylko plecy"),
        ("pt", "sem problemas de ereção, só as costas"),
    ],
)
def test_no_trouble_with_erections_is_a_denial(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _triage(pack, text, lang).level is TriageLevel.SELF_CARE


# Class: number ignored, one leg read as both.
def test_one_leg_named_by_its_side_is_not_both_legs(pack: KnowledgePack) -> None:
    layer = load_crosslingual(
        pack.root, pack.triage_tables["en"], {"both_legs": ["x"]}, [], cache_dir=None
    )
    assert layer is not None

    def allows(code: str, text: str, rule: str = "both_legs") -> bool:
        own: LanguageExamples = layer.languages[code]
        return own.allows(rule, text, 0, len(text))

    assert not allows("es", "hormigueo en la pierna izquierda hasta ese pie")
    assert not allows("de", "es zieht ins rechte bein bis zu den zehen")
    assert not allows("pt", "a dor desce pela perna direita")
    assert not allows("ar", "تنميل في رجلي اليمين")
    # both named, or no side named: meaning decides as before
    assert allows("es", "hormigueo en las dos piernas, mas en la izquierda")
    assert allows("fr", "les deux jambes me lachent")
    assert allows("pl", "dretwieja mi nogi")
    # a clause naming no leg takes the message's count
    text = "a dor desce pela perna esquerda ate o pe, com formigamento"
    start = text.index("com formigamento")
    assert not layer.languages["pt"].allows("both_legs", text, start, len(text))
    text = "doem as duas pernas, com formigamento"
    start = text.index("com formigamento")
    assert layer.languages["pt"].allows("both_legs", text, start, len(text))
    # only both_legs is affected
    assert allows("es", "la pierna izquierda no me responde", "leg_weakness")


@pytest.mark.parametrize(
    "text",
    ["الألم ينزل في رجلي اليسار لحد الكعب", "عندي تنميل في رجلي اليمين"],
)
def test_an_arabic_leg_with_its_side_is_one_leg(pack: KnowledgePack, text: str) -> None:
    # "رجلي" is "my leg" and, without its shadda, "my legs": a side says one.
    result = _triage(pack, text, "ar", net=False)
    assert "both_legs" not in {flag.id for flag in result.flags}


@pytest.mark.parametrize("text", ["عندي تنميل في رجليّ الاثنتين", "ما أحس برجلي من الصبح"])
def test_arabic_legs_without_a_side_still_fire(pack: KnowledgePack, text: str) -> None:
    result = _triage(pack, text, "ar", net=False)
    assert "both_legs" in {flag.id for flag in result.flags}


# Class: a denial that covers only the first of a coordinated list.
def test_weder_noch_denies_the_second_item_however_far(pack: KnowledgePack) -> None:
    text = "ich habe weder Probleme mit der Blase noch mit dem Darm"
    assert _triage(pack, text, "de").level is TriageLevel.SELF_CARE
    # "noch" alone is "still": it denies nothing
    assert _triage(pack, "ich kann noch immer nicht pinkeln", "de").level is (TriageLevel.EMERGENCY)


# Class: statements of normal function read as a symptom by the encoder
# ("ich spüre noch alles" scored as saddle_numbness): such a clause is a denial
# and is not embedded, unless it also says a symptom.
@pytest.mark.parametrize(
    ("lang", "text", "denied"),
    [
        ("de", "ich spüre noch alles", True),
        ("es", "todavía lo noto todo ahí abajo", True),
        ("fr", "je sens encore tout", True),
        ("pl", "czuję jeszcze wszystko", True),
        ("pt", "ainda sinto tudo", True),
        ("ar", "لسه حاسس بكل شي", True),
        # "nothing else" closes a message; it says no symptom ("nic więcej" had
        # read as saddle numbness)
        ("pl", "nic więcej", True),
        ("es", "nada más", True),
        ("pl", "nie czuję nic więcej poniżej pasa", False),
        ("de", "ich spüre nicht mehr alles da unten", False),
        ("es", "no siento todo bien ahí abajo", False),
    ],
)
def test_feeling_everything_is_a_denial(
    pack: KnowledgePack, lang: str, text: str, denied: bool
) -> None:
    layer = load_crosslingual(pack.root, pack.triage_tables["en"], {}, [], cache_dir=None)
    assert layer is not None
    reader = layer.denials(lang, pack.triage_tables[lang].language)
    folded = normalise(text).text
    assert reader.denied(folded, 0, len(folded)) is denied


# Class: the clinician's words for a sign, and retention told as a story that
# opens with its negation ("no he ido al baño ... no sale nada").
@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    [
        ("es", "parestesias perianales desde ayer", "saddle_numbness"),
        ("es", "anestesia en silla de montar", "saddle_numbness"),
        ("pt", "anestesia em sela desde ontem", "saddle_numbness"),
        ("de", "Reithosenanästhesie seit dem Morgen", "saddle_numbness"),
        (
            "es",
            "no he ido al baño en todo el día y cuando lo intento no sale nada",
            "cauda_equina",
        ),
        (
            "fr",
            "je ne suis pas allé aux toilettes de la journée et quand j'essaie rien ne vient",
            "cauda_equina",
        ),
    ],
)
def test_clinical_words_and_stories_fire_their_rule(
    pack: KnowledgePack, lang: str, text: str, rule: str
) -> None:
    result = _triage(pack, text, lang, net=False)
    assert any(flag.id == rule and flag.layer == "rules" for flag in result.flags)


# Every rule table runs on every message, and Spanish and Portuguese share the
# clinical words: each table knows the other's denials.
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("pt", "sem parestesias na região genital"),
        ("es", "no hay hipoestesia perianal"),
        ("pt", "sem febre, sem perder urina, sem fraqueza nas pernas"),
    ],
)
def test_a_neighbours_denial_holds_in_both_tables(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    for code in ("es", "pt"):
        assert _triage(pack, text, code).level is TriageLevel.SELF_CARE, code


# Class: the carer's voice in the past tense. Arabic "ما قدر" (he could not)
# read as a plain negation denying what followed it.
def test_an_arabic_he_could_not_is_a_symptom(pack: KnowledgePack) -> None:
    result = _triage(pack, "زوجي ما قدر يبول من امبارح بالليل", "ar", net=False)
    assert "cauda_equina" in {flag.id for flag in result.flags}
    # an inability with nothing red-flag about it raises nothing
    assert _triage(pack, "أبوي ما قدر ينام من الوجع", "ar").level is TriageLevel.SELF_CARE


# Class: the legs named, then felt through a pronoun ("..., je ne les sens
# plus"); pallor and sweat in either order or with another word for pale.
@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    [
        ("fr", "mes deux pieds sont comme du bois, je ne les sens plus", "both_legs"),
        ("es", "tengo los pies helados y rígidos, no los noto", "both_legs"),
        ("pt", "as pernas estão estranhas, não as sinto desde ontem", "both_legs"),
        ("de", "meine Beine sind schwer, ich spüre sie nicht mehr", "both_legs"),
        ("pl", "od rana coś dziwnego z nogami, prawie nie czuję ich", "both_legs"),
        ("es", "mi abuela está gris y sudando, dice que la espalda le revienta", "aortic"),
        ("pt", "meu pai ficou todo suado e pálido com uma dor forte nas costas", "aortic"),
    ],
)
def test_pronouns_and_word_order_keep_the_sign(
    pack: KnowledgePack, lang: str, text: str, rule: str
) -> None:
    result = _triage(pack, text, lang, net=False)
    assert any(flag.id == rule and flag.layer == "rules" for flag in result.flags)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "tengo las piernas cansadas pero no las siento raras"),
        ("fr", "j'ai mal aux jambes mais je ne les sens pas engourdies"),
        ("pt", "as pernas doem mas não as sinto fracas"),
    ],
)
def test_a_pronoun_denying_a_quality_is_a_denial(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _triage(pack, text, lang).level is not TriageLevel.EMERGENCY


# Class: a crash into something, and legs that cannot move told of someone else.
@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    [
        ("de", "bin mit dem Auto in einen Baum gefahren, jetzt tut der Rücken weh", "major_trauma"),
        ("es", "me estrellé con la moto contra un muro y me duele la espalda", "major_trauma"),
        ("pl", "wjechałem autem w drzewo i bolą mnie plecy", "major_trauma"),
        ("es", "mi hijo se cayó del trampolín y no puede mover las piernas", "leg_weakness"),
        ("pt", "o meu avô não consegue mexer as pernas desde a queda", "leg_weakness"),
    ],
)
def test_the_net_escalates_crashes_and_legs_that_cannot_move(
    pack: KnowledgePack, lang: str, text: str, rule: str
) -> None:
    result = _triage(pack, text, lang)
    assert result.level is TriageLevel.EMERGENCY
    assert any(flag.id == rule and flag.layer == "safety_net" for flag in result.flags)


# Spoken French drops the "ne" ("j'ai plus de sensations"), and a carer's
# object pronoun sits inside the negated verb ("qui ne la portent plus");
# Arabic and Spanish carers' falls and numbness similes.
@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    [
        ("fr", "depuis ce matin j'ai plus de sensations quand je m'essuie", "saddle_numbness"),
        ("fr", "ma femme a les jambes qui ne la portent plus", "both_legs"),
        ("es", "tengo la zona del periné como de corcho", "saddle_numbness"),
        ("ar", "أختي طاحت من الدرج كله وظهرها يوجعها", "major_trauma"),
    ],
)
def test_spoken_forms_reach_the_rule(pack: KnowledgePack, lang: str, text: str, rule: str) -> None:
    result = _triage(pack, text, lang)
    assert result.level is TriageLevel.EMERGENCY
    assert rule in {flag.id for flag in result.flags}


def test_a_dropped_ne_does_not_turn_nothing_odd_into_a_loss(pack: KnowledgePack) -> None:
    result = _triage(pack, "aucune sensation bizarre aux fesses", "fr")
    assert result.level is not TriageLevel.EMERGENCY


# Class: time without peeing told as a duration ("ça fait 12h que j'ai pas
# pissé"), spoken French without "ne", slang and possessives for the area,
# and speed making a fall a serious injury.
@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    [
        ("fr", "ça fait 12h que j'ai pas pissé alors que j'ai bu", "cauda_equina"),
        ("pt", "faz 10 horas que não faço xixi e a barriga tá estufada", "cauda_equina"),
        ("ar", "من ١٠ ساعات ما بلت والمثانة منفوخة", "cauda_equina"),
        ("fr", "maintenant je sens pas mes pieds", "both_legs"),
        ("fr", "il dit qu'il sent plus son zizi", "saddle_numbness"),
        ("fr", "plus de sensation en bas", "saddle_numbness"),
        ("fr", "jarrive pu a pisser", "cauda_equina"),
        ("pt", "ela disse que tá sem sentir a perereca desde ontem", "saddle_numbness"),
        ("ar", "زوجتي تقول ما تحس بمؤخرتها", "saddle_numbness"),
        ("pl", "przewróciłem się na rowerze z dużą prędkością, plecy bolą", "major_trauma"),
    ],
)
def test_durations_spoken_forms_and_speed_reach_the_rule(
    pack: KnowledgePack, lang: str, text: str, rule: str
) -> None:
    result = _triage(pack, text, lang)
    assert rule in {flag.id for flag in result.flags}


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "je sens plus rien de bizarre, tout va bien"),
        ("fr", "je n'ai pas de sensation anormale entre les jambes"),
        ("pt", "faz 2 dias que não tenho febre"),
    ],
)
def test_spoken_denials_stay_denials(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _triage(pack, text, lang).level is TriageLevel.SELF_CARE


def test_a_spoken_french_no_followed_by_de_is_a_denial(pack: KnowledgePack) -> None:
    layer = load_crosslingual(pack.root, pack.triage_tables["en"], {}, [], cache_dir=None)
    assert layer is not None
    reader = layer.denials("fr", pack.triage_tables["fr"].language)
    for text, denied in (("je sens pas de gene dans les jambes", True), ("je sens pas", False)):
        assert reader.denied(text, 0, len(text)) is denied, text
