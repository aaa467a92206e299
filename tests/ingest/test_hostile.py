"""Hostile documents: markup, scripts, huge lines, deep nesting, repetition, and the limits.

A document written to attack whoever reads or shows it must be ingested as
plain text, in bounded time, or refused with an ``IngestError`` that says
which limit it broke. ``tests/web/test_hostile_page.py`` shows the same
document's entries in a browser.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from backcare import Encoder, IngestError, KnowledgeBase, ingest_to_kb
from backcare.ingest import DEFAULT_MAX_ENTRIES, ingest_files, read_bytes, read_faq
from backcare.ingest.base import IdAllocator

LONG_WORD = "A" * 5_000


def hostile_html(*, repeats: int = 2_000, depth: int = 300, long_line: int = 200_000) -> str:
    """An FAQ page that tries everything; its real questions are the ones below."""
    return "".join(
        [
            "<!doctype html><html><head><title>FAQ</title>",
            "<script>window.__pwned = 1</script>",
            '<meta http-equiv="refresh" content="0; url=javascript:window.__pwned = 9">',
            "</head>\n",
            '<body onload="window.__pwned = 2">\n',
            '<h2 onclick="window.__pwned = 3">Is heat good for a '
            "<script>window.__pwned = 4</script>back spasm?</h2>\n",
            '<p>Yes, warmth relaxes the muscle. <a href="javascript:window.__pwned = 5">'
            'Read more</a> <img src="x" onerror="window.__pwned = 6"> '
            "&lt;script&gt;window.__pwned = 7&lt;/script&gt; is only text here.</p>\n",
            '<iframe src="javascript:window.__pwned = 8"></iframe>\n',
            "<h2>Can a very long answer break the page?</h2>\n",
            f"<p>{LONG_WORD} {'spasm ' * (long_line // 6)}</p>\n",
            "<h2>Should I rest in bed?</h2><p>No: keep gently moving.</p>\n" * repeats,
            "<h2>Is walking good for a back spasm?</h2><p>Short, easy walks help.</p>\n",
            # Deeper than libxml2 goes: what follows is cut off, and the report says so.
            "<div>" * depth + "<h2>Lost in the depths?</h2><p>deep</p>" + "</div>" * depth,
            "</body></html>\n",
        ]
    )


@pytest.fixture(scope="module")
def hostile_kb(tmp_path_factory: pytest.TempPathFactory, fake_encoder: Encoder) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    page = folder / "hostile-faq.html"
    page.write_text(hostile_html(), encoding="utf-8")
    return folder


def test_a_hostile_page_is_ingested_as_plain_text(hostile_kb: Path, fake_encoder: Encoder) -> None:
    started = time.monotonic()
    report = ingest_to_kb([hostile_kb / "hostile-faq.html"], hostile_kb / "kb", fake_encoder)
    assert time.monotonic() - started < 30, "bounded time, even with 2,000 repeats"
    kb = KnowledgeBase.load(hostile_kb / "kb")
    by_question = {entry.question: entry for entry in kb.entries}
    assert set(by_question) == {
        "Is heat good for a back spasm?",
        "Can a very long answer break the page?",
        "Should I rest in bed?",
        "Is walking good for a back spasm?",
    }
    heat = by_question["Is heat good for a back spasm?"]
    # Tags are gone, scripts with their code; escaped markup is kept, as text.
    assert heat.answer.startswith("Yes, warmth relaxes the muscle. Read more")
    assert "<script>window.__pwned = 7</script> is only text here." in heat.answer
    everything = json.dumps([entry.model_dump(mode="json") for entry in kb.entries])
    for gone in ("__pwned = 1", "__pwned = 2", "__pwned = 3", "__pwned = 4", "javascript:"):
        assert gone not in everything
    for attribute in ("onerror", "onload", "onclick", "<img", "<iframe", "<a "):
        assert attribute not in everything
    assert LONG_WORD in by_question["Can a very long answer break the page?"].answer
    # 2,000 copies of one question are one entry; the report accounts for the rest.
    assert report.added == 4
    assert report.skipped + report.merged >= 1_999
    deep = [item for item in report.items if "nested too deeply" in item.reason]
    assert len(deep) == 1 and deep[0].kind == "skipped"


def test_hostile_records_keep_no_active_links() -> None:
    records = [
        {"question": "Is heat good?", "answer": "Yes.", "url": "javascript:alert(1)"},
        {"question": "Is ice good?", "answer": "Yes.", "url": "data:text/html,<script>x</script>"},
        {"question": "Can I walk?", "answer": "Yes.", "url": "http://[::1"},
        {"question": "Can I swim?", "answer": "Yes.", "url": " JAVASCRIPT:alert(1)"},
        {"question": "Can I run?", "answer": "Later.", "url": "https://www.nhs.uk/back-pain/"},
    ]
    for fmt in ("json", "jsonl"):
        data = (
            json.dumps(records)
            if fmt == "json"
            else "\n".join(json.dumps(record) for record in records)
        )
        entries = read_bytes(data.encode(), format=fmt, file=f"r.{fmt}").entries
        assert [entry.question for entry in entries] == [r["question"] for r in records]
        assert [source.url for entry in entries for source in entry.sources] == [
            "https://www.nhs.uk/back-pain/"
        ]


def test_markdown_with_raw_html_keeps_only_text() -> None:
    text = (
        "## Is heat good for a back spasm?\n\n"
        'Yes. <script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">\n'
        "[more](javascript:window.__pwned = 3)\n"
    )
    (entry,) = read_bytes(text.encode(), format="markdown", file="h.md").entries
    assert "<" not in entry.answer and "onerror" not in entry.answer
    assert "javascript:" not in entry.answer
    assert entry.sources == ()


# ---------------------------------------------------------------- limits


def test_too_many_entries_is_a_clear_error(tmp_path: Path) -> None:
    rows = "question,answer\n" + "".join(f"Question {n}?,Answer {n}.\n" for n in range(11))
    path = tmp_path / "many.csv"
    path.write_text(rows, encoding="utf-8")
    message = r"many\.csv: 11 entries is over the 10-entry limit for one document; split the file"
    with pytest.raises(IngestError, match=message):
        read_faq(path, max_entries=10)
    with pytest.raises(IngestError, match=message):
        ingest_files([path], max_entries=10)
    assert len(read_faq(path, max_entries=11).entries) == 11
    assert DEFAULT_MAX_ENTRIES >= 100_000, "room for MedQuAD-sized files"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    path.write_text(hostile_html(repeats=100), encoding="utf-8")
    with pytest.raises(IngestError, match=r"big\.html: [\d,]+ bytes is over the 1,000-byte limit"):
        read_faq(path, max_bytes=1_000)


def test_a_huge_line_in_a_line_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    path.write_text("## Heat?\n\n" + "x" * 5_001 + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"huge\.md:3: line is 5,001 characters long"):
        read_faq(path, max_line_chars=5_000)


def test_one_question_repeated_costs_linear_time() -> None:
    """Ids for 50,000 copies of one question: once quadratic (minutes), now instant."""
    ids = IdAllocator()
    started = time.monotonic()
    handed = [ids.slug("Should I rest?") for _ in range(50_000)]
    assert time.monotonic() - started < 5
    assert handed[:3] == ["should-i-rest", "should-i-rest-2", "should-i-rest-3"]
    assert len(set(handed)) == 50_000


def test_ids_skip_those_reserved_in_the_input() -> None:
    ids = IdAllocator()
    ids.reserve(["heat", "heat-3"])
    assert [ids.slug("Heat") for _ in range(3)] == ["heat-2", "heat-4", "heat-5"]
    assert ids.unique("heat-3") == "heat-3-2"
