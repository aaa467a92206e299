"""Round 13 of foreign triage: the tenth set's misses and over-triage, by class.

Each positive case is wording written for the test (no line of an eval set)
and fails on the code before round 13 (f533a67; docs/languages.md, "Round
13"); each class has guards that must stay where they were.
"""

from __future__ import annotations

import pytest

from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.model import TriageLevel
from backcare.retrieval.multilingual import MultilingualEncoder
from backcare.service import multilingual_encoder, prepare_query, triage_layers, triage_message
from backcare.settings import Settings
from backcare.triage._negation import normalise
from backcare.triage.crosslingual import Denials, LanguageExamples
from tests.test_i18n_safety_net import _triage


@pytest.fixture(scope="module")
def pack() -> KnowledgePack:
    return load_pack()


@pytest.fixture(scope="module")
def e5(settings: Settings) -> MultilingualEncoder:
    encoder = multilingual_encoder(settings.model_dir)
    if encoder is None:
        pytest.skip("the multilingual encoder is not built (backcare kb build-multilingual)")
    return encoder


def _level(pack: KnowledgePack, lang: str, text: str) -> TriageLevel:
    return _triage(pack, text, lang).level


def _fires(pack: KnowledgePack, lang: str, text: str, rule: str) -> bool:
    result = _triage(pack, text, lang)
    return any(f.id == rule for f in result.flags)


def _embedded(pack: KnowledgePack, code: str, text: str) -> bool:
    """Whether the cross-language layer would embed any clause of ``text``."""
    layer = triage_layers(pack).crosslingual
    assert layer is not None
    denials = layer.denials(code, pack.triage_tables[code].language)
    return bool(layer.candidates(normalise(text), denials))


# Item 2: a sign asked and answered no ("X? no"). The rules matched the sign
# before reading the answer; English's post_negation already read "? no".
ANSWERED_NO = [
    ("es", "¿entumecimiento en la entrepierna? no, ninguno"),
    ("fr", "des douleurs thoraciques ? non, aucune"),
    ("de", "Schmerzen in der Brust? nein"),
    ("pl", "drętwienie krocza? nie, nic"),
    ("pt", "dor no peito? não, nenhuma"),
    ("ar", "ألم في الصدر؟ لا أبدا"),
]


@pytest.mark.parametrize(("lang", "text"), ANSWERED_NO)
def test_a_sign_answered_no_is_denied(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _level(pack, lang, text) is TriageLevel.SELF_CARE
    assert not _embedded(pack, lang, text)


# Guards: "I don't know" or "I can't" after the mark is no answer, and a sign
# after "no, but" still counts.
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "¿dolor en el pecho? no sé, me aprieta mucho"),
        ("es", "¿y el pecho? no puedo respirar"),
        ("pl", "ból w klatce piersiowej? nie wiem, ściska mnie"),
        ("pt", "dor no peito? não sei dizer, aperta muito"),
        ("fr", "une fièvre ? non, mais je ne sens plus mes fesses"),
        ("de", "Fieber? nein, aber ich kann seit heute früh nicht pinkeln"),
        ("ar", "حرارة؟ لا، بس ما أقدر أبول من الصبح"),
    ],
)
def test_no_answer_or_a_later_sign_still_fires(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _level(pack, lang, text) is TriageLevel.EMERGENCY


# Class A (6 tenth-set emergencies, one a language): dizziness or pallor told
# in an everyday form (a verb in any person, "white as the wall") with back
# and belly pain. The aortic rules knew dizziness only as a noun right before
# the belly, and pallor only beside sweat.
DIZZY_PALE_BELLY = [
    ("es", "se le fue la cabeza, mareada total, y ahora le duele la tripa y los riñones"),
    ("es", "estoy pálido y me duele muchísimo la barriga y la zona lumbar"),
    ("fr", "la tête me tourne depuis une heure, le dos et le bide me font un mal de chien"),
    ("fr", "mon mari est devenu tout gris, il a très mal au ventre et aux lombaires"),
    ("de", "bin ganz benommen, kreidebleich, Bauch und Kreuz tun höllisch weh"),
    ("pl", "bardzo boli mnie brzuch i krzyż, a mąż mówi, że jestem blada"),
    ("pt", "estou zonza e com a barriga e as costas a doer muito"),
    ("ar", "أبوي لونه صار أصفر ويقول إن بطنه وظهره يوجعونه"),
]


@pytest.mark.parametrize(("lang", "text"), DIZZY_PALE_BELLY)
def test_dizziness_or_pallor_with_belly_pain_is_aortic(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert _fires(pack, lang, text, "aortic")


# Guards: pallor or dizziness denied, or with no belly in the sentence.
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "no me he mareado y la barriga está bien, solo la espalda"),
        ("fr", "pas de vertiges. le dos me lance"),
        ("de", "kein Schwindel, nur der Rücken"),
        ("pl", "nie mam zawrotów głowy, tylko krzyż boli"),
        ("pt", "fiquei branca de susto quando travou a lombar"),
    ],
)
def test_pallor_or_dizziness_alone_is_not_aortic(pack: KnowledgePack, lang: str, text: str) -> None:
    assert not _fires(pack, lang, text, "aortic")


