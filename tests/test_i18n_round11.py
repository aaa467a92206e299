"""Round 11 of foreign triage: the eighth set's misses, by class.

Each case is wording written for the test (no line of an eval set) and fails
on the code before round 11 (58526d7; docs/languages.md, "Round 11").
"""

from __future__ import annotations

import pytest

from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.model import TriageLevel
from backcare.triage._negation import normalise
from backcare.triage.crosslingual import load_crosslingual
from tests.test_i18n_safety_net import _triage


@pytest.fixture(scope="module")
def pack() -> KnowledgePack:
    return load_pack()


def _fires(pack: KnowledgePack, lang: str, text: str, rule: str) -> bool:
    result = _triage(pack, text, lang)
    return result.level is TriageLevel.EMERGENCY and any(f.id == rule for f in result.flags)


# Class 1: aortic signs were single forms (first person, "dor" right before
# "dilacerante", "عرق بارد" without its accusative ending, no aneurysm word).
AORTIC = [
    ("es", "me dio un dolor en la espalda muy raro, desgarrador, y me llega a la tripa"),
    ("es", "tengo un aneurisma y hoy la espalda me está matando"),
    ("es", "a mi padre se le nubló la vista en el baño y le duele muchísimo la espalda"),
    ("es", "estoy pálida y pegajosa, con dolor de espalda y barriga"),
    ("pt", "uma dor nas costas de repente, parecia estar rasgando por dentro"),
    ("pt", "a minha mãe desmaiou na sala, ela tinha dor nas costas desde ontem"),
    ("pt", "tenho aneurisma da aorta e as costas doem muito desde hoje"),
    ("pt", "a vista escureceu e a dor nas costas ficou insuportável"),
    ("fr", "j'ai un anévrisme et une douleur violente dans le dos"),
    ("fr", "ma sœur a le cœur qui cogne dans le ventre et mal au dos"),
    ("fr", "j'ai vu tout noir dans la cuisine, le dos me lance"),
    ("de", "ich habe ein Aneurysma und seit heute brutale Rückenschmerzen"),
    ("de", "mir wurde schwarz vor Augen, der Rücken tut höllisch weh"),
    ("pl", "mam tętniaka i od rana strasznie boli mnie krzyż"),
    ("pl", "pociemniało... ciemno przed oczami i ból pleców nie do zniesienia"),
    ("ar", "وجع مفاجئ وممزق في ظهري يروح للبطن"),
    ("ar", "أخي يتصبب عرقاً بارداً وماسك ظهره"),
    ("ar", "عندي تمدد في الأبهر وظهري يوجعني من الصبح"),
]


