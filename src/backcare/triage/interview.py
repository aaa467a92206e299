"""The red-flag interview: yes/no questions that settle what a message left unclear.

A message that touches a red-flag topic without settling it (a ``check_<topic>``
flag from the safety net, or a flag of a rule named in a topic's
``touched_by``) gets the bank's questions for that topic as ``follow_up``, in
bank order (most urgent first). Answers then give the final level:

- a yes raises the question's rule at its level (layer ``answer``), with the
  question answered yes, and its id, as evidence;
- a no to every question of a topic removes that topic's ``check_<topic>``
  flag; a no never removes a flag raised by the person's own words;
- the level and message are worked out again, most urgent first.

A clear emergency asks nothing: questions would only delay the call.
"""

from __future__ import annotations

from collections.abc import Mapping

from backcare.errors import QueryError
from backcare.model import (
    FollowUp,
    FollowUpBank,
    FollowUpQuestion,
    RedFlagRule,
    RedFlagRules,
    TriageFlag,
    TriageLevel,
    TriageResult,
    TriageTopics,
)
from backcare.triage.safety_net import topic_line

__all__ = ["CHECK_PREFIX", "apply_answers", "checklist", "follow_up_for", "with_follow_up"]

CHECK_PREFIX = "check_"
_EVIDENCE_JOIN = " ... "


def checklist(bank: FollowUpBank, lang: str = "en") -> tuple[FollowUp, ...]:
    """Every question of the bank in ``lang`` (English where untranslated), in bank order.

    This is the "check my warning signs" list, offered before any message.
    """
    return tuple(_wire(bank, question, lang) for question in bank.questions)


def follow_up_for(result: TriageResult, bank: FollowUpBank) -> tuple[FollowUp, ...]:
    """The questions that would settle what ``result`` left unclear, in bank order.

    Empty for an emergency and for a result that touches no topic. A question
    whose rule already fired is never asked again.
    """
    if result.level is TriageLevel.EMERGENCY:
        return ()
    touched = _touched_topics(result.flags, bank)
    if not touched:
        return ()
    fired = {flag.id for flag in result.flags}
    return tuple(
        _wire(bank, question, result.lang)
        for question in bank.questions
        if touched.intersection(question.topics) and question.rule not in fired
    )


def with_follow_up(result: TriageResult, bank: FollowUpBank) -> TriageResult:
    """``result`` carrying its follow-up questions (see ``follow_up_for``)."""
    return result.model_copy(update={"follow_up": follow_up_for(result, bank)})


def apply_answers(
    result: TriageResult,
    answers: Mapping[str, bool],
    bank: FollowUpBank,
    *,
    tables: Mapping[str, RedFlagRules],
    topics: TriageTopics | None = None,
) -> TriageResult:
    """The final result once the person has answered some of the bank's questions.

    Args:
        result: the triage of the message (with its ``follow_up``), or a blank
            ``TriageResult`` for the checklist offered before any message.
        answers: question id to True (yes) or False (no); any bank question
            may be answered, not only those in ``result.follow_up``.
        bank: the pack's interview bank.
        tables: red-flag tables by language (``KnowledgePack.triage_tables``),
            which word the new message in ``result.lang``.
        topics: the safety net's topics (``KnowledgePack.triage_topics``); a
            ``check_<topic>`` flag still standing keeps the line the first
            reply gave it. Without them, the bank's topic line is used.

    Returns:
        The result with a flag per rule answered yes (layer ``answer``), the
        ``check_<topic>`` flags of topics answered no throughout removed, the
        level and message worked out again, and the unanswered questions still
        in ``follow_up`` (none once the level is an emergency).

    Raises:
        QueryError: an id is not a question of the bank (code ``unknown_question``).
    """
    by_id = {question.id: question for question in bank.questions}
    unknown = [qid for qid in answers if qid not in by_id]
    if unknown:
        known = ", ".join(by_id) or "(none: this pack has no follow-up questions)"
        raise QueryError(
            "unknown_question",
            f"no follow-up question with id {', '.join(repr(qid) for qid in unknown)}; "
            f"the ids are: {known}",
        )
    if not answers:
        return result
    lang = result.lang
    flags = [
        flag
        for flag in result.flags
        if not (flag.id.startswith(CHECK_PREFIX) and _settled(flag.id, answers, bank))
    ]
    fired = {flag.id for flag in flags}
    yes_by_rule: dict[str, list[FollowUpQuestion]] = {}
    for question in bank.questions:
        if answers.get(question.id) is True and question.rule not in fired:
            yes_by_rule.setdefault(question.rule, []).append(question)
    for rule_id, questions in yes_by_rule.items():
        evidence = _EVIDENCE_JOIN.join(
            f"{bank.question_text(question, lang)} ({question.id})" for question in questions
        )
        level = TriageLevel.most_urgent([question.level_if_yes for question in questions])
        flags.append(TriageFlag(id=rule_id, level=level, evidence=evidence, layer="answer"))
    # Most urgent first; the order found breaks ties (stable sort).
    flags.sort(key=lambda flag: -flag.level.rank)
    level = TriageLevel.most_urgent([flag.level for flag in flags])
    fired = {flag.id for flag in flags}
    remaining: tuple[FollowUp, ...] = ()
    if level is not TriageLevel.EMERGENCY:
        remaining = tuple(
            item
            for item in result.follow_up
            if item.id not in answers and by_id[item.id].rule not in fired
        )
    return result.model_copy(
        update={
            "level": level,
            "flags": tuple(flags),
            "message": _message(result, flags, level, bank, tables, topics),
            "follow_up": remaining,
        }
    )


