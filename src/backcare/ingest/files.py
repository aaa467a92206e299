"""Reading FAQ files: format detection, safe decoding, the readers, and merging several files.

``read_faq(path)`` detects the format (extension first, then the content),
decodes the bytes safely and runs the one reader for that format.
``ingest_files(paths, embed=...)`` reads several files and merges them,
returning the entries and an ``IngestReport``. Every failure is an
``IngestError`` (``UnsupportedFormatError`` for unknown kinds of file) whose
message names the file and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from backcare.errors import IngestError, UnsupportedFormatError
from backcare.ingest.base import Reader, ReadResult, skipped, text_key
from backcare.ingest.csv_reader import read_csv, read_tsv
from backcare.ingest.decode import decode_bytes
from backcare.ingest.html import read_html
from backcare.ingest.json_reader import read_json, read_jsonl
from backcare.ingest.markdown import read_markdown
from backcare.ingest.merge import Embed, MergeResult, OnConflict, merge_entries
from backcare.ingest.records import FIELD_NAMES
from backcare.ingest.report import IngestReport, ReportItem
from backcare.ingest.text import read_text
from backcare.ingest.yaml_reader import read_yaml
from backcare.model import FaqEntry

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_MAX_LINE_CHARS",
    "EXTENSIONS",
    "FIELD_NAMES",
    "READERS",
    "Embed",
    "IngestReport",
    "IngestResult",
    "MergeResult",
    "ReadResult",
    "Reader",
    "ReportItem",
    "detect_format",
    "ingest_files",
    "merge_entries",
    "read_bytes",
    "read_faq",
    "sniff_format",
]

READERS: Mapping[str, Reader] = {
    "text": read_text,
    "markdown": read_markdown,
    "html": read_html,
    "csv": read_csv,
    "tsv": read_tsv,
    "json": read_json,
    "jsonl": read_jsonl,
    "yaml": read_yaml,
}
EXTENSIONS: Mapping[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".yaml": "yaml",
    ".yml": "yaml",
}
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_LINE_CHARS = 1_000_000
# Per document. MedQuAD, the largest FAQ set we know, has about 47,000 entries;
# a file of one question repeated to its size limit would give millions.
DEFAULT_MAX_ENTRIES = 200_000
# Formats read line by line; HTML and JSON are often minified onto one line.
_LINE_FORMATS = {"text", "markdown", "csv", "tsv", "jsonl", "yaml"}
_SNIFF_BYTES = 64 * 1024


def _supported() -> str:
    by_format: dict[str, list[str]] = {}
    for ext, name in EXTENSIONS.items():
        by_format.setdefault(name, []).append(ext)
    return "; ".join(f"{name} ({', '.join(exts)})" for name, exts in by_format.items())


def detect_format(path: str | os.PathLike[str]) -> str:
    """The reader name for ``path``: from its extension, else by looking at its content.

    Raises:
        UnsupportedFormatError: the extension belongs to no reader and the
            content is not recognisable text (a PDF, a Word file, an image).
        IngestError: the file cannot be opened.
    """
    file = os.fspath(path)
    ext = Path(file).suffix.lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    try:
        with open(file, "rb") as handle:
            sample = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise IngestError(f"{file}: cannot open: {exc.strerror or exc}") from exc
    return sniff_format(sample, file=file)


def sniff_format(sample: bytes, *, file: str = "<bytes>") -> str:
    """Guess the format from the first bytes of a document.

    Raises:
        UnsupportedFormatError: the bytes are not text.
    """
    try:
        text = decode_bytes(sample, file=file)
    except IngestError:
        try:
            text = decode_bytes(sample[:-3], file=file)  # a character cut in half at the end
        except IngestError as exc:
            raise UnsupportedFormatError(
                f"{file}: not a text document; supported formats: {_supported()}"
            ) from exc
    head = text.lstrip()
    lines = [line.strip() for line in head.split("\n") if line.strip()][:20]
    if head.startswith("<") and re.search(
        r"<(!doctype|html|head|body|div|p|h[1-6]|details|dl|script|meta|section|article)\b",
        head[:4096],
        re.IGNORECASE,
    ):
        return "html"
    if head.startswith(("{", "[")):
        if len(lines) > 1 and all(ln.startswith("{") and ln.endswith("}") for ln in lines[:2]):
            return "jsonl"
        return "json"
    if (
        head.startswith("---")
        or re.match(r"(?:-\s+)?[A-Za-z_]+:(?:\s|$)", head)
        and any(
            re.match(r"-?\s*(?:entries|faqs|question|q)\s*:", ln, re.IGNORECASE) for ln in lines
        )
    ):
        return "yaml"
    if any(re.match(r"#{1,6}\s|\*\*.+\*\*$", ln) for ln in lines):
        return "markdown"
    if lines and re.search(r"question", lines[0], re.IGNORECASE) and "answer" in lines[0].lower():
        return "tsv" if "\t" in lines[0] else "csv"
    return "text"


def read_bytes(
    data: bytes,
    *,
    format: str,
    file: str = "<bytes>",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_line_chars: int = DEFAULT_MAX_LINE_CHARS,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> ReadResult:
    """Decode ``data`` and read it with the reader for ``format``.

    Raises:
        UnsupportedFormatError: ``format`` is not a reader name.
        IngestError: the document is too big, has an absurdly long line or
            too many entries, is not text, or is malformed for its format.
    """
    reader = READERS.get(format)
    if reader is None:
        raise UnsupportedFormatError(
            f"{file}: no reader for format {format!r}; supported formats: {_supported()}"
        )
    if len(data) > max_bytes:
        raise IngestError(
            f"{file}: {len(data):,} bytes is over the {max_bytes:,}-byte limit; "
            "split the file or raise max_bytes"
        )
    text = decode_bytes(data, file=file)
    if not text.strip():
        return ReadResult((), (skipped("empty document", file, None),), file=file, format=format)
    if format in _LINE_FORMATS:
        for number, line in enumerate(text.split("\n"), start=1):
            if len(line) > max_line_chars:
                raise IngestError(
                    f"{file}:{number}: line is {len(line):,} characters long (limit "
                    f"{max_line_chars:,}); is this really a {format} file?"
                )
    result = reader(text, file=file)
    if len(result.entries) > max_entries:
        raise IngestError(
            f"{file}: {len(result.entries):,} entries is over the {max_entries:,}-entry limit "
            "for one document; split the file or raise max_entries"
        )
    items = tuple(sorted(result.items, key=lambda item: item.line or 0))
    return ReadResult(result.entries, items, file=file, format=format)


def read_faq(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_line_chars: int = DEFAULT_MAX_LINE_CHARS,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> ReadResult:
    """Read one FAQ document into entries (ids slugged where the file gives none).

    Args:
        path: the file.
        format: a key of ``READERS``; detected when ``None``.
        max_bytes: refuse larger files.
        max_line_chars: refuse line-based files with a longer line.
        max_entries: refuse a file with more entries.

    Raises:
        UnsupportedFormatError: no reader handles the file.
        IngestError: the file cannot be read; the message names file and line.
    """
    file = os.fspath(path)
    name = format or detect_format(file)
    try:
        size = os.path.getsize(file)
        if size > max_bytes:
            raise IngestError(
                f"{file}: {size:,} bytes is over the {max_bytes:,}-byte limit; "
                "split the file or raise max_bytes"
            )
        with open(file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise IngestError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    return read_bytes(
        data,
        format=name,
        file=file,
        max_bytes=max_bytes,
        max_line_chars=max_line_chars,
        max_entries=max_entries,
    )


@dataclass(frozen=True)
class IngestResult:
    """The merged entries and the report of one ingest."""

    entries: tuple[FaqEntry, ...]
    report: IngestReport


def _renames_kept(items: list[ReportItem], entries: Sequence[FaqEntry]) -> list[ReportItem]:
    """``items`` less the readers' rename warnings about entries the merge did not keep.

    A reader renames the second of two questions with one slug before the merge
    decides: dropped as a conflict (``keep_first``) or merged into another
    entry, no entry carries the new id, and a warning naming it would mislead.
    """
    renames = [item for item in items if item.kind == "warning" and item.entry_id is not None]
    if not renames:
        return items
    kept = {(entry.id, text_key(q)) for entry in entries for q in entry.questions()}
    return [
        item
        for item in items
        if item.kind != "warning"
        or item.entry_id is None
        or (item.entry_id, text_key(item.question or "")) in kept
    ]


def ingest_files(
    paths: Iterable[str | os.PathLike[str]],
    *,
    existing: Sequence[FaqEntry] = (),
    embed: Embed | None = None,
    threshold: float = 0.9,
    on_conflict: OnConflict = "keep_first",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_line_chars: int = DEFAULT_MAX_LINE_CHARS,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> IngestResult:
    """Read every file and merge the entries into ``existing``, with a report.

    See ``merge_entries`` for ``embed``, ``threshold`` and ``on_conflict``.

    Raises:
        IngestError: a file cannot be read (nothing is merged).
    """
    results = [
        read_faq(path, max_bytes=max_bytes, max_line_chars=max_line_chars, max_entries=max_entries)
        for path in paths
    ]
    merged = merge_entries(
        [entry for result in results for entry in result.entries],
        existing=existing,
        embed=embed,
        threshold=threshold,
        on_conflict=on_conflict,
    )
    order = {result.file: n for n, result in enumerate(results)}
    read = [item for result in results for item in result.items]
    items = _renames_kept(read, merged.entries) + list(merged.items)
    items.sort(key=lambda item: (order.get(item.file, len(order)), item.line or 0))
    report = IngestReport(
        files=tuple(result.file for result in results),
        entries=len(merged.entries),
        items=tuple(items),
    )
    return IngestResult(merged.entries, report)
