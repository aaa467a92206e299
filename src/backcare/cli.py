"""The ``backcare`` command line: parse, call the library, print.

Library errors become a message and exit code 1; an unusable question
(empty, too long, not text) exits with 2, as DESIGN.md section 2 says.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backcare import (
    Backcare,
    BackcareError,
    CarePlan,
    CarePlanError,
    ErrorReply,
    IngestReport,
    KbInfo,
    QueryError,
    QueryErrorInfo,
    Reply,
    TriageLevel,
    TriageResult,
    __version__,
    default_encoder,
    evaluate,
    export_kb,
    ingest_to_kb,
    kb_info,
    read_cases,
)
from backcare.settings import Settings, get_settings

if TYPE_CHECKING:  # imported where used: the diary pulls in SQLAlchemy
    from backcare import Diary, SqlDiaryStore, User

app = typer.Typer(
    help="Fast, sourced, safety-first answers for people with lower back spasms.",
    no_args_is_help=True,
    # Locals can hold a person's question or diary text: never print them.
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
index_app = typer.Typer(help="Build the shipped pack's search index.", no_args_is_help=True)
model_app = typer.Typer(
    help="Build the embedding model (ONNX) from the pinned weights.", no_args_is_help=True
)
app.add_typer(index_app, name="index")
app.add_typer(model_app, name="model")
kb_app = typer.Typer(help="Inspect and export ingested knowledge bases.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

_LEVEL_STYLE = {
    TriageLevel.EMERGENCY: ("bold white on red", "EMERGENCY"),
    TriageLevel.URGENT: ("bold black on yellow", "URGENT"),
    TriageLevel.DOCTOR: ("bold cyan", "SEE A DOCTOR"),
    TriageLevel.SELF_CARE: ("green", "SELF-CARE"),
}

KbOption = Annotated[
    Path | None,
    typer.Option(
        "--kb",
        help="Answer from this ingested knowledge base instead of the pack.",
        file_okay=False,
    ),
]


class _Rating(StrEnum):
    helpful = "helpful"
    not_helpful = "not_helpful"
    wrong = "wrong"


def _fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValueError as exc:
        raise _fail(f"invalid BACKCARE_* environment setting: {exc}") from exc


def _open(kb: Path | None) -> Backcare:
    settings = _settings()
    kb = kb if kb is not None else settings.kb
    try:
        encoder = default_encoder(settings.model_dir, threads=settings.threads)
        return Backcare.open(encoder, kb_dir=kb, cache_dir=settings.index_dir)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        console.print(f"backcare {__version__}")
        raise typer.Exit()
    if verbose:
        from rich.logging import RichHandler

        logging.basicConfig(level=logging.INFO, handlers=[RichHandler(console=err_console)])


def _dump(model: Reply | ErrorReply | TriageResult) -> str:
    return model.model_dump_json()


def render_triage(triage: TriageResult) -> Panel:
    """The triage banner: loud for emergency and urgent, quiet for self-care."""
    style, title = _LEVEL_STYLE[triage.level]
    lines = [escape(triage.message)]
    for flag in triage.flags:
        lines.append(f"• {escape(flag.id)} ({flag.level.value}): “{escape(flag.evidence)}”")
    return Panel(
        "\n".join(lines), title=title, border_style=style.split(" on ")[-1], title_align="left"
    )


def render_reply(reply: Reply) -> None:
    """Print a reply for people: triage first when it matters, then the answer."""
    loud = reply.triage.level != TriageLevel.SELF_CARE
    if loud:
        console.print(render_triage(reply.triage))
    if reply.answer is not None:
        answer = reply.answer
        body = escape(answer.text.strip())
        if answer.sources:
            body += "\n\n[dim]Sources:[/]\n" + "\n".join(
                f"[dim]• {escape(s.title)} — {escape(s.url)}[/]" for s in answer.sources
            )
        console.print(
            Panel(
                body,
                title=escape(answer.question),
                title_align="left",
                subtitle=f"confidence {answer.confidence:.2f} · {escape(reply.kb)}",
                subtitle_align="right",
            )
        )
    else:
        console.print(
            Panel(
                "I don't have a good answer to that in this knowledge base.",
                title="No confident answer",
                title_align="left",
            )
        )
    if reply.alternatives:
        heading = "Related questions" if reply.answer else "Closest topics"
        console.print(f"[bold]{heading}:[/]")
        for alt in reply.alternatives:
            console.print(f"  • {escape(alt.question)} [dim]({alt.entry_id}, {alt.score:.2f})[/]")
    if not loud:
        console.print(f"[green]{escape(reply.triage.message)}[/]")


def _jsonl_line(backcare: Backcare, line: str, top_k: int) -> str:
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
    try:
        return _dump(backcare.ask(text, top_k=top_k))
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
) -> None:
    """Answer a question about lower back spasms (red flags are checked first).

    Examples:

        backcare ask "my back locked up this morning, what now?"

        backcare ask --json "how long do back spasms last"

        printf 'ice or heat?\\nhow long will it last?\\n' | backcare ask --jsonl
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
            sys.stdout.write(_jsonl_line(backcare, line, top_k) + "\n")
            sys.stdout.flush()
        return
    if question is None:
        raise _fail('ask needs a question, e.g. backcare ask "what helps a back spasm?"', 2)
    backcare = _open(kb)
    try:
        reply = backcare.ask(question, top_k=top_k)
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
    and p50/p95 latency. Example: backcare eval ../shared/eval/*.jsonl
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
        table.add_column(column)
    for r in reports:

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
    for r in reports:
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


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


@model_app.command("build")
def model_build(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if cached.")] = False,
) -> None:
    """Verify the pinned weights and convert them to ONNX, once (cached)."""
    from backcare import build_model

    settings = _settings()
    try:
        path = build_model(settings.model_dir, force=force)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"model ready: {path}")


@index_app.command("build")
def index_build(
    kb: Annotated[
        Path | None,
        typer.Option("--out", help="Also save the index to this folder.", file_okay=False),
    ] = None,
) -> None:
    """Build (or refresh) the cached search index of the shipped pack."""
    from backcare import KnowledgeBase, load_pack

    settings = _settings()
    try:
        encoder = default_encoder(settings.model_dir, threads=settings.threads)
        pack = load_pack()
        total = sum(len(entry.questions()) + 1 for entry in pack.entries)
        with _progress() as progress:
            task = progress.add_task("encoding the pack", total=total)
            built = KnowledgeBase.build(
                pack.label,
                pack.entries,
                encoder,
                progress=lambda n: progress.update(task, completed=n),
            )
        target = kb or settings.index_dir / f"pack-{pack.content_hash}-{encoder.model_id}"
        built.save(target)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"indexed {len(built)} entries of {pack.label} into {target}")


@app.command()
def triage(
    message: Annotated[str, typer.Argument(help="What is happening, in your own words.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the triage object.")] = False,
) -> None:
    """Check a message for red flags only: how fast to get help, and why.

    Example: backcare triage "back spasm since Monday, and now my legs feel weak"
    """
    from backcare import load_pack, triage_text

    try:
        result = triage_text(load_pack(), message)
    except QueryError as exc:
        raise _fail(exc.message, 2) from exc
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        print(_dump(result))
    else:
        console.print(render_triage(result))


def _parse_date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _fail(f"{option} must be a date like 2026-11-20, not {value!r}", 2) from exc


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


def _render_plan(plan: CarePlan) -> None:
    if plan.triage is not None and plan.triage.level != TriageLevel.SELF_CARE:
        console.print(render_triage(plan.triage))
    console.print(
        Panel(escape(plan.headline), title=f"Day {plan.day} since it started", title_align="left")
    )
    for note in plan.notes:
        console.print(f"[yellow]• {escape(note)}[/]")
    for phase in plan.phases:
        current = " (you are here)" if phase.id == plan.current_phase else ""
        end = phase.end_date.isoformat() if phase.end_date else "onwards"
        lines = ["[bold]Do:[/]"] + [f"  • {escape(item)}" for item in phase.do]
        lines += ["[bold]Expect:[/]"] + [f"  • {escape(item)}" for item in phase.expect]
        lines += ["[bold]Get help if:[/]"] + [f"  • {escape(item)}" for item in phase.escalate]
        console.print(
            Panel(
                "\n".join(lines),
                title=f"{escape(phase.title)}: {phase.start_date} to {end}{current}",
                title_align="left",
            )
        )
    if not plan.suppressed:
        checkins = ", ".join(day.isoformat() for day in plan.checkins)
        console.print(f"Check in on: {checkins}")
        console.print(f"[bold]See a doctor by {plan.see_doctor_by} if it is not improving.[/]")


class _OnConflict(str, Enum):
    keep_first = "keep-first"
    keep_both = "keep-both"


class _ExportFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"


_PHASES = {
    "reading": "reading files",
    "merging": "finding near-duplicates",
    "encoding": "encoding entries",
    "saving": "saving",
}


def _render_report(report: IngestReport, info: KbInfo, show: int) -> None:
    console.print(
        f"[bold]{escape(info.name)}[/] in {escape(info.path)}: {info.entries} entries "
        f"(added {report.added}, merged {report.merged}, skipped {report.skipped}, "
        f"conflicts {report.conflicts})",
        soft_wrap=True,
    )
    for title, items in (
        ("conflicts", report.of_kind("conflict")),
        ("merged", report.of_kind("merged")),
        ("skipped", report.of_kind("skipped")),
        ("added", report.of_kind("added")),
    ):
        if not items:
            continue
        reasons: dict[str, int] = {}
        for item in items:
            reasons[item.reason] = reasons.get(item.reason, 0) + 1
        console.print(f"[bold]{title}[/] ({len(items)}):")
        for item in items[:show]:
            question = f" “{escape(item.question[:80])}”" if item.question else ""
            console.print(
                f"  {escape(item.where)}{question}: {escape(item.reason)}", soft_wrap=True
            )
        if len(items) > show:
            top = sorted(reasons.items(), key=lambda kv: -kv[1])[:5]
            summary = "; ".join(f"{n} × {escape(reason)}" for reason, n in top)
            console.print(
                f"  … and {len(items) - show} more ({summary}); --json lists all", soft_wrap=True
            )


@app.command()
def ingest(
    files: Annotated[
        list[Path],
        typer.Argument(help="FAQ files: plain text, Markdown, HTML, CSV/TSV, JSON/JSONL or YAML."),
    ],
    kb: Annotated[
        Path,
        typer.Option(
            "--kb", help="The knowledge-base folder to create or update.", file_okay=False
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="The label replies carry in `kb` (default: the folder's name)."
        ),
    ] = None,
    on_conflict: Annotated[
        _OnConflict,
        typer.Option(
            "--on-conflict",
            help="A question that matches an earlier one but has another answer: "
            "drop it (keep-first) or keep it as its own entry (keep-both).",
        ),
    ] = _OnConflict.keep_first,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    show: Annotated[
        int,
        typer.Option(
            "--show", min=0, help="List at most this many items of each kind (all with --json)."
        ),
    ] = 20,
) -> None:
    """Read FAQ files into a knowledge base that `ask --kb` answers from.

    When the folder already holds a knowledge base, the files add to it and
    update it; ingesting the same file again adds nothing. A failed ingest
    leaves the existing knowledge base untouched. Example:

        backcare ingest faq.txt more.csv --kb ./my-kb
    """
    settings = _settings()
    try:
        encoder = default_encoder(settings.model_dir, threads=settings.threads)
        with _progress() as bar:
            tasks: dict[str, Any] = {}

            def step(phase: str, done: int, total: int | None) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(_PHASES.get(phase, phase), total=total)
                bar.update(tasks[phase], completed=done, total=total)

            policy: Literal["keep_first", "keep_both"] = (
                "keep_both" if on_conflict is _OnConflict.keep_both else "keep_first"
            )
            report = ingest_to_kb(files, kb, encoder, name=name, on_conflict=policy, progress=step)
        info = kb_info(kb)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        print(
            json.dumps(
                {"kb": info.model_dump(mode="json"), "report": report.model_dump(mode="json")}
            )
        )
    else:
        _render_report(report, info, show)


@kb_app.command("show")
def kb_show(
    kb: Annotated[Path, typer.Argument(help="The knowledge-base folder.", file_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
) -> None:
    """Show a knowledge base: name, entries, model, build time and source files."""
    try:
        info = kb_info(kb)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        print(info.model_dump_json())
        return
    console.print(f"[bold]{escape(info.name)}[/] · {escape(info.path)}", soft_wrap=True)
    console.print(
        f"  entries: {info.entries}\n  model: {escape(info.model_id)}\n"
        f"  built: {escape(info.built_at)}\n  version: {escape(info.version)}\n"
        f"  sources ({len(info.sources)}):",
        soft_wrap=True,
    )
    for source in info.sources:
        console.print(
            f"    {escape(source['path'])}  sha256 {source['sha256'][:16]}", soft_wrap=True
        )


@kb_app.command("export")
def kb_export(
    kb: Annotated[Path, typer.Argument(help="The knowledge-base folder.", file_okay=False)],
    format: Annotated[
        _ExportFormat,
        typer.Option("--format", help="csv or jsonl; `backcare ingest` reads both back."),
    ] = _ExportFormat.jsonl,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file instead of stdout.", dir_okay=False),
    ] = None,
) -> None:
    """Export a knowledge base's entries as CSV or JSONL (ingesting it gives them back)."""
    try:
        text = export_kb(kb, format.value)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{out}: cannot write: {exc.strerror or exc}") from exc
    err_console.print(f"exported {escape(str(kb))} to {escape(str(out))}")


def _feedback_url(settings: Settings) -> str:
    return settings.database_url


def _app_factory() -> Any:
    """One worker's app for `serve --workers N` (uvicorn imports it by name)."""
    from backcare import SqlFeedbackStore
    from backcare.api import create_app

    settings = _settings()
    diary = _diary_store()  # migrates the schema before the feedback store opens
    return create_app(
        _open(None),
        feedback=SqlFeedbackStore(_feedback_url(settings)),
        rate_limit=_rate_limit(settings),
        diary=diary,
    )


def _rate_limit(settings: Settings) -> Any:
    """The ``RateLimit`` for ``serve`` from the settings; None when turned off."""
    from backcare.api import RateLimit

    if settings.rate_limit == 0:
        return None
    return RateLimit(rate=settings.rate_limit, burst=settings.rate_burst)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    kb: KbOption = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes; each loads the model and index once.")
    ] = 1,
) -> None:
    """Serve the HTTP API and the web page (the model and index load once, at start).

    Example: backcare serve --port 8000, then open http://127.0.0.1:8000/
    """
    import uvicorn

    from backcare import SqlFeedbackStore
    from backcare.api import create_app

    settings = _settings()
    # Load (and on first run build) the model and index before accepting requests.
    backcare = _open(kb)
    diary = _diary_store()  # migrates the schema before the feedback store opens
    try:
        store = SqlFeedbackStore(_feedback_url(settings))
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    url = f"http://{host}:{port}"
    if workers == 1:
        console.print(f"backcare is serving on {url}", soft_wrap=True)
        uvicorn.run(
            create_app(backcare, feedback=store, rate_limit=_rate_limit(settings), diary=diary),
            host=host,
            port=port,
            log_level="info",
        )
        return
    store.close()
    diary.close()
    if kb is not None:
        # Each worker process reads its settings afresh; this is how --kb reaches it.
        import os

        os.environ["BACKCARE_KB"] = str(kb.resolve())
    console.print(f"backcare is serving on {url} ({workers} workers)", soft_wrap=True)
    uvicorn.run(
        "backcare.cli:_app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


# ---------------------------------------------------------------- diary, users, review

diary_app = typer.Typer(
    help="A diary of back-pain episodes and check-ins, kept on this computer.",
    no_args_is_help=True,
)
users_app = typer.Typer(
    help="Users of `backcare serve` and their bearer tokens.", no_args_is_help=True
)
app.add_typer(diary_app, name="diary")
app.add_typer(users_app, name="users")

AtOption = Annotated[
    str | None,
    typer.Option(
        "--at", help="When, e.g. 2026-11-20T08:30 or 2026-11-20 (local time; default: now)."
    ),
]
EpisodeOption = Annotated[
    int | None, typer.Option("--episode", help="The episode's id (default: the open one).")
]


class _DiaryFormat(StrEnum):
    csv = "csv"
    json = "json"


def _diary_store() -> SqlDiaryStore:
    """The diary database (opening it migrates the schema); the caller closes it."""
    from backcare import SqlDiaryStore

    try:
        return SqlDiaryStore(_settings().database_url)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc


@contextmanager
def _local_diary() -> Iterator[tuple[Diary, User]]:
    """The diary service and the CLI's own user (the diary acts as one local person)."""
    from backcare import Diary, load_pack

    store = _diary_store()
    try:
        try:
            user = store.local_user(now=dt.datetime.now(dt.UTC))
        except BackcareError as exc:
            raise _fail(str(exc)) from exc
        yield Diary(store, load_pack()), user
    finally:
        store.close()


def _parse_time(value: str | None, option: str = "--at") -> dt.datetime:
    if value is None:
        return dt.datetime.now().astimezone()
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise _fail(
            f"{option} must be a time like 2026-11-20T08:30 or 2026-11-20, not {value!r}", 2
        ) from exc
    # A time without a zone is the local time of this computer.
    return parsed if parsed.tzinfo is not None else parsed.astimezone()


def _local(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def _open_episode(diary: Diary, user: User, episode: int | None) -> int:
    if episode is not None:
        return episode
    open_ = [e for e in diary.store.episodes(user.id) if e.end is None]
    if not open_:
        raise _fail("no open episode: start one with `backcare diary start`, or give --episode")
    return open_[-1].id


def _diary_error(exc: BackcareError) -> typer.Exit:
    from backcare import ConfigError, DiaryConflictError, DiaryFormatError, EntryNotFoundError

    usage = (ConfigError, DiaryConflictError, DiaryFormatError, EntryNotFoundError)
    return _fail(str(exc), 2 if isinstance(exc, usage) else 1)


@diary_app.command("start")
def diary_start(
    at: AtOption = None,
    note: Annotated[str, typer.Option("--note", help="Anything about how it started.")] = "",
) -> None:
    """Start an episode: the day a back spasm began.

    Example: backcare diary start --at 2026-11-20T07:00 --note "lifting the shopping"
    """
    from backcare import NewEpisode

    with _local_diary() as (diary, user):
        try:
            episode = diary.store.start_episode(
                user.id, NewEpisode(onset=_parse_time(at), note=note)
            )
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        except ValueError as exc:
            raise _fail(str(exc), 2) from exc
        console.print(f"started episode {episode.id} on {_local(episode.onset)}")


@diary_app.command("log")
def diary_log(
    pain: Annotated[int, typer.Option("--pain", min=0, max=10, help="Pain now, 0 (none) to 10.")],
    where: Annotated[
        list[str] | None, typer.Option("--where", help="Where it hurts (repeat for more).")
    ] = None,
    trigger: Annotated[
        list[str] | None, typer.Option("--trigger", help="What set it off (repeatable).")
    ] = None,
    helped: Annotated[
        list[str] | None, typer.Option("--helped", help="What helped (repeatable).")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Anything else, in your words.")] = "",
    at: AtOption = None,
    episode: EpisodeOption = None,
) -> None:
    """Log a check-in: pain 0-10, where, triggers, what helped and a note.

    A note is checked for red flags at once. Example:

        backcare diary log --pain 6 --where "lower back" --helped walking
    """
    from backcare import NewCheckIn

    with _local_diary() as (diary, user):
        try:
            checkin = NewCheckIn(
                at=_parse_time(at),
                pain=pain,
                where=tuple(where or ()),
                triggers=tuple(trigger or ()),
                helped=tuple(helped or ()),
                notes=note,
            )
        except ValueError as exc:
            raise _fail(str(exc), 2) from exc
        try:
            stored = diary.store.add_checkin(user.id, _open_episode(diary, user, episode), checkin)
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        console.print(
            f"logged check-in {stored.id}: pain {stored.pain}/10 in episode {stored.episode_id}"
        )
        if note.strip():
            from backcare import load_pack, triage_text

            try:
                result = triage_text(load_pack(), note)
            except BackcareError:
                return
            if result.level != TriageLevel.SELF_CARE:
                console.print(render_triage(result))


@diary_app.command("end")
def diary_end(at: AtOption = None, episode: EpisodeOption = None) -> None:
    """End an episode (the open one unless --episode is given)."""
    from backcare import EpisodePatch

    with _local_diary() as (diary, user):
        try:
            target = _open_episode(diary, user, episode)
            ended = diary.store.update_episode(user.id, target, EpisodePatch(end=_parse_time(at)))
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        days = (ended.end - ended.onset).days if ended.end else 0
        console.print(f"ended episode {ended.id} on {_local(ended.end)} after {days} days")


@diary_app.command("list")
def diary_list(
    episode: Annotated[
        int | None, typer.Option("--episode", help="List this episode's check-ins.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List your episodes, or the check-ins of one with --episode."""
    from rich.table import Table

    with _local_diary() as (diary, user):
        try:
            if episode is not None:
                checkins = diary.store.checkins(user.id, episode)
            else:
                episodes = diary.store.episodes(user.id)
                checkins = diary.store.checkins(user.id)
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        if episode is not None:
            if as_json:
                print(json.dumps([c.model_dump(mode="json") for c in checkins]))
                return
            table = Table(title=f"check-ins of episode {episode}")
            for column in ("id", "when", "pain", "where", "triggers", "helped", "notes"):
                table.add_column(column)
            for c in checkins:
                table.add_row(
                    str(c.id),
                    _local(c.at),
                    f"{c.pain}/10",
                    escape(", ".join(c.where)),
                    escape(", ".join(c.triggers)),
                    escape(", ".join(c.helped)),
                    escape(c.notes),
                )
            console.print(table)
            return
        if as_json:
            print(json.dumps([e.model_dump(mode="json") for e in episodes]))
            return
        table = Table(title="episodes")
        for column in ("id", "onset", "end", "check-ins", "latest pain", "note"):
            table.add_column(column)
        for e in episodes:
            own = [c for c in checkins if c.episode_id == e.id]
            table.add_row(
                str(e.id),
                _local(e.onset),
                _local(e.end) or "open",
                str(len(own)),
                f"{own[-1].pain}/10" if own else "",
                escape(e.note),
            )
        console.print(table)


@diary_app.command("summary")
def diary_summary(
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Your episodes at a glance, and warnings: red flags, no improvement, recurrence."""
    from rich.table import Table

    with _local_diary() as (diary, user):
        try:
            summary = diary.summary(user.id, now=dt.datetime.now(dt.UTC))
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        if as_json:
            print(summary.model_dump_json())
            return
        for warning in summary.warnings:
            style, title = _LEVEL_STYLE[warning.level]
            lines = [escape(warning.message)] + [f"• {escape(item)}" for item in warning.evidence]
            console.print(
                Panel(
                    "\n".join(lines),
                    title=f"{title} · {warning.rule}",
                    border_style=style.split(" on ")[-1],
                    title_align="left",
                )
            )
        table = Table(title=f"{summary.episodes_last_12_months} episode(s) in the last 12 months")
        for column in ("id", "onset", "end", "days", "check-ins", "pain first → last (worst)"):
            table.add_column(column)
        for row in summary.episodes:
            pain = (
                f"{row.first_pain} → {row.last_pain} ({row.worst_pain})"
                if row.first_pain is not None
                else ""
            )
            table.add_row(
                str(row.episode.id),
                _local(row.episode.onset),
                _local(row.episode.end) or "open",
                str(row.days),
                str(row.checkins),
                pain,
            )
        console.print(table)
        if not summary.warnings:
            console.print("[green]No warnings.[/]")


@diary_app.command("export")
def diary_export(
    format: Annotated[
        _DiaryFormat, typer.Option("--format", help="csv or json; `diary import` reads both.")
    ] = _DiaryFormat.json,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file instead of stdout.", dir_okay=False),
    ] = None,
) -> None:
    """Export the whole diary as CSV (for a spreadsheet) or JSON."""
    with _local_diary() as (diary, user):
        try:
            text = diary.export(user.id, format.value)
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        if out is None:
            sys.stdout.write(text)
            return
        try:
            out.write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise _fail(f"{out}: cannot write: {exc.strerror or exc}") from exc
        err_console.print(f"exported the diary to {escape(str(out))}")


@diary_app.command("import")
def diary_import(
    file: Annotated[Path, typer.Argument(help="A file from `backcare diary export`.")],
    format: Annotated[
        _DiaryFormat | None,
        typer.Option("--format", help="csv or json (default: from the file's extension)."),
    ] = None,
) -> None:
    """Add the episodes of an exported diary to this one (all or nothing)."""
    kind = format.value if format is not None else file.suffix.lower().lstrip(".")
    if kind not in ("csv", "json"):
        raise _fail(f"{file}: give --format csv or --format json", 2)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{file}: cannot read: {exc}", 2) from exc
    with _local_diary() as (diary, user):
        try:
            episodes, checkins = diary.import_text(user.id, text, kind)
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        console.print(f"imported {episodes} episode(s) and {checkins} check-in(s)")


@diary_app.command("delete")
def diary_delete(
    episode: Annotated[int, typer.Argument(help="The episode's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first.")] = False,
) -> None:
    """Delete an episode and its check-ins."""
    with _local_diary() as (diary, user):
        if not yes and not typer.confirm(f"delete episode {episode} and its check-ins?"):
            raise typer.Exit(1)
        try:
            diary.store.delete_episode(user.id, episode)
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        console.print(f"deleted episode {episode}")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (letters, digits, . _ @ -).")],
    maintainer: Annotated[
        bool, typer.Option("--maintainer", help="May also read `GET /v1/review`.")
    ] = False,
) -> None:
    """Add a user of `backcare serve` and print their bearer token, once.

    Only a hash of the token is stored: keep it now, it cannot be shown again.
    """
    store = _diary_store()
    try:
        user, token = store.add_user(name, maintainer=maintainer, now=dt.datetime.now(dt.UTC))
    except BackcareError as exc:
        raise _diary_error(exc) from exc
    finally:
        store.close()
    role = " (maintainer)" if user.maintainer else ""
    err_console.print(
        f"added user {escape(user.name)}{role}; their token, shown this once "
        "(send it as `Authorization: Bearer <token>`):"
    )
    print(token)


@users_app.command("list")
def users_list() -> None:
    """List the users (never their tokens)."""
    store = _diary_store()
    try:
        users = store.users()
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    finally:
        store.close()
    for user in users:
        role = " maintainer" if user.maintainer else ""
        console.print(f"{user.id}\t{escape(user.name)}{role}\t{_local(user.created_at)}")


@app.command()
def review(
    top: Annotated[int, typer.Option("--top", min=1, help="How many of each to list.")] = 20,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold", min=0.0, max=1.0, help="Cosine similarity that joins two questions."
        ),
    ] = 0.8,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """The most frequent unanswered questions and the worst-rated answers.

    Use it to add alternate questions or new entries to the knowledge base.
    """
    from backcare import SqlFeedbackStore, review_feedback

    settings = _settings()
    try:
        _diary_store().close()  # the schema is migrated before the feedback store reads it
        store = SqlFeedbackStore(_feedback_url(settings))
        try:
            encoder = default_encoder(settings.model_dir, threads=settings.threads)
            report = review_feedback(store, encoder, top=top, threshold=threshold)
        finally:
            store.close()
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        print(report.model_dump_json())
        return
    console.print(
        f"[bold]Unanswered questions[/] ({report.abstained_total} logged), most frequent first:"
    )
    for cluster in report.unanswered:
        console.print(f"  {cluster.count:>4} × “{escape(cluster.question)}”", soft_wrap=True)
        for example in cluster.examples[1:]:
            console.print(f"         also: “{escape(example)}”", soft_wrap=True)
    console.print(f"[bold]Worst-rated answers[/] ({report.ratings_total} ratings):")
    for entry in report.worst_rated:
        console.print(
            f"  {escape(entry.entry_id)} ({escape(entry.kb)}): {entry.wrong} wrong, "
            f"{entry.not_helpful} not helpful, {entry.helpful} helpful",
            soft_wrap=True,
        )
        for example in entry.examples:
            console.print(f"      “{escape(example)}”", soft_wrap=True)


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


def main() -> None:
    """Entry point of the ``backcare`` console script."""
    app()