def _wire(bank: FollowUpBank, question: FollowUpQuestion, lang: str) -> FollowUp:
    return FollowUp(
        id=question.id,
        question=bank.question_text(question, lang),
        level_if_yes=question.level_if_yes,
    )


def _touched_topics(flags: tuple[TriageFlag, ...], bank: FollowUpBank) -> set[str]:
    ids = {flag.id for flag in flags}
    touched = {
        flag_id.removeprefix(CHECK_PREFIX) for flag_id in ids if flag_id.startswith(CHECK_PREFIX)
    }
    touched |= {topic.id for topic in bank.topics if ids.intersection(topic.touched_by)}
    return touched


def _settled(flag_id: str, answers: Mapping[str, bool], bank: FollowUpBank) -> bool:
    """Whether every question of the flag's topic was answered no."""
    topic = flag_id.removeprefix(CHECK_PREFIX)
    questions = [question for question in bank.questions if topic in question.topics]
    return bool(questions) and all(answers.get(question.id) is False for question in questions)


def _message(
    result: TriageResult,
    flags: list[TriageFlag],
    level: TriageLevel,
    bank: FollowUpBank,
    tables: Mapping[str, RedFlagRules],
    net: TriageTopics | None,
) -> str:
    """The reply's message for the new flags, in the shape ``triage_layered`` gives."""
    table = tables.get(result.lang) or tables["en"]
    lines = []
    if not result.checked:
        # The not-checked notice leads, and is never followed by the all-clear.
        lines.append(result.message.split("\n", 1)[0])
    if result.checked or level is not TriageLevel.SELF_CARE:
        lines.append(table.levels[level])
    rules = [_rule(flag.id, result.lang, tables) for flag in flags]
    lines += [rule.action for rule in rules if rule is not None and rule.action]
    topics = {topic.id: topic for topic in bank.topics}
    # The safety net worded the check_<topic> line of the first reply; keep it.
    # In another language the net used the bank's translated topic line (the
    # translated net, backcare.triage.safety_net_i18n), which the branch below gives.
    keep = net is not None and result.lang == "en"
    net_topics = {topic.id: topic for topic in net.topics} if net is not None and keep else {}
    for flag, rule in zip(flags, rules, strict=True):
        topic_id = flag.id.removeprefix(CHECK_PREFIX) if flag.id.startswith(CHECK_PREFIX) else None
        if rule is not None:
            lines.append(f"- {rule.message}")
        elif topic_id in net_topics:
            lines.append(f"- {topic_line(net_topics[topic_id])}")
        elif topic_id in topics:
            lines.append(f"- {bank.topic_message(topics[topic_id], result.lang)}")
    return "\n".join(lines)


def _rule(rule_id: str, lang: str, tables: Mapping[str, RedFlagRules]) -> RedFlagRule | None:
    """The rule's wording in ``lang``, else in English, else in any language that has it."""
    for code in (lang, "en", *tables):
        table = tables.get(code)
        if table is not None:
            for rule in table.rules:
                if rule.id == rule_id:
                    return rule
    return None
