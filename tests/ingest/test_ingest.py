"""The package front door: format detection, limits, every reader fuzzed, and the report."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcare.errors import IngestError, UnsupportedFormatError
from backcare.ingest import (
    READERS,
    IngestReport,
    detect_format,
    ingest_files,
    read_bytes,
    read_faq,
    sniff_format,
)

CASES = Path(__file__).parent / "cases"
MEDQUAD = Path(__file__).resolve().parents[3] / "shared" / "data" / "medquad.jsonl"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.TXT", "text"),
        ("a.md", "markdown"),
        ("a.htm", "html"),
        ("a.tab", "tsv"),
        ("a.ndjson", "jsonl"),
        ("a.yml", "yaml"),
        ("a.json", "json"),
        ("a.csv", "csv"),
    ],
)
def test_detect_format_by_extension(name: str, fmt: str) -> None:
    assert detect_format(name) == fmt


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        (b"<!doctype html><html><body><h2>Q?</h2>", "html"),
        (b'{"question": "a?", "answer": "b"}\n{"question": "c?", "answer": "d"}\n', "jsonl"),
        (b'[{"question": "a?", "answer": "b"}]', "json"),
        (b"entries:\n  - question: a?\n    answer: b\n", "yaml"),
        (b"# FAQ\n\n## Why?\nBecause.\n", "markdown"),
        (b"Question\tAnswer\nWhy?\tBecause.\n", "tsv"),
        (b"question,answer\nWhy?,Because.\n", "csv"),
        (b"Helpful tips\n\nWhy?\nBecause.\n", "text"),
    ],
)
def test_sniffing_unknown_extensions(tmp_path: Path, content: bytes, fmt: str) -> None:
    path = tmp_path / "export.faq"
    path.write_bytes(content)
    assert detect_format(path) == fmt
    assert sniff_format(content) == fmt


def test_unsupported_file_lists_the_formats(tmp_path: Path) -> None:
    path = tmp_path / "leaflet.bin"
    path.write_bytes(b"\x00\x01\x02\x03\xff\xfe\xfd" * 100)
    with pytest.raises(UnsupportedFormatError, match=r"leaflet\.bin.*markdown \(\.md"):
        read_faq(path)
    with pytest.raises(UnsupportedFormatError, match="supported formats"):
        read_bytes(b"x", format="docx")


def test_size_and_line_limits(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("Why?\n" + "a" * 5000 + "\n")
    with pytest.raises(IngestError, match=r"big\.txt: 5,006 bytes is over the 1,000-byte limit"):
        read_faq(path, max_bytes=1000)
    with pytest.raises(IngestError, match=r"big\.txt:2: line is 5,000 characters long"):
        read_faq(path, max_line_chars=4000)


def test_missing_file_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cannot"):
        read_faq(tmp_path / "nope.txt")


def test_empty_document_is_reported() -> None:
    result = read_bytes(b"  \n", format="html", file="e.html")
    assert result.entries == () and result.items[0].reason == "empty document"


@pytest.mark.parametrize("fmt", sorted(READERS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=1500))
def test_random_bytes_give_a_result_or_an_ingest_error(fmt: str, data: bytes) -> None:
    try:
        read_bytes(data, format=fmt, file="fuzz")
    except IngestError:
        pass


DOCS = st.lists(
    st.sampled_from(
        [
            "{",
            "}",
            "[",
            "]",
            '"question"',
            '"answer"',
            ":",
            ",",
            "null",
            '"id"',
            "- ",
            "  ",
            "question: ",
            "answer: ",
            "\n",
            "\t",
            '"',
            "Why?",
            "Because.",
            "<p>",
            "# ",
            "**",
            "1. ",
            "&",
            "\\",
            "qid",
            "Question,Answer",
            "---",
            "!!python/object",
            "*a",
            "&a ",
        ]
    ),
    max_size=40,
).map("".join)


@pytest.mark.parametrize("fmt", sorted(READERS))
@settings(max_examples=80, deadline=None)
@given(text=DOCS)
def test_malformed_documents_give_a_result_or_an_ingest_error(fmt: str, text: str) -> None:
    try:
        result = read_bytes(text.encode(), format=fmt, file="fuzz")
    except IngestError:
        return
    ids = [entry.id for entry in result.entries]
    assert len(ids) == len(set(ids))


def test_ingest_files_report_round_trips_through_json() -> None:
    paths = [CASES / "back-spasms-faq.txt", CASES / "qnamaker-export.tsv"]
    result = ingest_files(paths)
    report = result.report
    assert report.added == len(result.entries) == 16 + 3
    assert report.conflicts == 1 and report.merged == 1
    assert IngestReport.model_validate_json(report.model_dump_json()) == report
    data = json.loads(report.model_dump_json())
    assert {"added", "merged", "skipped", "conflicts", "items", "files"} <= set(data)
    assert all(item["file"] and "reason" in item for item in data["items"])


def test_ingesting_the_same_file_twice_adds_nothing() -> None:
    once = ingest_files([CASES / "riverside-faq.md"])
    twice = ingest_files([CASES / "riverside-faq.md"], existing=once.entries)
    assert twice.entries == once.entries
    assert twice.report.added == 0 and twice.report.skipped > 0


@pytest.mark.slow
@pytest.mark.skipif(not MEDQUAD.exists(), reason="shared/data/medquad.jsonl is not here")
def test_medquad_streams_in_a_few_seconds() -> None:
    start = time.perf_counter()
    result = read_faq(MEDQUAD)
    elapsed = time.perf_counter() - start
    assert len(result.entries) == 16_407
    assert sum(1 for i in result.items if i.reason == "no answer") == 47_441 - 16_407
    assert result.entries[0].id == "CancerGov_0000001_1_Sec1"  # input ids are kept
    assert elapsed < 10, f"took {elapsed:.1f}s"