@pytest.mark.parametrize(("lang", "text"), AORTIC)
def test_aortic_families(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _fires(pack, lang, text, "aortic")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "no me he desmayado, solo me duele la espalda"),
        ("pt", "não desmaiei, é só dor nas costas"),
        ("es", "tengo un desgarro muscular en la espalda del gimnasio"),
        ("fr", "pas de malaise, pas de voile noir, juste le dos bloqué"),
    ],
)
def test_aortic_denials_and_muscle_tears_stay_below(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert not any(f.id == "aortic" for f in _triage(pack, text, lang).flags)


def test_the_ligature_folds() -> None:
    # NFKD leaves "œ" whole, so "cœur" never read as "coeur".
    assert normalise("mon cœur, ma sœur").text == "mon coeur, ma soeur"


# Class 2: serious injury told with verbs and measures the tables lacked.
TRAUMA = [
    ("es", "me caí desde casi cuatro metros y me duele la espalda"),
    ("es", "estaba subido al tejado arreglando una teja y me caí de espaldas"),
    ("pt", "dei com o carro num poste e agora as costas doem"),
    ("pt", "caí de uns três metros quando pintava a casa"),
    ("fr", "ma jument m'a désarçonnée et je suis tombée sur les reins"),
    ("fr", "j'ai dévalé l'escalier de la cave sur les fesses, le dos me fait mal"),
    ("fr", "je suis tombée de deux mètres en cueillant des cerises"),
    ("de", "bin mit meinem Rad abgeflogen, jetzt tut der Rücken weh"),
    ("de", "bin mitm Roller abgeflogen, Rücken tut weh"),
    ("pl", "rozbiłem auto na trasie i bolą mnie plecy"),
    ("pl", "zaliczyłem dzwona na rondzie, teraz boli krzyż"),
]


@pytest.mark.parametrize(("lang", "text"), TRAUMA)
def test_trauma_families(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _fires(pack, lang, text, "major_trauma")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "subí la escalera de casa y me dio un tirón en la espalda"),
        ("fr", "je monte à cheval tous les dimanches et j'ai mal au dos"),
        ("de", "fahre jeden Tag mit dem Rad, der Rücken ist verspannt"),
        ("pt", "bati com as costas na porta do carro, está dorido"),
    ],
)
def test_trauma_words_without_an_injury_stay_below(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert not any(f.id == "major_trauma" for f in _triage(pack, text, lang).flags)


# Class 3: Arabic temporal "ما" ("من ساعة ما", "من يوم ما", "أول ما": since,
# as soon as) was read as a denial and silenced the loss that followed.
@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("من يوم ما وقعت ما أحس برجليّ الاثنتين", "both_legs"),
        ("أول ما قمت من النوم ما قدرت أتبول", "cauda_equina"),
        ("ما عاد عندي أي شعور أثناء الجماع من يوم ما انشد ظهري", "cauda_equina"),
    ],
)
def test_arabic_since_is_not_a_denial(pack: KnowledgePack, text: str, rule: str) -> None:
    assert _fires(pack, "ar", text, rule)


@pytest.mark.parametrize(
    "text",
    [
        "من ساعة ما انشد ظهري ما عندي أي مشكلة في البول",
        "من يوم ما بدأ الألم ما عندي تنميل ولا ضعف",
    ],
)
def test_arabic_denials_after_since_still_deny(pack: KnowledgePack, text: str) -> None:
    assert _triage(pack, text, "ar").level is TriageLevel.SELF_CARE


# Class 4: losses told with an object, a possessive, another person or a
# dialect form the families lacked.
LOSSES = [
    ("ar", "أبوي بلل سرواله وهو نايم وما حس", "cauda_equina"),
    ("ar", "أختي تبرزت في ملابسها وما انتبهت", "cauda_equina"),
    ("ar", "ما عدت أحس إن المثانة مليانة", "cauda_equina"),
    ("ar", "صار عندي سقوط في القدم من الصبح", "leg_weakness"),
    ("ar", "ما أقدر أرفع أطراف قدمي من أمس", "leg_weakness"),
    ("ar", "أبوي ما يحس بقدميه من الظهر", "both_legs"),
    ("ar", "مش قادرة آخد نفسي وظهري واجعني", "chest_breathless"),
    ("fr", "je sentais plus mes fesses sur la selle du vélo", "saddle_numbness"),
    ("fr", "mon mari bande plus depuis son lumbago", "cauda_equina"),
    ("fr", "j'arrive plus à bander depuis que j'ai le dos bloqué", "cauda_equina"),
    ("de", "mein Knie sackt immer wieder weg, seit heute morgen schlimmer", "leg_weakness"),
    ("de", "beide Beine fühlen sich seit dem Mittag wie tot an", "both_legs"),
    ("pl", "nogi się pode mną ugięły dwa razy na schodach", "leg_weakness"),
    ("pl", "ugięło mi się kolano i upadłem w kuchni", "leg_weakness"),
]


