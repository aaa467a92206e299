"""Necessary literals of a regex: a cheap test that rules a pattern out before running it.

``necessary_literals(p)`` returns strings of which every match of ``p`` must
contain at least one (the idea behind Google Code Search's trigram index, Russ
Cox 2012, at word rather than trigram level). Testing a few hundred substrings
with ``in`` is much cheaper than running a hundred and fifty regexes, and most
patterns fail it on any one message. Anything not understood gives ``None``
(no filtering), so the filter can only skip work, never change a result.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["necessary_literals"]

_sre_parse: Any
_c: Any
try:  # CPython's own regex parser; the pinned Python (3.11) ships it as re._parser
    _sre_parse = importlib.import_module("re._parser")
    _c = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - other Pythons: no prefilter, same results
    _sre_parse = None

_MIN_USEFUL = 2  # one-letter literals occur in every message; not worth testing


def necessary_literals(pattern: str) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` contains, or None if unknown."""
    if _sre_parse is None:  # pragma: no cover
        return None
    try:
        parsed = _sre_parse.parse(pattern)
    except Exception:  # noqa: BLE001 - any parser trouble only disables the filter
        return None
    found = _sequence(list(parsed))
    if found is None or min(map(len, found)) < _MIN_USEFUL:
        return None
    return frozenset(found)


def _sequence(items: list[tuple[Any, Any]]) -> set[str] | None:
    """The most selective necessary set among the parts of a concatenation."""
    candidates: list[set[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append({"".join(run)})
            run.clear()

    for op, arg in items:
        if op is _c.LITERAL:
            run.append(chr(arg))
            continue
        flush()
        sub = _item(op, arg)
        if sub is not None:
            candidates.append(sub)
    flush()
    if not candidates:
        return None
    # Longest shortest-string first, then fewest alternatives.
    return max(candidates, key=lambda option: (min(map(len, option)), -len(option)))


def _item(op: Any, arg: Any) -> set[str] | None:
    if op is _c.SUBPATTERN:
        return _sequence(list(arg[-1]))
    if op is _c.BRANCH:
        union: set[str] = set()
        for branch in arg[1]:
            found = _sequence(list(branch))
            if found is None:
                return None
            union |= found
        return union
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and arg[0] >= 1:
        return _sequence(list(arg[2]))
    # Assertions, classes, optional parts: nothing that must appear.
    return None
