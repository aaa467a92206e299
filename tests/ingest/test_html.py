"""The HTML reader: structured data first, then visible-text strategies."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backcare.errors import IngestError
from backcare.ingest.html import html_to_text, read_html

JSONLD = """<html><head><script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [{"@type": "FAQPage", "mainEntity": {
  "@type": "Question", "name": "Does it hurt?",
  "acceptedAnswer": {"@type": "Answer", "text": "Not much."}}}]}
</script></head><body><h2>Other?</h2><p>Ignored because structured data wins.</p></body></html>"""


def test_jsonld_graph_and_single_main_entity() -> None:
    result = read_html(JSONLD, file="p.html")
    assert [(e.question, e.answer) for e in result.entries] == [("Does it hurt?", "Not much.")]
    assert result.entries[0].origin == "p.html:3"


def test_broken_jsonld_is_reported_and_the_page_still_read() -> None:
    page = '<script type="application/ld+json">{oops</script><h2>Why?</h2><p>Because.</p>'
    result = read_html(page, file="p.html")
    assert [e.question for e in result.entries] == ["Why?"]
    assert result.items[0].reason.startswith("invalid JSON-LD")


def test_scripts_navigation_and_cookie_banners_are_ignored() -> None:
    page = """<body><nav><h2>Menu?</h2></nav><div class="cookie-notice"><p>Cookies?</p></div>
    <script>document.write('<h2>Injected?</h2>')</script>
    <h2>Real question?</h2><p>Real answer.</p><footer><p>Footer text.</p></footer></body>"""
    entries = read_html(page, file="p.html").entries
    assert [(e.question, e.answer) for e in entries] == [("Real question?", "Real answer.")]


def test_bold_paragraph_questions() -> None:
    page = "<p><strong>Can I walk?</strong></p><p>Yes, gently.</p>"
    assert read_html(page, file="p.html").entries[0].question == "Can I walk?"


def test_html_to_text_keeps_lists_and_paragraphs() -> None:
    markup = "<p>Try:</p><ol start='3'><li>ice</li><li>heat</li></ol><ul><li>rest</li></ul>"
    assert html_to_text(markup) == "Try:\n\n3. ice\n4. heat\n- rest"


TAGS = st.sampled_from(
    [
        "<h2>",
        "</h2>",
        "<p>",
        "</p>",
        "<details>",
        "<summary>",
        "</summary>",
        "<dl>",
        "<dt>",
        "<dd>",
        "<ol>",
        "<li>",
        "<b>",
        "</b>",
        "<script>",
        '<script type="application/ld+json">',
        "</script>",
        "<nav>",
        "{",
        "}",
        '"@type": "Question"',
        "?",
        "text",
        "\n",
        "<br>",
        "&amp;",
    ]
)


@given(st.lists(TAGS, max_size=60).map("".join))
def test_malformed_markup_reads_or_fails_cleanly(page: str) -> None:
    try:
        read_html(page, file="fuzz.html")
    except IngestError:
        pass


def test_a_structured_question_without_an_answer_is_reported() -> None:
    # Structured data wins over the visible text, so a Question it gives without an
    # answer is not read anywhere else: the report must say it was dropped.
    page = """<script type="application/ld+json">{"@type": "FAQPage", "mainEntity": [
      {"@type": "Question", "name": "Does it hurt?",
       "acceptedAnswer": {"@type": "Answer", "text": "Not much."}},
      {"@type": "Question", "name": "Will it come back?"}]}</script>
    <div itemscope itemtype="https://schema.org/Question">
      <h3 itemprop="name">Can I run?</h3></div>"""
    result = read_html(page, file="p.html")
    assert [e.question for e in result.entries] == ["Does it hurt?"]
    dropped = {(item.question, item.reason) for item in result.items}
    assert dropped == {("Will it come back?", "no answer"), ("Can I run?", "no answer")}
    lines = {item.question: item.line for item in result.items}
    assert lines == {"Will it come back?": 4, "Can I run?": 5}


def test_structured_questions_without_any_answer_leave_the_page_to_the_text() -> None:
    page = """<script type="application/ld+json">{"@type": "Question", "name": "Why?"}</script>
    <h2>Why?</h2><p>Because.</p>"""
    result = read_html(page, file="p.html")
    assert [(e.question, e.answer) for e in result.entries] == [("Why?", "Because.")]
    assert not [item for item in result.items if item.reason == "no answer"]
