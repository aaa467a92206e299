"""Text preparation and scope checks for triage: negation, clauses, other people.

A NegEx-style approach (Chapman et al., 2001): a negation cue denies a match
that starts a few words after it, unless a clause boundary lies between them.
All cue, boundary and pronoun lists come from the pack (``TriageLanguage``);
this module only applies them.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from backcare.model import TriageLanguage

__all__ = [
    "Normalised",
    "ScopeReader",
    "fold_char",
    "normalise",
    "sentence_reassured",
    "sentence_start",
    "sentence_stop",
]

_APOSTROPHES = frozenset("'\u2018\u2019\u02bc`\u00b4\u2032")
_HYPHENS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212_")
# Arabic's own semicolon and question mark (U+061B, U+061F) end a sentence too
# (round 13): without them an Arabic sentence ran on to the next full stop, and
# "في البداية كنت بخير" (at first I was fine) after "؛" reassured the fall
# told before it. No English text holds them.
_SENTENCE_END = re.compile(r"[.;!?\n\u061b\u061f]")


def sentence_start(text: str, start: int) -> int:
    """Where the sentence holding ``text[start]`` begins (after the last end before it)."""
    opened = 0
    for found in _SENTENCE_END.finditer(text, 0, start):
        opened = found.end()
    return opened


def sentence_stop(text: str, end: int) -> int:
    """Where the sentence holding ``text[end - 1]`` ends (its end mark, or the text's end)."""
    closed = _SENTENCE_END.search(text, end)
    return closed.start() if closed else len(text)


# Time placing an event years back (English: the layers after the rules and the
# English table read English). Not "ago" alone: "two days ago" is now.
_LONG_AGO = re.compile(
    r"\b(?:(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|twenty|several|many|a few|"
    r"some|a couple of|few) (?:years?|decades?) (?:ago|back|before)|last year|the year before|"
    r"as a (?:teenager|teen|child|kid|boy|girl|student|youngster)|when i was (?:young|little|"
    r"a kid|a child|a teenager|a teen|at school|younger|a student)|in my (?:teens|twenties|youth)|"
    r"years ago|long ago|ages ago|when (?:i|she|he|we|they) (?:was|were) (?:pregnant|expecting))\b"
)
# Time words placing another person's event in the past, in the served
# languages other than English (text folded as ``normalise`` does). They count
# over the whole sentence, but only in a sentence about someone else: "a mi
# hermano le operaron en 2019 y no podia orinar" is his history, while a carer's
# "mi madre no puede orinar desde ayer" is happening now and has none of them.
# Issue 17, the eighth development set.
_OTHERS_PAST = re.compile(
    r"\b(?:hace (?:\w+ )?anos|hace mucho|de (?:joven|nino|nina)|en (?:19|20)\d\d"
    r"|il y a (?:\w+ )?ans|autrefois|jadis|avai(?:t|ent) (?:eu|perdu|fait|du)"
    r"|vor (?:\w+ )?jahren|vor langer zeit|damals|fruher|im jahre? (?:19|20)\d\d"
    r"|(?:\w+ )?lat temu|kiedys|dawno|w (?:19|20)\d\d"
    r"|ha (?:\w+ )?anos|(?:\w+ )?anos atras|em (?:19|20)\d\d"
    r"|قبل (?:\w+ )?(?:سنوات|سنين|سنه|عام|اعوام)|زمان|من زمان|في (?:19|20)\d\d)\b"
)
# Words that place the sentence now, which outweigh a year or "years ago" in
# the same sentence: "mi padre, operado en 2019, no puede orinar desde ayer".
_OTHERS_NOW = re.compile(
    r"\b(?:hoy|ahora|ayer|anoche|esta (?:manana|tarde|noche)|de repente"
    r"|desde hace (?:\w+ )?(?:horas|dias)"
    r"|aujourd ?hui|maintenant|hier|ce (?:matin|soir)|cette nuit|tout a coup"
    r"|depuis (?:\w+ )?(?:heures|jours)"
    r"|heute|jetzt|gestern|plotzlich|seit (?:\w+ )?(?:stunden|tagen)"
    r"|dzis|dzisiaj|teraz|wczoraj|od rana|nagle|od (?:\w+ )?(?:godzin|dni)"
    r"|hoje|agora|ontem|esta (?:manha|noite)|ha (?:\w+ )?(?:horas|dias)"
    r"|اليوم|الان|امس|امبارح|الصبح|الصباح|فجاه|ساعات|ايام)\b"
)
# Round 9 (English): a sentence that tells another person's event and then sets
# the writer's own, lesser case against it ("friend had bladder problems, mine
# is just a spasm"; "my son fell off his bike and is fine, I hurt my back
# lifting him"). The other person's sign is then their history, not a report.
_OWN_CONTRAST = re.compile(
    r"\b(?:mine|mines|my own|my one|in my case|with me|for me)(?: it)?(?: is| was| its| s)?"
    r" (?:just|only|simply|merely|purely)\b"
    r"|\b(?:is|was|s|are|were) (?:totally |completely |absolutely |perfectly )?"
    r"(?:fine|ok|okay|alright|all right|unhurt|not hurt)\b[^.!?]{0,25}"
    r"\bi (?:\w+ )?(?:hurt|strained|pulled|tweaked|ricked|did|put out|twisted|wrenched) my back\b"
)
# A relation named bare at the sentence's start ("friend had ..."): read as
# someone else only for the contrast above, since a carer's "Mum is ..." must
# still count for the personal rules.
_MINE_ONLY = re.compile(r"(?:mine|mines|my own|my one|in my case|with me|for me)\b")
_OTHER_HISTORY = re.compile(r"\b(?:had|has had|used to|was diagnosed|suffered|went through)\b")
_OTHER_ACUTE = re.compile(
    r"\b(?:now|today|tonight|this (?:morning|afternoon|evening|week)|since|ago|yesterday"
    r"|just|suddenly|can ?not|can'?t|couldn'?t|won'?t|keeps?|is|are|has been)\b"
)
_BARE_OTHER = re.compile(
    r"\s*(?:friend|mate|colleague|neighbou?r|brother|sister|mum|mom|dad|husband|wife|partner"
    r"|son|daughter|nan|gran|grandad|grandma|grandpa|boss|cousin|uncle|aunt|auntie)\b"
)
# A clause that asks about a symptom in general rather than reporting it:
# "if my legs went weak would that be serious", "what if I couldn't pee",
# "can a back spasm cause bladder problems" (round 4; the safety net's
# `hypothetical` list in content/triage_topics.yaml says the same for topics).
_HYPOTHETICAL = re.compile(
    r"\bif\b.{0,60}\b(?:would|could|should|will) (?:that|it|this|they)\b"
    r"|\bwhat if\b"
    r"|\bwhat (?:are|would be) (?:the )?(?:signs?|symptoms?|red flags?|warning signs?)\b"
    r"|\b(?:can|could|does|do|will|would|might|may) (?:a |an |the |your )?(?:back ?spasms?|spasms?|"
    r"back pain|bad backs?|sciatica|slipped discs?|discs?) (?:\w+ ){0,2}?(?:cause|affect|lead to|"
    r"give you|make you|go into|go down|spread to|travel to)\b"
    # advice and reading passed on, and definitions: "my GP told me to watch for
    # numbness", "the leaflet says", "what does saddle anaesthesia mean"
    r"|\b(?:told|tells|telling) (?:me|us|him|her) to (?:watch|look|check) (?:out )?for\b"
    r"|\b(?:leaflet|website|article|booklet|internet|google) (?:says|said|tells|told)\b"
    r"|\bi (?:read|heard|saw) (?:that|online|somewhere)\b|\bwhat (?:does|do) (?:\w+ ){1,4}mean\b"
    r"|\b(?:is|are|can|could|does|do) (?:\w+ ){1,3}ever (?:linked|related|connected|a sign)\b"
)
_WORD = re.compile(r"\S+")
# How far after a match "is fine" / "are normal" may be read.
_POST_REACH = 80
# English words that carry no content between a cue and what it denies, so they
# do not use up the negation window: "not had any trouble at all with my
# bladder" is as near as "not had trouble with bladder" (round 7).
_LIGHT = frozenset({"my", "the", "any", "an", "his", "her", "their", "your", "our", "at", "all"})
# A later item of a list whose earlier item a cue denies (round 7): "no trouble
# with my bladder or (with) my bowels", "no leaking, dribbling or trouble
# starting", "my bladder nor my bowels". The item may start with up to three
# words before the match ("or feeling down there").
_LIST_TOKEN = re.compile(r",|[^\s,.;:!?()]+")
_ITEM_LEAD = 3
# An "and" joins two clauses as often as two nouns ("no fever and numb bum",
# "no fever and my legs are numb"), so it carries a denial on only when the item
# after it is a short bare noun phrase closing its clause, with no symptom word.
_SYMPTOM_WORD = re.compile(
    r"\b(?:numb\w*|tingl\w*|weak\w*|dead|los[est]\w*|leak\w*|dribbl\w*|pain\w*|hurt\w*|"
    r"ach\w*|sore|burn\w*|pins|cant|cannot|unable|no|not|blood\w*|swell\w*|shak\w*|collaps\w*|"
    r"stopped|gone|went|feel\w*|felt|funny|odd|strange|weird|incontin\w*|retention|problems?|"
    r"trouble|issues?|difficult\w*|wet|soil\w*|accident\w*|heavy|tight\w*|fever\w*)\b"
)
_ITEM_END = re.compile(r" ?(?:$|[.,;:!?()\n]|(?:and|or|nor|either|at all|lately|recently|today)\b)")
_MAX_LIST = 4  # items walked back through one list
# A comma item that holds a verb is a clause, not a list item: "no position is
# comfortable, even lying still, day or night" lists no denied symptoms.
_VERB = re.compile(
    r"\b(?:is|are|was|were|am|be|been|being|feels?|felt|seems?|gets?|got|goes|went)\b"
)


class Normalised:
    """Triage-normalised text and, for each of its characters, where it came from."""

    __slots__ = ("original", "text", "_origin")

    def __init__(self, original: str, text: str, origin: list[int]) -> None:
        self.original = original
        self.text = text
        self._origin = origin

    def source_span(self, start: int, end: int) -> str:
        """The original words behind ``text[start:end]``."""
        if start >= end:
            return ""
        stop = self._origin[end - 1] + 1
        # Marks dropped by normalising still belong to the last word said.
        while stop < len(self.original) and unicodedata.combining(self.original[stop]):
            stop += 1
        return self.original[self._origin[start] : stop].strip()

    def with_text(self, text: str) -> Normalised:
        """The same message with ``text`` in place of ``self.text`` (same length).

        For a layer that marks spans in place ("pero" as ";   ", a clause
        break): evidence still maps back to the person's words.
        """
        if len(text) != len(self.text):
            raise ValueError("the new text must keep every character's position")
        return Normalised(self.original, text, self._origin)


# Every rule table and layer normalises the same message (nine times an ask
# in another language); the result is never changed, so they share it.
@functools.lru_cache(maxsize=32)
def normalise(original: str) -> Normalised:
    """Lower-case, drop apostrophes and accents, read hyphens as spaces, collapse whitespace.

    Apostrophes go so that "can't", "cant" and "can’t" read alike; accents and
    other combining marks go because people type "vejiga"/"oriné"/"orine" and
    "nie czuję"/"nie czuje" alike (and so Arabic loses its short vowels and
    hamza seats: "أ", "إ", "آ" all read as "ا"). The mapping back to the
    original keeps evidence in the person's own words.
    """
    if original.isascii():
        return _normalise_ascii(original)
    chars: list[str] = []
    origin: list[int] = []
    last_space = True
    for index, raw in enumerate(original):
        folded = raw.lower() if raw.isascii() else fold_char(raw)
        for char in folded:
            if char in _APOSTROPHES:
                continue
            if char.isspace() or char in _HYPHENS:
                if last_space:
                    continue
                char = " "
                last_space = True
            else:
                last_space = False
            chars.append(char)
            origin.append(index)
    if chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return Normalised(original, "".join(chars), origin)


def fold_char(char: str) -> str:
    """One non-ASCII character, compatibility-decomposed, lower-cased, marks dropped."""
    decomposed = unicodedata.normalize("NFKD", char).lower()
    kept = "".join(part for part in decomposed if not unicodedata.combining(part))
    return kept.translate(_LETTER_FOLDS)


# Letters that are variants of one another in everyday typing but do not
# decompose: Arabic final "ى"/"ي" and "ة"/"ه" (the usual light Arabic
# normalisation), and Polish "ł", German "ß", written "l" and "ss" by many.
# Arabic-Indic and Persian digits (and the Arabic decimal comma) become ASCII
# so that ages, temperatures and durations read the same in either script.
_LETTER_FOLDS = str.maketrans(
    {
        "\u0649": "\u064a",
        "\u0629": "\u0647",
        "ł": "l",
        "ß": "ss",
        # French writes "cœur", "sœur", "œdème" with a ligature that NFKD
        # leaves whole; typed text has both, so the tables see "oe" either way.
        "œ": "oe",
        "æ": "ae",
        "\u066b": ".",
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},
    }
)


