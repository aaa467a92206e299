"""The maintainer's review: unanswered questions clustered by meaning, worst-rated answers."""

from __future__ import annotations

import datetime as dt

import numpy as np

from backcare import Abstained, Encoder, Feedback, SqlFeedbackStore, review_feedback

NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)


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
