"""`ask`, `eval`, `triage` and `careplan`: the commands a person uses."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from backcare import (
    Backcare,
    BackcareError,
    CarePlanError,
    ErrorReply,
    EvalReport,
    QueryError,
    QueryErrorInfo,
    Reply,
    TriageLevel,
    TriageResult,
    evaluate,
    read_cases,
)
from backcare.cli._common import (
    KbOption,
    _dump,
    _fail,
    _open,
    _parse_date,
    _settings,
    app,
    console,
    err_console,
)
from backcare.cli._render import _render_plan, render_reply, render_triage

if TYPE_CHECKING:
    from rich.table import Table

    from backcare import FeedbackStore

LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Reply in this language (es, fr, de, pl, pt, ar or en) instead of the one "
        "detected; warning signs are still checked in the detected language too.",
    ),
]


AnswersOption = Annotated[
    str | None,
    typer.Option(
        "--answers",
        help="Answers to the follow-up questions, for scripts: id=yes,id2=no "
        "(ids as in --json's follow_up). Without it, a terminal asks them one by one.",
    ),
]

_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def _parse_answers(value: str | None) -> dict[str, bool] | None:
    """``id=yes,id2=no`` as a mapping; a malformed item exits 2 naming it."""
    if value is None:
        return None
    answers: dict[str, bool] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        qid, sep, said = (piece.strip() for piece in item.partition("="))
        if not sep or not qid:
            raise _fail(f"--answers: {item!r} is not id=yes or id=no", 2)
        if said.lower() in _YES:
            answers[qid] = True
        elif said.lower() in _NO:
            answers[qid] = False
        else:
            raise _fail(f"--answers: {qid}={said!r}: the answer must be yes or no", 2)
    return answers


def _stdin_is_terminal() -> bool:
    # A function, so tests can stand in for a person at a terminal.
    return sys.stdin.isatty()


def _interview(result: TriageResult) -> dict[str, bool]:
    """Ask ``result``'s follow-up questions on the terminal, one by one (y/n).

    Stops after a yes that means an emergency (nothing more is worth asking
    then) or at end of input, leaving the rest unanswered.
    """
    answers: dict[str, bool] = {}
    console.print("[bold]A few questions to tell how urgent this is (y/n):[/]")
    for question in result.follow_up:
        while True:
            console.print(f"{escape(question.question)} [dim]\\[y/n][/] ", end="")
            line = sys.stdin.readline()
            if not line:
                console.print()
                return answers
            said = line.strip().lower()
            if said in _YES or said in _NO:
                break
            console.print("[dim]Please answer y (yes) or n (no).[/]")
        answers[question.id] = said in _YES
        if answers[question.id] and question.level_if_yes is TriageLevel.EMERGENCY:
            break
    return answers


def _print_follow_up(result: TriageResult, command: str) -> None:
    """List the questions for someone who cannot be asked (not a terminal)."""
    console.print("[bold]Questions that would settle how urgent this is:[/]")
    for question in result.follow_up:
        console.print(f"  • {escape(question.question)} [dim]({question.id})[/]")
    first = result.follow_up[0].id
    console.print(f'[dim]Answer them with: backcare {command} --answers {first}=no,... "…"[/]')


class _Rating(StrEnum):
    helpful = "helpful"
    not_helpful = "not_helpful"
    wrong = "wrong"


def _jsonl_line(
    backcare: Backcare, line: str, top_k: int, lang: str | None = None
) -> tuple[str, Reply | None]:
    """The reply line for one input line, and the reply (None for an error line)."""
    text: Any = line.rstrip("\n")
    answers: dict[str, bool] | None = None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            info = QueryErrorInfo(code="bad_json", message=f"malformed JSON line: {exc}")
            return _dump(ErrorReply(query=_printable(text[:2000]), error=info)), None
        if not isinstance(data, dict) or "q" not in data:
            info = QueryErrorInfo(code="bad_json", message='a JSON line needs a "q" key')
            return _dump(ErrorReply(query=_printable(text[:2000]), error=info)), None
        text = data["q"]
        given = data.get("lang")
        if given is not None and not isinstance(given, str):
            # POST /v1/ask refuses it too; answering as if it were absent would hide the slip.
            info = QueryErrorInfo(
                code="bad_json", message='"lang" must be a language code such as "es"'
            )
            return _dump(ErrorReply(query=_printable(str(text)[:2000]), error=info)), None
        if given is not None:
            lang = given
        answers = data.get("answers")
        if answers is not None and not (
            isinstance(answers, dict) and all(isinstance(v, bool) for v in answers.values())
        ):
            info = QueryErrorInfo(
                code="bad_json", message='"answers" must map question ids to true or false'
            )
            return _dump(ErrorReply(query=_printable(str(text)[:2000]), error=info)), None
    try:
        reply = backcare.ask(text, top_k=top_k, lang=lang, answers=answers)
    except QueryError as exc:
        query = text if isinstance(text, str) else json.dumps(text)
        info = QueryErrorInfo(code=exc.code, message=exc.message)
        return _dump(ErrorReply(query=_printable(query[:2000]), error=info)), None
    return _dump(reply), reply


def _answer_lines(backcare: Backcare, top_k: int, lang: str | None) -> None:
    """``ask --jsonl``: a reply line for each stdin line, unanswered questions logged."""
    unanswered = _UnansweredLog()
    try:
        for raw in sys.stdin.buffer:
            # One output line per input line, blank ones included, so replies line up.
            line = raw.decode("utf-8", errors="surrogateescape").rstrip("\r\n")
            out, reply = _jsonl_line(backcare, line, top_k, lang)
            sys.stdout.write(out + "\n")
            sys.stdout.flush()
            if reply is not None:
                unanswered.log(reply)
    finally:
        unanswered.close()


class _UnansweredLog:
    """Logs the questions an ``ask --jsonl`` run could not answer, as ``ask`` does.

    The stores are opened on the first such question and kept for the run (a
    batch of answered questions never touches the database); if they cannot
    be opened, the run goes on without logging, as ``ask`` does.
    """

    def __init__(self) -> None:
        self._feedback: FeedbackStore | None = None
        self._close: Callable[[], None] | None = None
        self._broken = False

    def log(self, reply: Reply) -> None:
        from backcare import log_unanswered, open_stores

        if reply.status != "abstained" or self._broken:
            return
        if self._feedback is None:
            try:
                stores = open_stores(_settings().database_url)
            except BackcareError as exc:
                self._broken = True
                logging.getLogger(__name__).warning("could not log unanswered questions: %s", exc)
                return
            self._feedback, self._close = stores.feedback, stores.close
        log_unanswered(self._feedback, reply, now=dt.datetime.now(dt.UTC))

    def close(self) -> None:
        """Close the stores, if a question opened them."""
        if self._close is not None:
            self._close()


def _printable(text: str) -> str:
    """Undecodable input bytes (kept as surrogates) shown as U+FFFD, so JSON can carry them.

    Other lone surrogates (a JSON line may spell one as ``\\ud800``) have no
    bytes to give back, so they become U+FFFD directly; encoding them raised
    and ended the whole ``--jsonl`` run.
    """
    escaped = _LONE_SURROGATE.sub("\ufffd", text)
    return escaped.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# Surrogates that surrogateescape cannot turn back into a byte (it uses U+DC80-U+DCFF).
_LONE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")


@app.command()
def ask(
    question: Annotated[
        str | None, typer.Argument(help="Your question, in your own words.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
    jsonl: Annotated[
        bool,
        typer.Option(
            "--jsonl",
            help='Read one question a line from stdin (text, or JSON with a "q" key); '
            "write one JSON reply a line.",
        ),
    ] = False,
    top_k: Annotated[
        int, typer.Option("--top-k", min=1, max=50, help="How many entries to return in all.")
    ] = 3,
    kb: KbOption = None,
    rate: Annotated[
        _Rating | None,
        typer.Option("--rate", help="Rate the answer (kept for `backcare review`)."),
    ] = None,
    lang: LangOption = None,
    answers: AnswersOption = None,
) -> None:
    """Answer a question about lower back spasms (red flags are checked first).

    Examples:

        backcare ask "my back locked up this morning, what now?"

        backcare ask --json "how long do back spasms last"

        printf 'ice or heat?\\nhow long will it last?\\n' | backcare ask --jsonl

        backcare ask --lang es "no puedo orinar y me duele la espalda"

        backcare ask --answers both_legs=no,leg_weakness=no "pain down to my calf"
    """
    given = _parse_answers(answers)
    if jsonl:
        if question is not None:
            raise _fail("give either a question or --jsonl (reading stdin), not both", 2)
        if rate is not None:
            raise _fail("--rate rates one answer; it does not work with --jsonl", 2)
        if given is not None:
            raise _fail('--answers is for one question; with --jsonl put "answers" on a line', 2)
        _answer_lines(_open(kb), top_k, lang)
        return
    if question is None:
        raise _fail('ask needs a question, e.g. backcare ask "what helps a back spasm?"', 2)
    backcare = _open(kb)
    try:
        reply = backcare.ask(question, top_k=top_k, lang=lang, answers=given)
        if reply.triage.follow_up and given is None and not as_json and _stdin_is_terminal():
            # Red flags before the answer: settle them first, then answer once.
            console.print(render_triage(reply.triage))
            said = _interview(reply.triage)
            if said:
                reply = backcare.ask(question, top_k=top_k, lang=lang, answers=said)
                console.print("[bold]With your answers:[/]")
    except QueryError as exc:
        if as_json:
            info = QueryErrorInfo(code=exc.code, message=exc.message)
            print(_dump(ErrorReply(query=_printable(question[:2000]), error=info)))
        raise _fail(exc.message, 2) from exc
    if as_json:
        print(_dump(reply))
    else:
        render_reply(reply)
        if reply.triage.follow_up:
            _print_follow_up(reply.triage, "ask")
    _keep_feedback(reply, rate)


@app.command("eval")
def eval_(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="JSONL query sets: {q, ok} (retrieval), {q, level} (triage), {q} (out of scope).",
            exists=True,
            dir_okay=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
    failures: Annotated[bool, typer.Option("--failures", help="List every miss.")] = False,
    kb: KbOption = None,
) -> None:
    """Score query sets through the same code path as `ask`.

    Reports top-1/top-3 accuracy, abstention rate, the triage confusion matrix
    and p50/p95 latency. Example: backcare eval tuning/validation.jsonl
    """
    backcare = _open(kb)
    reports = []
    try:
        for path in files:
            reports.append(evaluate(backcare, read_cases(path), name=path.name))
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        print(
            json.dumps(
                [r.as_dict() if failures else _without_misses(r.as_dict()) for r in reports],
                indent=2,
            )
        )
        return
    # A set mixing languages ("lang" on its lines) gets one row per language.
    rows = [
        row
        for r in reports
        for row in (r, *((r.by_lang or {}).values() if len(r.by_lang or {}) > 1 else ()))
    ]
    console.print(_eval_table(rows, backcare.kb_label))
    for r in rows:
        _print_eval_details(r, failures=failures)


def _eval_table(rows: list[EvalReport], kb_label: str) -> Table:
    """One line of figures per query set (and per language of a mixed set)."""
    from rich.table import Table

    table = Table(title=f"backcare eval · {kb_label}")
    for column in (
        "set",
        "kind",
        "n",
        "top-1",
        "top-3",
        "abstained",
        "triage ≥ level",
        "triage exact",
        "p50 ms",
        "p95 ms",
    ):
        table.add_column(column, overflow="fold" if column == "set" else "ellipsis")
    for r in rows:

        def fmt(value: float | None) -> str:
            return "" if value is None else f"{value:.3f}"

        table.add_row(
            r.name,
            r.kind,
            str(r.n),
            fmt(r.top1),
            fmt(r.top3),
            fmt(r.abstention_rate),
            fmt(r.triage_at_least),
            fmt(r.triage_exact),
            f"{r.latency_ms.get('p50', 0):.2f}",
            f"{r.latency_ms.get('p95', 0):.2f}",
        )
    return table


def _print_eval_details(r: EvalReport, *, failures: bool) -> None:
    """Under the table: language identification, the triage confusion and, on request, misses."""
    from rich.table import Table

    if r.lang_detected is not None:
        console.print(f"{escape(r.name)}: language identified {r.lang_detected:.3f}")
    if r.confusion:
        matrix = Table(title=f"triage confusion · {r.name} (rows expected, columns got)")
        matrix.add_column("expected")
        levels = list(r.confusion)
        for level in levels:
            matrix.add_column(level)
        for expected, row in r.confusion.items():
            matrix.add_row(expected, *(str(row[level]) for level in levels))
        console.print(matrix)
        console.print(
            f"under-triaged emergencies: {r.under_triaged_emergencies}; "
            f"over-triaged self-care: {r.over_triaged_self_care}"
        )
        _print_triage_figures(r)
    if failures and r.failures:
        console.print(f"[bold]misses in {escape(r.name)}:[/]")
        for miss in r.failures:
            console.print(f"  {escape(json.dumps(miss))}")
    if failures and r.over_triaged_lines:
        console.print(f"[bold]over-triaged in {escape(r.name)}:[/]")
        for miss in r.over_triaged_lines:
            console.print(f"  {escape(json.dumps(miss))}")


def _without_misses(report: dict[str, Any]) -> dict[str, Any]:
    """A report as JSON without the per-line lists (``--failures`` keeps them)."""
    return {**report, "failures": None, "over_triaged_lines": None}


def _print_triage_figures(r: EvalReport) -> None:
    """Exact level, under-triage per level and over-triage, under the confusion matrix."""
    if r.triage_exact is None or r.confusion is None:
        return
    totals = {level: sum(row.values()) for level, row in r.confusion.items()}
    under = r.under_triaged_by_level or {}
    per_level = ", ".join(
        f"{level} {under.get(level, 0)} of {totals[level]}"
        for level in r.confusion
        if level != "self_care"
    )
    share = r.over_triaged_self_care_share
    console.print(f"exact level: {r.triage_exact:.3f} of {r.triage_n} lines")
    console.print(f"under-triaged: {r.under_triaged} ({r.under_triage_rate:.1%}); {per_level}")
    console.print(
        f"over-triaged: {r.over_triaged} ({r.over_triage_rate:.1%}); self-care "
        f"{r.over_triaged_self_care} of {r.self_care_n}"
        + ("" if share is None else f" ({share:.1%})")
    )
    if r.triage_by_kind:
        from rich.table import Table

        kinds = Table(title=f"triage by kind · {r.name}")
        for column in ("kind", "n", "exact", "under", "over"):
            kinds.add_column(column)
        for kind, row in r.triage_by_kind.items():
            exact = f"{row['exact']:.3f}"
            kinds.add_row(escape(kind), str(row["n"]), exact, str(row["under"]), str(row["over"]))
        console.print(kinds)


@app.command()
def triage(
    message: Annotated[str, typer.Argument(help="What is happening, in your own words.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the triage object.")] = False,
    lang: LangOption = None,
    answers: AnswersOption = None,
) -> None:
    """Check a message for red flags only: how fast to get help, and why.

    Example: backcare triage "back spasm since Monday, and now my legs feel weak"

    In any language backcare has rules for (en, es, fr, de, pl, pt, ar), e.g.
    backcare triage "nie czuję krocza".

    When the message touches a warning sign without settling it, a terminal
    asks a few yes/no questions and then gives the final level; scripts pass
    --answers id=yes,id2=no (the ids are in --json's follow_up).
    """
    from functools import partial

    from backcare import default_encoder, load_pack, multilingual_encoder, triage_text
    from backcare.settings import get_settings

    given = _parse_answers(answers)
    try:
        settings = get_settings()
        # The encoders `ask` loads, so the semantic layers check the message too;
        # the multilingual one opens only if the message is in another language.
        encoder = default_encoder(
            settings.model_dir, threads=settings.threads, variant=settings.encoder
        )
        multilingual = multilingual_encoder(
            settings.model_dir, threads=settings.threads, variant=settings.encoder
        )
        pack = load_pack()
        check = partial(
            triage_text, pack, message, lang=lang, encoder=encoder, cache_dir=settings.index_dir
        )
        result = check(answers=given, multilingual=multilingual)
        if result.follow_up and given is None and not as_json and _stdin_is_terminal():
            console.print(render_triage(result))
            said = _interview(result)
            if said:
                result = check(answers=said, multilingual=multilingual)
                console.print("[bold]With your answers:[/]")
    except QueryError as exc:
        raise _fail(exc.message, 2) from exc
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        print(_dump(result))
    else:
        console.print(render_triage(result))
        if result.follow_up:
            _print_follow_up(result, "triage")


@app.command()
def careplan(
    onset: Annotated[str, typer.Option(help="The day it started, e.g. 2026-11-20.")],
    age: Annotated[int | None, typer.Option(min=0, max=130, help="Your age in years.")] = None,
    symptoms: Annotated[
        str | None,
        typer.Option(help="Describe what is happening; red flags change or replace the plan."),
    ] = None,
    today: Annotated[
        str | None, typer.Option(help="Plan as of this date (default: today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    ics: Annotated[
        Path | None,
        typer.Option(
            "--ics",
            help="Write check-in and see-a-doctor reminders to this iCalendar file.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """A day-by-day self-care plan from the day the back pain started.

    Example: backcare careplan --onset 2026-11-20 --ics back.ics
    """
    from backcare import care_plan_to_ics, load_pack, plan_care

    onset_date = _parse_date(onset, "--onset")
    now = dt.datetime.now(dt.UTC)
    if today is not None:
        day = _parse_date(today, "--today")
        now = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    try:
        plan = plan_care(load_pack(), onset_date, now=now, age=age, text=symptoms)
        calendar = (
            care_plan_to_ics(plan, now=now) if ics is not None and not plan.suppressed else None
        )
    except QueryError as exc:
        raise _fail(exc.message, 2) from exc
    except BackcareError as exc:
        raise _fail(str(exc), 2 if isinstance(exc, CarePlanError) else 1) from exc
    if calendar is not None and ics is not None:
        try:
            ics.write_text(calendar, encoding="utf-8", newline="")
        except OSError as exc:
            raise _fail(f"cannot write {ics}: {exc}") from exc
    if as_json:
        print(plan.model_dump_json())
    else:
        _render_plan(plan)
    if ics is not None:
        if calendar is None:
            err_console.print("no calendar written: get help now instead of planning self-care")
        else:
            err_console.print(
                f"wrote {len(plan.checkins)} check-ins and the see-a-doctor date to {ics}"
            )


def _keep_feedback(reply: Reply, rate: _Rating | None) -> None:
    """Store the rating given with `ask --rate`, and log a question left unanswered."""
    from backcare import Feedback, log_unanswered, open_stores, prepare_query

    if rate is None and reply.status == "answered":
        return
    now = dt.datetime.now(dt.UTC)
    try:
        stores = open_stores(_settings().database_url)
        store = stores.feedback
        try:
            log_unanswered(store, reply, now=now)
            if rate is not None:
                entry = reply.answer.entry_id if reply.answer else None
                rating = Feedback(
                    at=now,
                    query=prepare_query(reply.query),
                    entry_id=entry,
                    rating=rate.value,
                    kb=reply.kb,
                )
                store.add(rating)
                err_console.print(f"thanks: rated {rate.value}")
        finally:
            stores.close()
    except BackcareError as exc:
        if rate is not None:
            raise _fail(f"the rating was not saved: {exc}") from exc
        logging.getLogger(__name__).warning("could not log an unanswered question: %s", exc)
