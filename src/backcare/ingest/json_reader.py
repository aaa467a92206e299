"""JSON and JSON Lines FAQs: ``question``, ``answer``, optional ``id``/``qid``, ``alternates``,
``url``, ``source`` (README: Ingest), plus the key spellings of ``records.FIELD_NAMES``.

A ``.json`` file may also hold schema.org ``FAQPage`` JSON-LD (a page's
``<script type="application/ld+json">`` saved on its own): its Questions and
accepted answers are read as records, as the HTML reader reads them in a page.

JSONL is read one line at a time and a bad line is reported, not fatal, so a
large export such as MedQuAD (47k rows, 31k with a null answer) streams
through; rows without an answer are skipped and counted.
"""

from __future__ import annotations

import json
from typing import Any

from backcare.errors import IngestError
from backcare.ingest.base import LineIndex, ReadResult, skipped
from backcare.ingest.html import faq_pairs, is_faq_jsonld
from backcare.ingest.records import SHAPES, Row, build, find_rows
from backcare.ingest.report import ReportItem

__all__ = ["read_json", "read_jsonl"]


def read_json(text: str, *, file: str) -> ReadResult:
    """Read one JSON document: a list of records, an object holding one, or FAQPage JSON-LD.

    Raises:
        IngestError: the text is not JSON, or none of those shapes.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(f"{file}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise IngestError(f"{file}:1: JSON nested too deeply") from exc
    index = LineIndex(text)
    if is_faq_jsonld(data):
        return _read_jsonld(data, text, index, file)
    found = find_rows(data)
    if found is None:
        raise IngestError(f"{file}:1: expected {SHAPES}, or schema.org FAQPage JSON-LD")
    records, _ = found
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


def _read_jsonld(data: Any, text: str, index: LineIndex, file: str) -> ReadResult:
    """Records from the Questions of FAQPage JSON-LD, each on its question's line."""
    rows: list[Row] = []
    cursor = 0
    for question, answer in faq_pairs(data):
        offset = text.find(json.dumps(question, ensure_ascii=False)[1:-1], cursor)
        cursor = offset if offset >= 0 else cursor
        rows.append(Row(index.line(cursor), {"question": question, "answer": answer}))
    if not rows:
        raise IngestError(f"{file}:1: schema.org JSON-LD without any named Question to read")
    result = build(rows, file=file, format="json")
    return ReadResult(result.entries, result.items, file=file, format="json")


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
