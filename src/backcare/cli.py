"""The ``backcare`` command line: parse, call the library, print.

Library errors become a message and exit code 1; an unusable question
(empty, too long, not text) exits with 2, as DESIGN.md section 2 says.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

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
    return f"sqlite:///{settings.data_dir / 'backcare.db'}"


def _app_factory() -> Any:
    """One worker's app for `serve --workers N` (uvicorn imports it by name)."""
    from backcare import SqlFeedbackStore
    from backcare.api import create_app

    settings = _settings()
    return create_app(_open(None), feedback=SqlFeedbackStore(_feedback_url(settings)))


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
    try:
        store = SqlFeedbackStore(_feedback_url(settings))
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    url = f"http://{host}:{port}"
    if workers == 1:
        console.print(f"backcare is serving on {url}", soft_wrap=True)
        uvicorn.run(create_app(backcare, feedback=store), host=host, port=port, log_level="info")
        return
    store.close()
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


def main() -> None:
    """Entry point of the ``backcare`` console script."""
    app()