# Class B (3 tenth-set emergencies: de, ar, es): a fall told with its height
# in metres before the verb, in a case ending or in words ("aus gut drei
# Metern ... gefallen", "ثلاثة أمتار"), or a staircase tumbled in slang.
HEIGHT_FALLS = [
    ("es", "fueron unos cuatro metros y me caí de espaldas sobre el suelo del garaje"),
    ("es", "bajé los escalones rodando, del primero al último"),
    ("de", "aus knapp vier Metern bin ich vom Heuboden gestürzt"),
    ("fr", "trois mètres plus bas, je suis tombé sur le dos"),
    ("pl", "z trzech metrów spadłem plecami na beton"),
    ("pt", "foram uns três metros, caí de costas no chão"),
    ("ar", "طحت وأنا أركب المكيف، تقريبا أربعة أمتار"),
    ("ar", "مترين ونص ووقعت على ظهري"),
]


@pytest.mark.parametrize(("lang", "text"), HEIGHT_FALLS)
def test_a_fall_from_metres_told_any_way_is_major_trauma(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert _fires(pack, lang, text, "major_trauma")


# Guards: metres with no fall, or a near fall.
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "camino dos metros y me tengo que sentar por la espalda"),
        ("de", "nach drei Metern Gehen muss ich stehen bleiben, der Rücken"),
        ("pl", "po trzech metrach marszu bolą mnie plecy"),
    ],
)
def test_metres_without_a_fall_are_not_trauma(pack: KnowledgePack, lang: str, text: str) -> None:
    assert not _fires(pack, lang, text, "major_trauma")


# Class C (2 tenth-set emergencies: pl, ar): breathlessness said as a bare noun
# phrase ("brak tchu") or a verb in any person ("أنهج", I pant).
BREATHLESS = [
    ("pl", "od wczoraj zadyszka przy każdym kroku i kłuje w plecach"),
    ("pl", "brak tchu, plecy bolą między łopatkami"),
    ("de", "nach zwei Stufen bin ich völlig außer Atem, dazu der Rücken"),
    ("ar", "أمي تنهج من أقل حركة وظهرها يوجعها"),
    ("ar", "ألهث وأنا أمشي وعندي ألم في الظهر"),
]