@pytest.mark.parametrize(("lang", "text", "rule"), LOSSES)
def test_loss_families(pack: KnowledgePack, lang: str, text: str, rule: str) -> None:
    assert _fires(pack, lang, text, rule)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "pas de souci pour bander, juste le dos"),
        ("fr", "je lis une bande dessinée, mal au dos"),
        ("de", "bin gestern umgeknickt, der Knöchel ist dick, Rücken verspannt"),
        # The Polish net read the verbal noun "uginanie" (bending) as giving way.
        ("pl", "przy uginaniu kolan boli mnie krzyż"),
        ("ar", "ما عندي مشكلة في التبول ولا في الانتصاب"),
    ],
)
def test_loss_words_without_a_loss_stay_self_care(
    pack: KnowledgePack, lang: str, text: str
) -> None:
    assert _triage(pack, text, lang).level is TriageLevel.SELF_CARE


# Class 5: statements of normal function in everyday words ("topfit", "en
# pleine forme", "oddycham swobodnie") were not reassurances, so the
# cross-language layer and the nets read the body part they name as a symptom.
FINE = [
    ("de", "beine topfit"),
    ("de", "die beine sind bestens"),
    ("es", "las piernas estupendas"),
    ("fr", "les jambes en pleine forme"),
    ("pl", "nogi w formie"),
    ("pl", "oddycham swobodnie"),
    ("pt", "as pernas estao em forma"),
    ("ar", "رجلي زي الفل"),
]


@pytest.mark.parametrize(("lang", "text"), FINE)
def test_everyday_fine_words_deny_a_clause(pack: KnowledgePack, lang: str, text: str) -> None:
    layer = load_crosslingual(
        pack.root, pack.triage_tables["en"], {"both_legs": ["x"]}, [], cache_dir=None
    )
    assert layer is not None
    folded = normalise(text).text
    denials = layer.denials(lang, pack.triage_tables[lang].language)
    assert denials.denied(folded, 0, len(folded))


def test_breathing_freely_settles_the_polish_chest_question(pack: KnowledgePack) -> None:
    text = "nogi w pełni sprawne, oddycham swobodnie, tylko krzyż mnie łupie"
    assert _triage(pack, text, "pl").level is TriageLevel.SELF_CARE


def test_going_for_a_walk_is_walking(pack: KnowledgePack) -> None:
    layer = load_crosslingual(
        pack.root, pack.triage_tables["en"], {"both_legs": ["x"]}, [], cache_dir=None
    )
    assert layer is not None
    text = "war heute sogar spazieren"
    assert not layer.languages["de"].allows("leg_weakness", text, 0, len(text))


@pytest.mark.parametrize(
    "text",
    [
        "die Beine sind nicht mehr fit, seit heute knicken beide weg",
        "seit dem Mittag knicken mir die Beine immer wieder weg",
    ],
)
def test_german_legs_buckling_verb_first(pack: KnowledgePack, text: str) -> None:
    assert _fires(pack, "de", text, "both_legs")


# Class 6 (round 10's open items): French elision glues the article to the
# noun ("de l'incontinence" -> "de lincontinence"), and Portuguese says the
# loss before both legs ("perdi a força nas duas pernas").
@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    [
        ("fr", "depuis hier j'ai de l'incontinence et mal au dos", "cauda_equina"),
        ("fr", "je souffre d'incontinence depuis ce matin avec le dos bloqué", "cauda_equina"),
        ("fr", "j'ai perdu l'envie d'uriner depuis hier", "cauda_equina"),
        ("pt", "perdi a força nas duas pernas desde ontem", "both_legs"),
        ("pt", "fiquei sem força nas duas pernas", "both_legs"),
        ("pt", "não tenho força nenhuma nas pernas, as duas", "both_legs"),
    ],
)
def test_round_ten_open_items(pack: KnowledgePack, lang: str, text: str, rule: str) -> None:
    assert _fires(pack, lang, text, rule)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "pas de fuites, pas d'incontinence, rien"),
        ("fr", "j'ai pas envie d'uriner là, c'est juste le dos"),
        ("pt", "sem perder a força nas pernas, só a lombar"),
        ("pt", "a força nas pernas está normal, não perdi nada"),
    ],
)
def test_round_ten_open_items_denied(pack: KnowledgePack, lang: str, text: str) -> None:
    assert _triage(pack, text, lang).level is TriageLevel.SELF_CARE
