"""`ask`, `eval`, `triage` and `careplan`: the commands a person uses."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from backcare import (
    Backcare,
    BackcareError,
    CarePlanError,
    ErrorReply,
    QueryError,
    QueryErrorInfo,
    Reply,
    evaluate,
    read_cases,
)
from backcare.cli._common import (
    KbOption,
    _dump,
    _fail,
    _feedback_url,
    _open,
    _parse_date,
    _settings,
    app,
    console,
    err_console,
)
from backcare.cli._render import _render_plan, render_reply, render_triage

LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Reply in this language (es, fr, de, pl, pt, ar or en) instead of the one "
        "detected; warning signs are still checked in the detected language too.",
    ),
]


class _Rating(StrEnum):
    helpful = "helpful"
    not_helpful = "not_helpful"
    wrong = "wrong"


def _jsonl_line(backcare: Backcare, line: str, top_k: int, lang: str | None = None) -> str:
    text: Any = line.rstrip("\n")
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            info = QueryErrorInfo(code="bad_json", message=f"malformed JSON line: {exc}")
            return _dump(ErrorReply(query=_printable(text[:2000]), error=info))
        if not isinstance(data, dict) or "q" not in data:
            info = QueryErrorInfo(code="bad_json", message='a JSON line needs a "q" key')
            return _dump(ErrorReply(query=_printable(text[:2000]), error=info))
        text = data["q"]
        if isinstance(data.get("lang"), str):
            lang = data["lang"]
    try:
        return _dump(backcare.ask(text, top_k=top_k, lang=lang))
    except QueryError as exc:
        query = text if isinstance(text, str) else json.dumps(text)
        info = QueryErrorInfo(code=exc.code, message=exc.message)
        return _dump(ErrorReply(query=_printable(query[:2000]), error=info))


def _printable(text: str) -> str:
    """Undecodable input bytes (kept as surrogates) shown as U+FFFD, so JSON can carry them."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


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
) -> None:
    """Answer a question about lower back spasms (red flags are checked first).

    Examples:

        backcare ask "my back locked up this morning, what now?"

        backcare ask --json "how long do back spasms last"

        printf 'ice or heat?\\nhow long will it last?\\n' | backcare ask --jsonl

        backcare ask --lang es "no puedo orinar y me duele la espalda"
    """
    if jsonl:
        if question is not None:
            raise _fail("give either a question or --jsonl (reading stdin), not both", 2)
        if rate is not None:
            raise _fail("--rate rates one answer; it does not work with --jsonl", 2)
        backcare = _open(kb)
        stdin = sys.stdin.buffer
        for raw in stdin:
            # One output line per input line, blank ones included, so replies line up.
            line = raw.decode("utf-8", errors="surrogateescape").rstrip("\r\n")
            sys.stdout.write(_jsonl_line(backcare, line, top_k, lang) + "\n")
            sys.stdout.flush()
        return
    if question is None:
        raise _fail('ask needs a question, e.g. backcare ask "what helps a back spasm?"', 2)
    backcare = _open(kb)
    try:
        reply = backcare.ask(question, top_k=top_k, lang=lang)
    except QueryError as exc:
        if as_json:
            info = QueryErrorInfo(code=exc.code, message=exc.message)
            print(_dump(ErrorReply(query=question[:2000], error=info)))
        raise _fail(exc.message, 2) from exc
    if as_json:
        print(_dump(reply))
    else:
        render_reply(reply)
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
                [r.as_dict() if failures else {**r.as_dict(), "failures": None} for r in reports],
                indent=2,
            )
        )
        return
    from rich.table import Table

    table = Table(title=f"backcare eval · {backcare.kb_label}")
    for column in (
        "set",
        "kind",
        "n",
        "top-1",
        "top-3",
        "abstained",
        "triage ≥ level",
        "p50 ms",
        "p95 ms",
    ):
        table.add_column(column, overflow="fold" if column == "set" else "ellipsis")
    # A set mixing languages ("lang" on its lines) gets one row per language.
    rows = [
        row
        for r in reports
        for row in (r, *((r.by_lang or {}).values() if len(r.by_lang or {}) > 1 else ()))
    ]
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
            f"{r.latency_ms.get('p50', 0):.2f}",
            f"{r.latency_ms.get('p95', 0):.2f}",
        )
    console.print(table)
    for r in rows:
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
        if failures and r.failures:
            console.print(f"[bold]misses in {escape(r.name)}:[/]")
            for miss in r.failures:
                console.print(f"  {escape(json.dumps(miss))}")


@app.command()
def triage(
    message: Annotated[str, typer.Argument(help="What is happening, in your own words.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the triage object.")] = False,
    lang: LangOption = None,
) -> None:
    """Check a message for red flags only: how fast to get help, and why.

    Example: backcare triage "back spasm since Monday, and now my legs feel weak"

    In any language backcare has rules for (en, es, fr, de, pl, pt, ar), e.g.
    backcare triage "nie czuję krocza".
    """
    from backcare import default_encoder, load_pack, triage_text
    from backcare.settings import get_settings

    try:
        settings = get_settings()
        # The encoder `ask` loads, so the semantic layer checks the message too.
        encoder = default_encoder(settings.model_dir, threads=settings.threads)
        result = triage_text(load_pack(), message, lang=lang, encoder=encoder)
    except QueryError as exc:
        raise _fail(exc.message, 2) from exc
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        print(_dump(result))
    else:
        console.print(render_triage(result))


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
    from backcare import Abstained, Feedback, SqlFeedbackStore, prepare_query

    if rate is None and reply.status == "answered":
        return
    now = dt.datetime.now(dt.UTC)
    try:
        store = SqlFeedbackStore(_feedback_url(_settings()))
        try:
            query = prepare_query(reply.query)
            if reply.status == "abstained":
                store.add_abstained(Abstained(at=now, query=query, kb=reply.kb))
            if rate is not None:
                entry = reply.answer.entry_id if reply.answer else None
                rating = Feedback(
                    at=now, query=query, entry_id=entry, rating=rate.value, kb=reply.kb
                )
                store.add(rating)
                err_console.print(f"thanks: rated {rate.value}")
        finally:
            store.close()
    except BackcareError as exc:
        if rate is not None:
            raise _fail(f"the rating was not saved: {exc}") from exc
        logging.getLogger(__name__).warning("could not log an unanswered question: %s", exc)
