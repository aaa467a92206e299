"""CSV cells a spreadsheet will not run as formulas, and read back exactly.

A spreadsheet that opens a CSV treats a cell starting with ``=``, ``+``,
``-`` or ``@`` (and, in some, a tab or carriage return) as a formula, so a
diary note or an FAQ answer written as ``=HYPERLINK(...)`` would run on the
machine of whoever opens the export (CSV injection, OWASP). Every CSV backcare
writes passes its cells through ``neutralise``, which puts a single quote in
front of such a cell; every CSV backcare reads passes them through
``restore``, which takes it off again.

The pair is exact for any text: a cell that already starts with quotes
followed by a formula character gets one more quote, so ``'=1`` goes out as
``''=1`` and comes back as ``'=1``. Other cells, ``'Tis`` included, are
written and read unchanged.
"""

from __future__ import annotations

__all__ = ["FORMULA_STARTS", "neutralise", "restore"]

FORMULA_STARTS = frozenset("=+-@\t\r")
_QUOTE = "'"


def _guarded(cell: str) -> bool:
    """Whether ``cell`` is quotes (maybe none) then a formula character."""
    return cell.lstrip(_QUOTE)[:1] in FORMULA_STARTS


def neutralise(cell: str) -> str:
    """``cell`` as it is safe to write to a CSV file."""
    return _QUOTE + cell if _guarded(cell) else cell


def restore(cell: str) -> str:
    """The text ``neutralise`` was given, from a cell it wrote."""
    if cell.startswith(_QUOTE) and _guarded(cell):
        return cell[1:]
    return cell
