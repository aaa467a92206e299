"""From review to content: proposals for unanswered clusters, accept and reject (issue 15).

The library half runs with the model-free encoder; the end-to-end half drives
`backcare review`, `review accept` and `review reject` through typer's runner
with the real encoder, and checks that an accepted question is then answered
from the entry it joined, through a new, atomically switched version.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backcare import (
    Abstained,
    Backcare,
    ConfigError,
    Encoder,
    KnowledgeBase,
    KnowledgePackError,
    QueryError,
    SqlFeedbackStore,
    accept_proposal,
    cluster_id,
    ingest_to_kb,
    prepare_query,
    reject_proposal,
    review_decisions,
    review_feedback,
)
from backcare.cli import app
from backcare.retrieval.calibration import MANIFEST_KEY
from backcare.retrieval.kbase import live_version, read_manifest
from backcare.settings import get_settings

SEED = Path(__file__).parent / "ingest" / "cases" / "back-spasms-faq.txt"
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
runner = CliRunner()


@pytest.fixture
def seed_kb(tmp_path: Path, fake_encoder: Encoder) -> Path:
    folder = tmp_path / "kb"
    ingest_to_kb([SEED], folder, fake_encoder)
    return folder


def _store(*questions: str, kb: str = "kb") -> SqlFeedbackStore:
    """Questions logged as asked of ``kb`` (the seed knowledge base's name is its folder's)."""
    store = SqlFeedbackStore("sqlite://")
    for n, question in enumerate(questions):
        store.add_abstained(Abstained(at=NOW + dt.timedelta(minutes=n), query=question, kb=kb))
    return store


def test_ingest_stores_the_calibration_in_the_manifest(seed_kb: Path) -> None:
    calibration = read_manifest(live_version(seed_kb))[MANIFEST_KEY]
    assert isinstance(calibration, dict)
    assert calibration["questions"] >= 50 and calibration["spread"] > 0


def test_each_cluster_gets_an_id_and_a_proposal(seed_kb: Path, fake_encoder: Encoder) -> None:
    backcare = Backcare.open(fake_encoder, kb_dir=seed_kb)
    store = _store("back spasm jogging ok?", "back spasm jogging ok?", "hello there")
    report = review_feedback(store, fake_encoder, retriever=backcare.retriever)
    first = report.unanswered[0]
    assert first.id == cluster_id("back spasm jogging ok?")
    assert first.proposal is not None
    assert backcare.kb.index_of(first.proposal.entry_id) is not None
    assert 0.0 <= first.proposal.score <= 1.0
    # Without a retriever the report is as before: no proposals.
    assert review_feedback(store, fake_encoder).unanswered[0].proposal is None


def test_proposals_search_the_text_prepare_gives(seed_kb: Path, fake_encoder: Encoder) -> None:
    backcare = Backcare.open(fake_encoder, kb_dir=seed_kb)
    store = _store("back spasm jogging ok?")
    seen: list[str] = []

    def refuse(text: str) -> str:
        seen.append(text)
        raise QueryError("not_text", "refused")

    report = review_feedback(store, fake_encoder, retriever=backcare.retriever, prepare=refuse)
    assert seen == ["back spasm jogging ok?"]
    assert report.unanswered[0].proposal is None, "no example left to propose from"
    shown = review_feedback(
        store, fake_encoder, retriever=backcare.retriever, prepare=prepare_query
    ).unanswered[0]
    assert shown.proposal is not None


def test_a_rejected_entry_is_not_proposed_again_and_accepted_clusters_go(
    seed_kb: Path, fake_encoder: Encoder
) -> None:
    backcare = Backcare.open(fake_encoder, kb_dir=seed_kb)
    store = _store("back spasm jogging ok?")
    [cluster] = review_feedback(store, fake_encoder, retriever=backcare.retriever).unanswered
    assert cluster.proposal is not None
    refused = {(cluster.id, cluster.proposal.entry_id)}
    [again] = review_feedback(
        store, fake_encoder, retriever=backcare.retriever, rejected=refused
    ).unanswered
    assert again.proposal is not None and again.proposal.entry_id != cluster.proposal.entry_id
    gone = review_feedback(store, fake_encoder, retriever=backcare.retriever, accepted={cluster.id})
    assert gone.unanswered == ()


def test_clusters_stay_within_their_knowledge_base(seed_kb: Path, fake_encoder: Encoder) -> None:
    # The same question asked of the pack and of an ingested FAQ: two clusters, and
    # only the one asked of the knowledge base searched gets a proposal from it.
    backcare = Backcare.open(fake_encoder, kb_dir=seed_kb)
    own, pack = backcare.kb_label, "backcare-pack@1"
    store = SqlFeedbackStore("sqlite://")
    for n, kb in enumerate((own, pack, pack)):
        store.add_abstained(
            Abstained(at=NOW + dt.timedelta(minutes=n), query="back spasm jogging ok?", kb=kb)
        )
    report = review_feedback(store, fake_encoder, retriever=backcare.retriever)
    assert [(c.kb, c.kbs, c.count) for c in report.unanswered] == [
        (pack, (pack,), 2),
        (own, (own,), 1),
    ]
    theirs, ours = report.unanswered
    assert ours.proposal is not None
    assert theirs.proposal is None, "proposed from a knowledge base it was not asked of"
    assert ours.id == theirs.id == cluster_id("back spasm jogging ok?")
    # A decision recorded for this knowledge base leaves the pack's cluster open.
    left = review_feedback(store, fake_encoder, retriever=backcare.retriever, accepted={ours.id})
    assert [c.kb for c in left.unanswered] == [pack]


def test_accepting_adds_alternates_in_a_new_version(seed_kb: Path, fake_encoder: Encoder) -> None:
    before = live_version(seed_kb).name
    entry = KnowledgeBase.load(seed_kb).entries[0]
    added = accept_proposal(
        seed_kb, "c1", entry.id, ["can I jog with it", "Can I  jog with it"], fake_encoder
    )
    assert added == 1  # the second differs only in case and spacing
    assert live_version(seed_kb).name != before
    loaded = KnowledgeBase.load(seed_kb)
    assert loaded.entries[0].alternates[-1] == "can I jog with it"
    assert MANIFEST_KEY in loaded.manifest
    assert review_decisions(seed_kb).accepted == {"c1": entry.id}
    # Accepting again adds nothing and writes no new version.
    version = live_version(seed_kb).name
    assert accept_proposal(seed_kb, "c1", entry.id, ["can I jog with it"], fake_encoder) == 0
    assert live_version(seed_kb).name == version


def test_bad_decisions_are_refused_and_change_nothing(seed_kb: Path, fake_encoder: Encoder) -> None:
    before = live_version(seed_kb).name
    with pytest.raises(KnowledgePackError, match="no entry 'nope'"):
        accept_proposal(seed_kb, "c1", "nope", ["a question"], fake_encoder)
    with pytest.raises(ConfigError, match="at least one question"):
        accept_proposal(seed_kb, "c1", KnowledgeBase.load(seed_kb).ids[0], ["  "], fake_encoder)
    with pytest.raises(KnowledgePackError, match="no entry 'nope'"):
        reject_proposal(seed_kb, "c1", "nope")
    assert live_version(seed_kb).name == before
    assert review_decisions(seed_kb).accepted == {} and review_decisions(seed_kb).rejected == ()


def test_a_damaged_decisions_file_is_a_clear_error(seed_kb: Path) -> None:
    (seed_kb / "review.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(KnowledgePackError, match="unreadable review decisions"):
        review_decisions(seed_kb)


# ---------------------------------------------------------------- end to end, real encoder


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "160"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("BACKCARE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BACKCARE_DATABASE_URL", raising=False)
    monkeypatch.delenv("BACKCARE_KB", raising=False)
    get_settings.cache_clear()
    yield f"sqlite:///{tmp_path / 'data' / 'backcare.db'}"
    get_settings.cache_clear()


@pytest.mark.usefixtures("real_encoder")
def test_review_accept_makes_the_question_answerable(database: str, tmp_path: Path) -> None:
    kb = tmp_path / "seed-kb"
    code, _, err = _run("ingest", str(SEED), "--kb", str(kb))
    assert code == 0, err
    question = "is it fine to go swimming while my lumbago keeps flaring up"
    code, out, _ = _run("ask", "--json", "--kb", str(kb), question)
    assert json.loads(out)["status"] == "abstained"
    code, out, _ = _run("ask", "--json", "--kb", str(kb), "what is the capital of France?")
    assert json.loads(out)["status"] == "abstained"

    code, out, err = _run("review", "--json", "--kb", str(kb))
    assert code == 0, err
    clusters = {c["question"]: c for c in json.loads(out)["unanswered"]}
    cluster = clusters[question]
    assert cluster["id"] and cluster["proposal"]["entry_id"]
    code, out, _ = _run("review", "--kb", str(kb))
    assert code == 0 and cluster["id"] in out and "proposed:" in out

    # A wrong proposal is rejected: it is not offered for that cluster again.
    france = clusters["what is the capital of France?"]
    code, _, err = _run(
        "review", "reject", france["id"], france["proposal"]["entry_id"], "--kb", str(kb)
    )
    assert code == 0, err
    code, out, _ = _run("review", "--json", "--kb", str(kb))
    again = {c["id"]: c for c in json.loads(out)["unanswered"]}[france["id"]]
    assert again["proposal"]["entry_id"] != france["proposal"]["entry_id"]

    # The maintainer files the question under a swimming-friendly entry of their choice.
    target = "should-you-stretch-back-spasm"
    before = live_version(kb).name
    code, _, err = _run("review", "accept", cluster["id"], target, "--kb", str(kb))
    assert code == 0, err
    assert "added 1 alternate" in err
    assert live_version(kb).name != before
    code, out, _ = _run("ask", "--json", "--kb", str(kb), question)
    reply = json.loads(out)
    assert reply["status"] == "answered" and reply["answer"]["entry_id"] == target
    code, out, _ = _run("review", "--json", "--kb", str(kb))
    assert cluster["id"] not in {c["id"] for c in json.loads(out)["unanswered"]}


@pytest.mark.usefixtures("real_encoder")
def test_review_accept_errors_are_clear(database: str, tmp_path: Path) -> None:
    code, _, err = _run("review", "accept", "abc", "entry")
    assert code == 1 and "needs an ingested knowledge base" in err
    kb = tmp_path / "seed-kb"
    assert _run("ingest", str(SEED), "--kb", str(kb))[0] == 0
    code, _, err = _run("review", "accept", "abc", "entry", "--kb", str(kb))
    assert code == 1 and "no open cluster 'abc'" in err


@pytest.mark.usefixtures("real_encoder")
def test_review_accept_writes_only_into_the_knowledge_base_asked(
    database: str, tmp_path: Path
) -> None:
    kb = tmp_path / "seed-kb"
    assert _run("ingest", str(SEED), "--kb", str(kb))[0] == 0
    question = "is it fine to go swimming while my lumbago keeps flaring up"
    (tmp_path / "data").mkdir(exist_ok=True)
    store = SqlFeedbackStore(database)
    store.add_abstained(Abstained(at=NOW, query=question, kb="backcare-pack@1"))
    store.close()
    code, out, err = _run("review", "--json", "--kb", str(kb))
    assert code == 0, err
    [cluster] = json.loads(out)["unanswered"]
    assert cluster["kb"] == "backcare-pack@1" and cluster["proposal"] is None
    code, out, _ = _run("review", "--kb", str(kb))
    assert "backcare-pack@1" in out

    # Asked of the pack, so its questions are not written into the seed knowledge base.
    before = live_version(kb).name
    target = "should-you-stretch-back-spasm"
    code, _, err = _run("review", "accept", cluster["id"], target, "--kb", str(kb))
    assert code == 1 and "backcare-pack@1" in err and "seed-kb" in err
    assert live_version(kb).name == before
    assert review_decisions(kb).accepted == {}

    # Asked of the seed knowledge base too: that cluster is its own, and accepted there.
    code, out, _ = _run("ask", "--json", "--kb", str(kb), question)
    assert json.loads(out)["status"] == "abstained"
    code, _, err = _run("review", "accept", cluster["id"], target, "--kb", str(kb))
    assert code == 0, err
    assert live_version(kb).name != before
    code, out, _ = _run("review", "--json", "--kb", str(kb))
    assert [c["kb"] for c in json.loads(out)["unanswered"]] == ["backcare-pack@1"]


@pytest.mark.usefixtures("real_encoder")
def test_review_accept_keeps_the_encoder_variant(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Accept re-encodes with the encoder it opens: with the variant that is not the
    # default set (BACKCARE_ENCODER), it must stay the knowledge base's, or `ask --kb`
    # with the same setting refuses the new version as built with another model.
    monkeypatch.setenv("BACKCARE_ENCODER", "fp32")
    get_settings.cache_clear()
    kb = tmp_path / "seed-kb"
    assert _run("ingest", str(SEED), "--kb", str(kb))[0] == 0
    model = read_manifest(live_version(kb))["model_id"]
    question = "is it fine to go swimming while my lumbago keeps flaring up"
    assert _run("ask", "--json", "--kb", str(kb), question)[0] == 0
    code, out, err = _run("review", "--json", "--kb", str(kb))
    assert code == 0, err
    cluster = {c["question"]: c for c in json.loads(out)["unanswered"]}[question]
    target = "should-you-stretch-back-spasm"
    code, _, err = _run("review", "accept", cluster["id"], target, "--kb", str(kb))
    assert code == 0, err
    assert read_manifest(live_version(kb))["model_id"] == model
    code, out, err = _run("ask", "--json", "--kb", str(kb), question)
    assert code == 0, err
    assert json.loads(out)["answer"]["entry_id"] == target
