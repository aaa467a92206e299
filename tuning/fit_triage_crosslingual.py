"""Fit the cross-language triage layer's thresholds on the development sets only.

Writes ``content/i18n/triage_crosslingual.yaml``. Development data: the
first-round sets (``eval/i18n/red_flags_<code>.jsonl``), the held-out set and
the first three fresh sets (``eval/i18n/test/red_flags{,2,3}_<code>.jsonl``),
all fixed against already; the translated questions
(``eval/i18n/questions_<code>.jsonl``) count as lines that must not rise above
the level the other layers give them. Never the fourth or fifth fresh sets.

The rules were fixed against these lines, so hardly any is left below its
level for the layer to fix: each rule is fitted as if the layer stood alone.
A line counts as a hit when it fires the rule and its level is the rule's (an
urgent rule on an emergency line helps nothing); as over-triaged when it fires
the rule and its level is below the rule's (a question: below the level the
other layers give it). Score = hits - 10 x over-triaged; the
highest threshold reaching the best score wins (ties: the larger margin).

    PYTHONPATH=src python tuning/fit_triage_crosslingual.py [--dump scores.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backcare.knowledge.pack import load_pack
from backcare.model import TriageLevel
from backcare.service import (
    default_encoder,
    multilingual_encoder,
    prepare_query,
    triage_layers,
    triage_message,
)
from backcare.settings import get_settings
from backcare.triage import scope_reader
from backcare.triage._negation import normalise
from backcare.triage.crosslingual import SERVED, CrossLingualTriage, load_crosslingual

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "content" / "i18n" / "triage_crosslingual.yaml"
PENALTY = 10
THRESHOLDS = np.round(np.arange(0.80, 0.961, 0.005), 3)
MARGINS = np.round(np.arange(0.0, 0.061, 0.005), 3)
# Over-triage weighs heavily: the layer must not undo the self_care lines the
# rules get right (a penalty of 3 let 6 to 14 of them through per emergency rule).


def dev_files() -> list[Path]:
    """The red-flag development files (never red_flags4_ or red_flags5_)."""
    files = [ROOT / f"eval/i18n/red_flags_{code}.jsonl" for code in SERVED]
    files.append(ROOT / "eval/i18n/holdout/red_flags_holdout.jsonl")
    for prefix in ("red_flags_", "red_flags2_", "red_flags3_"):
        files += [ROOT / f"eval/i18n/test/{prefix}{code}.jsonl" for code in SERVED]
    return files


@dataclass
class Line:
    text: str
    code: str
    target: TriageLevel | None  # None: a question, held to its base level
    base: TriageLevel
    clauses: list[tuple[dict[str, float], float, bool]]  # best, competitor base, someone else


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, help="write every line's clause scores here (JSON)")
    args = parser.parse_args()
    settings = get_settings()
    pack = load_pack(ROOT / "content")
    encoder = default_encoder(settings.model_dir)
    e5 = multilingual_encoder(settings.model_dir)
    if e5 is None:
        print("the multilingual encoder is not built", file=sys.stderr)
        return 1
    examples = pack.semantic_examples
    assert examples is not None
    layer = load_crosslingual(
        pack.root, pack.red_flags, examples.positive, examples.negative, settings.index_dir
    )
    assert layer is not None
    triage_layers(pack)  # English layers built before timing anything
    rows: list[tuple[str, str, TriageLevel | None]] = []
    for path in dev_files():
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                item = json.loads(raw)
                rows.append((item["q"], item["lang"], TriageLevel(item["level"])))
    for code in SERVED:
        path = ROOT / f"eval/i18n/questions_{code}.jsonl"
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                item = json.loads(raw)
                rows.append((item["q"], code, None))
    lines = [_line(pack, layer, encoder, e5, text, code, target) for text, code, target in rows]
    if args.dump:
        args.dump.write_text(
            json.dumps(
                [
                    [ln.text, ln.code, ln.target and ln.target.value, ln.base.value, ln.clauses]
                    for ln in lines
                ],
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
    fitted = {}
    report = []
    for rule_id in layer.lower:
        level = layer.levels[rule_id]
        best = (-1, 0.0, 0.0, 0, 0)
        # (similarity, lead over the best competitor) of each clause that may fire it
        pairs = {
            id(line): [
                (
                    scores[rule_id],
                    scores[rule_id] - max([negative, *(scores[o] for o in layer.lower[rule_id])]),
                )
                for scores, negative, other in line.clauses
                if not (other and rule_id in layer.personal)
            ]
            for line in lines
        }
        for threshold in THRESHOLDS:
            for margin in MARGINS:
                fixed = over = 0
                for line in lines:
                    fires = any(s >= threshold and d >= margin for s, d in pairs[id(line)])
                    if not fires:
                        continue
                    target = line.target if line.target is not None else line.base
                    if target.rank == level.rank:
                        fixed += 1
                    elif target.rank < level.rank:
                        over += 1
                score = fixed - PENALTY * over
                key = (score, threshold, margin)
                if key > (best[0], best[1], best[2]):
                    best = (score, float(threshold), float(margin), fixed, over)
        score, threshold, margin, fixed, over = best
        low = sum(1 for line in lines if line.target is not None and line.target.rank >= level.rank)
        report.append(
            f"#   {rule_id:<17} threshold {threshold:.3f} margin +{margin:.3f}: "
            f"{fixed} of {low} lines at its level hit, {over} lines below it hit"
        )
        if fixed > 0 and score > 0:
            fitted[rule_id] = (threshold, margin)
    _write(e5.model_id, fitted, report, len(lines))
    print("\n".join(report))
    return 0


def _line(pack, layer: CrossLingualTriage, encoder, e5, text, code, target) -> Line:  # type: ignore[no-untyped-def]
    base = triage_message(pack, prepare_query(text), encoder=encoder)[1].level
    table = pack.triage_tables[code]
    normalised = normalise(text)
    scope = scope_reader(table)
    spans = layer.candidates(normalised, layer.denials(code, table.language))
    clauses = []
    for clause in layer.score(normalised, spans, e5):
        other = scope.is_about_someone_else(normalised.text, clause.span[1])
        clauses.append((clause.best, clause.negative, other))
    return Line(text, code, target, base, clauses)


def _write(
    model_id: str, fitted: dict[str, tuple[float, float]], report: list[str], n: int
) -> None:
    head = [
        "# Fitted by tuning/fit_triage_crosslingual.py; do not edit by hand.",
        f"# {n} development lines (red-flag sets 1-3, the held-out set, the translated",
        "# questions); never eval/i18n/test/red_flags4_ or red_flags5_.",
        f"# Score = lines fixed - {PENALTY} x lines over-triaged; rules with no gain are left out.",
        *report,
        f"model_id: {model_id}",
        "rules:",
    ]
    body = [f"  {rid}: {{threshold: {t:.3f}, margin: {m:.3f}}}" for rid, (t, m) in fitted.items()]
    OUT.write_text("\n".join([*head, *body]) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
