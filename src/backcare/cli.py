"""The ``backcare`` command line: parse, call the library, print.

Library errors become a message and exit code 1; an unusable question
(empty, too long, not text) exits with 2, as DESIGN.md section 2 says.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backcare import (
    Backcare,
    BackcareError,
    ErrorReply,
    QueryError,
    QueryErrorInfo,
    Reply,
    TriageLevel,
    TriageResult,
    __version__,
    default_encoder,
    evaluate,
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
model_app = typer.Typer(help="Build the embedding model (ONNX) from the pinned weights.",
                        no_args_is_help=True)
app.add_typer(index_app, name="index")
app.add_typer(model_app, name="model")

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
    typer.Option("--kb", help="Answer from this ingested knowledge base instead of the pack.",
                 file_okay=False),
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
    return Panel("\n".join(lines), title=title, border_style=style.split(" on ")[-1],
                 title_align="left")


def render_reply(reply: Reply) -> None:
    """Print a reply for people: triage first when it matters, then the answer."""
    loud = reply.triage.level != TriageLevel.SELF_CARE
    if loud:
        console.print(render_triage(reply.triage))
    if reply.answer is not None:
        answer = reply.answer
        body = escape(answer.text)
        if answer.sources:
            body += "\n\n[dim]Sources:[/]\n" + "\n".join(
                f"[dim]• {escape(s.title)} — {escape(s.url)}[/]" for s in answer.sources
            )
        console.print(Panel(body, title=escape(answer.question), title_align="left",
                            subtitle=f"confidence {answer.confidence:.2f} · {escape(reply.kb)}",
                            subtitle_align="right"))
    else:
        console.print(Panel("I don't have a good answer to that in this knowledge base.",
                            title="No confident answer", title_align="left"))
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
            return _dump(ErrorReply(query=text, error=info))
        if not isinstance(data, dict) or "q" not in data:
            info = QueryErrorInfo(code="bad_json", message='a JSON line needs a "q" key')
            return _dump(ErrorReply(query=text, error=info))
        text = data["q"]
    try:
        return _dump(backcare.ask(text, top_k=top_k))
    except QueryError as exc:
        query = text if isinstance(text, str) else json.dumps(text)
        return _dump(ErrorReply(query=query[:2000], error=QueryErrorInfo(code=exc.code,
                                                                        message=exc.message)))


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="Your question, in your own words.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
    jsonl: Annotated[bool, typer.Option(
        "--jsonl", help="Read one question a line from stdin (text, or JSON with a \"q\" key); "
        "write one JSON reply a line.")] = False,
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=50,
                                       help="How many entries to return in all.")] = 3,
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
    files: Annotated[list[Path], typer.Argument(
        help="JSONL query sets: {q, ok} (retrieval), {q, level} (triage) or {q} (out of scope).",
        exists=True, dir_okay=False)],
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
        print(json.dumps([r.as_dict() if failures else {**r.as_dict(), "failures": None}
                          for r in reports], indent=2))
        return
    from rich.table import Table

    table = Table(title=f"backcare eval · {backcare.kb_label}")
    for column in ("set", "kind", "n", "top-1", "top-3", "abstained", "triage ≥ level",
                   "p50 ms", "p95 ms"):
        table.add_column(column)
    for r in reports:
        def fmt(value: float | None) -> str:
            return "" if value is None else f"{value:.3f}"
        table.add_row(r.name, r.kind, str(r.n), fmt(r.top1), fmt(r.top3),
                      fmt(r.abstention_rate), fmt(r.triage_at_least),
                      f"{r.latency_ms.get('p50', 0):.2f}", f"{r.latency_ms.get('p95', 0):.2f}")
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
            console.print(f"under-triaged emergencies: {r.under_triaged_emergencies}; "
                          f"over-triaged self-care: {r.over_triaged_self_care}")
        if failures and r.failures:
            console.print(f"[bold]misses in {escape(r.name)}:[/]")
            for miss in r.failures:
                console.print(f"  {escape(json.dumps(miss))}")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


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
    kb: Annotated[Path | None, typer.Option("--out", help="Also save the index to this folder.",
                                             file_okay=False)] = None,
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
            built = KnowledgeBase.build(pack.label, pack.entries, encoder,
                                        progress=lambda n: progress.update(task, completed=n))
        target = kb or settings.index_dir / f"pack-{pack.content_hash}-{encoder.model_id}"
        built.save(target)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"indexed {len(built)} entries of {pack.label} into {target}")


def main() -> None:
    """Entry point of the ``backcare`` console script."""
    app()
