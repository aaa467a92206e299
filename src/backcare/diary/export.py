"""Export a diary to CSV or JSON, and read such a file back (``backcare diary export|import``).

Both formats hold the same data without ids (ids belong to the database they
came from): episodes in onset order, each with its check-ins in time order,
times in UTC with their offset. Reading a file back and exporting it again
gives the same text.

- JSON: ``{"format": "backcare-diary", "version": 1, "episodes": [{"onset",
  "end", "note", "checkins": [{"at", "pain", "where", "triggers", "helped",
  "notes"}]}]}``.
- CSV (for a spreadsheet): one row per check-in, with the episode repeated on
  each row and numbered in the ``episode`` column; an episode without check-ins
  has one row with the check-in columns empty. Lists are joined with ``"; "``
  (labels cannot contain ``;``). A cell a spreadsheet would run as a formula
  (``=``, ``+``, ``-``, ``@``...) is written with a leading ``'`` that reading
  takes off again (``backcare.model.csvcells``).

Reading is bounded: a file over ``MAX_IMPORT_BYTES`` or with more than
``MAX_IMPORT_ROWS`` episodes and check-ins in all is refused before anything
is added, so one upload cannot fill the database or hold a worker for long.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from backcare.diary.store import EpisodeRecord
from backcare.errors import ConfigError, DiaryFormatError
from backcare.model import CheckIn, Episode, NewCheckIn, NewEpisode
from backcare.model.csvcells import neutralise, restore

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "dump_diary",
    "load_diary",
]

FORMATS = ("csv", "json")
CSV_COLUMNS = (
    "episode",
    "onset",
    "end",
    "episode_note",
    "at",
    "pain",
    "where",
    "triggers",
    "helped",
    "notes",
)
# Four check-ins a day for fourteen years; more is not one person's diary.
MAX_IMPORT_ROWS = 20_000
# That many rows of a typical JSON export (measured: 379 bytes a check-in with
# tags and a one-line note; the CSV takes 169).
MAX_IMPORT_BYTES = 8_000_000
_MAGIC = "backcare-diary"
_M = TypeVar("_M", bound=BaseModel)
_LIST_JOIN = "; "


class _FileEpisode(NewEpisode):
    checkins: tuple[NewCheckIn, ...] = ()


class _DiaryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["backcare-diary"]
    version: Literal[1]
    episodes: tuple[_FileEpisode, ...] = ()


def dump_diary(diary: Sequence[tuple[Episode, Sequence[CheckIn]]], format: str) -> str:
    """A diary as CSV or JSON text.

    Args:
        diary: episodes with their check-ins, as the store returns them.
        format: ``csv`` or ``json``.

    Raises:
        ConfigError: an unknown format.
    """
    ordered = sorted(diary, key=lambda item: (item[0].onset, item[0].id))
    if format == "json":
        return _dump_json(ordered)
    if format == "csv":
        return _dump_csv(ordered)
    raise ConfigError(f"unknown diary format {format!r}; use one of: {', '.join(FORMATS)}")


def load_diary(
    text: str, format: str, *, max_rows: int = MAX_IMPORT_ROWS, max_bytes: int = MAX_IMPORT_BYTES
) -> list[EpisodeRecord]:
    """Episodes with their check-ins from a diary export.

    Args:
        text: the file's text.
        format: ``csv`` or ``json``.
        max_rows: episodes and check-ins the file may hold in all.
        max_bytes: how long the text may be, in UTF-8 bytes.

    Raises:
        DiaryFormatError: the text is not a diary export (the message says
            where), or it is over a limit (the message says which).
        ConfigError: an unknown format.
    """
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise DiaryFormatError(
            f"the diary file is {size:,} bytes, over the limit of {max_bytes:,}; "
            "split it into smaller files"
        )
    if format in FORMATS:
        loaded = _load_json(text) if format == "json" else _load_csv(text, max_rows)
        rows = sum(1 + len(checkins) for _, checkins in loaded)
        if rows > max_rows:
            raise _too_many(max_rows)
        return loaded
    raise ConfigError(f"unknown diary format {format!r}; use one of: {', '.join(FORMATS)}")


# ------------------------------------------------------------------- JSON


def _dump_json(diary: Sequence[tuple[Episode, Sequence[CheckIn]]]) -> str:
    episodes = []
    for episode, checkins in diary:
        episodes.append(
            {
                "onset": _time(episode.onset),
                "end": None if episode.end is None else _time(episode.end),
                "note": episode.note,
                "checkins": [
                    {
                        "at": _time(checkin.at),
                        "pain": checkin.pain,
                        "where": list(checkin.where),
                        "triggers": list(checkin.triggers),
                        "helped": list(checkin.helped),
                        "notes": checkin.notes,
                    }
                    for checkin in sorted(checkins, key=lambda c: (c.at, c.id))
                ],
            }
        )
    document = {"format": _MAGIC, "version": 1, "episodes": episodes}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _load_json(text: str) -> list[EpisodeRecord]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise DiaryFormatError(f"the diary file is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != _MAGIC:
        raise DiaryFormatError(
            f'the JSON is not a backcare diary export (it needs "format": "{_MAGIC}"); '
            "make one with: backcare diary export --format json"
        )
    try:
        document = _DiaryFile.model_validate(data)
    except ValidationError as exc:
        raise DiaryFormatError(f"the diary file is invalid: {_errors(exc)}") from exc
    return [
        (
            NewEpisode(onset=episode.onset, end=episode.end, note=episode.note),
            list(episode.checkins),
        )
        for episode in document.episodes
    ]


# ------------------------------------------------------------------- CSV


def _dump_csv(diary: Sequence[tuple[Episode, Sequence[CheckIn]]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def write(cells: list[str]) -> None:
        writer.writerow([neutralise(cell) for cell in cells])

    for number, (episode, checkins) in enumerate(diary, start=1):
        head = [
            str(number),
            _time(episode.onset),
            "" if episode.end is None else _time(episode.end),
            episode.note,
        ]
        ordered = sorted(checkins, key=lambda c: (c.at, c.id))
        if not ordered:
            write([*head, "", "", "", "", "", ""])
        for checkin in ordered:
            write(
                [
                    *head,
                    _time(checkin.at),
                    str(checkin.pain),
                    _LIST_JOIN.join(checkin.where),
                    _LIST_JOIN.join(checkin.triggers),
                    _LIST_JOIN.join(checkin.helped),
                    checkin.notes,
                ]
            )
    return out.getvalue()


def _too_many(max_rows: int) -> DiaryFormatError:
    return DiaryFormatError(
        f"the diary file holds more than {max_rows:,} episodes and check-ins in all, "
        "the most one import takes; split it into smaller files"
    )


def _load_csv(text: str, max_rows: int) -> list[EpisodeRecord]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader, None)
        if header is None or tuple(header) != CSV_COLUMNS:
            raise DiaryFormatError(
                f"line 1: a diary CSV starts with the columns {','.join(CSV_COLUMNS)}; "
                "make one with: backcare diary export --format csv"
            )
        groups: dict[str, tuple[NewEpisode, list[NewCheckIn], tuple[str, ...]]] = {}
        data_rows = 0
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            data_rows += 1
            if data_rows > max_rows:  # each row holds an episode, a check-in or both
                raise _too_many(max_rows)
            if len(row) != len(CSV_COLUMNS):
                raise DiaryFormatError(
                    f"line {line}: {len(row)} columns, expected {len(CSV_COLUMNS)}"
                )
            cells = dict(zip(CSV_COLUMNS, (restore(cell) for cell in row), strict=True))
            key = cells["episode"]
            head = (cells["onset"], cells["end"], cells["episode_note"])
            if key not in groups:
                episode = _validate(
                    NewEpisode,
                    line,
                    onset=cells["onset"],
                    end=cells["end"] or None,
                    note=cells["episode_note"],
                )
                groups[key] = (episode, [], head)
            elif groups[key][2] != head:
                raise DiaryFormatError(
                    f"line {line}: episode {key} has another onset, end or note than on "
                    "its first row"
                )
            if cells["at"] or cells["pain"]:
                groups[key][1].append(
                    _validate(
                        NewCheckIn,
                        line,
                        at=cells["at"],
                        pain=cells["pain"],
                        where=_split(cells["where"]),
                        triggers=_split(cells["triggers"]),
                        helped=_split(cells["helped"]),
                        notes=cells["notes"],
                    )
                )
    except csv.Error as exc:
        raise DiaryFormatError(f"line {reader.line_num}: not valid CSV: {exc}") from exc
    return [(episode, checkins) for episode, checkins, _ in groups.values()]


def _split(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(";") if item.strip()]


def _validate(kind: type[_M], line: int, **fields: Any) -> _M:
    try:
        return kind.model_validate(fields)
    except ValidationError as exc:
        raise DiaryFormatError(f"line {line}: {_errors(exc)}") from exc


# ------------------------------------------------------------------- shared


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _errors(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where or 'value'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)