@pytest.mark.parametrize(("lang", "text"), BREATHLESS)
def test_breathlessness_in_everyday_words_is_an_emergency(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert _fires(pack, lang, text, "chest_breathless")


# Arabic punctuation (round 13): "،", "؛" and "؟" end a clause, and "؛" and
# "؟" a sentence, so a reassurance in one Arabic sentence ("في البداية كنت بخير",
# at first I was fine) no longer covers the fall told in the one before.
def test_an_arabic_reassurance_after_its_semicolon_covers_only_its_sentence(
    pack: KnowledgePack,
) -> None:
    told = "انقلبت فينا السيارة على الطريق؛ في البداية كنت بخير"
    assert _level(pack, "ar", told) is TriageLevel.EMERGENCY
    # the same reassurance in the same sentence still settles a bare list
    assert _level(pack, "ar", "المثانة والرجلين كلها طبيعية") is TriageLevel.SELF_CARE


# Class D (2 tenth-set emergencies: fr, pl): saddle anaesthesia in its
# clinical name ("anesthésie en selle", "znieczulenie typu siodłowego"), and
# Arabic "تخدير" (anaesthesia) as a numbness word.
CLINICAL_SADDLE = [
    ("fr", "hypoesthésie en selle constatée par le kiné"),
    ("pl", "lekarz podejrzewa niedoczulicę siodłową"),
    ("pl", "od rana zaburzenia czucia w okolicy siodła"),
    ("ar", "عندي تخدير في الأرداف من الصبح"),
]


@pytest.mark.parametrize(("lang", "text"), CLINICAL_SADDLE)
def test_clinical_saddle_anaesthesia(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _fires(pack, lang, text, "saddle_numbness")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "je vais à la selle sans souci, juste le dos bloqué"),
        ("pl", "siodło roweru było za wysoko i bolą mnie plecy"),
        ("ar", "بعد إبرة التخدير في الأسنان ظهري يوجعني"),
    ],
)
def test_saddle_words_without_a_loss_are_not_saddle_numbness(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert not _fires(pack, lang, text, "saddle_numbness")


# Class E (de on the tenth set, fr on the ninth): sciatica on both sides.
BILATERAL_SCIATICA = [
    ("es", "tengo ciática izquierda y derecha desde el lunes"),
    ("fr", "une sciatique à droite et à gauche depuis hier soir"),
    ("de", "Ischias rechts und links seit heute"),
    ("pl", "rwa kulszowa z obu stron od tygodnia"),
    ("pt", "ciática esquerda e direita desde ontem"),
    ("ar", "عرق النسا يمين ويسار من أمس"),
]


@pytest.mark.parametrize(("lang", "text"), BILATERAL_SCIATICA)
def test_sciatica_on_both_sides_is_both_legs(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _fires(pack, lang, text, "both_legs")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "ciática en la pierna derecha"),
        ("de", "Ischias links, rechts ist alles gut"),
        ("pt", "ciática só do lado esquerdo"),
    ],
)
def test_one_sided_sciatica_is_not_both_legs(pack: KnowledgePack, lang: str, text: str) -> None:
    assert not _fires(pack, lang, text, "both_legs")


# Single-line classes, each a family: the tear as a noun (pl), not noticing a
# bowel accident in the past tense of any person (pl), "los dos pies" in the
# masculine (es), weaker "de hora para hora" (pt).
@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    [
        ("pl", "ból jak rozerwanie w krzyżu, nagle", "aortic"),
        ("pl", "dziadek zrobił kupę i nic nie poczuł", "cauda_equina"),
        ("es", "desde la operación noto hormigueo en los dos pies", "both_legs"),
        ("pt", "de hora para hora tenho menos força na perna", "leg_weakness"),
    ],
)
def test_single_line_families(pack: KnowledgePack, lang: str, text: str, rule: str) -> None:
    assert _fires(pack, lang, text, rule)


def _language(pack: KnowledgePack, code: str) -> LanguageExamples:
    layer = triage_layers(pack).crosslingual
    assert layer is not None
    return layer.languages[code]


# Item 1 (the cross-language layer's over-triage): a clause whose only subject
# is the back, or an ordinary back complaint, no longer raises a rule about
# another part of the body, an event or a history. A clause with no subject
# at all ("nie czuję") still takes it from the rest of the message.
BACK_ONLY = [
    ("es", "me levanté con la espalda tiesa"),
    ("fr", "un vieux tour de reins qui revient"),
    ("de", "nur ein verspannter Rücken nach dem Umzug"),
    ("pl", "ja mam tylko ból krzyża"),
    ("pt", "acordei com a lombar travada"),
    ("ar", "صحيت وظهري متيبس"),
]