def _normalise_ascii(original: str) -> Normalised:
    """The same as the general loop, for ASCII text, an order of magnitude faster."""
    lowered = original.lower()
    parts: list[str] = []
    origin: list[int] = []
    previous_end = -1
    for chunk in _ASCII_KEPT.finditer(lowered):
        start, end = chunk.span()
        if previous_end >= 0:
            gap = _ASCII_SPACE.search(lowered, previous_end, start)
            if gap is not None:
                parts.append(" ")
                origin.append(gap.start())
        parts.append(chunk.group())
        origin.extend(range(start, end))
        previous_end = end
    return Normalised(original, "".join(parts), origin)


_ASCII_KEPT = re.compile(r"[^\s'`_-]+")
_ASCII_SPACE = re.compile(r"[\s_-]")


class ScopeReader:
    """Answers "is this match negated?" and "is it about someone else?"."""

    def __init__(self, language: TriageLanguage) -> None:
        self._window = language.negation_window
        self._cues = re.compile("|".join(f"(?:{cue})" for cue in language.negation_cues))
        self._cue_exceptions = (
            re.compile(language.cue_exceptions) if language.cue_exceptions else None
        )
        self._breaks = re.compile("|".join(f"(?:{brk})" for brk in language.scope_breaks))
        self._post = re.compile(language.post_negation)
        self._others = re.compile(language.other_people)
        self._first_person = re.compile(language.first_person)
        self._duration_context = re.compile(language.duration_context)
        self._list_joiner = re.compile(language.list_joiners)

    def clause_start(self, text: str, start: int, end: int) -> int:
        """Where the clause holding ``text[start:end]`` begins.

        A comma inside a list closed by "or"/"nor" does not end the clause, so
        "no numbness, tingling or weakness" negates all three; a plain comma
        does, so "no fever, numb bum" still reports the numbness.
        """
        breaks = list(self._breaks.finditer(text, 0, start))
        for index in range(len(breaks) - 1, -1, -1):
            boundary = breaks[index]
            if boundary.group() == ",":
                before = breaks[index - 1].end() if index else 0
                if self._closes_list(text, boundary.end(), end, before):
                    continue
            return boundary.end()
        return 0

    def _closes_list(self, text: str, after: int, end: int, before: int | None = None) -> bool:
        """Whether a list joiner follows a comma at ``after`` before its clause ends.

        Round 7: the joiner may also come after the match, so a middle item
        ("bowels" in "no trouble with my bladder, bowels or legs") is in the
        list too, when the item before the comma (from ``before``) has no verb.
        """
        if self._list_joiner.search(text, after, end):
            return True
        if before is not None and _VERB.search(text, before, after):
            return False
        stop = end
        for brk in self._breaks.finditer(text, end):
            if brk.group() != ",":
                stop = brk.start()
                break
        else:
            stop = len(text)
        return self._list_joiner.search(text, end, stop) is not None

    def is_negated(self, text: str, start: int, end: int) -> bool:
        """Whether a cue before ``text[start:end]`` (same clause) or "is fine" after denies it.

        A denial also covers the later items of a list it opens ("no trouble
        with my bladder or bowels", "no leaking, dribbling or trouble
        starting"; round 7).
        """
        return self._negated(text, start, end, _MAX_LIST)

    def _negated(self, text: str, start: int, end: int, items: int) -> bool:
        clause = self.clause_start(text, start, end)
        prefix = text[clause:start]
        for cue in reversed(list(self._cues.finditer(prefix))):
            between = _WORD.findall(prefix, cue.end())
            if sum(word not in _LIGHT for word in between) > self._window:
                break
            if self._cue_exceptions and self._cue_exceptions.search(prefix, 0, cue.start()):
                continue
            return True
        # A slice, not match(text, end): "^" in the pack's regex only matches at
        # the real start of a string, so matching from an offset never succeeded.
        if self._post.match(text[end : end + _POST_REACH]) is not None:
            return True
        return items > 0 and self._denied_item(text, start, end, items - 1)

    def _denied_item(self, text: str, start: int, end: int, items: int) -> bool:
        """Whether ``text[start:end]`` is a later list item after an item a cue denies."""
        sentence = sentence_start(text, start)
        tokens = list(_LIST_TOKEN.finditer(text, sentence, start))
        # The nearest joiner at most three words before the match.
        for back in range(1, min(_ITEM_LEAD + 1, len(tokens)) + 1):
            joiner = tokens[-back]
            word = joiner.group()
            if word == ",":
                before = tokens[0].start()
                for token in tokens[: len(tokens) - back]:
                    if self._breaks.fullmatch(token.group()):
                        before = token.end()
                if not self._closes_list(text, joiner.end(), end, before):
                    return False
            elif word == "and":
                bare = text[joiner.end() : end]
                if _SYMPTOM_WORD.search(bare) or not _ITEM_END.match(text, end):
                    return False
            elif not self._list_joiner.fullmatch(word):
                continue
            if back == len(tokens) or tokens[-back - 1].group() == ",":
                return False
            previous = tokens[-back - 1]
            return self._negated(text, previous.start(), previous.end(), items)
        return False

    def is_long_over(self, text: str, start: int, end: int) -> bool:
        """Whether the clause of ``text[start:end]`` places it years back ("last year").

        An event placed years back, or said to be over since ("no problems
        since"), is history, not what is happening now. Only the clause
        counts: "I fell off a ladder last year and now my legs are numb" still
        reports the numbness.
        """
        clause = self.clause_start(text, start, end)
        stop = self._breaks.search(text, end)
        if _LONG_AGO.search(text, clause, stop.start() if stop else len(text)) is not None:
            return True
        return self._others_past(text, start, end)

    def _others_past(self, text: str, start: int, end: int) -> bool:
        """Whether the sentence is about someone else, placed back in time and not now.

        Only the foreign time words: an English message reads as before.
        """
        # The clause's end: the person is often named at its very start
        # ("mon voisin avait perdu ...").
        if not self.is_about_someone_else(text, end):
            return False
        sentence = sentence_start(text, start)
        stop = sentence_stop(text, end)
        if _OTHERS_PAST.search(text, sentence, stop) is None:
            return False
        return _OTHERS_NOW.search(text, sentence, stop) is None

    def is_hypothetical(self, text: str, start: int, end: int) -> bool:
        """Whether the clause of ``text[start:end]`` asks about the symptom in general.

        "If my legs went weak would that be serious" reports nothing; like
        negation, this is scope, read from the clause itself, never a veto
        from elsewhere in the message.
        """
        clause = self.clause_start(text, start, end)
        stop = self._breaks.search(text, end)
        return _HYPOTHETICAL.search(text, clause, stop.start() if stop else len(text)) is not None

    def is_others_set_against_own(self, text: str, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` is another person's, set against the writer's own case.

        "friend had bladder problems, mine is just a spasm": the sentence names
        someone else before the match and the writer's lesser case after it.
        """
        sentence = sentence_start(text, start)
        if not (
            # Read up to the match's end: a clause often opens with the person.
            self.is_about_someone_else(text, end) or _BARE_OTHER.match(text, sentence) is not None
        ):
            return False
        contrast = _OWN_CONTRAST.search(text, end, sentence_stop(text, end))
        if contrast is None:
            return False
        if not _MINE_ONLY.match(contrast.group()):
            return True  # "he's fine, I hurt my back catching him": the other is unhurt
        # "mine is just a spasm" after another person's *past* trouble only: an
        # acute symptom told of someone else still counts (CONTENT.md section 3),
        # so "my husband can't pee since this morning, mine is just a spasm" fires.
        told = text[sentence:end]
        return _OTHER_HISTORY.search(told) is not None and _OTHER_ACUTE.search(told) is None

    def is_about_someone_else(self, text: str, start: int) -> bool:
        """Whether the sentence so far is about another person ("my dad had cancer").

        A first-person word after the other person hands the sentence back to
        the writer ("my mum had it and so have I").
        """
        sentence = sentence_start(text, start)
        others = list(self._others.finditer(text, sentence, start))
        if not others:
            return False
        return self._first_person.search(text, others[-1].end(), start) is None

    def has_duration_context(self, text: str, start: int, end: int) -> bool:
        """Whether the sentence around ``text[start:end]`` is about the pain itself."""
        sentence = sentence_start(text, start)
        stop = sentence_stop(text, end)
        return (
            self._duration_context.search(text, sentence, start) is not None
            or self._duration_context.search(text, end, stop) is not None
        )


# Round 8: a reassurance about *everything* covers its whole sentence: in
# "pooing is an ordeal because bending hurts, but everything works as normal"
# the first clause says how it feels and the last that nothing has failed.
# "Everything else" keeps the rest apart, so it covers nothing.
_WHOLE_REASSURED = re.compile(
    r"\b(?:everything|it all|all of it|all|both)(?! else\b)"
    r"(?: (?:down (?:there|below)|in that department|toilet wise|wise))?"
    r" (?:still |else )?(?:(?:is|are|seems|feels|has been|is still) )?"
    r"(?:works?|working|functions?|functioning|fine|normal|as (?:normal|usual|ever|always)|ok|okay|"
    r"in (?:working )?order)\b"
    r"(?: (?:as |like )(?:normal|usual|always|ever|before))?"
)


def sentence_reassured(scope: ScopeReader, text: str, start: int, end: int) -> bool:
    """Whether the sentence around ``text[start:end]`` says everything works (round 8).

    English wording; a denial on the cue ("not all working") voids it. Both
    the semantic layer and the safety net skip a clause this covers.
    """
    opened = sentence_start(text, start)
    stop = sentence_stop(text, end)
    return any(
        not scope.is_negated(text, opened + match.start(), opened + match.end())
        for match in _WHOLE_REASSURED.finditer(text[opened:stop])
    )
