"""YAML FAQs: the same records as JSON (a list, or an ``entries:`` list), with exact lines.

PyYAML is imported lazily, as the style guide asks of optional parsers. The
document is composed to nodes first so each record keeps its line number,
then constructed with the safe loader (no arbitrary objects).
"""

from __future__ import annotations

from typing import Any

from backcare.errors import IngestError
from backcare.ingest.base import ReadResult, skipped
from backcare.ingest.records import SHAPES, Row, build, find_rows
from backcare.ingest.report import ReportItem

__all__ = ["read_yaml"]


def read_yaml(text: str, *, file: str) -> ReadResult:
    """Read a YAML FAQ document.

    Raises:
        IngestError: the text is not YAML, holds several documents, or holds
            no list of records.
    """
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - PyYAML is a core dependency
        raise IngestError("reading YAML needs PyYAML: pip install PyYAML") from exc
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # rejects unprintable characters already
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise IngestError(f"{file}:{line}: invalid YAML: {exc.problem or exc}") from exc
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        raise IngestError(f"{file}:1: invalid YAML: {exc}") from exc
    finally:
        if loader is not None:
            loader.dispose()
    found = find_rows(data)
    if found is None or node is None:
        raise IngestError(f"{file}:1: expected {SHAPES}")
    records, key = found
    lines = _record_lines(node, key, len(records))
    rows: list[Row] = []
    items: list[ReportItem] = []
    for number, (record, line) in enumerate(zip(records, lines, strict=True), start=1):
        if isinstance(record, dict):
            rows.append(Row(line, record))
        else:
            items.append(skipped(f"record {number} is not a mapping", file, line))
    result = build(rows, file=file, format="yaml")
    return ReadResult(result.entries, tuple(items) + result.items, file=file, format="yaml")


def _record_lines(node: Any, key: str | None, count: int) -> list[int]:
    """1-based start line of each record node, falling back to the document's first line."""
    import yaml

    target = node
    if key is not None and isinstance(node, yaml.MappingNode):
        target = next((v for k, v in node.value if getattr(k, "value", None) == key), node)
    if isinstance(target, yaml.SequenceNode) and len(target.value) == count:
        return [child.start_mark.line + 1 for child in target.value]
    return [node.start_mark.line + 1] * count
