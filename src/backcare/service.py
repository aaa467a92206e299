"""The Backcare facade: one object the CLI, the API and the evaluator all call.

It composes the pack (red flags, care plan), a knowledge base and its
retriever. Collaborators are passed in, so tests can give a model-free
encoder or a small knowledge base.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import shutil
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from backcare.careplan import make_care_plan
from backcare.errors import KnowledgePackError, QueryError
from backcare.knowledge.i18n import DEFAULT_PARTIAL, DEFAULT_UNCHECKED
from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.language import detect_language, language_name, triage_plan, warm_up
from backcare.model import (
    Alternative,
    Answer,
    CarePlan,
    DetectedLanguage,
    FaqEntry,
    FollowUp,
    Reply,
    ReviewReport,
    TriageResult,
)
from backcare.model.cachefiles import STALE_CACHE_AGE_S
from backcare.retrieval.crosslingual import CrossLingualRetriever, crosslingual_dir
from backcare.retrieval.dense import Encoder, OnnxMiniLM
from backcare.retrieval.kbase import KnowledgeBase, remove_if_unused
from backcare.retrieval.multilingual import MultilingualEncoder
from backcare.retrieval.onnx_export import DEFAULT_VARIANT, Variant
from backcare.retrieval.retriever import HybridRetriever
from backcare.retrieval.tokenize import normalise_text
from backcare.triage._memo import IdentityMemo
from backcare.triage.classifier import load_clause_classifier
from backcare.triage.crosslingual import load_crosslingual
from backcare.triage.interview import apply_answers, checklist, with_follow_up
from backcare.triage.layered import ExtraLayers, triage_layered
from backcare.triage.safety_net_i18n import load_translated_net
from backcare.triage.semantic import SemanticDetector
from backcare.triage.spelling import slip_corrector

if TYPE_CHECKING:
    # For the annotation only: the feedback store loads SQLAlchemy, which the ask path
    # does not need.
    from backcare.feedback import FeedbackStore

__all__ = [
    "MAX_QUERY_CHARS",
    "Backcare",
    "build_model",
    "build_multilingual_model",
    "default_encoder",
    "multilingual_encoder",
    "pack_crosslingual",
    "pack_index",
    "pack_index_dir",
    "plan_care",
    "prepare_query",
    "remove_stale_pack_indexes",
    "save_pack_index",
    "triage_answers",
    "triage_layers",
    "triage_message",
    "triage_text",
    "warning_signs",
]

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 2000
# Unicode's control (Cc) and surrogate (Cs) characters, but tab, newline and return.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def prepare_query(text: object) -> str:
    """Normalise a question, or raise ``QueryError`` saying why it cannot be used.

    Codes: ``not_text`` (not a string, or binary such as NUL bytes),
    ``empty_query`` and ``query_too_long`` (over 2,000 characters).
    """
    if not isinstance(text, str):
        raise QueryError("not_text", f"the question must be text, not {type(text).__name__}")
    if len(text) > 10 * MAX_QUERY_CHARS:
        raise QueryError(
            "query_too_long",
            f"the question is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}",
        )
    # Surrogates come from undecodable bytes; control characters from binary data.
    # The whole text is checked: normalising collapses whitespace, so a character far
    # past the start can survive into the question (a lone surrogate then broke
    # every JSON reply with a 500).
    if _NOT_TEXT.search(text):
        raise QueryError("not_text", "the question contains binary data, not readable text")
    normalised = normalise_text(text)
    if not normalised:
        raise QueryError("empty_query", "the question is empty; type what you want to know")
    if len(normalised) > MAX_QUERY_CHARS:
        raise QueryError(
            "query_too_long",
            f"the question is {len(normalised):,} characters long; the limit is "
            f"{MAX_QUERY_CHARS:,}",
        )
    return normalised


def build_model(model_dir: Path, *, force: bool = False) -> Path:
    """Build the ONNX encoder into ``model_dir`` (cached; ``force`` rebuilds)."""
    from backcare.retrieval.onnx_export import ensure_model

    return ensure_model(model_dir, rebuild=force)


def build_multilingual_model(model_dir: Path, *, force: bool = False) -> Path:
    """Build the multilingual ONNX encoder into ``model_dir`` (cached; ``force`` rebuilds)."""
    from backcare.retrieval.multilingual import ensure_multilingual_model

    return ensure_multilingual_model(model_dir, rebuild=force)


def multilingual_encoder(
    model_dir: Path, *, threads: int | None = None, variant: Variant = DEFAULT_VARIANT
) -> MultilingualEncoder | None:
    """The multilingual encoder if it was built into ``model_dir``, else None (never builds:
    without it, questions in other languages are searched as before)."""
    from backcare.retrieval.multilingual import multilingual_model_built

    folder = multilingual_model_built(model_dir)
    if folder is None:
        return None
    return MultilingualEncoder.load(folder, threads=threads, variant=variant)


def default_encoder(
    model_dir: Path, *, threads: int | None = None, variant: Variant = DEFAULT_VARIANT
) -> Encoder:
    """The all-MiniLM-L6-v2 ONNX encoder, built into ``model_dir`` on first use.

    ``variant`` picks the int8 or the fp32 graph (``BACKCARE_ENCODER`` in the
    shells); `DEFAULT_VARIANT` is the one ``make bench`` found as accurate.
    """
    from backcare.retrieval.onnx_export import ensure_model

    return OnnxMiniLM.load(ensure_model(model_dir), threads=threads, variant=variant)


def _cache_triage_examples(pack: KnowledgePack, cache_dir: Path) -> None:
    """Keep the cross-language triage layer's example vectors in ``cache_dir``.

    They are embedded on the first message that needs them, not here, so a
    process that only sees English never opens the multilingual encoder; a
    later process reads them back instead of embedding them again.
    """
    layer = triage_layers(pack).crosslingual
    if layer is not None:
        layer.use_cache(cache_dir)


def triage_text(
    pack: KnowledgePack,
    text: str,
    *,
    lang: str | None = None,
    answers: Mapping[str, bool] | None = None,
    encoder: Encoder | None = None,
    multilingual: MultilingualEncoder | None = None,
    cache_dir: Path | None = None,
) -> TriageResult:
    """Red-flag triage of one message with every layer the pack has (docs/triage.md).

    Args:
        pack: the pack whose rules (in every language it has) are checked.
        text: the message, in any language.
        lang: the reply language the person chose (ISO 639-1); None detects it.
        answers: answers to follow-up questions, by id (True is yes); the
            result is then the final one (``backcare.triage.interview``).
        encoder: the sentence encoder already loaded, for the semantic layer;
            None runs the rules and the safety net only (no model needed).
        multilingual: the multilingual encoder, for the cross-language layer
            on a message in es, fr, de, pl, pt or ar (None skips it).
        cache_dir: where that layer keeps its example vectors once embedded
            (the index cache); None embeds them again in each process.

    Raises:
        QueryError: the message is empty, too long or not text, ``lang``
            is a language the pack has no rules for (code ``unknown_lang``),
            or an answer's id is not a question (code ``unknown_question``).
    """
    query = prepare_query(text)
    if cache_dir is not None:
        _cache_triage_examples(pack, cache_dir)
    return triage_message(
        pack, query, lang=lang, answers=answers, encoder=encoder, multilingual=multilingual
    )[1]


def triage_answers(
    pack: KnowledgePack, answers: Mapping[str, bool], *, lang: str = "en"
) -> TriageResult:
    """The level that answers to the warning-sign checklist give, without any message.

    Raises:
        QueryError: no answers (code ``empty_query``), ``lang`` has no rules
            (``unknown_lang``), or an id is not a question (``unknown_question``).
    """
    if not answers:
        raise QueryError(
            "empty_query", "nothing to check: give a message, answers to the questions, or both"
        )
    tables = pack.triage_tables
    if lang not in tables:
        raise QueryError(
            "unknown_lang", f"no red-flag rules in {lang!r}; use one of {', '.join(tables)}"
        )
    blank = TriageResult(lang=lang, languages=(lang,))
    return apply_answers(blank, answers, pack.follow_up, tables=tables)


def warning_signs(pack: KnowledgePack, lang: str = "en") -> tuple[FollowUp, ...]:
    """Every follow-up question of the pack, in ``lang`` where translated (the checklist).

    Raises:
        QueryError: ``lang`` is a language the pack has no rules for (``unknown_lang``).
    """
    if lang not in pack.triage_tables:
        raise QueryError(
            "unknown_lang",
            f"no red-flag rules in {lang!r}; use one of {', '.join(pack.triage_tables)}",
        )
    return checklist(pack.follow_up, lang)


def triage_message(
    pack: KnowledgePack,
    query: str,
    *,
    lang: str | None = None,
    answers: Mapping[str, bool] | None = None,
    encoder: Encoder | None = None,
    multilingual: MultilingualEncoder | None = None,
) -> tuple[DetectedLanguage, TriageResult]:
    """Detect the language of a prepared ``query`` and triage it (see ``triage_plan``).

    The result carries its follow-up questions; with ``answers`` it is the
    final result after them. ``encoder`` adds the semantic layer to the rules
    and the safety net; ``multilingual`` the cross-language layer for a
    message in a served language other than English.

    Raises:
        QueryError: ``lang`` is not a language the pack has rules for, or an
            answer's id is not a question (``unknown_question``).
    """
    tables = pack.triage_tables
    detected = detect_language(query)
    try:
        plan = triage_plan(detected, tables, override=lang)
    except ValueError as exc:
        raise QueryError("unknown_lang", str(exc)) from exc
    notice = partial = None
    if plan.unchecked is not None:
        name = language_name(plan.unchecked)
        notices = pack.translations.unchecked
        template = notices.get(plan.reply) or notices.get("en") or DEFAULT_UNCHECKED
        notice = template.format(language=name)
        partials = pack.translations.partial
        template = partials.get(plan.reply) or partials.get("en") or DEFAULT_PARTIAL
        partial = template.format(language=name)
    result = triage_layered(
        query,
        tables,
        reply=plan.reply,
        run=plan.run,
        unchecked_notice=notice,
        partial_notice=partial,
        layers=triage_layers(pack),
        encoder=encoder,
        multilingual=multilingual,
        # Every layer runs whatever language was detected: identification calls
        # short English with a slip Dutch or Afrikaans ("I can't conttrol my
        # bladder": nl, "reliable"), and the English layers must still see it.
        # One exception: a message identified in a language the cross-language
        # layer reads (whose examples include the English ones) skips the
        # English semantic layer, which found nothing there and cost a MiniLM run.
        identified=detected.reliable and detected.code == plan.reply,
    )
    result = with_follow_up(result, pack.follow_up)
    if answers:
        result = apply_answers(
            result, answers, pack.follow_up, tables=tables, topics=pack.triage_topics
        )
    return detected, result


# The extra layers of each pack, built once: the semantic detector caches the
# embedded examples.
_LAYERS: IdentityMemo[ExtraLayers] = IdentityMemo(8)


def triage_layers(pack: KnowledgePack) -> ExtraLayers:
    """The semantic detector and safety-net topics of ``pack`` (either may be None)."""
    return _LAYERS.get(pack, make=lambda: _build_layers(pack))


def _build_layers(pack: KnowledgePack) -> ExtraLayers:
    semantic = spelling = None
    if pack.semantic_examples is not None and pack.semantic_params is not None:
        semantic = SemanticDetector(
            pack.semantic_examples,
            pack.semantic_params,
            pack.red_flags,
            classifier=load_clause_classifier(pack.root),
        )
        texts = (t for e in pack.entries for t in (e.question, *e.alternates, e.answer))
        spelling = slip_corrector(
            pack.semantic_examples, pack.triage_tables.values(), pack.triage_topics, texts
        )
    crosslingual = None
    if pack.semantic_examples is not None:
        crosslingual = load_crosslingual(
            pack.root,
            pack.red_flags,
            pack.semantic_examples.positive,
            pack.semantic_examples.negative,
        )
    translated_net = None
    if pack.triage_topics is not None:
        translated_net = load_translated_net(pack.root, pack.triage_topics, pack.follow_up)
    return ExtraLayers(
        semantic=semantic,
        topics=pack.triage_topics,
        spelling=spelling,
        crosslingual=crosslingual,
        translated_net=translated_net,
    )


def plan_care(
    pack: KnowledgePack,
    onset: dt.date,
    *,
    now: dt.datetime | dt.date,
    age: int | None = None,
    text: str | None = None,
) -> CarePlan:
    """A care plan from ``onset`` with a pack's timeline; red flags in ``text`` shape it.

    The one way to make a plan from what a person says: ``Backcare.care_plan``
    calls it with the facade's pack, and it triages ``text`` before handing
    the pack's table to ``make_care_plan`` (the engine, which takes a triage
    result already made). It needs no model, so ``backcare careplan`` calls it
    without loading one.

    Raises:
        CarePlanError: ``onset`` is after ``now``, or ``age`` is negative.
        QueryError: ``text`` is given but unusable.
    """
    triage = None if text is None else triage_text(pack, text)
    return make_care_plan(onset, now, pack.careplan, age=age, triage=triage)


class Backcare:
    """Answers questions: triage first, then retrieval, then answer or abstain."""

    def __init__(
        self,
        pack: KnowledgePack,
        kb: KnowledgeBase,
        encoder: Encoder,
        crosslingual: CrossLingualRetriever | None = None,
        *,
        kb_dir: Path | None = None,
    ) -> None:
        self.pack = pack
        self.kb = kb
        # The ingested knowledge base's folder (None: the pack), where its review
        # decisions are kept beside its versions.
        self.kb_dir = kb_dir
        self.retriever = HybridRetriever(kb, encoder, pack.params)
        # Searches non-English questions when the multilingual encoder is built
        # (docs/languages.md, part B); None keeps every question on `retriever`.
        self.crosslingual = crosslingual

    @classmethod
    def open(
        cls,
        encoder: Encoder,
        *,
        kb_dir: Path | None = None,
        cache_dir: Path | None = None,
        pack: KnowledgePack | None = None,
        multilingual: MultilingualEncoder | None = None,
    ) -> Backcare:
        """Load the pack and a knowledge base ready to search.

        Args:
            encoder: the sentence encoder to query with.
            kb_dir: an ingested knowledge base; None answers from the pack.
            cache_dir: where the pack's index is cached (built on first use).
            pack: a loaded pack; None loads the shipped one.
            multilingual: the multilingual encoder; with the pack (not an
                ingested knowledge base) it answers questions in other
                languages. None: every question goes through ``encoder``.
        """
        pack = load_pack() if pack is None else pack
        # Language identification loads its models on first use; do it before the
        # first question rather than during it.
        warm_up()
        semantic = triage_layers(pack).semantic
        if semantic is not None:  # embeds the triage examples once, before any question
            semantic.warm_up(encoder)
        if kb_dir is not None:
            kb = KnowledgeBase.load(kb_dir, model_id=encoder.model_id)
        else:
            kb = pack_index(pack, encoder, cache_dir)
        crosslingual = None
        if multilingual is not None and kb_dir is None:
            crosslingual = pack_crosslingual(pack, multilingual, cache_dir)
            if cache_dir is not None:
                _cache_triage_examples(pack, cache_dir)
        return cls(pack, kb, encoder, crosslingual, kb_dir=kb_dir)

    @property
    def kb_label(self) -> str:
        """What replies carry in ``kb``."""
        return self.kb.name

    @property
    def entries(self) -> Sequence[FaqEntry]:
        """The knowledge base's entries, in its order (read lazily from its folder)."""
        return self.kb.entries

    def entry(self, entry_id: str) -> FaqEntry | None:
        """The entry with ``entry_id``, or None when the knowledge base has none."""
        index = self.kb.index_of(entry_id)
        return None if index is None else self.kb.entries[index]

    @property
    def encoder(self) -> Encoder:
        """The sentence encoder questions are searched with."""
        return self.retriever.encoder

    def review(
        self,
        feedback: FeedbackStore,
        *,
        top: int = 20,
        threshold: float = 0.8,
        accepted: Collection[str] = (),
        rejected: Collection[tuple[str, str]] = (),
    ) -> ReviewReport:
        """The review of ``feedback`` (``review_feedback``) with this knowledge base's proposals.

        Unanswered questions are clustered with this encoder, normalised as
        questions are, and each cluster proposes the entry it likely belongs to.
        """
        from backcare.feedback.review import review_feedback

        return review_feedback(
            feedback,
            self.encoder,
            top=top,
            threshold=threshold,
            retriever=self.retriever,
            accepted=accepted,
            rejected=rejected,
            prepare=prepare_query,
        )

    def triage(
        self,
        text: str | None,
        *,
        lang: str | None = None,
        answers: Mapping[str, bool] | None = None,
    ) -> TriageResult:
        """Red-flag triage of ``text`` alone (no retrieval); ``lang`` sets the reply language.

        ``answers`` (question id to yes/no) give the final result after the
        follow-up questions; with ``text`` None they are the warning-sign
        checklist answered before any message.
        """
        if text is None:
            return triage_answers(self.pack, answers or {}, lang=lang or "en")
        return triage_message(
            self.pack,
            prepare_query(text),
            lang=lang,
            answers=answers,
            encoder=self.retriever.encoder,
            multilingual=self._multilingual,
        )[1]

    @property
    def _multilingual(self) -> MultilingualEncoder | None:
        """The multilingual encoder, when cross-language retrieval has one."""
        return None if self.crosslingual is None else self.crosslingual.encoder

    def warning_signs(self, lang: str = "en") -> tuple[FollowUp, ...]:
        """The whole warning-sign checklist in ``lang`` (see ``warning_signs``)."""
        return warning_signs(self.pack, lang)

    def care_plan(
        self,
        onset: dt.date,
        *,
        now: dt.datetime | dt.date,
        age: int | None = None,
        text: str | None = None,
    ) -> CarePlan:
        """``plan_care`` with this facade's pack: the same plan, the same errors."""
        return plan_care(self.pack, onset, now=now, age=age, text=text)

    def ask(
        self,
        text: str,
        *,
        top_k: int = 3,
        lang: str | None = None,
        answers: Mapping[str, bool] | None = None,
    ) -> Reply:
        """Answer one question; raises ``QueryError`` for unusable input.

        ``lang`` (ISO 639-1) is the reply language the person chose; without
        it the language is detected. Either way ``lang`` and ``language`` in
        the reply say what was used and what was found. ``answers`` to the
        follow-up questions make the reply's triage the final one.
        """
        query = prepare_query(text)
        # Triage first and independently: it must never depend on retrieval.
        detected, triage = triage_message(
            self.pack,
            query,
            lang=lang,
            answers=answers,
            encoder=self.retriever.encoder,
            multilingual=self._multilingual,
        )
        if self.crosslingual is not None and _other_language(detected, lang):
            result = self.crosslingual.search(
                query, top_k=max(1, top_k), lang=_question_language(detected, lang)
            )
        else:
            result = self.retriever.search(query, top_k=max(1, top_k))
        hits = list(result.hits)
        answer = None
        if result.answered:
            best = self.kb.entries[self._index(hits[0].entry_id)]
            answer = Answer(
                entry_id=best.id,
                question=best.question,
                text=best.answer,
                sources=best.sources,
                confidence=round(hits[0].score, 4),
            )
            hits = hits[1:]
        alternatives = tuple(
            Alternative(
                entry_id=hit.entry_id,
                question=self.kb.entries[self._index(hit.entry_id)].question,
                score=round(hit.score, 4),
            )
            for hit in hits
        )
        return Reply(
            query=text,
            status="answered" if answer else "abstained",
            triage=triage,
            answer=answer,
            alternatives=alternatives,
            kb=self.kb_label,
            lang=triage.lang,
            language=detected,
        )

    def _index(self, entry_id: str) -> int:
        index = self.kb.index_of(entry_id)
        if index is None:  # pragma: no cover - hits always come from this kb
            raise KnowledgePackError(f"entry '{entry_id}' is not in knowledge base {self.kb_label}")
        return index


