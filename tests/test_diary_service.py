"""The diary service (summary, export, import) and the maintainer's review."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from backcare import (
    Abstained,
    Diary,
    Encoder,
    EpisodePatch,
    Feedback,
    KnowledgePack,
    NewCheckIn,
    NewEpisode,
    SqlDiaryStore,
    SqlFeedbackStore,
    TriageResult,
    review_feedback,
)

NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)


def _ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


class TestSummary:
    def test_episodes_with_their_pain_course(self, pack: KnowledgePack) -> None:
        store = SqlDiaryStore("sqlite://")
        user = store.local_user(now=NOW)
        old = store.start_episode(user.id, NewEpisode(onset=_ago(400), end=_ago(390)))
        recent = store.start_episode(user.id, NewEpisode(onset=_ago(10)))
        for days, pain in ((9, 8), (5, 6), (1, 3)):
            store.add_checkin(user.id, recent.id, NewCheckIn(at=_ago(days), pain=pain))
        summary = Diary(store, pack).summary(user.id, now=NOW)
        assert summary.as_of == NOW
        assert summary.episodes_last_12_months == 1
        assert summary.open_episode_id == recent.id
        first, second = summary.episodes
        assert (first.episode, first.days, first.checkins, first.first_pain) == (old, 10, 0, None)
        assert (second.days, second.checkins) == (10, 3)
        assert (second.first_pain, second.last_pain, second.worst_pain) == (8, 3, 8)
        assert summary.warnings == ()

    def test_notes_are_triaged_with_the_pack(self, pack: KnowledgePack) -> None:
        store = SqlDiaryStore("sqlite://")
        user = store.local_user(now=NOW)
        episode = store.start_episode(user.id, NewEpisode(onset=_ago(2)))
        note = "numb between my legs since this morning"
        store.add_checkin(user.id, episode.id, NewCheckIn(at=_ago(1), pain=5, notes=note))
        [warning] = Diary(store, pack).summary(user.id, now=NOW).warnings
        assert warning.rule == "red_flag" and warning.level.value == "emergency"

    def test_triage_can_be_injected(self, pack: KnowledgePack) -> None:
        store = SqlDiaryStore("sqlite://")
        user = store.local_user(now=NOW)
        episode = store.start_episode(user.id, NewEpisode(onset=_ago(2)))
        store.add_checkin(user.id, episode.id, NewCheckIn(at=_ago(1), pain=5, notes="anything"))
        seen: list[str] = []

        def triage(text: str) -> TriageResult:
            seen.append(text)
            return TriageResult()

        assert Diary(store, pack, triage=triage).summary(user.id, now=NOW).warnings == ()
        assert seen == ["anything"]


@pytest.mark.parametrize("format", ["csv", "json"])
def test_export_then_import_round_trips_through_the_service(
    pack: KnowledgePack, format: str
) -> None:
    store = SqlDiaryStore("sqlite://")
    diary = Diary(store, pack)
    me = store.local_user(now=NOW)
    other, _ = store.add_user("other", maintainer=False, now=NOW)
    episode = store.start_episode(me.id, NewEpisode(onset=_ago(30), note="moving house"))
    store.add_checkin(
        me.id, episode.id, NewCheckIn(at=_ago(29), pain=9, where=("lower back",), notes="ow")
    )
    store.update_episode(me.id, episode.id, EpisodePatch(end=_ago(20)))
    text = diary.export(me.id, format)
    assert diary.import_text(other.id, text, format) == (1, 1)
    assert diary.export(other.id, format) == text


class TestReview:
    def test_unanswered_questions_cluster_by_meaning(self, real_encoder: Encoder) -> None:
        feedback = SqlFeedbackStore("sqlite://")
        asked = {
            "what is the capital of France": 3,
            "What's the capital city of France?": 2,
            "how do I bake sourdough bread": 1,
            "is my cat allergic to pollen": 1,
        }
        for n, (question, times) in enumerate(asked.items()):
            for _ in range(times):
                feedback.add_abstained(
                    Abstained(at=NOW + dt.timedelta(minutes=n), query=question, kb="pack@1")
                )
        report = review_feedback(feedback, real_encoder, threshold=0.8)
        assert report.abstained_total == 7
        top = report.unanswered[0]
        assert top.question == "what is the capital of France"
        assert top.count == 5
        assert top.examples == (
            "what is the capital of France",
            "What's the capital city of France?",
        )
        assert top.kbs == ("pack@1",)
        assert [c.count for c in report.unanswered] == [5, 1, 1]

    def test_exact_repeats_count_once_per_ask_and_case_is_ignored(
        self, fake_encoder: Encoder
    ) -> None:
        feedback = SqlFeedbackStore("sqlite://")
        for text in ("Ice or heat?", "ice  or heat?", "ICE OR HEAT?"):
            feedback.add_abstained(Abstained(at=NOW, query=text, kb="kb"))
        [cluster] = review_feedback(feedback, fake_encoder).unanswered
        assert cluster.count == 3 and len(cluster.examples) == 1

    def test_a_threshold_of_one_keeps_paraphrases_apart(self, fake_encoder: Encoder) -> None:
        feedback = SqlFeedbackStore("sqlite://")
        for text in ("back spasm at night", "back spasms at night"):
            feedback.add_abstained(Abstained(at=NOW, query=text, kb="kb"))
        vectors = fake_encoder.encode(["back spasm at night", "back spasms at night"])
        assert float(np.dot(vectors[0], vectors[1])) < 1.0
        assert len(review_feedback(feedback, fake_encoder, threshold=1.0).unanswered) == 2
        assert len(review_feedback(feedback, fake_encoder, threshold=0.0).unanswered) == 1

    def test_worst_rated_entries_with_examples(self, fake_encoder: Encoder) -> None:
        feedback = SqlFeedbackStore("sqlite://")
        ratings = [
            ("immediate", "wrong", "q1"),
            ("immediate", "wrong", "q1"),
            ("immediate", "helpful", "q2"),
            ("duration", "not_helpful", "q3"),
            ("sleep", "helpful", "q4"),
            (None, "not_helpful", "q5"),
        ]
        for entry_id, rating, query in ratings:
            feedback.add(
                Feedback.model_validate(
                    {"at": NOW, "query": query, "entry_id": entry_id, "rating": rating, "kb": "kb"}
                )
            )
        report = review_feedback(feedback, fake_encoder, top=1)
        assert report.ratings_total == 6
        [worst] = report.worst_rated
        assert (worst.entry_id, worst.wrong, worst.helpful, worst.bad) == ("immediate", 2, 1, 2)
        assert worst.examples == ("q1",)
        assert report.unanswered == ()

    def test_an_empty_store_gives_an_empty_report(self, fake_encoder: Encoder) -> None:
        report = review_feedback(SqlFeedbackStore("sqlite://"), fake_encoder)
        assert report.unanswered == () and report.worst_rated == ()
