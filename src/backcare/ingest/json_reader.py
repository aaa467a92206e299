"""JSON and JSON Lines FAQs: ``question``, ``answer``, optional ``id``/``qid``, ``alternates``,
``url``, ``source`` (README: Ingest), plus the key spellings of ``records.FIELD_NAMES``.

JSONL is read one line at a time and a bad line is reported, not fatal, so a
large export such as MedQuAD (47k rows, 31k with a null answer) streams
through; rows without an answer are skipped and counted.
"""

from __future__ import annotations

import json
from typing import Any

from backcare.errors import IngestError
from backcare.ingest.base import LineIndex, ReadResult, skipped
from backcare.ingest.records import Row, build, find_rows
from backcare.ingest.report import ReportItem

__all__ = ["read_json", "read_jsonl"]


def read_json(text: str, *, file: str) -> ReadResult:
    """Read one JSON document: a list of records or an object holding one.

    Raises:
        IngestError: the text is not JSON, or holds no list of records.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(f"{file}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise IngestError(f"{file}:1: JSON nested too deeply") from exc
    found = find_rows(data)
    if found is None:
        raise IngestError(
            f"{file}:1: expected a list of FAQ records or an object with an 'entries' list"
        )
    records, _ = found
    index = LineIndex(text)
    rows: list[Row] = []
    items: list[ReportItem] = []
    cursor = 0
    for number, record in enumerate(records, start=1):
        # json.loads keeps no positions: find each record's question (or value), in order.
        row = Row(0, record) if isinstance(record, dict) else None
        probe = row.fields.get("question", "") if row else record
        needle = json.dumps(probe, ensure_ascii=False)
        offset = text.find(needle, cursor)
        if offset < 0 and isinstance(probe, str):
            offset = text.find(needle[1:-1], cursor)
        cursor = offset if offset >= 0 else cursor
        line = index.line(cursor)
        if row is not None:
            row.line = line
            rows.append(row)
        else:
            items.append(skipped(f"record {number} is not an object", file, line))
    result = build(rows, file=file, format="json")
    return ReadResult(result.entries, tuple(items) + result.items, file=file, format="json")


def read_jsonl(text: str, *, file: str) -> ReadResult:
    """Read JSON Lines: one record per line; blank lines are ignored, bad lines reported."""
    rows: list[Row] = []
    items: list[ReportItem] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            items.append(skipped(f"invalid JSON: {exc.msg} (column {exc.colno})", file, number))
            continue
        except RecursionError:
            items.append(skipped("JSON nested too deeply", file, number))
            continue
        if not isinstance(record, dict):
            items.append(skipped("not a JSON object", file, number))
            continue
        rows.append(Row(number, record))
    result = build(rows, file=file, format="jsonl")
    return ReadResult(result.entries, tuple(items) + result.items, file=file, format="jsonl")
