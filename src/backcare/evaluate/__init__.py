"""Score query sets through the same code path as ``ask`` (``backcare eval``).

A set is JSONL; each line's keys say what it tests (a set may mix kinds,
and each kind is scored over its own lines):

- ``{"q", "ok": [ids]}`` retrieval: the top entry (answered or not) is one of ``ok``;
- ``{"q", "level"}`` triage: ``level`` is the exact level expected. Scored as
  "at least ``level``" (the first measure) and as the exact level, with the
  4x4 confusion matrix (expected x got), under-triage (emergencies, and any
  level) and over-triage (self-care lines, and any level);
- ``{"q"}`` alone: out of scope, the reply must abstain.

A line may add ``"kind"`` (what it exercises: ``lay``, ``negated``, ...): the
triage figures are then also given per kind (``triage_by_kind``).

Any line may add ``"lang"`` (ISO 639-1, the language it is written in): the
report then also scores each language on its own (``by_lang``), with how often
language identification named that language (``lang_detected``).

``evaluate_triage`` scores a triage-only set through any triage function,
without a knowledge base or retrieval. The parts: reading sets (``cases.py``),
the report (``report.py``), running them (``run.py``), scoring replies
(``score.py``) and triage levels (``triage.py``).
"""

from backcare.evaluate.cases import EvalCase, read_cases
from backcare.evaluate.report import EvalReport
from backcare.evaluate.run import evaluate, evaluate_triage

__all__ = ["EvalCase", "EvalReport", "evaluate", "evaluate_triage", "read_cases"]