@pytest.mark.parametrize(("lang", "text"), BACK_ONLY)
def test_a_clause_about_the_back_alone_is_back_only(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    normalised = normalise(text).text
    assert _language(pack, lang).back_only(normalised, 0, len(normalised))


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "me duele la espalda y no siento las piernas"),
        ("fr", "mal au dos et au ventre"),
        ("de", "Rücken tut weh und ich kann nicht pinkeln"),
        ("pl", "ból krzyża i gorączka"),
        ("pt", "dor nas costas e tenho cancro"),
        ("ar", "ظهري يوجعني وما أحس برجلي"),
        ("pl", "nie czuję"),
    ],
)
def test_a_clause_with_another_subject_or_none_is_not_back_only(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    normalised = normalise(text).text
    assert not _language(pack, lang).back_only(normalised, 0, len(normalised))


# Over-triage class: the chest as a gym exercise (3 tenth-set lines: es, pl by
# the net, ar by the cross-language layer). The net's chest `unless` gains
# the exercises, and every topic's `unless` now also keeps the layer's rules
# of that topic off the clause.
GYM_CHEST = [
    ("es", "me dio un pinchazo lumbar en el día de pecho"),
    ("fr", "je me suis bloqué le dos au développé couché"),
    ("de", "beim Bankdrücken hat's im Kreuz gezogen"),
    ("pl", "po treningu klatki na siłowni boli mnie krzyż"),
    ("pt", "travei as costas no supino"),
    ("ar", "تعورت في ظهري وأنا ألعب بنش برس"),
]


@pytest.mark.parametrize(("lang", "text"), GYM_CHEST)
def test_the_chest_as_a_gym_exercise_is_no_chest_question(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert _level(pack, lang, text) is TriageLevel.SELF_CARE
    normalised = normalise(text).text
    assert not _language(pack, lang).allows("chest_breathless", normalised, 0, len(normalised))


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "en el gimnasio, haciendo press de banca, me dio un dolor opresivo en el pecho"),
        ("pl", "na siłowni zaczęła mnie boleć klatka piersiowa i brak mi tchu"),
    ],
)
def test_chest_pain_at_the_gym_still_fires(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _level(pack, lang, text) is TriageLevel.EMERGENCY


def test_legs_said_top_are_fine(pack: KnowledgePack) -> None:
    layer = triage_layers(pack).crosslingual
    assert layer is not None
    assert not layer.candidates(normalise("die Beine sind top"), _denials(pack, "de"))


# With the multilingual encoder: the layer read these back-only messages as
# cauda equina and a cancer history before round 13.
@pytest.mark.parametrize(
    ("text"),
    [
        "ja mam tylko ból krzyża",
        "j'ai eu une crise de lumbago, passée en huit jours, tout va bien",
    ],
)
def test_back_only_messages_stay_self_care_with_the_encoder(
    pack: KnowledgePack, e5: MultilingualEncoder, text: str
) -> None:
    result = triage_message(pack, prepare_query(text), multilingual=e5)[1]
    assert result.level is TriageLevel.SELF_CARE


def _denials(pack: KnowledgePack, code: str) -> Denials:
    layer = triage_layers(pack).crosslingual
    assert layer is not None
    return layer.denials(code, pack.triage_tables[code].language)


# A rule's own vetoes in the language table (an episode over: "passé",
# "passou") keep the cross-language layer from raising it in that clause.
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "ça a duré dix jours puis c'est passé"),
        ("pt", "durou uma semana e passou"),
    ],
)
def test_a_rule_veto_in_the_clause_holds_for_the_layer(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    layer = triage_layers(pack).crosslingual
    assert layer is not None
    vetoes = layer.rule_vetoes(lang, pack.triage_tables[lang])
    normalised = normalise(text).text
    assert vetoes["not_improving"].search(normalised)


# Item 3: a message identified in a language without rules, on which a served
# table still raised a sign, said both "this message was NOT checked" and the
# sign's action. It now says the check was partial; with no sign, the plain
# "not checked" notice stays. Either way ``checked`` is False.
def test_a_sign_found_in_an_unsupported_language_says_the_check_was_partial(
    pack: KnowledgePack,
) -> None:
    detected, result = triage_message(
        pack, prepare_query("avui tinc febre i l'esquena em fa molt de mal")
    )
    assert detected.code == "ca"
    assert result.level is TriageLevel.URGENT
    assert not result.checked
    partial = pack.translations.partial["en"].format(language="Catalan")
    unchecked = pack.translations.unchecked["en"].format(language="Catalan")
    assert result.message.startswith(partial)
    assert unchecked not in result.message
    assert "NOT checked" not in result.message


def test_no_sign_in_an_unsupported_language_keeps_the_not_checked_notice(
    pack: KnowledgePack,
) -> None:
    text = "ik heb sinds gisteren veel rugpijn na het tillen van een doos"
    detected, result = triage_message(pack, prepare_query(text))
    assert detected.code == "nl"
    assert not result.checked
    assert result.message.startswith(pack.translations.unchecked["en"].format(language="Dutch"))


def test_every_reply_language_has_a_partial_notice(pack: KnowledgePack) -> None:
    partial = pack.translations.partial
    assert set(partial) == {"en", *pack.translations.red_flags}
    assert all("{language}" in text for text in partial.values())
    assert all(text != pack.translations.unchecked[code] for code, text in partial.items())


# Doctor-level class (6 tenth-set lines, one a language, and 10 more on older
# dev sets): a first back pain under 20 or over 50. The English rule reads
# ages with English words; the foreign tables had no such rule, so "j'ai 17
# ans et c'est la première fois" was self_care. Each table now reads the age
# and "first time" together, in either order.
FIRST_AT_AGE = [
    ("es", "es la primera vez que me pasa y tengo 14 años"),
    ("fr", "à 63 ans, c'est la première fois que le dos me lâche"),
    ("de", "mit 52 zum ersten Mal so einen Hexenschuss"),
    ("pl", "mam 19 lat i po raz pierwszy strzyknęło mi w krzyżu"),
    ("pt", "tenho 70 anos e é a primeira vez que as costas me doem assim"),
    ("ar", "عمري ١٨ سنة ولأول مرة يصير عندي ألم في أسفل الظهر"),
]


@pytest.mark.parametrize(("lang", "text"), FIRST_AT_AGE)
def test_a_first_back_pain_under_20_or_over_50(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _fires(pack, lang, text, "age_new_pain")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "tengo 35 años y es la primera vez que me da un lumbago"),
        ("fr", "j'ai 17 ans et ça me refait mal au dos comme d'habitude"),
        ("pl", "mam 16 lat i znowu boli mnie krzyż"),
        ("pt", "o meu filho tem 16 anos e é a primeira vez que tem dor nas costas"),
    ],
)
def test_other_ages_or_a_recurrence_are_not_a_first_pain(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert not _fires(pack, lang, text, "age_new_pain")


# Urgent-level families: long-term steroids with the time said first, and
# weight lost told with Spanish "adelgazar".
@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    [
        (
            "de",
            "seit vielen Jahren Prednisolon, und heute beim Husten hat es im Kreuz geknackt",
            "fracture_risk",
        ),
        (
            "fr",
            "depuis des années sous cortisone, j'ai éternué et le dos a craqué",
            "fracture_risk",
        ),
        ("pl", "od lat biorę sterydy, kichnąłem i strzeliło w krzyżu", "fracture_risk"),
        ("es", "he adelgazado unos seis kilos sin buscarlo", "weight_loss"),
    ],
)
def test_urgent_families(pack: KnowledgePack, lang: str, text: str, rule: str) -> None:
    assert _fires(pack, lang, text, rule)