def _other_language(detected: DetectedLanguage, chosen: str | None) -> bool:
    """Whether a question is to be searched across languages: not English, by choice or
    by reliable identification (any identified language, with rules or not)."""
    if chosen is not None:
        return chosen != "en"
    return detected.reliable and detected.code != "en"


def _question_language(detected: DetectedLanguage, chosen: str | None) -> str | None:
    """The language a question searched across languages is written in: the one
    identified when reliable, else the one chosen (a short question typed after
    picking a language is most likely in it)."""
    if detected.reliable:
        return detected.code
    return chosen


def pack_index_dir(pack: KnowledgePack, encoder: Encoder, cache_dir: Path) -> Path:
    """Where the pack's index is cached: one folder per pack content and model."""
    return cache_dir / f"pack-{pack.content_hash}-{encoder.model_id}"


STALE_PACK_AGE_S = STALE_CACHE_AGE_S
"""A cached pack index of other content is removed once unused this long (a day; the
cross-language triage examples' vectors follow the same rule, ``model/cachefiles.py``).

Not at once: checkouts of different pack versions on one machine share the
cache (a worktree per branch, or an old and a new release side by side), and
each would otherwise remove the other's index and rebuild its own in turn.
"""


def remove_stale_pack_indexes(
    cache_dir: Path, content_hash: str, *, now: float | None = None
) -> list[str]:
    """Remove cached indexes (``pack-*`` folders) of other pack content that nobody uses.

    Kept: every folder of the pack with ``content_hash`` (any model), those
    used in the last `STALE_PACK_AGE_S` seconds (opening one marks it), and
    those a running process has loaded. Best effort: a read-only cache or a
    folder that cannot be removed is left as it is.

    Returns:
        The names of the folders removed.
    """
    cutoff = (time.time() if now is None else now) - STALE_PACK_AGE_S
    removed: list[str] = []
    try:
        children = sorted(cache_dir.iterdir())
    except OSError:
        return removed
    for child in children:
        name = child.name
        if not name.startswith("pack-") or name.startswith(f"pack-{content_hash}-"):
            continue
        try:
            if not child.is_dir() or child.is_symlink() or child.stat().st_mtime > cutoff:
                continue
        except OSError:
            continue
        if name.endswith("-xlang"):
            # Cross-language vectors: whole arrays read at open, no versions to mark.
            shutil.rmtree(child, ignore_errors=True)
            gone = not child.exists()
        else:
            gone = remove_if_unused(child)
        if gone:
            removed.append(name)
    if removed:
        logger.info("removed %d stale pack indexes from %s", len(removed), cache_dir)
    return removed


