"""HTML FAQ pages, parsed with lxml (never regular expressions).

Strategies, first that finds questions wins: schema.org ``FAQPage`` in
JSON-LD and in microdata (via extruct); then ``<details>/<summary>`` and
``<dt>/<dd>``; then headings (or bold paragraphs) followed by paragraphs.
Scripts, styles, navigation, headers, footers, forms and cookie or share
banners are removed before the visible-text strategies run.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import lxml.etree  # type: ignore[import-untyped]  # lxml ships no stubs
import lxml.html  # type: ignore[import-untyped]
from extruct.jsonld import JsonLdExtractor
from extruct.w3cmicrodata import MicrodataExtractor

from backcare.errors import IngestError
from backcare.ingest.base import (
    ReadResult,
    clean_question,
    is_junk_line,
    join_blocks,
    skipped,
)
from backcare.ingest.report import ReportItem
from backcare.ingest.text import QuestionBlock, assemble
from backcare.retrieval.tokenize import normalise_text

__all__ = ["faq_pairs", "html_to_text", "is_faq_jsonld", "read_html"]

_NOISE_TAGS = (
    "script style noscript template nav header footer aside form button select iframe svg "
    "object embed canvas dialog"
).split()
_NOISE_ROLES = {"navigation", "banner", "contentinfo", "dialog", "alertdialog", "search"}
_NOISE_NAMES = re.compile(
    r"(?:^|[-_\s])(cookies?|consent|gdpr|banner|navbar|nav|menu|breadcrumbs?|share|sharing|"
    r"social|newsletter|subscribe|advert|ads?|promo|popup|modal|sidebar|footer|skip-link)"
    r"(?:$|[-_\s])",
    re.IGNORECASE,
)
_BLOCK_TAGS = set(
    "p div li dd dt h1 h2 h3 h4 h5 h6 tr blockquote pre section article main ul ol dl table "
    "details summary figure figcaption hr address header footer td th".split()
)
_HEADINGS = {f"h{n}" for n in range(1, 7)}
_MAX_DEPTH = 40


@dataclass
class _Block:
    kind: str  # heading | bold | item | para
    text: str
    line: int
    level: int = 0


def read_html(text: str, *, file: str) -> ReadResult:
    """Read an HTML FAQ page.

    Args:
        text: the decoded document.
        file: where it came from, for ``origin`` and the report.

    Returns:
        One entry per distinct question that has an answer.

    Raises:
        IngestError: lxml cannot build a document from the text.
    """
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
        tree = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.LxmlError, ValueError) as exc:
        raise IngestError(f"{file}:1: cannot parse HTML: {exc}") from exc
    items: list[ReportItem] = []
    for error in parser.error_log:
        # libxml2 stops at 256 levels of nesting and drops the rest of the page
        # without raising; say so rather than lose it silently (issue 9).
        if error.type_name == "ERR_RESOURCE_LIMIT":
            items.append(
                skipped(
                    "HTML nested too deeply (over 256 elements): the rest of the document "
                    "was not read",
                    file,
                    error.line or None,
                )
            )
    found = _structured(tree, file, items)
    if not found:
        _remove_noise(tree)
        found = _details_and_lists(tree)
    if not found:
        found = _headings(tree, file, items)
    entries, more = assemble(found, file=file)
    return ReadResult(tuple(entries), tuple(items + more), file=file, format="html")


def _structured(tree: Any, file: str, items: list[ReportItem]) -> list[QuestionBlock]:
    found: list[QuestionBlock] = []
    unanswered: list[ReportItem] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            script.set("type", "application/ld+json")  # extruct matches the exact value
            data = JsonLdExtractor().extract_items(script)
        except (ValueError, TypeError, RecursionError) as exc:
            items.append(skipped(f"invalid JSON-LD: {exc}", file, script.sourceline))
            continue
        body = script.text or ""
        for question, answer in faq_pairs(data, 0):
            needle = json.dumps(question, ensure_ascii=False)[1:-1][:60]
            offset = body.find(needle)
            line = (script.sourceline or 1) + (body.count("\n", 0, offset) if offset >= 0 else 0)
            if answer is None:
                unanswered.append(skipped("no answer", file, line, clean_question(question)))
                continue
            found.append(QuestionBlock(clean_question(question), line, _fragment_blocks(answer)))
    try:
        micro = MicrodataExtractor(add_html_node=True).extract_items(tree, None)
    except (ValueError, TypeError, RecursionError) as exc:
        items.append(skipped(f"invalid microdata: {exc}", file, 1))
        micro = []
    for node, question, answer_node, answer in _micro_pairs(micro, 0):
        if answer_node is None or answer is None:
            unanswered.append(skipped("no answer", file, node.sourceline, clean_question(question)))
            continue
        text_node = next(iter(answer_node.xpath(".//*[@itemprop='text']")), answer_node)
        blocks = _blocks(text_node) if text_node is not None else [answer]
        found.append(QuestionBlock(clean_question(question), node.sourceline or 1, blocks))
    found = [block for block in found if block.question]
    if found:
        # Structured data wins, and the visible text is then not read: a question
        # it gives without an answer is dropped for good, so the report says so.
        # (Without any answered one, the page is read as text and may answer it.)
        items.extend(item for item in unanswered if item.question)
    return found


def _types(item: dict[str, Any], key: str) -> set[str]:
    value = item.get(key)
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def is_faq_jsonld(data: Any) -> bool:
    """Whether parsed JSON is schema.org JSON-LD of a FAQ: a ``FAQPage``, ``QAPage``
    or ``Question`` (alone, in a list, or in an ``@graph``).

    Those ``@``-keys name no FAQ record field, so such a document is never a
    list of records as well.
    """
    items = data if isinstance(data, list) else [data]
    for item in items:
        if not isinstance(item, dict):
            continue
        if _types(item, "@type") & {"FAQPage", "QAPage", "Question"}:
            return True
        graph = item.get("@graph")
        if isinstance(graph, list) and is_faq_jsonld(graph):
            return True
    return False


def faq_pairs(data: Any, depth: int = 0) -> Iterator[tuple[str, str | None]]:
    """(question, answer HTML) for every named schema.org Question in JSON-LD.

    The answer is None when the Question has none, so the caller can report it.
    """
    if depth > _MAX_DEPTH:
        return
    if isinstance(data, list):
        for value in data:
            yield from faq_pairs(value, depth + 1)
        return
    if not isinstance(data, dict):
        return
    if "Question" in _types(data, "@type"):
        name = data.get("name") or data.get("text")
        answers = data.get("acceptedAnswer") or data.get("suggestedAnswer")
        answer = answers[0] if isinstance(answers, list) and answers else answers
        text = answer.get("text") if isinstance(answer, dict) else answer
        if isinstance(name, str):
            yield name, text if isinstance(text, str) else None
        return
    for value in data.values():
        if isinstance(value, dict | list):
            yield from faq_pairs(value, depth + 1)


def _micro_pairs(data: Any, depth: int) -> Iterator[tuple[Any, str, Any, str | None]]:
    """(question node, question, answer node, answer text) for named microdata Questions.

    The answer node and text are None when the Question has no answer with text.
    """
    if depth > _MAX_DEPTH:
        return
    if isinstance(data, list):
        for value in data:
            yield from _micro_pairs(value, depth + 1)
        return
    if not isinstance(data, dict):
        return
    props = data.get("properties")
    if not isinstance(props, dict):
        return
    if "Question" in _types(data, "type"):
        answers = props.get("acceptedAnswer") or props.get("suggestedAnswer")
        answer = answers[0] if isinstance(answers, list) and answers else answers
        name = props.get("name") or props.get("text")
        if isinstance(name, str):
            text = node = None
            if isinstance(answer, dict):
                text = (answer.get("properties") or {}).get("text")
                node = answer.get("htmlNode")
            if isinstance(text, str) and node is not None:
                yield data["htmlNode"], name, node, text
            else:
                yield data["htmlNode"], name, None, None
        return
    for value in props.values():
        yield from _micro_pairs(value, depth + 1)


def _fragment_blocks(markup: str) -> list[str]:
    if "<" not in markup:
        return [markup]
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (lxml.etree.LxmlError, ValueError):
        return [markup]
    return _blocks(root)


def _remove_noise(tree: Any) -> None:
    doomed = []
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if (
            el.tag in _NOISE_TAGS
            or (el.get("role") or "").lower() in _NOISE_ROLES
            or el.get("aria-hidden") == "true"
            or el.get("hidden") is not None
            or _NOISE_NAMES.search(names)
        ):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None and el.tag not in ("html", "body"):
            el.drop_tree()


def _walk(root: Any) -> list[_Block]:
    """Visible text of ``root`` as blocks, with list numbering and bold-only paragraphs marked."""
    out: list[_Block] = []
    pieces: list[tuple[str, bool]] = []
    state = {"line": root.sourceline or 1, "bold": 0}
    stack: list[str] = []

    def flush() -> None:
        text = normalise_text("".join(p for p, _ in pieces))
        if text:
            kind, level = "para", 0
            inner = next((t for t in reversed(stack) if t in _BLOCK_TAGS), "")
            if inner in _HEADINGS:
                kind, level = "heading", int(inner[1])
            elif inner == "li" or re.match(r"^(\d+\. |- )", text):
                kind = "item"
            elif all(bold for p, bold in pieces if p.strip()):
                kind = "bold"
            out.append(_Block(kind, text, state["line"], level))
        pieces.clear()

    def add(text: str | None, line: int | None) -> None:
        if text:
            if not pieces:
                state["line"] = line or state["line"]
            pieces.append((text, state["bold"] > 0))

    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _BLOCK_TAGS or tag == "br":
                flush()
            stack.append(tag)
            if tag in ("b", "strong"):
                state["bold"] += 1
            if tag == "li":
                add(_list_marker(el), el.sourceline)
            add(el.text, el.sourceline)
        else:
            if tag in _BLOCK_TAGS:
                flush()
            stack.pop()
            if tag in ("b", "strong"):
                state["bold"] -= 1
            if el is not root:
                add(el.tail, el.sourceline)
    flush()
    return out


def _list_marker(li: Any) -> str:
    parent = li.getparent()
    if parent is None or parent.tag != "ol":
        return "- "
    start = parent.get("start") or "1"
    first = int(start) if start.strip().isdigit() and len(start) < 6 else 1
    siblings = [c for c in parent if c.tag == "li"]
    return f"{first + siblings.index(li)}. "


def _blocks(root: Any) -> list[str]:
    return [b.text for b in _walk(root) if not is_junk_line(b.text)]


def _details_and_lists(tree: Any) -> list[QuestionBlock]:
    found: list[QuestionBlock] = []
    for el in tree.iter("details", "dl"):
        if el.tag == "details":
            summary = el.find("summary")
            if summary is None:
                continue
            question = clean_question(summary.text_content())
            body = copy.deepcopy(el)
            body_summary = body.find("summary")
            if body_summary is not None:
                body_summary.drop_tree()
            found.append(QuestionBlock(question, summary.sourceline or 1, _blocks(body)))
            continue
        for child in el:
            if child.tag == "dt":
                found.append(QuestionBlock(clean_question(child.text_content()), child.sourceline))
            elif child.tag == "dd" and found:
                found[-1].blocks.extend(_blocks(child))
    return [block for block in found if block.question]


def _headings(tree: Any, file: str, items: list[ReportItem]) -> list[QuestionBlock]:
    body = tree.find("body")
    blocks = [b for b in _walk(body if body is not None else tree) if not is_junk_line(b.text)]
    heads = [b for b in blocks if b.kind in ("heading", "bold")]
    if any(b.text.endswith("?") for b in heads):
        questions = {id(b) for b in heads if b.text.endswith("?")}
    else:
        title = next((b for b in heads if b.kind == "heading" and b.level == 1), None)
        questions = {id(b) for b in heads if b.kind == "heading" and b is not title}
    found: list[QuestionBlock] = []
    for block in blocks:
        if id(block) in questions:
            found.append(QuestionBlock(clean_question(block.text), block.line))
        elif block.kind == "heading" or not found:
            items.append(
                skipped("heading or text outside any answer", file, block.line, block.text)
            )
        else:
            found[-1].blocks.append(block.text)
    return [block for block in found if block.question]


def html_to_text(markup: str) -> str:
    """The visible text of an HTML fragment, with paragraphs and list numbering kept."""
    return join_blocks(_fragment_blocks(markup))
