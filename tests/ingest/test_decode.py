"""Decoding: BOMs, UTF-16 with and without a BOM, Latin-1, and binary refusal."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backcare.errors import IngestError
from backcare.ingest.decode import decode_bytes

TEXT = "Can I take ibuprofen?\r\nYes – with food. “Don't” exceed the dose.\n"


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]
)
def test_unicode_encodings(encoding: str) -> None:
    assert decode_bytes(TEXT.encode(encoding), file="f") == TEXT.replace("\r\n", "\n")


def test_latin1_is_detected() -> None:
    text = (
        "Question;Réponse\nÇa fait mal ?;Oui, à 40 °C la chaleur détend les muscles crispés.\n" * 3
    )
    assert decode_bytes(text.encode("latin-1"), file="f") == text


def test_binary_is_refused_with_the_file_name() -> None:
    with pytest.raises(IngestError, match="scan.pdf"):
        decode_bytes(b"%PDF-1.7\n\x00\x01\x02\xff\xfe\x00" * 50, file="scan.pdf")


def test_bad_utf16_names_the_file() -> None:
    with pytest.raises(IngestError, match="f.txt"):
        decode_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8", file="f.txt")


@given(st.binary(max_size=2000))
def test_any_bytes_decode_or_fail_cleanly(data: bytes) -> None:
    try:
        text = decode_bytes(data, file="fuzz")
    except IngestError:
        return
    assert "\x00" not in text and "\r" not in text
