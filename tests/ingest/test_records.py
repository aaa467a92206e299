"""CSV/TSV, JSON, JSONL and YAML readers: column names, ids, skips, round trips."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from backcare.errors import IngestError
from backcare.ingest.csv_reader import read_csv, read_tsv
from backcare.ingest.json_reader import read_json, read_jsonl
from backcare.ingest.yaml_reader import read_yaml


@pytest.mark.parametrize(
    ("question", "answer", "id_column"),
    [
        ("Question", "Answer", "QnA id"),  # Azure QnA Maker
        ("question", "answer_text", "id"),
        ("Title", "Body", "Article ID"),  # Zendesk / Freshdesk article exports
        ("Questions", "Response", "qid"),
    ],
)
def test_hosted_service_headers(question: str, answer: str, id_column: str) -> None:
    text = f"{id_column},{question},{answer}\n7,Can I swim?,Yes.\n"
    entry = read_csv(text, file="e.csv").entries[0]
    assert (entry.id, entry.question, entry.answer) == ("7", "Can I swim?", "Yes.")


def test_headerless_two_columns_like_dialogflow() -> None:
    entries = read_csv("Can I swim?,Yes.\nCan I run?,Later.\n", file="d.csv").entries
    assert [e.question for e in entries] == ["Can I swim?", "Can I run?"]


def test_header_without_question_column_names_file_line_and_fix() -> None:
    with pytest.raises(IngestError, match=r"x\.csv:1: the header .* 'question'"):
        read_csv("foo,bar,baz\n1,2,3\n", file="x.csv")


def test_quoted_multiline_cells_keep_the_start_line() -> None:
    text = 'question,answer\nA?,"one\n\ntwo"\nB?,three\n'
    entries = read_csv(text, file="m.csv").entries
    assert [e.origin for e in entries] == ["m.csv:2", "m.csv:5"]
    assert entries[0].answer == "one\n\ntwo"


def test_html_answers_are_reduced_to_text() -> None:
    text = "Question\tAnswer\nWhy?\t<p>Because <b>rest</b> helps.</p><ul><li>a</li></ul>\n"
    assert read_tsv(text, file="z.tsv").entries[0].answer == "Because rest helps.\n\n- a"


def test_jsonl_skips_and_counts_null_answers_and_keeps_ids() -> None:
    rows = [
        {"qid": "ADAM_0000001_Sec1", "question": "What is X ?", "answer": None},
        {"qid": "ADAM_0000001_Sec2", "question": "What causes X ?", "answer": "Y."},
    ]
    result = read_jsonl("\n".join(json.dumps(r) for r in rows), file="m.jsonl")
    assert [e.id for e in result.entries] == ["ADAM_0000001_Sec2"]
    assert [(i.kind, i.reason, i.line) for i in result.items] == [("skipped", "no answer", 1)]


def test_invalid_json_names_the_line() -> None:
    with pytest.raises(IngestError, match=r"b\.json:3: invalid JSON"):
        read_json('[\n{"question": "a?",\n  "answer": }\n]', file="b.json")


def test_json_qna_maker_documents() -> None:
    doc = {"qnaDocuments": [{"id": 5, "answer": "Rest.", "questions": ["Why?", "How come?"]}]}
    entry = read_json(json.dumps(doc), file="q.json").entries[0]
    assert (entry.id, entry.question, entry.alternates) == ("5", "Why?", ("How come?",))


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(IngestError, match=r"c\.yaml:3: invalid YAML"):
        read_yaml("- question: a?\n  answer: [unclosed\n", file="c.yaml")


WORDS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    min_size=1,
    max_size=40,
).filter(lambda s: any(c.isalnum() for c in s))
PAIRS = st.lists(st.tuples(WORDS.map(lambda s: s.strip() + " now?"), WORDS), min_size=1, max_size=8)


def _csv(rows: list[tuple[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["question", "answer"])
    writer.writerows(rows)
    return buffer.getvalue()


@given(PAIRS)
def test_csv_round_trip_is_stable(rows: list[tuple[str, str]]) -> None:
    first = read_csv(_csv(rows), file="r.csv").entries
    second = read_csv(_csv([(e.question, e.answer) for e in first]), file="r.csv").entries
    assert [(e.id, e.question, e.answer) for e in second] == [
        (e.id, e.question, e.answer) for e in first
    ]
    assert len(first) == sum(1 for _, a in rows if a.strip())


@given(PAIRS)
def test_json_and_yaml_read_back_what_they_wrote(rows: list[tuple[str, str]]) -> None:
    records = [{"id": f"e{n}", "question": q, "answer": a} for n, (q, a) in enumerate(rows)]
    from_json = read_json(json.dumps(records), file="r.json").entries
    from_yaml = read_yaml(yaml.safe_dump(records, allow_unicode=True), file="r.yaml").entries
    strip = [(e.id, e.question, e.answer) for e in from_json]
    assert strip == [(e.id, e.question, e.answer) for e in from_yaml]
    # a second pass over our own output changes nothing
    again = [{"id": e.id, "question": e.question, "answer": e.answer} for e in from_json]
    assert [
        (e.id, e.question, e.answer) for e in read_json(json.dumps(again), file="r").entries
    ] == strip


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "http://[::1"])
def test_a_dropped_url_is_reported_with_its_line(url: str) -> None:
    # The entry stays, without the link; the report says which line lost what.
    text = f'id,question,answer,url\nheat,Does heat help?,Yes.,"{url}"\n'
    result = read_csv(text, file="u.csv")
    assert [e.id for e in result.entries] == ["heat"]
    assert result.entries[0].sources == ()
    [item] = result.items
    assert (item.kind, item.file, item.line) == ("skipped", "u.csv", 2)
    assert "url" in item.reason and "http" in item.reason
    assert item.question == "Does heat help?"


def test_a_json_record_with_a_javascript_url_reports_its_line() -> None:
    text = '[\n {"question": "Can I swim?", "answer": "Yes.",\n  "url": "JavaScript:alert(1)"}\n]'
    [item] = read_json(text, file="j.json").items
    assert (item.kind, item.line) == ("skipped", 2)


def test_unread_csv_columns_are_reported_once() -> None:
    text = (
        "id,question,answer,Category,Views,\n"
        "a,Can I swim?,Yes.,sport,10,\n"
        "b,Can I run?,Later.,sport,3,\n"
    )
    result = read_csv(text, file="c.csv")
    assert len(result.entries) == 2
    [item] = result.items
    assert (item.kind, item.file, item.line) == ("warning", "c.csv", 1)
    assert "'Category'" in item.reason and "'Views'" in item.reason


def test_a_csv_whose_columns_are_all_read_reports_nothing() -> None:
    assert read_csv("id,question,answer\na,Can I swim?,Yes.\n", file="c.csv").items == ()


FAQ_PAGE = {
    "@context": "https://schema.org",
    "@type": "FAQPage",
    "mainEntity": [
        {
            "@type": "Question",
            "name": "Does heat help a spasm?",
            "acceptedAnswer": {"@type": "Answer", "text": "<p>A warm pack can ease it.</p>"},
        },
        {"@type": "Question", "name": "Is it serious?"},
    ],
}


@pytest.mark.parametrize("data", [FAQ_PAGE, [FAQ_PAGE], {"@graph": [FAQ_PAGE]}])
def test_faqpage_json_ld_saved_as_json_is_read(data: object) -> None:
    result = read_json(json.dumps(data, indent=2), file="faq.json")
    [entry] = result.entries
    assert (entry.question, entry.answer) == ("Does heat help a spasm?", "A warm pack can ease it.")
    [item] = result.items
    assert (item.kind, item.reason, item.question) == ("skipped", "no answer", "Is it serious?")
    assert item.line is not None and item.line > 1


def test_json_of_no_known_shape_names_every_accepted_shape() -> None:
    with pytest.raises(IngestError) as caught:
        read_json('{"title": 3, "pages": [1, 2]}'.replace("title", "name"), file="x.json")
    message = str(caught.value)
    for shape in ("list of FAQ records", "'entries'", "'faqs'", "'question'", "FAQPage"):
        assert shape in message


def test_a_slug_that_an_explicit_id_holds_is_renamed_with_a_warning() -> None:
    # The explicit id keeps its name; the slug made for the row above gives way.
    text = "id,question,answer\n,Can I swim?,Yes.\ncan-i-swim,Is swimming fine?,Gently.\n"
    result = read_csv(text, file="s.csv")
    assert [e.id for e in result.entries] == ["can-i-swim-2", "can-i-swim"]
    (warning,) = result.items
    assert (warning.kind, warning.line) == ("warning", 2)
    assert (warning.entry_id, warning.other_id) == ("can-i-swim-2", "can-i-swim")
    assert "line 3" in warning.reason
