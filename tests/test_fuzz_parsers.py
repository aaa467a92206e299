"""Property tests for the parsers the per-module suites left out, and triage at full length.

Each parser takes input someone else wrote: it must return a result or raise
its own error (``IngestError``, ``KnowledgePackError``), nothing else.
``tests/ingest/`` fuzzes every reader with bytes and malformed documents;
this adds field values of every JSON type in records, format sniffing, the
knowledge-base files on disk, the pack's YAML, and triage on inputs as long as
a question may be (2,000 characters) built from the words its rules look for.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcare import (
    Encoder,
    FaqEntry,
    IngestError,
    KnowledgeBase,
    KnowledgePackError,
    RedFlagRules,
    UnsupportedFormatError,
    load_pack,
)
from backcare.ingest import READERS, read_bytes, sniff_format
from backcare.knowledge.pack import shipped_pack_dir
from backcare.triage import triage

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = ["question", "answer", "id", "qid", "alternates", "url", "source", "q", "a"]
URLISH = st.sampled_from(
    ["http://[::1", "javascript:alert(1)", "https://ok.example/x", "//x", "data:,", " ", "mailto:a"]
)


@settings(max_examples=150, deadline=None)
@given(
    records=st.lists(
        st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES | URLISH, max_size=6), max_size=5
    ),
    fmt=st.sampled_from(["json", "jsonl", "yaml"]),
)
def test_records_with_any_field_values_parse_or_raise_ingest_error(
    records: list[dict[str, object]], fmt: str
) -> None:
    if fmt == "jsonl":
        text = "\n".join(json.dumps(record) for record in records)
    else:
        text = json.dumps(records)  # JSON is YAML too
    try:
        result = read_bytes(text.encode(), format=fmt, file=f"fuzz.{fmt}")
    except IngestError:
        return
    for entry in result.entries:
        assert entry.question.strip() and entry.answer.strip()
        for source in entry.sources:
            assert source.url.lower().startswith(("http://", "https://"))


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=600) | st.text(max_size=300).map(str.encode))
def test_sniffing_names_a_reader_or_refuses(data: bytes) -> None:
    try:
        assert sniff_format(data, file="fuzz") in READERS
    except UnsupportedFormatError:
        pass


# ---------------------------------------------------------------- knowledge-base files


@pytest.fixture(scope="module")
def saved_kb(tmp_path_factory: pytest.TempPathFactory, fake_encoder: Encoder) -> Path:
    folder = tmp_path_factory.mktemp("kb") / "kb"
    entries = [
        FaqEntry(id="walk", question="Should I walk?", answer="Yes, gently."),
        FaqEntry(id="heat", question="Does heat help?", answer="Often."),
    ]
    KnowledgeBase.build("fuzz@1", entries, fake_encoder).save(folder)
    return folder


KB_FILES = ["manifest.json", "entries.jsonl", "words.json", "question_starts.npy"]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(KB_FILES), data=st.binary(max_size=300), keep=st.integers(0, 400))
def test_a_damaged_kb_file_is_a_knowledge_pack_error(
    saved_kb: Path, name: str, data: bytes, keep: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        kb = Path(tmp) / "kb"
        shutil.copytree(saved_kb, kb)
        version = kb / (kb / "CURRENT").read_text(encoding="utf-8").strip()
        target = version / name
        original = target.read_bytes()
        # Either random bytes, or the real file cut short plus noise.
        target.write_bytes(data if keep % 2 else original[:keep] + data[:8])
        try:
            KnowledgeBase.load(kb)
        except KnowledgePackError:
            pass


def test_an_npy_header_numpy_cannot_parse_is_a_knowledge_pack_error(
    saved_kb: Path, tmp_path: Path
) -> None:
    # Found by the property above: numpy tokenizes the header first, so an
    # unclosed bracket raised tokenize.TokenError rather than ValueError.
    kb = tmp_path / "kb"
    shutil.copytree(saved_kb, kb)
    version = kb / (kb / "CURRENT").read_text(encoding="utf-8").strip()
    target = version / "question_starts.npy"
    original = target.read_bytes()
    assert b"{'descr'" in original
    target.write_bytes(original.replace(b"{'descr'", b"{(descr'", 1))
    with pytest.raises(KnowledgePackError, match="damaged"):
        KnowledgeBase.load(kb)


@pytest.mark.parametrize("words", ["7", "[1, 2]", '{"walk": "x"}', '{"walk": true}', "null"])
def test_a_words_file_that_is_valid_json_but_not_counts_is_a_knowledge_pack_error(
    saved_kb: Path, words: str, tmp_path: Path
) -> None:
    # Found by the property above: a number there raised TypeError from Counter.
    kb = tmp_path / "kb"
    shutil.copytree(saved_kb, kb)
    version = kb / (kb / "CURRENT").read_text(encoding="utf-8").strip()
    (version / "words.json").write_text(words, encoding="utf-8")
    with pytest.raises(KnowledgePackError, match="damaged"):
        KnowledgeBase.load(kb)


# ---------------------------------------------------------------- the pack's YAML

YAML_TOKENS = st.sampled_from(
    ["id: ", "question: ", "answer: ", "sources: ", "- ", "[", "]", "{", "}", ": ", "\n", "  ",
     "1", "null", "'", '"', "x", "alternates:", "&a ", "*a", "!!python/object:os.system ", "---"]
)  # fmt: skip


@pytest.fixture(scope="module")
def pack_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pack") / "pack"
    shutil.copytree(shipped_pack_dir(), folder)
    return folder


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.lists(YAML_TOKENS, max_size=40).map("".join))
def test_a_malformed_pack_entry_is_a_knowledge_pack_error(pack_copy: Path, text: str) -> None:
    entry = sorted((pack_copy / "entries").glob("*.yaml"))[0]
    original = entry.read_text(encoding="utf-8")
    entry.write_text(text, encoding="utf-8")
    try:
        load_pack(pack_copy)
    except KnowledgePackError:
        pass
    finally:
        entry.write_text(original, encoding="utf-8")


# ---------------------------------------------------------------- triage at full length

TRIAGE_WORDS = st.sampled_from(
    ["no ", "not ", "never ", "can't ", "cannot ", "don't ", "pee ", "bladder ", "bowel ",
     "numb ", "numbness ", "groin ", "saddle ", "legs ", "weak ", "fever ", "cancer ",
     "weight ", "loss ", "fall ", "accident ", "but ", "and ", "my mum had ", ", ", ". ",
     "since yesterday ", "both ", "tingling ", "back ", "spasm ", "100 ", "39.5 ", "°c ",
     "years ", "old ", "aged 70 ", "!", "?", "\n", "a" * 40 + " "]
)  # fmt: skip


@pytest.fixture(scope="module")
def rules() -> RedFlagRules:
    return load_pack().red_flags


@settings(max_examples=60, deadline=None)
@given(words=st.lists(TRIAGE_WORDS, min_size=50, max_size=400))
def test_triage_of_a_full_length_question_is_fast(rules: RedFlagRules, words: list[str]) -> None:
    text = "".join(words)[:2_000]
    started = time.perf_counter()
    result = triage(text, rules)
    assert time.perf_counter() - started < 1.0, "no pathological backtracking"
    for flag in result.flags:
        assert flag.evidence, "every flag says which words fired it"


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=1_000, max_size=2_000))
def test_triage_of_any_long_text_never_raises(rules: RedFlagRules, text: str) -> None:
    started = time.perf_counter()
    triage(text, rules)
    assert time.perf_counter() - started < 1.0
