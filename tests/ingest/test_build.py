"""Ingest into a knowledge-base folder, describe it and export it (backcare.ingest.build)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from backcare import (
    Backcare,
    ConfigError,
    Encoder,
    FaqEntry,
    HashingEncoder,
    IngestError,
    KnowledgeBase,
    KnowledgePack,
    KnowledgePackError,
    UnsupportedFormatError,
    export_kb,
    ingest_to_kb,
    kb_info,
)
from backcare.ingest.merge import OnConflict
from backcare.retrieval.dense import Vector, Vectors
from backcare.retrieval.kbase import FORMAT_VERSION, answer_for_vector
from tests.conftest import read_jsonl, shared_path

SEED = Path(__file__).parent / "cases" / "back-spasms-faq.txt"
WHEN = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)

RECORDS = [
    {
        "id": "heat",
        "question": "Is heat good for a back spasm?",
        "alternates": ["Should I use a heat pack on my back?", "warmth for back cramp"],
        "answer": "Yes: a wrapped heat pack for 20 minutes eases the muscle.\n\nNot on bare skin.",
        "url": "https://example.org/heat",
        "source": "Example Clinic",
    },
    {
        "question": "How long does a back spasm last?",
        "answer": "Usually a few days; most are better within six weeks.",
    },
    {
        "id": "walk",
        "question": "Can I walk with a back spasm?",
        "answer": "Yes, short gentle walks help; stop if pain shoots down a leg.",
        "url": "https://example.org/walk",
    },
]


class CountingEncoder:
    """HashingEncoder that records every text it is asked to encode."""

    def __init__(self) -> None:
        self.inner = HashingEncoder(dim=32)
        self.seen: list[str] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        self.seen += list(texts)
        return self.inner.encode(texts, batch_size=batch_size, progress=progress)

    def encode_query(self, text: str) -> Vector:
        return self.inner.encode_query(text)


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _entries(kb_dir: Path) -> list[dict[str, object]]:
    """Entries without ``origin``, which names the file they were read from."""
    return [
        e.model_dump(mode="json", exclude={"origin"}) for e in KnowledgeBase.load(kb_dir).entries
    ]


def _current(kb_dir: Path) -> str:
    return (kb_dir / "CURRENT").read_text(encoding="utf-8")


def test_seed_page_becomes_a_knowledge_base_folder(tmp_path: Path, fake_encoder: Encoder) -> None:
    kb_dir = tmp_path / "seed-kb"
    report = ingest_to_kb([SEED], kb_dir, fake_encoder, clock=lambda: WHEN)
    assert (report.entries, report.added, report.conflicts) == (16, 16, 0)
    kb = KnowledgeBase.load(kb_dir, model_id=fake_encoder.model_id)
    assert len(kb) == 16
    assert kb.entries[0].id == "what-helps-lower-back-spasms-immediately"
    assert kb.question_vectors.shape == (16, fake_encoder.dim)
    info = kb_info(kb_dir)
    assert info.name == "seed-kb"  # the folder's name by default
    assert info.entries == 16
    assert info.model_id == fake_encoder.model_id
    assert info.built_at == "2026-11-27T12:00:00+00:00"
    assert info.format_version == FORMAT_VERSION
    digest = hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert info.sources == ({"path": str(SEED.resolve()), "sha256": digest},)
    assert info.version == _current(kb_dir)


def test_report_names_file_and_line_of_what_was_skipped(
    tmp_path: Path, fake_encoder: Encoder
) -> None:
    report = ingest_to_kb([SEED], tmp_path / "kb", fake_encoder)
    repeated = [item for item in report.of_kind("skipped") if "repeated" in item.reason]
    assert [(item.file, item.line) for item in repeated] == [(str(SEED), 3)]
    assert all(item.file == str(SEED) and item.line for item in report.items)


def test_reingesting_the_same_file_adds_nothing_and_writes_nothing(
    tmp_path: Path, fake_encoder: Encoder
) -> None:
    kb_dir = tmp_path / "kb"
    ingest_to_kb([SEED], kb_dir, fake_encoder)
    before, version = _entries(kb_dir), _current(kb_dir)
    report = ingest_to_kb([SEED], kb_dir, fake_encoder)
    assert (report.entries, report.added, report.merged, report.conflicts) == (16, 0, 0, 0)
    assert all(item.kind == "skipped" for item in report.items)
    assert _entries(kb_dir) == before
    assert _current(kb_dir) == version


def test_a_new_file_adds_to_an_existing_knowledge_base(
    tmp_path: Path, fake_encoder: Encoder
) -> None:
    kb_dir = tmp_path / "kb"
    ingest_to_kb([SEED], kb_dir, fake_encoder, name="backs")
    more = _jsonl(tmp_path / "more.jsonl", RECORDS)
    report = ingest_to_kb([more], kb_dir, fake_encoder)
    assert (report.added, report.entries) == (3, 19)
    info = kb_info(kb_dir)
    assert info.name == "backs"  # kept from the first ingest
    assert [s["path"] for s in info.sources] == sorted([str(SEED.resolve()), str(more.resolve())])
    ids = [entry["id"] for entry in _entries(kb_dir)]
    assert ids[:16] == [entry["id"] for entry in _entries_of_seed(tmp_path, fake_encoder)]
    assert {"heat", "walk"} <= set(ids)


def _entries_of_seed(tmp_path: Path, encoder: Encoder) -> list[dict[str, object]]:
    ingest_to_kb([SEED], tmp_path / "seed-only", encoder)
    return _entries(tmp_path / "seed-only")


def test_a_changed_answer_is_a_conflict_and_the_policy_decides(
    tmp_path: Path, fake_encoder: Encoder
) -> None:
    source = _jsonl(tmp_path / "faq.jsonl", RECORDS)
    kb_dir = tmp_path / "kb"
    ingest_to_kb([source], kb_dir, fake_encoder)
    changed = [dict(RECORDS[2], answer="Stay in bed for a week.")]
    update = _jsonl(tmp_path / "update.jsonl", changed)
    report = ingest_to_kb([update], kb_dir, fake_encoder)
    assert report.conflicts == 1
    (item,) = report.of_kind("conflict")
    assert (item.file, item.line, item.other_id) == (str(update), 1, "walk")
    assert "different answer" in item.reason
    assert [e["answer"] for e in _entries(kb_dir) if e["id"].startswith("walk")] == [
        RECORDS[2]["answer"]
    ]
    report = ingest_to_kb([update], kb_dir, fake_encoder, on_conflict="keep_both")
    assert report.conflicts == 1
    answers = {e["id"]: e["answer"] for e in _entries(kb_dir)}
    assert answers["walk"] == RECORDS[2]["answer"]
    assert answers["walk-2"] == "Stay in bed for a week."


def test_a_failed_ingest_leaves_the_knowledge_base_untouched(
    tmp_path: Path, fake_encoder: Encoder
) -> None:
    kb_dir = tmp_path / "kb"
    ingest_to_kb([SEED], kb_dir, fake_encoder)
    before, version = _entries(kb_dir), _current(kb_dir)
    listing = sorted(p.name for p in kb_dir.iterdir())
    pdf = tmp_path / "leaflet.pdf"
    pdf.write_bytes(b"%PDF-1.7\n\x00\x01\x02\xff\xfe binary \x00" * 50)
    good = _jsonl(tmp_path / "good.jsonl", RECORDS)
    with pytest.raises(UnsupportedFormatError, match="leaflet.pdf"):
        ingest_to_kb([good, pdf], kb_dir, fake_encoder)
    with pytest.raises(IngestError, match="missing.txt"):
        ingest_to_kb([good, tmp_path / "missing.txt"], kb_dir, fake_encoder)
    broken = tmp_path / "broken.json"
    broken.write_text('{"question": "a?", "answer": ', encoding="utf-8")
    with pytest.raises(IngestError, match="broken.json"):
        ingest_to_kb([broken], kb_dir, fake_encoder)
    assert _entries(kb_dir) == before
    assert _current(kb_dir) == version
    assert sorted(p.name for p in kb_dir.iterdir()) == listing


def test_nothing_answerable_is_an_error_and_creates_nothing(
    tmp_path: Path, fake_encoder: Encoder
) -> None:
    empty = _jsonl(tmp_path / "q.jsonl", [{"question": "Why?", "answer": None}])
    with pytest.raises(IngestError, match="no question with an answer"):
        ingest_to_kb([empty], tmp_path / "kb", fake_encoder)
    assert not (tmp_path / "kb").exists()


def test_refuses_a_folder_that_is_not_a_knowledge_base(
    tmp_path: Path, fake_encoder: Encoder
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(KnowledgePackError, match="not empty and not a knowledge base"):
        ingest_to_kb([SEED], tmp_path, fake_encoder)
    with pytest.raises(KnowledgePackError, match="is a file"):
        ingest_to_kb([SEED], tmp_path / "notes.txt", fake_encoder)
    with pytest.raises(ConfigError, match="at least one"):
        ingest_to_kb([], tmp_path / "kb", fake_encoder)
    with pytest.raises(KnowledgePackError, match="no CURRENT"):
        kb_info(tmp_path)


def test_a_first_ingest_killed_before_its_switch_does_not_block_the_next(
    tmp_path: Path, fake_encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Killed after renaming its version folder into place but before writing
    # CURRENT: the folder holds only that version, which no one can read.
    import backcare.retrieval.kbase as kbase

    def killed(path: Path, text: str) -> None:
        raise KeyboardInterrupt

    kb_dir = tmp_path / "kb"
    monkeypatch.setattr(kbase, "_write_atomically", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest_to_kb([SEED], kb_dir, fake_encoder)
    monkeypatch.undo()
    assert [p.name for p in kb_dir.iterdir() if p.name.startswith("v-")]
    assert not (kb_dir / "CURRENT").exists()
    ingest_to_kb([SEED], kb_dir, fake_encoder)
    assert _entries(kb_dir)
    assert [p.name for p in kb_dir.iterdir() if p.name.startswith("v-")] == [_current(kb_dir)]


def test_progress_goes_through_every_phase(tmp_path: Path, fake_encoder: Encoder) -> None:
    calls: list[tuple[str, int, int | None]] = []
    ingest_to_kb([SEED], tmp_path / "kb", fake_encoder, progress=lambda *a: calls.append(a))
    phases = list(dict.fromkeys(phase for phase, _, _ in calls))
    assert phases == ["reading", "merging", "encoding", "saving"]
    encoding = [(done, total) for phase, done, total in calls if phase == "encoding"]
    assert encoding[-1] == (32, 32)  # 16 questions + 16 answers
    assert [done for done, _ in encoding] == sorted(done for done, _ in encoding)


def test_vectors_already_in_the_knowledge_base_are_not_encoded_again(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    kb_dir = tmp_path / "kb"
    ingest_to_kb([SEED], kb_dir, encoder)
    # merging embeds the 16 questions; indexing reuses them and adds the passages
    assert len(encoder.seen) == 32
    encoder.seen.clear()
    more = _jsonl(tmp_path / "more.jsonl", RECORDS)
    ingest_to_kb([more], kb_dir, encoder)
    new_texts = {str(r["question"]) for r in RECORDS} | {"Should I use a heat pack on my back?"}
    new_texts |= {"warmth for back cramp"}
    passages = {
        answer_for_vector(FaqEntry(id="x", question=str(r["question"]), answer=str(r["answer"])))
        for r in RECORDS
    }
    assert set(encoder.seen) == new_texts | passages
    kb = KnowledgeBase.load(kb_dir)
    fresh = HashingEncoder(dim=32).encode([q for e in kb.entries for q in e.questions()])
    np.testing.assert_allclose(kb.question_vectors, fresh, atol=1e-6)


@pytest.mark.parametrize("format", ["jsonl", "csv"])
def test_export_then_ingest_gives_the_same_entries(
    tmp_path: Path, fake_encoder: Encoder, format: str
) -> None:
    kb_dir = tmp_path / "kb"
    ingest_to_kb([SEED, _jsonl(tmp_path / "more.jsonl", RECORDS)], kb_dir, fake_encoder)
    exported = tmp_path / f"export.{format}"
    exported.write_text(export_kb(kb_dir, format), encoding="utf-8")  # type: ignore[arg-type]
    report = ingest_to_kb([exported], tmp_path / "again", fake_encoder)
    assert (report.added, report.skipped, report.conflicts) == (19, 0, 0)
    assert _entries(tmp_path / "again") == _entries(kb_dir)
    heat = next(e for e in _entries(kb_dir) if e["id"] == "heat")
    assert heat["alternates"] == RECORDS[0]["alternates"]
    assert heat["sources"] == [{"title": "Example Clinic", "url": "https://example.org/heat"}]


def test_export_refuses_an_unknown_format(tmp_path: Path, fake_encoder: Encoder) -> None:
    ingest_to_kb([SEED], tmp_path / "kb", fake_encoder)
    with pytest.raises(ConfigError, match="csv, jsonl"):
        export_kb(tmp_path / "kb", "xml")  # type: ignore[arg-type]


def test_near_duplicate_rewording_becomes_an_alternate(
    tmp_path: Path, real_encoder: Encoder
) -> None:
    kb_dir = tmp_path / "kb"
    ingest_to_kb([SEED], kb_dir, real_encoder)
    first = KnowledgeBase.load(kb_dir).entries[0]
    # 0.97 with all-MiniLM-L6-v2: the same question in other words, same answer
    reworded = {"question": "What helps low back spasms right away?", "answer": first.answer}
    report = ingest_to_kb([_jsonl(tmp_path / "r.jsonl", [reworded])], kb_dir, real_encoder)
    assert (report.merged, report.added) == (1, 0)
    assert KnowledgeBase.load(kb_dir).entries[0].alternates == (reworded["question"],)


def test_seed_kb_answers_the_development_queries(
    tmp_path: Path, real_encoder: Encoder, pack: KnowledgePack
) -> None:
    """The seed page's knowledge base finds an acceptable topic for most dev queries.

    Seed ids are slugs; seed_entries.json maps the pack's topic ids to the seed
    questions, so hits are compared through the questions.
    """
    queries = read_jsonl(shared_path("eval", "dev_queries.jsonl"))
    topics = json.loads(shared_path("eval", "seed_entries.json").read_text(encoding="utf-8"))
    kb_dir = tmp_path / "kb"
    ingest_to_kb([shared_path("seeds", "back-spasms-faq.txt")], kb_dir, real_encoder)
    backcare = Backcare.open(real_encoder, kb_dir=kb_dir, pack=pack)
    key = _question_key
    topic_of = {key(question): topic for topic, question in topics.items()}
    question_of = {e.id: e.question for e in backcare.kb.entries}
    top1 = top3 = 0
    for case in queries:
        reply = backcare.ask(str(case["q"]), top_k=3)
        ranked = [reply.answer.entry_id] if reply.answer else []
        ranked += [alt.entry_id for alt in reply.alternatives]
        found = [topic_of.get(key(question_of[i])) for i in ranked]
        ok = set(case["ok"])  # type: ignore[call-overload]
        top1 += bool(found) and found[0] in ok
        top3 += bool(ok & set(found))
        assert reply.kb == "kb"
    # measured: top-1 26/27, top-3 27/27 (issue 15's target: top-1 >= 0.90 with
    # no hand-added alternates; 24/27 before the passage vectors and calibration)
    assert top3 / len(queries) >= 0.95
    assert top1 / len(queries) >= 0.90


def _question_key(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").lower().split())


def test_ann_option_builds_or_drops_the_ann_index(tmp_path: Path, fake_encoder: Encoder) -> None:
    kb_dir = tmp_path / "kb"
    ingest_to_kb([SEED], kb_dir, fake_encoder)
    assert KnowledgeBase.load(kb_dir).ann is None  # 16 entries: far below the threshold
    version = _current(kb_dir)
    ingest_to_kb([SEED], kb_dir, fake_encoder, ann=True)  # same content, new index
    assert _current(kb_dir) != version
    kb = KnowledgeBase.load(kb_dir)
    assert kb.ann is not None and len(kb.ann) == len(kb.question_vectors)
    assert "ann" in kb.manifest
    ingest_to_kb([SEED], kb_dir, fake_encoder, ann=False)
    assert KnowledgeBase.load(kb_dir).ann is None
    version = _current(kb_dir)
    ingest_to_kb([SEED], kb_dir, fake_encoder)  # no preference: keep what is there
    assert _current(kb_dir) == version


_LONG = "How long does a lower back spasm usually last when I keep working at my"
CLASHING = f"""# FAQ

