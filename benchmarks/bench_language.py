"""Benchmark language identification: what each way of setting it up costs and how well it does.

``--candidates`` (the comparison behind ``backcare.language.CONFIG``; see
docs/languages.md) measures each candidate configuration in fresh processes:

- ``ident`` worker: import + warm-up time and the memory it adds (VmRSS and
  private memory before and after; lingua's models are heap), the time and
  memory of the first message that is not plainly English (what a lazy
  configuration pays then), identification on every labelled set (the six
  language sets, the held-out set, the unsupported-language set, the English
  sets of tests/ and ../shared/eval, and the messages of tests that name a
  language), the memory once every script's models are loaded, and the p50
  time per message;
- ``service`` worker: cold start on the pack (process start to the first
  answer, English), the first non-English answer after it, and every labelled
  set through ``backcare.evaluate`` (what ``backcare eval`` runs): under-triaged
  emergencies per language, how many unsupported-language messages got the
  "warning signs could not be checked" notice, and whether every message got
  the same triage level and flags as with candidate a (triage must not depend
  on identification).

The default run (no ``--candidates``) times identification and triage per
message with the configuration in use, against English-only triage.

``--cold-start ROUNDS --src A --src B`` measures cold start (process start to
the first answer) and memory on the pack with ``make bench``'s worker, for
each source tree in turn (before and after a change).

Run: ``.venv/bin/python benchmarks/bench_language.py [--candidates | --cold-start N
--src DIR ...] [--repeats N] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the repository; BACKCARE_SHARED_DIR names it when the
# checkout sits elsewhere (a git worktree).
SHARED = Path(os.environ.get("BACKCARE_SHARED_DIR", ROOT.parent / "shared")) / "eval"
I18N = ROOT / "eval" / "i18n"
UNSUPPORTED = I18N / "unsupported" / "messages.jsonl"
FIRST_FOREIGN = "me duele mucho la espalda desde ayer"

# The fifteen unsupported languages recognised before this comparison.
BEFORE = ("it", "ca", "nl", "ro", "ru", "uk", "tr", "fa", "ur", "pa", "bn", "gu", "hi", "so", "zh")
# The issue-17 minimum of languages to recognise as unsupported (Urdu, Punjabi,
# Bengali, Romanian) and the examples it names (Italian, Dutch, Turkish,
# Russian, Chinese, Hindi).
ISSUE_17 = ("ur", "pa", "bn", "ro", "it", "nl", "tr", "ru", "zh", "hi")
# Scripts no other recognised language uses: lingua names them by their letters
# alone, with no model to load.
OWN_SCRIPT = ("ta", "el")
# Latin and Cyrillic languages common in the UK that lingua knows.
MORE = ("lt", "bg", "hu")
# Welsh and Tagalog: most of their UK speakers also write English.
BILINGUAL = ("cy", "tl")


# Candidate d's English gate (``looks_english``): common English
# words only, leaving out words that are also common in a language identification
# must tell apart ("a", "an", "am", "as", "do", "he", "in", "is", "me", "no", "on",
# "so", "to", "also", "been", "die", "was", "will"...), so that an unaccented
# Spanish or Polish message does not pass. Text that fails the gate goes to lingua.
GATE_WORDS = 3
GATE_SHARE = 0.75
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
ENGLISH_WORDS = frozenset(
    """
    i i'm i've i'd my myself you your it it's its we our they them their this that
    these those the and or but if of for from with without into onto at up down out off
    under about after before again since until while when where what which who why how
    than then there here very really just still only some any every each all both
    more most much many few little not can't cant cannot can could couldn't would
    wouldn't should shouldn't must might may don't dont doesn't didn't isn't aren't
    wasn't won't haven't hasn't have has having does did doing get gets got getting
    go goes going went gone keep keeps kept make makes made take takes took taking feel
    feels feeling felt need needs try tried trying helps helped stops stopped
    started are were being good better worse worst right left side sides back backs
    lower upper spine spinal pain pains painful ache aches aching achy hurt hurts
    hurting sore stiff stiffness spasm spasms spasming cramp cramps twinge sharp dull
    shooting stabbing burning throbbing severe sudden suddenly leg legs foot feet knee
    knees hip hips thigh thighs calf bum buttock buttocks groin genitals privates bottom
    neck shoulder shoulders body muscles nerve nerves bladder bowel bowels pee peeing
    wee urinate poo numb numbness tingling tingle pins needles weak weakness fever
    sweats sweating chills weight loss lost fell fallen lifting lifted bending bent bend
    twisting twisted sitting sit standing walking walk walked sleep sleeping lying night
    nights morning mornings evening day days weeks month months year years today
    yesterday tonight hour hours minute minutes first time times ever never always often
    sometimes now soon yet already twice heat ice cold hot pack bath shower exercise
    exercises stretch stretches stretching resting move moving movement painkiller
    painkillers tablets pills medication gp nurse physio physiotherapist physiotherapy
    relief relieve treat treatment cure fix fine well unwell ill pregnant pregnancy
    older old age aged work job chair desk drive driving carrying heavy box floor stairs
    garden gym running slipped tell know think worried worry scared afraid anyone
    someone something anything nothing everything please thanks thank be
    """.split()
)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def looks_english(text: str) -> bool:
    """Candidate d: whether ``text`` is plainly English: ASCII only, at least ``GATE_WORDS`` words,
    and at least ``GATE_SHARE`` of them common English words (``ENGLISH_WORDS``).

    Words that are also common in a language backcare serves or recognises
    ("no", "me", "a", "in", "is", "die"...) are left out of the list, so an
    unaccented Spanish or Polish message does not pass.
    """
    if not text.isascii():
        return False
    words = _WORD.findall(text.lower())
    if len(words) < GATE_WORDS:
        return False
    known = sum(word in ENGLISH_WORDS for word in words)
    return known >= GATE_SHARE * len(words)


def candidates() -> dict[str, dict[str, Any]]:
    """Name -> ``IdentifierConfig`` keyword arguments."""
    from backcare.language import SUPPORTED_LANGUAGES as SERVED

    def config(others: tuple[str, ...], low: bool, lazy: bool = False) -> dict[str, Any]:
        return {"languages": (*SERVED, *others), "low_accuracy": low, "lazy": lazy}

    return {
        # as before this comparison: full models, warmed up with "warm up" only
        "a_full_22": {**config(BEFORE, low=False), "warm_up": ("warm up",)},
        "b_low_22": config(BEFORE, low=True),
        "c_full_17": config(ISSUE_17, low=False),
        "c_low_17": config(ISSUE_17, low=True),
        "c_low_24": config((*BEFORE, *OWN_SCRIPT), low=True),
        "c_low_27": config((*BEFORE, *OWN_SCRIPT, *MORE), low=True),
        "c_low_29": config((*BEFORE, *OWN_SCRIPT, *MORE, *BILINGUAL), low=True),
        "d_lazy_full_22": config(BEFORE, low=False, lazy=True),
        "d_lazy_low_27": config((*BEFORE, *OWN_SCRIPT, *MORE), low=True, lazy=True),
    }


def _rows(path: Path, lang: str | None = None) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [{**row, "lang": row.get("lang", lang)} for row in rows]


def _test_messages() -> list[dict[str, Any]]:
    """(text, language) pairs of the parametrized tests that name a language."""
    out = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "parametrize"):
                continue
            if len(node.args) < 2 or not isinstance(node.args[0], ast.Tuple | ast.List):
                continue
            names = [getattr(elt, "value", None) for elt in node.args[0].elts]
            key = next((n for n in ("lang", "code") if n in names), None)
            if "text" not in names or key is None or not isinstance(node.args[1], ast.List):
                continue
            for case in node.args[1].elts:
                if not isinstance(case, ast.Tuple):
                    continue
                values = [getattr(elt, "value", None) for elt in case.elts]
                text, code = values[names.index("text")], values[names.index(key)]
                if isinstance(text, str) and isinstance(code, str) and len(code) == 2:
                    out.append({"q": text, "lang": code, "from": path.name})
    return out


def labelled_sets() -> dict[str, list[dict[str, Any]]]:
    """Every labelled set: name -> rows with ``q`` and ``lang`` (and ``level`` if triage)."""
    sets = {f"i18n_{p.stem[-2:]}": _rows(p) for p in sorted(I18N.glob("red_flags_*.jsonl"))}
    sets["i18n_holdout"] = _rows(I18N / "holdout" / "red_flags_holdout.jsonl")
    rows = _rows(UNSUPPORTED)
    sets["unsupported"] = [r for r in rows if "group" not in r]
    sets["unsupported_wider"] = [r for r in rows if r.get("group") == "wider"]
    sets["unsupported_romanised"] = [r for r in rows if r.get("group") == "romanised"]
    sets["en_triage_cases"] = _rows(ROOT / "tests" / "triage_cases.jsonl", "en")
    for name in ("dev_queries", "dev_out_of_scope", "dev_red_flags"):
        sets[f"en_{name}"] = _rows(SHARED / f"{name}.jsonl", "en")
    sets["tests_with_a_language"] = _test_messages()
    return {name: rows for name, rows in sets.items() if rows}


def _install(config: dict[str, Any]) -> Any:
    """Make ``config`` the process's identification (what ``CONFIG`` would do)."""
    import backcare.language as language
    from backcare.language import identify

    texts = config.get("warm_up")
    config = {key: value for key, value in config.items() if key != "warm_up"}
    gate = looks_english if config["lazy"] else None
    identifier = language.LanguageIdentifier(
        language.IdentifierConfig(**config), plainly_english=gate
    )
    identify._identifier = lambda: identifier  # type: ignore[method-assign]
    if texts is not None:  # before backcare.service binds the name

        def warm_up() -> None:
            for text in texts:
                identifier._detector().compute_language_confidence_values(text)

        language.warm_up = warm_up
    return identifier