# The ninth set's nine emergencies still missed after round 12, read as
# families: the bladder's filling no longer felt and a partner's lost feeling
# or erection (ar), a foot that goes slack and slaps the ground (ar), the
# perineum named as a compound ("Dammbereich"), numb "as if from the
# dentist's anaesthetic" and both legs burning (es), wetting without noticing
# in any person, a partner's lost erection or feeling "down there", and the
# singular of a non-native "as duas perna" (pt).
NINTH_SET_FAMILIES = [
    ("ar", "ما عدت أحس بمثانتي إذا امتلت", "cauda_equina"),
    ("ar", "زوجي من يومين ما عنده انتصاب وظهره يوجعه", "cauda_equina"),
    ("ar", "صارت قدم أبوي تطب على الأرض وهو يمشي", "leg_weakness"),
    ("de", "seit heute früh ist die Dammregion wie taub", "saddle_numbness"),
    ("es", "las nalgas como si me hubieran puesto anestesia", "saddle_numbness"),
    ("es", "ahora las dos piernas me queman hasta los tobillos", "both_legs"),
    ("pt", "o avô molhou as calças sem perceber", "cauda_equina"),
    ("pt", "o meu marido não consegue ficar com ereção desde a crise", "cauda_equina"),
    ("pt", "não sinto mais nada ali em baixo", "saddle_numbness"),
    ("pt", "as duas perna dormente desde ontem", "both_legs"),
]