def _mark_used(folder: Path) -> None:
    """Mark a cached folder as used now (its mtime), so stale-cache removal keeps it."""
    with contextlib.suppress(OSError):  # a read-only cache is never swept either
        os.utime(folder)


def pack_crosslingual(
    pack: KnowledgePack, multilingual: MultilingualEncoder, cache_dir: Path | None
) -> CrossLingualRetriever:
    """The pack's cross-language retriever; its vectors are cached beside the pack's index."""
    folder = (
        None
        if cache_dir is None
        else crosslingual_dir(cache_dir, pack.content_hash, multilingual.passage_model_id)
    )
    retriever = CrossLingualRetriever.open(
        pack.entries,
        multilingual,
        pack.params,
        folder,
        pack.translated_questions.alternates,
        pack.translated_questions.anchors,
    )
    if folder is not None:
        _mark_used(folder)
    return retriever


def pack_index(pack: KnowledgePack, encoder: Encoder, cache_dir: Path | None) -> KnowledgeBase:
    """The pack's knowledge base, from the cache when it matches the pack and model."""
    if cache_dir is None:
        return KnowledgeBase.build(pack.label, pack.entries, encoder)
    folder = pack_index_dir(pack, encoder, cache_dir)
    # Each content change leaves a pack-* folder behind; clear the unused ones.
    remove_stale_pack_indexes(cache_dir, pack.content_hash)
    try:
        kb = KnowledgeBase.load(folder, model_id=encoder.model_id)
    except KnowledgePackError:
        logger.info("building the pack index in %s", folder)
    else:
        _mark_used(folder)
        return kb
    kb = KnowledgeBase.build(pack.label, pack.entries, encoder)
    try:
        save_pack_index(pack, kb, encoder, folder)
    except OSError as exc:  # a read-only cache only costs a rebuild next time
        logger.warning("cannot save the pack index to %s: %s", folder, exc)
    return kb


def save_pack_index(pack: KnowledgePack, kb: KnowledgeBase, encoder: Encoder, folder: Path) -> None:
    """Calibrate ``kb`` (built from ``pack`` with ``encoder``) and save it into ``folder``.

    The calibration goes into the manifest before the save: a folder saved
    without it is recalibrated (160 searches) by every process that opens it.
    """
    kb.manifest = HybridRetriever(kb, encoder, pack.params).calibrated()
    kb.save(folder)