## {_LONG} desk job every day?

Usually a few days.

## {_LONG} standing job all week?

Often under a week.

## Can I use heat?

Yes, heat helps.

## Can I use heat?

No, use ice first.
"""
_SLUG = "how-long-does-a-lower-back-spasm-usually-last-when-i-keep"


@pytest.mark.parametrize("on_conflict", ["keep_first", "keep_both"])
def test_an_id_clash_is_a_warning_and_ids_stay_put_on_reingest(
    tmp_path: Path, fake_encoder: Encoder, on_conflict: OnConflict
) -> None:
    # Two questions whose ids come out the same: the second gets `-2`. The report
    # says so as a warning (review decisions and ratings name entries by id), and
    # ingesting the unchanged file again, here or into a new folder, keeps every id.
    source = tmp_path / "faq.md"
    source.write_text(CLASHING, encoding="utf-8")
    kb_dir = tmp_path / "kb"
    first = ingest_to_kb([source], kb_dir, fake_encoder, on_conflict=on_conflict)
    ids = [e["id"] for e in _entries(kb_dir)]
    renamed = {(w.entry_id, w.other_id, w.line) for w in first.of_kind("warning")}
    expected = {(f"{_SLUG}-2", _SLUG, 7)}
    if on_conflict == "keep_both":  # the second answer to the same question is kept too
        expected.add(("can-i-use-heat-2", "can-i-use-heat", 15))
        assert ids == [_SLUG, f"{_SLUG}-2", "can-i-use-heat", "can-i-use-heat-2"]
    else:  # dropped as a conflict, so no entry was renamed
        assert ids == [_SLUG, f"{_SLUG}-2", "can-i-use-heat"]
    assert renamed == expected
    (slug_warning,) = [w for w in first.of_kind("warning") if w.other_id == _SLUG]
    assert "line 3" in slug_warning.reason and f"'{_SLUG}-2'" in slug_warning.reason
    again = ingest_to_kb([source], kb_dir, fake_encoder, on_conflict=on_conflict)
    assert [e["id"] for e in _entries(kb_dir)] == ids
    assert {(w.entry_id, w.other_id, w.line) for w in again.of_kind("warning")} == expected
    ingest_to_kb([source], tmp_path / "fresh", fake_encoder, on_conflict=on_conflict)
    assert [e["id"] for e in _entries(tmp_path / "fresh")] == ids


def test_an_id_taken_by_the_knowledge_base_is_a_warning(
    tmp_path: Path, fake_encoder: Encoder
) -> None:
    kb_dir = tmp_path / "kb"
    ingest_to_kb([_jsonl(tmp_path / "faq.jsonl", RECORDS)], kb_dir, fake_encoder)
    other = [{"id": "walk", "question": "Can I walk my dog?", "answer": "Yes, on a short lead."}]
    report = ingest_to_kb([_jsonl(tmp_path / "more.jsonl", other)], kb_dir, fake_encoder)
    (warning,) = report.of_kind("warning")
    assert (warning.entry_id, warning.other_id, warning.line) == ("walk-2", "walk", 1)
    assert "walk-2" in {e["id"] for e in _entries(kb_dir)}
