"""Shared pieces of the CLI: the typer apps, consoles, settings and error exits."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backcare import (
    Backcare,
    BackcareError,
    ErrorReply,
    Reply,
    TriageLevel,
    TriageResult,
    __version__,
    default_encoder,
)
from backcare.settings import Settings, get_settings

if TYPE_CHECKING:  # imported where used: the diary pulls in SQLAlchemy
    from backcare import SqlDiaryStore, Stores


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
        encoder = default_encoder(
            settings.model_dir, threads=settings.threads, variant=settings.encoder
        )
        from backcare import multilingual_encoder

        multilingual = multilingual_encoder(
            settings.model_dir, threads=settings.threads, variant=settings.encoder
        )
        return Backcare.open(
            encoder, kb_dir=kb, cache_dir=settings.index_dir, multilingual=multilingual
        )
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


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _parse_date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _fail(f"{option} must be a date like 2026-11-20, not {value!r}", 2) from exc


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


def _diary_store() -> SqlDiaryStore:
    """The diary database (opening it migrates the schema); the caller closes it."""
    from backcare import SqlDiaryStore

    try:
        return SqlDiaryStore(_settings().database_url)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc


def _stores() -> Stores:
    """The diary and feedback stores, opened (and migrated) in order; the caller closes them."""
    from backcare import open_stores

    try:
        return open_stores(_settings().database_url)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