@pytest.mark.parametrize(("lang", "text", "rule"), NINTH_SET_FAMILIES)
def test_ninth_set_families(pack: KnowledgePack, lang: str, text: str, rule: str) -> None:
    assert _fires(pack, lang, text, rule)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "fui al dentista con anestesia y luego me dio un tirón en la espalda"),
        ("pt", "molhei a camisola de suor sem perceber no ginásio"),
        ("ar", "أحس إن مثانتي تمتلئ بسرعة لأني أشرب كثير"),
    ],
)
def test_ninth_set_family_guards(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _level(pack, lang, text) is not TriageLevel.EMERGENCY


# Urgent lines left on the older dev sets, as families: injected drugs, HIV
# or a weak immune system in everyday words, chemotherapy with its article
# (ar), and labour-like pain told as a count of minutes or a hardening belly
# late in pregnancy, the pregnancy given by its week alone (pl, pt).
@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    [
        ("fr", "séropositive depuis dix ans, mal au dos depuis lundi", "infection_risk"),
        ("pl", "od dwóch lat biorę w żyłę, bolą mnie plecy", "infection_risk"),
        ("pt", "uso droga injetável e a lombar dói há dias", "infection_risk"),
        ("ar", "عندي ضعف في المناعة وظهري يوجعني", "infection_risk"),
        (
            "es",
            "embarazada de 36 semanas y el dolor lumbar vuelve cada cinco minutos",
            "pregnancy_labour",
        ),
        (
            "fr",
            "enceinte, 37 semaines, le dos me serre toutes les cinq minutes",
            "pregnancy_labour",
        ),
        ("pl", "jestem w 36 tygodniu i krzyż boli co pięć minut", "pregnancy_labour"),
        ("pt", "34 semanas e a barriga endurecendo, dói a lombar", "pregnancy_labour"),
        ("ar", "حامل وألم الظهر يرجع كل عشر دقائق", "pregnancy_labour"),
    ],
)
def test_urgent_families_of_older_dev_sets(
    pack: KnowledgePack, lang: str, text: str, rule: str
) -> None:
    assert _fires(pack, lang, text, rule)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "cada cinco minutos me levanto a estirar la espalda"),
        ("pl", "co pięć minut muszę zmieniać pozycję, plecy bolą"),
        ("pt", "faço alongamentos de 10 em 10 minutos"),
    ],
)
def test_minutes_without_a_pregnancy_are_not_labour(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert not _fires(pack, lang, text, "pregnancy_labour")
