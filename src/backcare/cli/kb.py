"""`model build`, `index build`, `ingest` and `kb show|export`."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape

from backcare import (
    BackcareError,
    default_encoder,
    export_kb,
    ingest_to_kb,
    kb_info,
)
from backcare.cli._common import (
    _fail,
    _progress,
    _settings,
    app,
    console,
    err_console,
    index_app,
    kb_app,
    model_app,
)
from backcare.cli._render import _render_report


@model_app.command("build")
def model_build(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if cached.")] = False,
) -> None:
    """Verify the pinned weights and convert them to ONNX (fp32 and int8), once (cached).

    Builds the English encoder (MiniLM) and the multilingual one (e5-small).
    """
    from backcare import build_model, build_multilingual_model

    settings = _settings()
    try:
        path = build_model(settings.model_dir, force=force)
        console.print(f"model ready: {path}")
        # The multilingual encoder answers questions in other languages; without
        # it they are searched with the English model, as before.
        path = build_multilingual_model(settings.model_dir, force=force)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"multilingual model ready: {path}")


@index_app.command("build")
def index_build(
    kb: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Save the index to this folder instead of the cache.", file_okay=False
        ),
    ] = None,
) -> None:
    """Build (or refresh) the cached search index of the shipped pack.

    With the multilingual encoder built, the pack's vectors for questions in
    other languages are built (or found) beside it too.
    """
    from backcare import (
        KnowledgeBase,
        load_pack,
        multilingual_encoder,
        pack_crosslingual,
        pack_index_dir,
        save_pack_index,
    )

    settings = _settings()
    try:
        encoder = default_encoder(
            settings.model_dir, threads=settings.threads, variant=settings.encoder
        )
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
        target = kb or pack_index_dir(pack, encoder, settings.index_dir)
        save_pack_index(pack, built, encoder, target)
        multilingual = (
            multilingual_encoder(
                settings.model_dir, threads=settings.threads, variant=settings.encoder
            )
            if kb is None
            else None
        )
        if multilingual is not None:
            pack_crosslingual(pack, multilingual, settings.index_dir)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"indexed {len(built)} entries of {pack.label} into {target}")
    if multilingual is not None:
        console.print("and their multilingual vectors, for questions in other languages")


class _OnConflict(StrEnum):
    keep_first = "keep-first"
    keep_both = "keep-both"


class _ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


_PHASES = {
    "reading": "reading files",
    "merging": "finding near-duplicates",
    "encoding": "encoding entries",
    "saving": "saving",
}


# The options of `ingest`, named here so the command reads as what it does.
_FilesArg = Annotated[
    list[Path],
    typer.Argument(help="FAQ files: plain text, Markdown, HTML, CSV/TSV, JSON/JSONL or YAML."),
]
_IngestKbOption = Annotated[
    Path,
    typer.Option("--kb", help="The knowledge-base folder to create or update.", file_okay=False),
]
_NameOption = Annotated[
    str | None,
    typer.Option("--name", help="The label replies carry in `kb` (default: the folder's name)."),
]
_OnConflictOption = Annotated[
    _OnConflict,
    typer.Option(
        "--on-conflict",
        help="A question that matches an earlier one but has another answer: "
        "drop it (keep-first) or keep it as its own entry (keep-both).",
    ),
]
_ShowOption = Annotated[
    int,
    typer.Option(
        "--show", min=0, help="List at most this many items of each kind (all with --json)."
    ),
]
_AnnOption = Annotated[
    bool | None,
    typer.Option(
        "--ann/--no-ann",
        help="Build an approximate nearest-neighbour index for fast search of large "
        "knowledge bases (default: only above 20,000 questions).",
        show_default=False,
    ),
]
_WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        help="Seconds to wait for another ingest into the same folder to finish "
        "(default: fail at once).",
    ),
]


@app.command()
def ingest(
    files: _FilesArg,
    kb: _IngestKbOption,
    name: _NameOption = None,
    on_conflict: _OnConflictOption = _OnConflict.keep_first,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    show: _ShowOption = 20,
    ann: _AnnOption = None,
    wait: _WaitOption = 0.0,
) -> None:
    """Read FAQ files into a knowledge base that `ask --kb` answers from.

    When the folder already holds a knowledge base, the files add to it and
    update it; ingesting the same file again adds nothing. A failed ingest
    leaves the existing knowledge base untouched, and a second ingest into the
    same folder waits (--wait) or fails while one runs. Example:

        backcare ingest faq.txt more.csv --kb ./my-kb
    """
    settings = _settings()
    try:
        encoder = default_encoder(
            settings.model_dir, threads=settings.threads, variant=settings.encoder
        )
        with _progress() as bar:
            tasks: dict[str, Any] = {}

            def step(phase: str, done: int, total: int | None) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(_PHASES.get(phase, phase), total=total)
                bar.update(tasks[phase], completed=done, total=total)

            policy: Literal["keep_first", "keep_both"] = (
                "keep_both" if on_conflict is _OnConflict.keep_both else "keep_first"
            )
            report = ingest_to_kb(
                files,
                kb,
                encoder,
                name=name,
                on_conflict=policy,
                progress=step,
                ann=ann,
                wait=wait,
            )
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
