"""Bytes to text, safely: BOMs, UTF-16/32, UTF-8, then charset-normalizer's best guess.

Strict UTF-8 is tried before detection because it is fast (MedQuAD's 34 MB
decode in milliseconds) and almost never wrong when it succeeds; detection
only runs for the Latin-1 / Windows-1252 exports that older FAQ tools write.
"""

from __future__ import annotations

import codecs
import logging

import charset_normalizer

from backcare.errors import IngestError

__all__ = ["decode_bytes"]

logger = logging.getLogger(__name__)

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 4096


def decode_bytes(data: bytes, *, file: str) -> str:
    """Decode a document to ``str`` with ``\\n`` line ends and no BOM.

    Args:
        data: the raw bytes of the file.
        file: the file name, for error messages.

    Returns:
        The text.

    Raises:
        IngestError: the bytes are not text in any encoding we can detect
            (for example a PDF, an image or a zip archive).
    """
    text = _decode(data, file)
    if "\x00" in text:
        raise IngestError(
            f"{file}: looks like a binary file (it contains NUL characters), not a text document"
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, file: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom) :], encoding, file)
    utf16 = _bomless_utf16(data[:_SAMPLE])
    if utf16 is not None:
        return _strict(data, utf16, file)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise IngestError(
            f"{file}: cannot tell which text encoding this file uses; "
            "save it as UTF-8 and try again"
        )
    logger.debug("%s: detected encoding %s", file, best.encoding)
    return str(best)


def _strict(data: bytes, encoding: str, file: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1 if encoding.startswith("utf-8") else None
        where = f"{file}:{line}" if line else file
        raise IngestError(
            f"{where}: not valid {encoding.upper()} at byte {exc.start}: {exc.reason}"
        ) from exc


def _bomless_utf16(sample: bytes) -> str | None:
    """``utf-16-le``/``-be`` when ASCII-heavy text has NULs in every other byte."""
    if len(sample) < 4:
        return None
    even = sample[0::2]
    odd = sample[1::2]
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    return None
