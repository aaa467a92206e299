"""The red-flag interview: follow-up questions, answers and the final level.

Safety-net flags (``check_<topic>``, layer ``safety_net``) are made by hand
here, as the contract with the detection layers describes them, so these tests
do not depend on which detector raises them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from backcare import KnowledgePack, QueryError, load_pack, triage_text
from backcare.errors import PackValidationError
from backcare.knowledge.follow_up import SAFETY_NET_TOPICS
from backcare.model import TriageFlag, TriageLevel, TriageResult
from backcare.service import triage_answers, warning_signs
from backcare.triage.interview import apply_answers, checklist, follow_up_for, with_follow_up

E, U, D, S = (
    TriageLevel.EMERGENCY,
    TriageLevel.URGENT,
    TriageLevel.DOCTOR,
    TriageLevel.SELF_CARE,
)


def _check(topic: str) -> TriageFlag:
    return TriageFlag(
        id=f"check_{topic}", level=U, evidence=f"something about {topic}", layer="safety_net"
    )


def _unclear(pack: KnowledgePack, *topics: str, flags: tuple[TriageFlag, ...] = ()) -> TriageResult:
    checks = tuple(_check(topic) for topic in topics)
    everything = (*flags, *checks)
    level = TriageLevel.most_urgent([flag.level for flag in everything])
    result = TriageResult(level=level, flags=everything, message="(from triage)")
    return with_follow_up(result, pack.follow_up)


def _bank_ids(pack: KnowledgePack, topic: str) -> list[str]:
    return [q.id for q in pack.follow_up.questions if topic in q.topics]


# ---------------------------------------------------------------- the bank


def test_every_safety_net_topic_has_questions_and_each_question_names_a_real_rule(
    pack: KnowledgePack,
) -> None:
    bank = pack.follow_up
    rules = {rule.id: rule.level for rule in pack.red_flags.rules}
    for topic in SAFETY_NET_TOPICS:
        assert _bank_ids(pack, topic), topic
    for question in bank.questions:
        assert rules[question.rule] is question.level_if_yes
        assert question.sources, question.id
        assert question.question.rstrip().endswith("?"), question.id


def test_the_bank_asks_life_threatening_questions_first(pack: KnowledgePack) -> None:
    ranks = [q.level_if_yes.rank for q in pack.follow_up.questions]
    assert ranks == sorted(ranks, reverse=True)
    ids = [q.id for q in pack.follow_up.questions]
    # Chest and collapse, then the base of the spine, then the legs.
    assert ids.index("chest_pain") < ids.index("bladder_trouble") < ids.index("both_legs")
    assert ids.index("bowel_control") < ids.index("leg_weakness") < ids.index("fever")


def _broken_pack(tmp_path: Path, change: dict[str, object]) -> Path:
    root = tmp_path / "pack"
    shutil.copytree(load_pack().root, root)
    path = root / "follow_up.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"][0].update(change)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"rule": "no_such_rule"}, "rule 'no_such_rule' is not in red_flags.yaml"),
        ({"level_if_yes": "doctor"}, "differs from rule 'chest_breathless'"),
        ({"sources": [999]}, "unknown source number(s) [999]"),
        ({"topics": ["elbows"]}, "unknown topic(s) elbows"),
        ({"id": "collapse"}, "repeated: collapse"),
    ],
)
def test_a_bad_bank_is_refused_with_the_file_and_the_question(
    tmp_path: Path, change: dict[str, object], said: str
) -> None:
    with pytest.raises(PackValidationError) as caught:
        load_pack(_broken_pack(tmp_path, change))
    assert "follow_up.yaml" in str(caught.value)
    assert said in str(caught.value)


def test_a_translation_naming_an_unknown_question_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(load_pack().root, root)
    (root / "i18n" / "es" / "follow_up.yaml").write_text(
        "questions:\n  no_such_question: ¿Sí?\n", encoding="utf-8"
    )
    with pytest.raises(PackValidationError, match="no_such_question"):
        load_pack(root)


def test_a_pack_without_a_bank_asks_nothing(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(load_pack().root, root)
    (root / "follow_up.yaml").unlink()
    for path in root.glob("i18n/*/follow_up.yaml"):
        path.unlink()
    bare = load_pack(root)
    assert bare.follow_up.questions == ()
    assert triage_text(bare, "shooting pain down to my calf").follow_up == ()


# ---------------------------------------------------------------- follow-up


def test_a_check_flag_asks_its_topics_questions_in_bank_order(pack: KnowledgePack) -> None:
    result = _unclear(pack, "bladder")
    assert [q.id for q in result.follow_up] == _bank_ids(pack, "bladder")
    assert all(q.level_if_yes is E for q in result.follow_up)
    both = _unclear(pack, "leg_strength", "bladder")
    expected = [
        q.id for q in pack.follow_up.questions if {"bladder", "leg_strength"} & set(q.topics)
    ]
    assert [q.id for q in both.follow_up] == expected
    # Bank order, not flag order: bladder questions come before leg questions.
    assert [q.id for q in both.follow_up][0] == "bladder_trouble"


@pytest.mark.parametrize("topic", SAFETY_NET_TOPICS)
def test_every_safety_net_topic_gets_questions(pack: KnowledgePack, topic: str) -> None:
    result = _unclear(pack, topic)
    assert [q.id for q in result.follow_up] == _bank_ids(pack, topic)


def test_a_question_whose_rule_already_fired_is_not_asked(pack: KnowledgePack) -> None:
    fever = TriageFlag(id="fever_unwell", level=U, evidence="temperature of 39")
    result = _unclear(pack, "fever", flags=(fever,))
    ids = [q.id for q in result.follow_up]
    assert "fever" not in ids
    assert "infection_risk" in ids


def test_a_clear_emergency_and_a_plain_message_ask_nothing(pack: KnowledgePack) -> None:
    emergency = TriageFlag(id="cauda_equina", level=E, evidence="cant pee")
    assert _unclear(pack, "saddle", flags=(emergency,)).follow_up == ()
    assert follow_up_for(TriageResult(), pack.follow_up) == ()
    assert triage_text(pack, "my back locked up this morning, what helps?").follow_up == ()
    assert triage_text(pack, "my back went and now I cant pee at all").follow_up == ()


def test_a_rule_below_emergency_opens_the_questions_that_could_raise_it(
    pack: KnowledgePack,
) -> None:
    """End to end: pain below one knee (doctor) asks about both legs and weakness."""
    result = triage_text(pack, "shooting pain down to my calf on the left")
    assert result.level is D
    assert [q.id for q in result.follow_up] == ["both_legs", "leg_weakness"]
    chest = triage_text(pack, "pain between my shoulder blades for two days")
    assert chest.level is U
    assert [q.id for q in chest.follow_up] == ["chest_pain", "collapse"]


def test_questions_come_in_the_reply_language(pack: KnowledgePack) -> None:
    result = triage_text(pack, "shooting pain down to my calf", lang="es")
    assert result.lang == "es"
    english = {q.id: q.question for q in checklist(pack.follow_up, "en")}
    for question in result.follow_up:
        assert question.question != english[question.id]


# ---------------------------------------------------------------- answers


def test_a_yes_raises_the_rule_with_the_question_as_evidence(pack: KnowledgePack) -> None:
    result = _unclear(pack, "bladder")
    final = apply_answers(result, {"bladder_leak": True}, pack.follow_up, tables=pack.triage_tables)
    assert final.level is E
    added = [flag for flag in final.flags if flag.layer == "answer"]
    assert [(flag.id, flag.level) for flag in added] == [("cauda_equina", E)]
    assert "bladder_leak" in added[0].evidence
    assert "leaked pee" in added[0].evidence
    # The emergency action comes first, then the rule's own line.
    assert final.message.startswith(pack.red_flags.levels[E])
    cauda = next(rule for rule in pack.red_flags.rules if rule.id == "cauda_equina")
    assert f"- {cauda.message}" in final.message.splitlines()
    # A clear emergency asks nothing more.
    assert final.follow_up == ()


def test_no_to_every_question_of_a_topic_removes_its_check_flag(pack: KnowledgePack) -> None:
    result = _unclear(pack, "bladder")
    assert result.level is U
    answers = dict.fromkeys(_bank_ids(pack, "bladder"), False)
    final = apply_answers(result, answers, pack.follow_up, tables=pack.triage_tables)
    assert final.flags == ()
    assert final.level is S
    assert final.follow_up == ()
    assert final.message == pack.red_flags.levels[S]


def test_a_topic_half_answered_keeps_its_flag_and_its_other_questions(
    pack: KnowledgePack,
) -> None:
    result = _unclear(pack, "bladder", "fever")
    first = _bank_ids(pack, "bladder")[0]
    final = apply_answers(result, {first: False}, pack.follow_up, tables=pack.triage_tables)
    assert {flag.id for flag in final.flags} == {"check_bladder", "check_fever"}
    assert final.level is U
    remaining = [q.id for q in final.follow_up]
    assert first not in remaining
    assert remaining == [q.id for q in result.follow_up if q.id != first]


def test_no_never_removes_a_flag_the_persons_own_words_raised(pack: KnowledgePack) -> None:
    words = TriageFlag(id="below_knee", level=D, evidence="pain down to my calf")
    result = _unclear(pack, "leg_strength", flags=(words,))
    answers = dict.fromkeys(_bank_ids(pack, "leg_strength"), False)
    final = apply_answers(result, answers, pack.follow_up, tables=pack.triage_tables)
    assert [flag.id for flag in final.flags] == ["below_knee"]
    assert final.level is D


def test_an_urgent_yes_keeps_the_emergency_questions_open(pack: KnowledgePack) -> None:
    result = _unclear(pack, "fever", "saddle")
    final = apply_answers(result, {"fever": True}, pack.follow_up, tables=pack.triage_tables)
    assert final.level is U
    assert [flag.id for flag in final.flags if flag.layer == "answer"] == ["fever_unwell"]
    ids = [q.id for q in final.follow_up]
    assert "saddle_numbness" in ids
    assert "fever" not in ids


def test_the_most_urgent_answer_wins_and_flags_stay_most_urgent_first(
    pack: KnowledgePack,
) -> None:
    result = _unclear(pack, "fever", "leg_strength")
    final = apply_answers(
        result, {"fever": True, "leg_weakness": True}, pack.follow_up, tables=pack.triage_tables
    )
    assert final.level is E
    ranks = [flag.level.rank for flag in final.flags]
    assert ranks == sorted(ranks, reverse=True)
    assert final.flags[0].id == "leg_weakness"


def test_unknown_question_ids_are_a_clear_error(pack: KnowledgePack) -> None:
    result = _unclear(pack, "bladder")
    with pytest.raises(QueryError) as caught:
        apply_answers(result, {"bladder_leek": True}, pack.follow_up, tables=pack.triage_tables)
    assert caught.value.code == "unknown_question"
    assert "'bladder_leek'" in caught.value.message
    assert "bladder_leak" in caught.value.message  # the ids it could have been


def test_answers_in_the_service_give_the_final_level(pack: KnowledgePack) -> None:
    message = "shooting pain down to my calf"
    assert triage_text(pack, message, answers={"both_legs": True}).level is E
    final = triage_text(pack, message, answers={"both_legs": False, "leg_weakness": False})
    assert final.level is D
    assert final.follow_up == ()


def test_the_checklist_before_any_message(pack: KnowledgePack) -> None:
    listed = warning_signs(pack, "fr")
    assert [q.id for q in listed] == [q.id for q in pack.follow_up.questions]
    assert triage_answers(pack, dict.fromkeys([q.id for q in listed], False)).level is S
    result = triage_answers(pack, {"saddle_numbness": True}, lang="de")
    assert result.level is E
    assert result.lang == "de"
    assert result.message.startswith(pack.translations.red_flags["de"].levels[E])
    with pytest.raises(QueryError) as caught:
        triage_answers(pack, {})
    assert caught.value.code == "empty_query"
    with pytest.raises(QueryError) as caught:
        warning_signs(pack, "xx")
    assert caught.value.code == "unknown_lang"


def test_an_unchecked_language_keeps_its_notice_first(pack: KnowledgePack) -> None:
    notice = "NOT CHECKED: call 999 if..."
    result = TriageResult(message=notice + "\n", checked=False)
    final = apply_answers(result, {"fever": False}, pack.follow_up, tables=pack.triage_tables)
    assert final.message == notice  # no all-clear after the notice
    raised = apply_answers(result, {"fever": True}, pack.follow_up, tables=pack.triage_tables)
    assert raised.message.splitlines()[:2] == [notice, pack.red_flags.levels[U]]


def test_every_language_translates_every_question_and_topic(pack: KnowledgePack) -> None:
    bank = pack.follow_up
    assert set(bank.translations) == set(pack.translations.red_flags)
    for code, translation in bank.translations.items():
        assert set(translation.questions) == {q.id for q in bank.questions}, code
        assert set(translation.topics) == {t.id for t in bank.topics}, code
        for text in translation.questions.values():
            assert text.rstrip().endswith(("?", "؟")), (code, text)


_PACK = load_pack()
_IDS = [q.id for q in _PACK.follow_up.questions]
_WORD_FLAGS = [
    TriageFlag(id="below_knee", level=D, evidence="pain down to my calf"),
    TriageFlag(id="fever_unwell", level=U, evidence="temperature of 39"),
    TriageFlag(id="thoracic", level=U, evidence="between my shoulder blades"),
]


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    words=st.lists(st.sampled_from(_WORD_FLAGS), unique_by=lambda f: f.id, max_size=3),
    topics=st.lists(st.sampled_from(SAFETY_NET_TOPICS), unique=True, max_size=3),
    answers=st.dictionaries(st.sampled_from(_IDS), st.booleans(), max_size=len(_IDS)),
)
def test_answers_never_remove_what_the_words_said_and_a_yes_never_lowers(
    words: list[TriageFlag], topics: list[str], answers: dict[str, bool]
) -> None:
    result = _unclear(_PACK, *topics, flags=tuple(words))
    final = apply_answers(result, answers, _PACK.follow_up, tables=_PACK.triage_tables)
    kept = {flag.id for flag in final.flags}
    # A flag raised by the person's words stays, whatever the answers.
    assert {flag.id for flag in words} <= kept
    # Every yes is at least as urgent as its question says.
    for qid, said in answers.items():
        question = next(q for q in _PACK.follow_up.questions if q.id == qid)
        if said:
            assert final.level.rank >= question.level_if_yes.rank
            assert question.rule in kept
    # Without a yes the level never rises, and answered questions are never asked again.
    if not any(answers.values()):
        assert final.level.rank <= result.level.rank
    assert not set(answers) & {q.id for q in final.follow_up}
    # A check flag goes only when its whole topic was answered no.
    for topic in topics:
        all_no = all(answers.get(qid) is False for qid in _bank_ids(_PACK, topic))
        assert (f"check_{topic}" in kept) is not all_no


def test_the_bank_is_in_our_own_words(pack: KnowledgePack) -> None:
    from tests.conftest import shared_path
    from tests.knowledge.test_content import copied_runs

    content = shared_path("CONTENT.md").read_text(encoding="utf-8")
    seeds = [p.read_text(errors="replace") for p in shared_path("seeds").rglob("*") if p.is_file()]
    bank = pack.follow_up
    texts = [q.question for q in bank.questions] + [t.message for t in bank.topics]
    copied = [
        (text, runs)
        for text in texts
        for ref in (content, *seeds)
        if (runs := copied_runs(text, ref))
    ]
    assert copied == []
