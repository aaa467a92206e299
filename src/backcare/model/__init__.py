"""The shared vocabulary: frozen pydantic types every part of backcare speaks.

One module per concern; this package re-exports them all, so every part
imports from ``backcare.model``:

- ``entries.py``: knowledge-base entries, sources, retrieval hits and parameters;
- ``triage.py``: levels, red-flag rules and topics, flags, follow-up questions, results;
- ``reply.py``: ``Reply``, the JSON contract (docs/architecture.md section 3);
- ``care.py``: the care timeline and one person's plan;
- ``diary.py``: episodes, check-ins, users, warnings, summaries;
- ``review.py``: unanswered clusters, proposals, rated answers.

``csvcells.py`` is not a type but the one rule every CSV backcare writes and
reads follows (the diary export and the ingest readers), ``yamltext.py``
the one way YAML text is parsed (the pack loaders and triage's content
files), and ``cachefiles.py`` the rules of the shared cache folder (a lock per
folder, a one-day sweep; the retrieval and triage caches): kept here because
their users sit above this layer.
"""

# Each module's __all__ is the one list of its names; the package re-exports
# them (a name added to a module but listed only here had already drifted).
from backcare.model import care, diary, entries, reply, review, triage
from backcare.model.care import *  # noqa: F403
from backcare.model.diary import *  # noqa: F403
from backcare.model.entries import *  # noqa: F403
from backcare.model.reply import *  # noqa: F403
from backcare.model.review import *  # noqa: F403
from backcare.model.triage import *  # noqa: F403

__all__ = []
__all__ += care.__all__
__all__ += diary.__all__
__all__ += entries.__all__
__all__ += reply.__all__
__all__ += review.__all__
__all__ += triage.__all__
