"""Every CSV backcare writes is safe to open in a spreadsheet, and reads back exactly."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from backcare import CheckIn, Encoder, Episode, export_kb, ingest_to_kb
from backcare.diary import dump_diary, load_diary
from backcare.model.csvcells import FORMULA_STARTS, neutralise, restore

AT = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
ATTACKS = ['=HYPERLINK("http://x.example","hi")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "'=1"]

_cells = st.text(st.sampled_from(["=", "+", "-", "@", "'", "\t", "\r", "a", " ", "é"]), max_size=8)


def _unsafe(cell: str) -> bool:
    return cell[:1] in FORMULA_STARTS


@given(st.one_of(_cells, st.text(max_size=30)))
def test_neutralise_is_safe_and_restore_undoes_it(cell: str) -> None:
    written = neutralise(cell)
    assert not _unsafe(written)
    assert restore(written) == cell


@given(_cells)
def test_cells_that_need_nothing_are_untouched(cell: str) -> None:
    if cell.lstrip("'")[:1] not in FORMULA_STARTS:
        assert neutralise(cell) == cell == restore(cell)


def test_an_apostrophe_of_ones_own_is_kept() -> None:
    assert neutralise("'Tis the season") == "'Tis the season"
    assert restore("'Tis the season") == "'Tis the season"
    assert neutralise("'=1") == "''=1" and restore("''=1") == "'=1"


def _cells_of(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def test_the_diary_csv_neutralises_every_cell_and_reads_back() -> None:
    episode = Episode(id=1, onset=AT, end=None, note=ATTACKS[0])
    checkins = [
        CheckIn(
            id=n,
            episode_id=1,
            at=AT + dt.timedelta(hours=n),
            pain=n,
            where=("-lower",),
            triggers=("@work",),
            helped=("=heat",),
            notes=attack,
        )
        for n, attack in enumerate(ATTACKS)
    ]
    text = dump_diary([(episode, checkins)], "csv")
    cells = _cells_of(text)
    assert not [cell for cell in cells if _unsafe(cell)]
    assert '\'=HYPERLINK("http://x.example","hi")' in cells and "'-lower" in cells
    ((loaded_episode, loaded_checkins),) = load_diary(text, "csv")
    assert loaded_episode.note == ATTACKS[0]
    assert [c.notes for c in loaded_checkins] == ATTACKS
    assert {c.where for c in loaded_checkins} == {("-lower",)}
    assert {c.helped for c in loaded_checkins} == {("=heat",)}


def test_the_knowledge_base_csv_neutralises_every_cell_and_ingests_back(
    tmp_path: Path, fake_encoder: Encoder
) -> None:
    records = [
        {
            "id": "bullets",
            "question": "-what helps a back spasm?",
            "alternates": ["=what eases it"],
            "answer": "- keep moving\n- use heat",
            "source": "@clinic",
            "url": "https://example.org/a",
        },
        {"question": "Plain question?", "answer": "+ a plus first"},
    ]
    source = tmp_path / "faq.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    ingest_to_kb([source], tmp_path / "kb", fake_encoder)
    text = export_kb(tmp_path / "kb", "csv")
    assert not [cell for cell in _cells_of(text) if _unsafe(cell)]
    exported = tmp_path / "export.csv"
    exported.write_text(text, encoding="utf-8")
    ingest_to_kb([exported], tmp_path / "again", fake_encoder)
    again = {
        json.loads(line)["id"]: json.loads(line)
        for line in export_kb(tmp_path / "again").splitlines()
    }
    first = {
        json.loads(line)["id"]: json.loads(line) for line in export_kb(tmp_path / "kb").splitlines()
    }
    assert again == first
    assert again["bullets"]["answer"] == "- keep moving\n- use heat"
    assert again["bullets"]["alternates"] == ["=what eases it"]
