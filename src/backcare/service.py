"""The Backcare facade: one object the CLI, the API and the evaluator all call.

It composes the pack (red flags, care plan), a knowledge base and its
retriever. Collaborators are passed in, so tests can give a model-free
encoder or a small knowledge base.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from pathlib import Path

from backcare.careplan import make_care_plan
from backcare.errors import KnowledgePackError, QueryError
from backcare.knowledge.i18n import DEFAULT_UNCHECKED
from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.language import detect_language, language_name, triage_plan, warm_up
from backcare.model import Alternative, Answer, CarePlan, DetectedLanguage, Reply, TriageResult
from backcare.retrieval.dense import Encoder, OnnxMiniLM
from backcare.retrieval.kbase import KnowledgeBase
from backcare.retrieval.onnx_export import DEFAULT_VARIANT, Variant
from backcare.retrieval.retriever import HybridRetriever
from backcare.retrieval.tokenize import normalise_text
from backcare.triage.layered import ExtraLayers, triage_layered
from backcare.triage.semantic import SemanticDetector

__all__ = [
    "MAX_QUERY_CHARS",
    "Backcare",
    "build_model",
    "default_encoder",
    "pack_index",
    "pack_index_dir",
    "plan_care",
    "prepare_query",
    "triage_layers",
    "triage_message",
    "triage_text",
]

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 2000


def prepare_query(text: object) -> str:
    """Normalise a question, or raise ``QueryError`` saying why it cannot be used.

    Codes: ``not_text`` (not a string, or binary such as NUL bytes),
    ``empty_query`` and ``query_too_long`` (over 2,000 characters).
    """
    if not isinstance(text, str):
        raise QueryError("not_text", f"the question must be text, not {type(text).__name__}")
    # Surrogates come from undecodable bytes; control characters from binary data.
    if any(unicodedata.category(ch) in ("Cs", "Cc") and ch not in "\t\n\r" for ch in text[:10_000]):
        raise QueryError("not_text", "the question contains binary data, not readable text")
    if len(text) > 10 * MAX_QUERY_CHARS:
        raise QueryError(
            "query_too_long",
            f"the question is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}",
        )
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


def default_encoder(
    model_dir: Path, *, threads: int | None = None, variant: Variant = DEFAULT_VARIANT
) -> Encoder:
    """The all-MiniLM-L6-v2 ONNX encoder, built into ``model_dir`` on first use.

    ``variant`` picks the int8 or the fp32 graph (``BACKCARE_ENCODER`` in the
    shells); `DEFAULT_VARIANT` is the one ``make bench`` found as accurate.
    """
    from backcare.retrieval.onnx_export import ensure_model

    return OnnxMiniLM.load(ensure_model(model_dir), threads=threads, variant=variant)


def triage_text(
    pack: KnowledgePack, text: str, *, lang: str | None = None, encoder: Encoder | None = None
) -> TriageResult:
    """Red-flag triage of one message with every layer the pack has (docs/triage.md).

    Args:
        pack: the pack whose rules (in every language it has) are checked.
        text: the message, in any language.
        lang: the reply language the person chose (ISO 639-1); None detects it.
        encoder: the sentence encoder already loaded, for the semantic layer;
            None runs the rules and the safety net only (no model needed).

    Raises:
        QueryError: the message is empty, too long or not text, or ``lang``
            is a language the pack has no rules for (code ``unknown_lang``).
    """
    return triage_message(pack, prepare_query(text), lang=lang, encoder=encoder)[1]


def triage_message(
    pack: KnowledgePack, query: str, *, lang: str | None = None, encoder: Encoder | None = None
) -> tuple[DetectedLanguage, TriageResult]:
    """Detect the language of a prepared ``query`` and triage it (see ``triage_plan``).

    ``encoder`` adds the semantic layer to the rules and the safety net.

    Raises:
        QueryError: ``lang`` is not a language the pack has rules for.
    """
    tables = pack.triage_tables
    detected = detect_language(query)
    try:
        plan = triage_plan(detected, tables, override=lang)
    except ValueError as exc:
        raise QueryError("unknown_lang", str(exc)) from exc
    notice = None
    if plan.unchecked is not None:
        notices = pack.translations.unchecked
        template = notices.get(plan.reply) or notices.get("en") or DEFAULT_UNCHECKED
        notice = template.format(language=language_name(plan.unchecked))
    result = triage_layered(
        query,
        tables,
        reply=plan.reply,
        run=plan.run,
        unchecked_notice=notice,
        layers=triage_layers(pack),
        encoder=encoder,
        # Every layer runs whatever language was detected: identification calls
        # short English with a slip Dutch or Afrikaans ("I can't conttrol my
        # bladder": nl, "reliable"), and the English layers must still see it.
    )
    return detected, result


# The extra layers of each pack, built once: the semantic detector caches the
# embedded examples. Keyed by identity; the pack is kept so its id stays unique.
_LAYERS: dict[int, tuple[KnowledgePack, ExtraLayers]] = {}


def triage_layers(pack: KnowledgePack) -> ExtraLayers:
    """The semantic detector and safety-net topics of ``pack`` (either may be None)."""
    cached = _LAYERS.get(id(pack))
    if cached is not None and cached[0] is pack:
        return cached[1]
    semantic = None
    if pack.semantic_examples is not None and pack.semantic_params is not None:
        semantic = SemanticDetector(pack.semantic_examples, pack.semantic_params, pack.red_flags)
    layers = ExtraLayers(semantic=semantic, topics=pack.triage_topics)
    if len(_LAYERS) >= 8:
        _LAYERS.pop(next(iter(_LAYERS)))
    _LAYERS[id(pack)] = (pack, layers)
    return layers


def plan_care(
    pack: KnowledgePack,
    onset: dt.date,
    *,
    now: dt.datetime | dt.date,
    age: int | None = None,
    text: str | None = None,
) -> CarePlan:
    """A care plan from ``onset`` with a pack's timeline; red flags in ``text`` shape it.

    Raises:
        CarePlanError: ``onset`` is after ``now``, or ``age`` is negative.
        QueryError: ``text`` is given but unusable.
    """
    triage = None if text is None else triage_text(pack, text)
    return make_care_plan(onset, now, pack.careplan, age=age, triage=triage)


class Backcare:
    """Answers questions: triage first, then retrieval, then answer or abstain."""

    def __init__(self, pack: KnowledgePack, kb: KnowledgeBase, encoder: Encoder) -> None:
        self.pack = pack
        self.kb = kb
        self.retriever = HybridRetriever(kb, encoder, pack.params)

    @classmethod
    def open(
        cls,
        encoder: Encoder,
        *,
        kb_dir: Path | None = None,
        cache_dir: Path | None = None,
        pack: KnowledgePack | None = None,
    ) -> Backcare:
        """Load the pack and a knowledge base ready to search.

        Args:
            encoder: the sentence encoder to query with.
            kb_dir: an ingested knowledge base; None answers from the pack.
            cache_dir: where the pack's index is cached (built on first use).
            pack: a loaded pack; None loads the shipped one.
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
        return cls(pack, kb, encoder)

    @property
    def kb_label(self) -> str:
        """What replies carry in ``kb``."""
        return self.kb.name

    def triage(self, text: str, *, lang: str | None = None) -> TriageResult:
        """Red-flag triage of ``text`` alone (no retrieval); ``lang`` sets the reply language."""
        return triage_text(self.pack, text, lang=lang, encoder=self.retriever.encoder)

    def care_plan(
        self,
        onset: dt.date,
        *,
        now: dt.datetime | dt.date,
        age: int | None = None,
        text: str | None = None,
    ) -> CarePlan:
        """A day-by-day plan from ``onset``; red flags in ``text`` change or suppress it.

        Raises:
            CarePlanError: ``onset`` is after ``now``, or ``age`` is negative.
            QueryError: ``text`` is given but unusable (empty, too long, not text).
        """
        return plan_care(self.pack, onset, now=now, age=age, text=text)

    def ask(self, text: str, *, top_k: int = 3, lang: str | None = None) -> Reply:
        """Answer one question; raises ``QueryError`` for unusable input.

        ``lang`` (ISO 639-1) is the reply language the person chose; without
        it the language is detected. Either way ``lang`` and ``language`` in
        the reply say what was used and what was found.
        """
        query = prepare_query(text)
        # Triage first and independently: it must never depend on retrieval.
        detected, triage = triage_message(
            self.pack, query, lang=lang, encoder=self.retriever.encoder
        )
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


def pack_index_dir(pack: KnowledgePack, encoder: Encoder, cache_dir: Path) -> Path:
    """Where the pack's index is cached: one folder per pack content and model."""
    return cache_dir / f"pack-{pack.content_hash}-{encoder.model_id}"


def pack_index(pack: KnowledgePack, encoder: Encoder, cache_dir: Path | None) -> KnowledgeBase:
    """The pack's knowledge base, from the cache when it matches the pack and model."""
    if cache_dir is None:
        return KnowledgeBase.build(pack.label, pack.entries, encoder)
    folder = pack_index_dir(pack, encoder, cache_dir)
    try:
        return KnowledgeBase.load(folder, model_id=encoder.model_id)
    except KnowledgePackError:
        logger.info("building the pack index in %s", folder)
    kb = KnowledgeBase.build(pack.label, pack.entries, encoder)
    kb.manifest = HybridRetriever(kb, encoder, pack.params).calibrated()
    kb.save(folder)
    return kb
