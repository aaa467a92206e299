"""`backcare ingest`, `backcare kb show` and `backcare kb export` through typer's CliRunner."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backcare import KnowledgeBase
from backcare.cli import app
from backcare.retrieval.kbase import FORMAT_VERSION

SEED = Path(__file__).parent / "ingest" / "cases" / "back-spasms-faq.txt"
runner = CliRunner()

pytestmark = pytest.mark.usefixtures("real_encoder", "clean_env")


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "100"})
    # rich wraps error messages at the console width; tests match on words
    return result.exit_code, result.stdout, " ".join(result.stderr.split())


def _entries(kb_dir: Path) -> list[dict[str, object]]:
    return [
        e.model_dump(mode="json", exclude={"origin"}) for e in KnowledgeBase.load(kb_dir).entries
    ]


def _current(kb_dir: Path) -> str:
    return (kb_dir / "CURRENT").read_text(encoding="utf-8")


@pytest.fixture
def seed_kb(tmp_path: Path) -> Path:
    """A knowledge base ingested from the seed page, named "seed"."""
    kb_dir = tmp_path / "seed-kb"
    code, _, err = _run("ingest", str(SEED), "--kb", str(kb_dir), "--name", "seed")
    assert code == 0, err
    return kb_dir


def test_ingest_json_report(tmp_path: Path) -> None:
    kb_dir = tmp_path / "faq"
    code, out, _ = _run("ingest", str(SEED), "--kb", str(kb_dir), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["kb"]["name"] == "faq"
    assert data["kb"]["entries"] == 16
    report = data["report"]
    assert (report["added"], report["merged"], report["skipped"], report["conflicts"]) == (
        16,
        0,
        3,
        0,
    )
    repeated = next(i for i in report["items"] if "repeated" in i["reason"])
    assert (repeated["file"], repeated["line"]) == (str(SEED), 3)
    assert len(KnowledgeBase.load(kb_dir)) == 16


def test_readable_report_gives_counts_reasons_files_and_lines(tmp_path: Path) -> None:
    code, out, _ = _run("ingest", str(SEED), "--kb", str(tmp_path / "kb"), "--show", "2")
    assert code == 0
    assert "16 entries (added 16, merged 0, skipped 3, conflicts 0)" in out
    assert f"{SEED}:3" in out
    assert "repeated question" in out
    assert "… and 14 more" in out  # added entries beyond --show


def test_reingesting_adds_nothing(seed_kb: Path) -> None:
    version, before = _current(seed_kb), _entries(seed_kb)
    code, out, _ = _run("ingest", str(SEED), "--kb", str(seed_kb), "--json")
    assert code == 0
    report = json.loads(out)["report"]
    assert (report["added"], report["skipped"], report["entries"]) == (0, 19, 16)
    assert _current(seed_kb) == version
    assert _entries(seed_kb) == before


def test_ann_flag_adds_an_ann_index_that_ask_uses(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    code, _, err = _run("ingest", str(SEED), "--kb", str(kb_dir), "--ann")
    assert code == 0, err
    assert KnowledgeBase.load(kb_dir).ann is not None
    code, out, _ = _run("ask", "--json", "--kb", str(kb_dir), "how long do back spasms last")
    assert code == 0
    assert json.loads(out)["status"] == "answered"


def test_ask_answers_from_the_ingested_kb_with_its_name(seed_kb: Path) -> None:
    code, out, _ = _run("ask", "--json", "--kb", str(seed_kb), "how long do back spasms last")
    assert code == 0
    reply = json.loads(out)
    assert reply["kb"] == "seed"
    assert reply["answer"]["entry_id"] == "how-long-does-it-take-for-back-spasms-to-go-away"


def test_eval_runs_over_the_ingested_kb(seed_kb: Path, tmp_path: Path) -> None:
    cases = tmp_path / "q.jsonl"
    ok = "how-should-i-sleep-with-back-spasms"
    cases.write_text(json.dumps({"q": "best sleeping position", "ok": [ok]}) + "\n")
    code, out, _ = _run("eval", "--json", "--kb", str(seed_kb), str(cases))
    assert code == 0
    assert json.loads(out)[0]["n"] == 1


def test_a_failed_ingest_exits_1_and_leaves_the_kb(seed_kb: Path, tmp_path: Path) -> None:
    version, before = _current(seed_kb), _entries(seed_kb)
    pdf = tmp_path / "leaflet.pdf"
    pdf.write_bytes(b"%PDF-1.7\n\x00\x01\x02\xff\xfe\x00" * 100)
    code, _, err = _run("ingest", str(pdf), "--kb", str(seed_kb))
    assert code == 1
    assert "leaflet.pdf: not a text document" in err
    code, _, err = _run("ingest", str(tmp_path / "gone.md"), "--kb", str(seed_kb))
    assert code == 1
    assert "gone.md: cannot" in err
    assert _current(seed_kb) == version
    assert _entries(seed_kb) == before


def test_on_conflict_keep_both(seed_kb: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("question,answer\nShould you stretch back spasm?,Never stretch.\n")
    code, out, _ = _run("ingest", str(other), "--kb", str(seed_kb), "--json")
    assert json.loads(out)["report"]["conflicts"] == 1
    assert json.loads(out)["kb"]["entries"] == 16
    code, out, _ = _run(
        "ingest", str(other), "--kb", str(seed_kb), "--on-conflict", "keep-both", "--json"
    )
    assert code == 0
    assert json.loads(out)["kb"]["entries"] == 17
    code, _, err = _run("ingest", str(other), "--kb", str(seed_kb), "--on-conflict", "newest")
    assert code == 2


def test_kb_show(seed_kb: Path) -> None:
    code, out, _ = _run("kb", "show", str(seed_kb), "--json")
    assert code == 0
    info = json.loads(out)
    assert (info["name"], info["entries"], info["format_version"]) == ("seed", 16, FORMAT_VERSION)
    assert info["sources"][0]["path"] == str(SEED.resolve())
    assert re.fullmatch(r"[0-9a-f]{64}", info["sources"][0]["sha256"])
    assert info["model_id"] and info["built_at"]
    code, out, _ = _run("kb", "show", str(seed_kb))
    assert code == 0
    assert "entries: 16" in out and "model:" in out and "built:" in out
    assert str(SEED.resolve()) in out


def test_kb_show_of_a_folder_that_is_no_kb_exits_1(tmp_path: Path) -> None:
    code, _, err = _run("kb", "show", str(tmp_path))
    assert code == 1
    assert "not a knowledge base" in err


@pytest.mark.parametrize("format", ["csv", "jsonl"])
def test_export_then_ingest_round_trips(seed_kb: Path, tmp_path: Path, format: str) -> None:
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        json.dumps(
            {
                "id": "desk",
                "question": "How should I sit at a desk with back spasms?",
                "alternates": ["office chair for a sore back", "sitting, comma, and | pipes"],
                "answer": 'Sit back in a chair that supports your lower back.\n\nStand up "often".',
                "url": "https://example.org/desk",
                "source": "Desk, Inc.",
            }
        )
        + "\n"
    )
    assert _run("ingest", str(extra), "--kb", str(seed_kb))[0] == 0
    exported = tmp_path / f"kb.{format}"
    code, _, _ = _run("kb", "export", str(seed_kb), "--format", format, "--out", str(exported))
    assert code == 0
    code, out, _ = _run("ingest", str(exported), "--kb", str(tmp_path / "again"), "--json")
    assert code == 0
    report = json.loads(out)["report"]
    assert (report["added"], report["conflicts"]) == (17, 0)
    assert _entries(tmp_path / "again") == _entries(seed_kb)


def test_export_to_stdout(seed_kb: Path) -> None:
    code, out, _ = _run("kb", "export", str(seed_kb))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 16
    assert rows[0]["id"] == "what-helps-lower-back-spasms-immediately"


def _big_faq(path: Path, n: int) -> Path:
    """``n`` distinct random questions over the seed page's words."""
    vocab = sorted(set(re.findall(r"[a-z]{3,}", SEED.read_text(encoding="utf-8").lower())))
    rng = random.Random(5)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            question = " ".join(rng.sample(vocab, 8)).capitalize() + "?"
            answer = " ".join(rng.choices(vocab, k=15)).capitalize() + "."
            out.write(json.dumps({"id": f"big-{i}", "question": question, "answer": answer}))
            out.write("\n")
    return path


