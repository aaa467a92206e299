"""The facade: query validation and the JSON contract (model-free encoder)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backcare import (
    Backcare,
    Encoder,
    FaqEntry,
    KnowledgeBase,
    KnowledgePack,
    QueryError,
    TriageLevel,
    pack_index_dir,
    prepare_query,
)
from backcare.service import pack_index


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_query"),
        ("   \n\t ", "empty_query"),
        ("x" * 2001, "query_too_long"),
        ("back pain " * 10_000, "query_too_long"),
        ("my back\x00\x01\x02", "not_text"),
        ("bad \udcff bytes", "not_text"),
        # Past the first 10,000 characters, behind whitespace that normalising collapses.
        (" " * 10_000 + "\ud800 my back hurts", "not_text"),
        ("\t" * 12_000 + "my back\x07", "not_text"),
        (b"bytes", "not_text"),
        (None, "not_text"),
    ],
)
def test_unusable_queries_raise_with_a_code(text: object, code: str) -> None:
    with pytest.raises(QueryError) as info:
        prepare_query(text)
    assert info.value.code == code
    assert info.value.message


def test_a_100kb_query_is_refused_quickly() -> None:
    with pytest.raises(QueryError, match="limit is 2,000"):
        prepare_query("a" * 100_000)


def test_reply_has_exactly_the_contract_fields(fake_backcare: Backcare) -> None:
    reply = json.loads(fake_backcare.ask("what helps a back spasm right now?").model_dump_json())
    # The original contract first, in order; fields added since come after it.
    assert list(reply) == [
        *("query", "status", "triage", "answer", "alternatives", "kb"),
        *("lang", "language"),
    ]
    assert set(reply["triage"]) == {
        *("level", "flags", "message", "lang", "languages", "checked"),
        "follow_up",
    }
    assert reply["status"] in {"answered", "abstained"}
    assert reply["kb"] == "backcare-pack@1"
    if reply["answer"] is not None:
        assert set(reply["answer"]) == {"entry_id", "question", "text", "sources", "confidence"}
        assert reply["answer"]["sources"], "pack answers always cite a source"
    for alt in reply["alternatives"]:
        assert set(alt) == {"entry_id", "question", "score"}


@pytest.mark.parametrize("top_k", [1, 3, 7])
def test_top_k_counts_answer_and_alternatives(fake_backcare: Backcare, top_k: int) -> None:
    reply = fake_backcare.ask("ice or heat for my back", top_k=top_k)
    assert len(reply.alternatives) + (reply.answer is not None) == top_k


def test_triage_runs_even_when_retrieval_abstains(fake_backcare: Backcare) -> None:
    reply = fake_backcare.ask("xqzv blorp, and I can't pee since last night")
    assert reply.triage.level == TriageLevel.EMERGENCY


def test_query_is_echoed_as_given(fake_backcare: Backcare) -> None:
    assert fake_backcare.ask("  heat\u2019s fine?  ").query == "  heat\u2019s fine?  "


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_reply_or_a_query_error(fake_backcare: Backcare, text: str) -> None:
    try:
        reply = fake_backcare.ask(text)
    except QueryError:
        return
    assert 0.0 <= (reply.answer.confidence if reply.answer else 0.0) <= 1.0


def test_the_facade_lists_and_finds_entries(fake_backcare: Backcare) -> None:
    entries = fake_backcare.entries
    assert len(entries) > 10 and entries[0].id
    for entry in (entries[0], entries[-1]):
        assert fake_backcare.entry(entry.id) == entry
    assert fake_backcare.entry("no-such-entry") is None
    assert fake_backcare.encoder is fake_backcare.retriever.encoder


def test_the_facade_review_proposes_entries_from_its_knowledge_base(
    fake_backcare: Backcare,
) -> None:
    import datetime as dt

    from backcare import Abstained, SqlFeedbackStore

    store = SqlFeedbackStore("sqlite://")
    now = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    question = fake_backcare.entries[0].question
    for _ in range(3):
        store.add_abstained(Abstained(at=now, query=question, kb=fake_backcare.kb_label))
    [cluster] = fake_backcare.review(store, top=5).unanswered
    assert cluster.count == 3 and cluster.proposal is not None
    assert fake_backcare.entry(cluster.proposal.entry_id) is not None
    assert fake_backcare.review(store, accepted={cluster.id}).unanswered == ()


@pytest.mark.parametrize(
    "text", [None, "back went this morning, no other problems", "I can't pee and my groin is numb"]
)
def test_every_way_to_a_care_plan_gives_the_same_plan(
    fake_backcare: Backcare, text: str | None
) -> None:
    import datetime as dt

    from backcare import make_care_plan, plan_care, triage_text

    onset, now = dt.date(2026, 11, 20), dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)
    pack = fake_backcare.pack
    plan = plan_care(pack, onset, now=now, age=70, text=text)
    assert fake_backcare.care_plan(onset, now=now, age=70, text=text) == plan
    triage = None if text is None else triage_text(pack, text)
    assert make_care_plan(onset, now, pack.careplan, age=70, triage=triage) == plan
    assert plan.suppressed == (text is not None and "pee" in text)


def test_an_unwritable_index_cache_still_answers(
    pack: KnowledgePack, fake_encoder: Encoder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A read-only or broken cache only costs a rebuild next time, as for the
    # cross-language vectors; it must not stop the service from opening.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    backcare = Backcare.open(fake_encoder, pack=pack, cache_dir=blocker / "kb")
    assert backcare.retriever.calibration() is not None
    reply = backcare.ask("how long do back spasms last")
    assert reply.kb == "backcare-pack@1"
    assert "cannot save the pack index" in caplog.text


def test_stale_pack_caches_go_once_unused_and_the_current_one_stays(
    tmp_path: Path, pack: KnowledgePack, fake_encoder: Encoder
) -> None:
    # Each content change gave a new pack-<hash>-<model> folder (and its -xlang
    # sibling); the old ones stayed in ~/.cache/backcare/kb for ever.
    cache = tmp_path / "kb"
    model = fake_encoder.model_id
    entries = [FaqEntry(id="x", question="Is heat good?", answer="Yes.")]
    day_ago = time.time() - 2 * 24 * 3600

    def stale(name: str, *, age: float = day_ago) -> Path:
        folder = cache / name
        KnowledgeBase.build("old", entries, fake_encoder).save(folder)
        os.utime(folder, (age, age))
        return folder

    gone = stale(f"pack-{'0' * 16}-{model}")
    xlang = cache / f"pack-{'0' * 16}-xyz-xlang"
    xlang.mkdir(parents=True)
    (xlang / "manifest.json").write_text("{}", encoding="utf-8")
    os.utime(xlang, (day_ago, day_ago))
    recent = stale(f"pack-{'1' * 16}-{model}", age=time.time())
    served = stale(f"pack-{'2' * 16}-{model}")
    serving = KnowledgeBase.load(served)  # another process still answers from it
    mine = cache / "notes"
    mine.mkdir()
    os.utime(mine, (day_ago, day_ago))

    kb = pack_index(pack, fake_encoder, cache)
    assert kb.name == "backcare-pack@1"
    left = sorted(p.name for p in cache.iterdir())
    assert gone.name not in left
    assert xlang.name not in left
    assert {
        recent.name,
        served.name,
        "notes",
        pack_index_dir(pack, fake_encoder, cache).name,
    } == set(left)
    assert len(serving) == 1