def _memory() -> dict[str, float]:
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return {"rss": fields.get("Rss", 0.0), "private": fields.get("Anonymous", 0.0)}


def _added(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {key: round(after[key] - before[key], 1) for key in before}


def _per_message_ms(
    fn: Callable[[str], object], texts: list[str], repeats: int
) -> dict[str, float]:
    """p50 and p95 over messages of each message's median time, in milliseconds."""
    medians = []
    for text in texts:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn(text)
            times.append((time.perf_counter() - start) * 1000)
        medians.append(statistics.median(times))
    medians.sort()
    return {
        "p50": round(medians[len(medians) // 2], 4),
        "p95": round(medians[min(len(medians) - 1, int(len(medians) * 0.95))], 4),
    }


def _score(
    rows: list[dict[str, Any]], found: list[Any], supported: tuple[str, ...]
) -> dict[str, Any]:
    """Identification on one set: right code, confident wrong codes, and the notice."""
    right = sum(f.code == r["lang"] for f, r in zip(found, rows, strict=True))
    wrong = [
        f"{r['lang']}->{f.code}"
        for f, r in zip(found, rows, strict=True)
        if f.reliable and f.code != r["lang"]
    ]
    notices = [f.reliable and f.code not in supported for f in found]
    served = [r["lang"] in supported for r in rows]
    return {
        "n": len(rows),
        "identified": round(right / len(rows), 4),
        "confident_wrong": len(wrong),
        "confusions": dict(sorted({w: wrong.count(w) for w in wrong}.items())),
        "notice": sum(notices),
        # the two ways identification can hurt: a message in a language without
        # rules that gets no notice (its triage reads as checked), and one in a
        # served language told its warning signs were not checked
        "missed_notice": sum(not n and not s for n, s in zip(notices, served, strict=True)),
        "wrong_notice": sum(n and s for n, s in zip(notices, served, strict=True)),
    }


def worker_ident(name: str, repeats: int) -> dict[str, Any]:
    """Identification alone for one candidate (fresh process)."""
    import backcare.model  # noqa: F401 - pydantic and the models are not identification's cost

    before = _memory()
    start = time.perf_counter()
    import backcare.language as language

    config = candidates()[name]
    _install(config)
    language.warm_up()  # what Backcare.open calls (a no-op when lazy)
    ready = time.perf_counter()
    after_open = _memory()
    start_first = time.perf_counter()
    language.detect_language(FIRST_FOREIGN)
    first_ms = (time.perf_counter() - start_first) * 1000
    after_first = _memory()
    first_other_scripts = {}
    for script, text in (("arabic", "لا أستطيع التبول منذ الصباح"), ("cyrillic", "болит спина")):
        start_script = time.perf_counter()
        language.detect_language(text)
        first_other_scripts[script] = round((time.perf_counter() - start_script) * 1000, 1)
    sets = labelled_sets()
    accuracy = {}
    for set_name, rows in sets.items():
        found = [language.detect_language(row["q"]) for row in rows]
        accuracy[set_name] = _score(rows, found, language.SUPPORTED_LANGUAGES)
    steady = _memory()
    english = [r["q"] for s, rows in sets.items() if s.startswith("en_") for r in rows]
    other = [
        r["q"] for s, rows in sets.items() if s.startswith(("i18n_", "unsupported")) for r in rows
    ]
    return {
        "candidate": name,
        "config": {**config, "languages": list(config["languages"])},
        "import_and_warm_up_ms": round((ready - start) * 1000, 1),
        "memory_added_at_open_mb": _added(before, after_open),
        "first_foreign_message_ms": round(first_ms, 1),
        "memory_added_after_first_foreign_mb": _added(before, after_first),
        "first_message_in_other_scripts_ms": first_other_scripts,
        "memory_added_all_scripts_mb": _added(before, steady),
        "detect_english_ms": _per_message_ms(language.detect_language, english, repeats),
        "detect_other_ms": _per_message_ms(language.detect_language, other, repeats),
        "english_gate_passed": sum(looks_english(q) for q in english),
        "english_messages": len(english),
        "gate_passed_non_english": [q for q in other if looks_english(q)],
        "accuracy": accuracy,
    }


def worker_service(name: str, started: float) -> dict[str, Any]:
    """Cold start on the pack and every labelled set through ``evaluate`` (fresh process)."""
    from backcare.language import identify

    _install(candidates()[name])
    from backcare import Backcare, EvalCase, default_encoder, evaluate
    from backcare.settings import Settings

    settings = Settings()
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=settings.encoder
    )
    app = Backcare.open(encoder, cache_dir=settings.index_dir)
    app.ask("my back locked up this morning, what now?")
    first_answer_s = time.time() - started
    rss_first = _memory()
    t = time.perf_counter()
    app.ask(FIRST_FOREIGN)
    first_foreign_ms = (time.perf_counter() - t) * 1000
    sets = labelled_sets()
    out: dict[str, Any] = {}
    digest = hashlib.sha256()
    for set_name, rows in sets.items():
        cases = [EvalCase(q=r["q"], level=r.get("level"), lang=r["lang"]) for r in rows]
        replies = [app.ask(case.q, top_k=3) for case in cases]
        for reply in replies:
            digest.update(
                f"{reply.triage.level.value}:{[f.id for f in reply.triage.flags]}\n".encode()
            )
        entry: dict[str, Any] = {
            "unchecked_notice": sum(not reply.triage.checked for reply in replies),
        }
        if any(case.level for case in cases):
            report = evaluate(app, cases, name=set_name)
            entry["under_triaged_emergencies"] = report.under_triaged_emergencies
            entry["by_lang_under_triaged"] = {
                code: sub.under_triaged_emergencies for code, sub in (report.by_lang or {}).items()
            }
        out[set_name] = entry
    return {
        "candidate": name,
        "first_answer_s": round(first_answer_s, 3),
        "rss_at_first_answer_mb": round(rss_first["rss"], 1),
        "first_foreign_answer_ms": round(first_foreign_ms, 1),
        "rss_end_mb": round(_memory()["rss"], 1),
        "triage_digest": digest.hexdigest()[:16],
        "sets": out,
        "loaded_lingua": identify._identifier().loaded,
    }


def _spawn(*args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started = time.time()
    command = [sys.executable, __file__, "--worker", *args, str(started)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{args}: {result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.splitlines()[-1]))


def compare(repeats: int) -> dict[str, Any]:
    load = os.getloadavg()
    out: dict[str, Any] = {"load_average_start": [round(x, 2) for x in load], "candidates": {}}
    for name in candidates():
        print(f"[bench_language] {name}", file=sys.stderr, flush=True)
        ident = _spawn("ident", name, str(repeats))
        service = _spawn("service", name)
        out["candidates"][name] = {"ident": ident, "service": service}
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    digests = {n: c["service"]["triage_digest"] for n, c in out["candidates"].items()}
    out["triage_identical_across_candidates"] = len(set(digests.values())) == 1
    return out


def table(result: dict[str, Any]) -> str:
    """The comparison as a Markdown table (docs/languages.md)."""
    lines = [
        "| candidate | import + warm-up ms | RSS added at open MB | first non-English message ms"
        " | RSS added, all scripts MB (private) | detect p50 ms en / other"
        " | supported identified | unsupported without the notice (wider, romanised)"
        " | served language given the notice"
        " | cold start s | under-triaged emergencies |",
        "|" + "---|" * 11,
    ]
    for name, both in result["candidates"].items():
        ident, service = both["ident"], both["service"]
        acc = ident["accuracy"]
        supported = [s for s in acc if s.startswith("i18n_")]
        right = sum(round(acc[s]["identified"] * acc[s]["n"]) for s in supported)
        total = sum(acc[s]["n"] for s in supported)
        core = acc["unsupported"]
        wider = [acc[s] for s in acc if s.startswith("unsupported_")]
        missed = f"{core['missed_notice']}/{core['n']}"
        missed += " (" + ", ".join(f"{w['missed_notice']}/{w['n']}" for w in wider) + ")"
        false_notice = sum(entry["wrong_notice"] for entry in acc.values())
        under = sum(
            entry.get("under_triaged_emergencies") or 0 for entry in service["sets"].values()
        )
        all_scripts = ident["memory_added_all_scripts_mb"]
        lines.append(
            f"| {name} | {ident['import_and_warm_up_ms']}"
            f" | {ident['memory_added_at_open_mb']['rss']} | {ident['first_foreign_message_ms']}"
            f" | {all_scripts['rss']} ({all_scripts['private']})"
            f" | {ident['detect_english_ms']['p50']} / {ident['detect_other_ms']['p50']}"
            f" | {right}/{total} | {missed} | {false_notice}"
            f" | {service['first_answer_s']} | {under} |"
        )
    return "\n".join(lines)


def per_message(repeats: int) -> dict[str, Any]:
    """Identification and triage per message with the configuration in use."""
    from backcare import detect_language, load_pack, prepare_query, triage_text
    from backcare.triage import triage

    pack = load_pack()
    sets = labelled_sets()
    english = [
        prepare_query(r["q"]) for s, rows in sets.items() if s.startswith("en_") for r in rows
    ]
    other = [
        prepare_query(r["q"]) for s, rows in sets.items() if s.startswith("i18n_") for r in rows
    ]
    detect_language("me duele la espalda")  # lingua loads its models on first use
    figures: dict[str, object] = {"english_messages": len(english), "other_messages": len(other)}
    for label, texts in (("english", english), ("other", other)):
        figures[f"detect_{label}_ms"] = _per_message_ms(detect_language, texts, repeats)
        figures[f"triage_now_{label}_ms"] = _per_message_ms(
            lambda text: triage_text(pack, text), texts, repeats
        )
        figures[f"triage_english_only_{label}_ms"] = _per_message_ms(
            lambda text: triage(text, pack.red_flags), texts, repeats
        )
    return figures


def cold_start(rounds: int, sources: list[str], kb: str = "pack") -> dict[str, Any]:
    """Cold start and memory on ``kb`` (the pack or a knowledge-base folder) with
    ``make bench``'s worker, for each source tree (``--src``), alternating."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run

    kind = "pack" if kb == "pack" else "medquad"
    queries = run._queries(kind, 300)
    qfile = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-language-{kind}-queries.json"
    qfile.write_text(json.dumps(queries), encoding="utf-8")
    runs: dict[str, list[dict[str, Any]]] = {src: [] for src in sources}
    load_start = os.getloadavg()
    for _ in range(rounds):
        for src in sources:
            env = {**os.environ, "PYTHONPATH": src, "BENCH_STARTED": repr(time.time())}
            done = subprocess.run(
                [sys.executable, str(run.WORKER), "backcare", kb, str(qfile)],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(done.stderr[-3000:])
            runs[src].append(json.loads(done.stdout.strip().splitlines()[-1]))
    out: dict[str, Any] = {
        "kb": kb,
        "load_average_start": load_start,
        "rounds": rounds,
        "queries": len(queries),
    }
    for src, results in runs.items():
        out[src] = {
            "first_answer_s": sorted(r["first_answer_s"] for r in results),
            "first_answer_s_median": statistics.median(r["first_answer_s"] for r in results),
            "phases_s": [r["phases_s"] for r in results],
            "peak_rss_mb_median": statistics.median(r["peak_rss_mb"] for r in results),
            "memory_mb": results[-1]["memory_mb"],
            "top1": results[-1].get("top1"),
            "abstention_oos": results[-1].get("abstention_oos"),
        }
    out["load_average_end"] = os.getloadavg()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--candidates", action="store_true", help="compare the configurations")
    parser.add_argument(
        "--cold-start", type=int, metavar="ROUNDS", help="cold start and RSS on the pack"
    )
    parser.add_argument(
        "--src", action="append", help="with --cold-start: a source tree to measure (repeat)"
    )
    parser.add_argument("--kb", default="pack", help="with --cold-start: pack or a KB folder")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, name, *rest = args.worker
        if kind == "ident":
            result = worker_ident(name, int(rest[0]))
        else:
            result = worker_service(name, float(rest[-1]))
        print(json.dumps(result))
        return
    if args.cold_start:
        figures = cold_start(args.cold_start, args.src or [str(ROOT / "src")], args.kb)
        print(json.dumps(figures, indent=2))
    elif args.candidates:
        figures = compare(args.repeats)
        print(json.dumps(figures, indent=2))
        print(table(figures))
    else:
        figures = per_message(args.repeats)
        print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