def _kill_while_saving(proc: subprocess.Popen[bytes], kb_dir: Path) -> bool:
    """SIGKILL ``proc`` as soon as a temporary version folder appears; True if it was mid-save."""
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if any(name.startswith(".tmp-") for name in os.listdir(kb_dir)):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.0005)
    proc.wait(timeout=30)
    # Killed before the swap, the half-written folder is still there.
    return proc.returncode == -signal.SIGKILL and any(
        p.name.startswith(".tmp-") for p in kb_dir.iterdir()
    )


@pytest.mark.slow
def test_sigkill_during_ingest_leaves_the_old_kb_live(tmp_path: Path) -> None:
    """Kill -9 an ingest while it writes the new version: the old one stays live and whole."""
    big = _big_faq(tmp_path / "big.jsonl", 3000)
    env = {k: v for k, v in os.environ.items() if k != "BACKCARE_KB"}
    for attempt in range(3):  # saving lasts ~0.1 s; should the kill miss it, try again
        kb_dir = tmp_path / f"kb-{attempt}"
        assert _run("ingest", str(SEED), "--kb", str(kb_dir))[0] == 0
        version, before = _current(kb_dir), _entries(kb_dir)
        command = [sys.executable, "-m", "backcare", "ingest", str(big), "--kb", str(kb_dir)]
        proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        if _kill_while_saving(proc, kb_dir):
            break
    else:
        pytest.fail("three ingests finished before they could be killed while saving")
    assert _current(kb_dir) == version
    assert _entries(kb_dir) == before
    assert len(KnowledgeBase.load(kb_dir)) == 16
    # The next ingest succeeds and sweeps away the half-written version.
    code, out, _ = _run("ingest", str(SEED), "--kb", str(kb_dir), "--name", "renamed", "--json")
    assert code == 0, out
    assert json.loads(out)["kb"]["entries"] == 16
    assert not [p for p in kb_dir.iterdir() if p.name.startswith(".tmp-")]


def test_ingest_shows_unread_columns_as_a_warning(tmp_path: Path) -> None:
    faq = tmp_path / "faq.csv"
    faq.write_text(
        "question,answer,Category\nDoes heat help a back spasm?,A warm pack can ease it.,home\n",
        encoding="utf-8",
    )
    code, out, err = _run("ingest", str(faq), "--kb", str(tmp_path / "kb"))
    assert code == 0, err
    assert "conflicts 0, warnings 1)" in out
    assert re.search(r"warnings \(1\):\s+\S*faq\.csv:1: column 'Category' is not read", out)
