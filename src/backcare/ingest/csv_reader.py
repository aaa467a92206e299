"""CSV and TSV FAQ exports with a header row (Zendesk, Freshdesk, QnA Maker, Dialogflow…).

The header names the columns (see ``records.FIELD_NAMES``); a two-column file
whose first row names no known column is read as ``question, answer`` rows
without a header, as Dialogflow's FAQ knowledge documents are. QnA Maker
exports one row per alternate question under the same ``QnA id``: those rows
become one entry with alternates. Columns of no known name are not read; the
report says so once, on the header's line. A cell that ``backcare.model.csvcells`` guarded
against spreadsheet formulas (``'=...``, ``'-...``) loses that leading quote.
"""

from __future__ import annotations

import csv
import io

from backcare.errors import IngestError
from backcare.ingest.base import ReadResult, warning
from backcare.ingest.records import FIELD_NAMES, Row, build, field_of
from backcare.ingest.report import ReportItem
from backcare.model.csvcells import restore

__all__ = ["read_csv", "read_tsv"]


def read_csv(text: str, *, file: str) -> ReadResult:
    """Read comma-separated rows (``;`` when the header uses it instead)."""
    header = next((line for line in text.split("\n") if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=header.count) if header.count(",") == 0 else ","
    return _read(text, file=file, delimiter=delimiter, format="csv")


def read_tsv(text: str, *, file: str) -> ReadResult:
    """Read tab-separated rows."""
    return _read(text, file=file, delimiter="\t", format="tsv")


def _read(text: str, *, file: str, delimiter: str, format: str) -> ReadResult:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    columns: list[str] | None = None
    unread: list[ReportItem] = []
    start = 1
    try:
        for cells in reader:
            record = [restore(cell) for cell in cells]
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if columns is None:
                columns = _columns(record, file, line)
                if columns != record:  # no header: the first row is data
                    rows.append(Row(line, dict(zip(columns, record, strict=False))))
                else:
                    unread = _unread(columns, file, line)
                continue
            rows.append(Row(line, dict(zip(columns, record, strict=False))))
    except csv.Error as exc:
        raise IngestError(f"{file}:{reader.line_num}: cannot read {format.upper()}: {exc}") from exc
    result = build(rows, file=file, format=format)
    return ReadResult(result.entries, (*unread, *result.items), file=file, format=format)


def _unread(header: list[str], file: str, line: int) -> list[ReportItem]:
    """One warning naming the header's columns that feed no entry field, if any."""
    names = [name for name in header if name.strip() and field_of(name) is None]
    if not names:
        return []
    listed = ", ".join(repr(name[:60]) for name in names[:10])
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    return [
        warning(
            f"{'column' if len(names) == 1 else 'columns'} {listed}{more} "
            f"{'is' if len(names) == 1 else 'are'} not read (no entry field has "
            f"{'that name' if len(names) == 1 else 'those names'}; README: Ingest lists them)",
            file,
            line,
        )
    ]


def _columns(header: list[str], file: str, line: int) -> list[str]:
    fields = {field_of(name) for name in header}
    if {"question", "answer"} <= fields:
        return header
    if len(header) == 2 and not fields - {None}:
        return ["question", "answer"]
    expected = ", ".join(f"{name!r}" for name in FIELD_NAMES["question"] + FIELD_NAMES["answer"])
    raise IngestError(
        f"{file}:{line}: the header {header!r} has no question and answer columns; "
        f"name them like one of {expected}"
    )
