"""`diary`, `users` and `review`: the episode diary and server-mode accounts."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.panel import Panel

from backcare import (
    BackcareError,
    TriageLevel,
    default_encoder,
)

if TYPE_CHECKING:  # imported where used: the diary pulls in SQLAlchemy
    from backcare import Diary, ReviewReport, UnansweredCluster, User

from backcare.cli._common import (
    _LEVEL_STYLE,
    AtOption,
    EpisodeOption,
    _diary_store,
    _fail,
    _open,
    _settings,
    app,
    console,
    diary_app,
    err_console,
    users_app,
)
from backcare.cli._render import render_triage


class _DiaryFormat(StrEnum):
    csv = "csv"
    json = "json"


@contextmanager
def _local_diary() -> Iterator[tuple[Diary, User]]:
    """The diary service and the CLI's own user (the diary acts as one local person)."""
    from backcare import Diary, load_pack, triage_text

    store = _diary_store()
    try:
        try:
            user = store.local_user(now=dt.datetime.now(dt.UTC))
        except BackcareError as exc:
            raise _fail(str(exc)) from exc
        yield Diary(store, functools.partial(triage_text, load_pack())), user
    finally:
        store.close()


def _parse_time(value: str | None, option: str = "--at") -> dt.datetime:
    if value is None:
        return dt.datetime.now().astimezone()
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise _fail(
            f"{option} must be a time like 2026-11-20T08:30 or 2026-11-20, not {value!r}", 2
        ) from exc
    # A time without a zone is the local time of this computer.
    return parsed if parsed.tzinfo is not None else parsed.astimezone()


def _local(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def _open_episode(diary: Diary, user: User, episode: int | None) -> int:
    if episode is not None:
        return episode
    open_ = [e for e in diary.store.episodes(user.id) if e.end is None]
    if not open_:
        raise _fail("no open episode: start one with `backcare diary start`, or give --episode")
    return open_[-1].id


def _diary_error(exc: BackcareError) -> typer.Exit:
    from backcare import ConfigError, DiaryConflictError, DiaryFormatError, EntryNotFoundError

    usage = (ConfigError, DiaryConflictError, DiaryFormatError, EntryNotFoundError)
    return _fail(str(exc), 2 if isinstance(exc, usage) else 1)


@diary_app.command("start")
def diary_start(
    at: AtOption = None,
    note: Annotated[str, typer.Option("--note", help="Anything about how it started.")] = "",
) -> None:
    """Start an episode: the day a back spasm began.

    Example: backcare diary start --at 2026-11-20T07:00 --note "lifting the shopping"
    """
    from backcare import NewEpisode

    with _local_diary() as (diary, user):
        try:
            episode = diary.store.start_episode(
                user.id, NewEpisode(onset=_parse_time(at), note=note)
            )
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        except ValueError as exc:
            raise _fail(str(exc), 2) from exc
        console.print(f"started episode {episode.id} on {_local(episode.onset)}")


@diary_app.command("log")
def diary_log(
    pain: Annotated[int, typer.Option("--pain", min=0, max=10, help="Pain now, 0 (none) to 10.")],
    where: Annotated[
        list[str] | None, typer.Option("--where", help="Where it hurts (repeat for more).")
    ] = None,
    trigger: Annotated[
        list[str] | None, typer.Option("--trigger", help="What set it off (repeatable).")
    ] = None,
    helped: Annotated[
        list[str] | None, typer.Option("--helped", help="What helped (repeatable).")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Anything else, in your words.")] = "",
    at: AtOption = None,
    episode: EpisodeOption = None,
) -> None:
    """Log a check-in: pain 0-10, where, triggers, what helped and a note.

    A note is checked for red flags at once. Example:

        backcare diary log --pain 6 --where "lower back" --helped walking
    """
    from backcare import NewCheckIn

    with _local_diary() as (diary, user):
        try:
            checkin = NewCheckIn(
                at=_parse_time(at),
                pain=pain,
                where=tuple(where or ()),
                triggers=tuple(trigger or ()),
                helped=tuple(helped or ()),
                notes=note,
            )
        except ValueError as exc:
            raise _fail(str(exc), 2) from exc
        try:
            stored = diary.store.add_checkin(user.id, _open_episode(diary, user, episode), checkin)
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        console.print(
            f"logged check-in {stored.id}: pain {stored.pain}/10 in episode {stored.episode_id}"
        )
        if note.strip():
            from backcare import load_pack, triage_text

            try:
                result = triage_text(load_pack(), note)
            except BackcareError:
                return
            if result.level != TriageLevel.SELF_CARE:
                console.print(render_triage(result))


@diary_app.command("end")
def diary_end(at: AtOption = None, episode: EpisodeOption = None) -> None:
    """End an episode (the open one unless --episode is given)."""
    from backcare import EpisodePatch

    with _local_diary() as (diary, user):
        try:
            target = _open_episode(diary, user, episode)
            ended = diary.store.update_episode(user.id, target, EpisodePatch(end=_parse_time(at)))
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        days = (ended.end - ended.onset).days if ended.end else 0
        console.print(f"ended episode {ended.id} on {_local(ended.end)} after {days} days")


@diary_app.command("list")
def diary_list(
    episode: Annotated[
        int | None, typer.Option("--episode", help="List this episode's check-ins.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List your episodes, or the check-ins of one with --episode."""
    from rich.table import Table

    with _local_diary() as (diary, user):
        try:
            if episode is not None:
                checkins = diary.store.checkins(user.id, episode)
            else:
                episodes = diary.store.episodes(user.id)
                checkins = diary.store.checkins(user.id)
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        if episode is not None:
            if as_json:
                print(json.dumps([c.model_dump(mode="json") for c in checkins]))
                return
            table = Table(title=f"check-ins of episode {episode}")
            for column in ("id", "when", "pain", "where", "triggers", "helped", "notes"):
                table.add_column(column)
            for c in checkins:
                table.add_row(
                    str(c.id),
                    _local(c.at),
                    f"{c.pain}/10",
                    escape(", ".join(c.where)),
                    escape(", ".join(c.triggers)),
                    escape(", ".join(c.helped)),
                    escape(c.notes),
                )
            console.print(table)
            return
        if as_json:
            print(json.dumps([e.model_dump(mode="json") for e in episodes]))
            return
        table = Table(title="episodes")
        for column in ("id", "onset", "end", "check-ins", "latest pain", "note"):
            table.add_column(column)
        for e in episodes:
            own = [c for c in checkins if c.episode_id == e.id]
            table.add_row(
                str(e.id),
                _local(e.onset),
                _local(e.end) or "open",
                str(len(own)),
                f"{own[-1].pain}/10" if own else "",
                escape(e.note),
            )
        console.print(table)


@diary_app.command("summary")
def diary_summary(
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Your episodes at a glance, and warnings: red flags, no improvement, recurrence."""
    from rich.table import Table

    with _local_diary() as (diary, user):
        try:
            summary = diary.summary(user.id, now=dt.datetime.now(dt.UTC))
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        if as_json:
            print(summary.model_dump_json())
            return
        for warning in summary.warnings:
            style, title = _LEVEL_STYLE[warning.level]
            lines = [escape(warning.message)] + [f"• {escape(item)}" for item in warning.evidence]
            console.print(
                Panel(
                    "\n".join(lines),
                    title=f"{title} · {warning.rule}",
                    border_style=style.split(" on ")[-1],
                    title_align="left",
                )
            )
        table = Table(title=f"{summary.episodes_last_12_months} episode(s) in the last 12 months")
        for column in ("id", "onset", "end", "days", "check-ins", "pain first → last (worst)"):
            table.add_column(column)
        for row in summary.episodes:
            pain = (
                f"{row.first_pain} → {row.last_pain} ({row.worst_pain})"
                if row.first_pain is not None
                else ""
            )
            table.add_row(
                str(row.episode.id),
                _local(row.episode.onset),
                _local(row.episode.end) or "open",
                str(row.days),
                str(row.checkins),
                pain,
            )
        console.print(table)
        if not summary.warnings:
            console.print("[green]No warnings.[/]")


@diary_app.command("export")
def diary_export(
    format: Annotated[
        _DiaryFormat, typer.Option("--format", help="csv or json; `diary import` reads both.")
    ] = _DiaryFormat.json,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file instead of stdout.", dir_okay=False),
    ] = None,
) -> None:
    """Export the whole diary as CSV (for a spreadsheet) or JSON."""
    with _local_diary() as (diary, user):
        try:
            text = diary.export(user.id, format.value)
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        if out is None:
            sys.stdout.write(text)
            return
        try:
            out.write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise _fail(f"{out}: cannot write: {exc.strerror or exc}") from exc
        err_console.print(f"exported the diary to {escape(str(out))}")


@diary_app.command("import")
def diary_import(
    file: Annotated[Path, typer.Argument(help="A file from `backcare diary export`.")],
    format: Annotated[
        _DiaryFormat | None,
        typer.Option("--format", help="csv or json (default: from the file's extension)."),
    ] = None,
) -> None:
    """Add the episodes of an exported diary to this one (all or nothing).

    A file over the import limits (bytes, or episodes and check-ins in all) is
    refused before anything is added; the message says which limit.
    """
    kind = format.value if format is not None else file.suffix.lower().lstrip(".")
    if kind not in ("csv", "json"):
        raise _fail(f"{file}: give --format csv or --format json", 2)
    if not file.is_file():
        raise _fail(f"{file}: no such file", 2)
    with _local_diary() as (diary, user):
        try:
            episodes, checkins = diary.import_file(user.id, file, kind)
        except OSError as exc:
            raise _fail(f"{file}: cannot read: {exc.strerror or exc}", 2) from exc
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        console.print(f"imported {episodes} episode(s) and {checkins} check-in(s)")


@diary_app.command("delete")
def diary_delete(
    episode: Annotated[int, typer.Argument(help="The episode's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first.")] = False,
) -> None:
    """Delete an episode and its check-ins."""
    with _local_diary() as (diary, user):
        if not yes and not typer.confirm(f"delete episode {episode} and its check-ins?"):
            raise typer.Exit(1)
        try:
            diary.store.delete_episode(user.id, episode)
        except BackcareError as exc:
            raise _diary_error(exc) from exc
        console.print(f"deleted episode {episode}")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (letters, digits, . _ @ -).")],
    maintainer: Annotated[
        bool, typer.Option("--maintainer", help="May also read `GET /v1/review`.")
    ] = False,
) -> None:
    """Add a user of `backcare serve` and print their bearer token, once.

    Only a hash of the token is stored: keep it now, it cannot be shown again.
    """
    store = _diary_store()
    try:
        user, token = store.add_user(name, maintainer=maintainer, now=dt.datetime.now(dt.UTC))
    except BackcareError as exc:
        raise _diary_error(exc) from exc
    finally:
        store.close()
    role = " (maintainer)" if user.maintainer else ""
    err_console.print(
        f"added user {escape(user.name)}{role}; their token, shown this once "
        "(send it as `Authorization: Bearer <token>`):"
    )
    print(token)


@users_app.command("list")
def users_list() -> None:
    """List the users (never their tokens)."""
    store = _diary_store()
    try:
        users = store.users()
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    finally:
        store.close()
    for user in users:
        role = " maintainer" if user.maintainer else ""
        console.print(f"{user.id}\t{escape(user.name)}{role}\t{_local(user.created_at)}")


review_app = typer.Typer(
    help="Unanswered and badly rated questions, with the entries they likely belong to."
)
app.add_typer(review_app, name="review")

KbOption = Annotated[
    Path | None,
    typer.Option(
        "--kb",
        help="An ingested knowledge base (proposals come from it; accept/reject write to it).",
    ),
]
ThresholdOption = Annotated[
    float,
    typer.Option(
        "--threshold", min=0.0, max=1.0, help="Cosine similarity that joins two questions."
    ),
]


def _review_report(kb: Path | None, *, top: int, threshold: float) -> tuple[ReviewReport, str]:
    """The review over the feedback store, with proposals from ``kb`` (or the pack).

    Returns the report and the label of the knowledge base it proposes from.
    """
    from backcare import open_stores, review_decisions

    settings = _settings()
    kb = kb if kb is not None else settings.kb
    backcare = _open(kb)
    try:
        decisions = review_decisions(kb) if kb is not None else None
        stores = open_stores(settings.database_url)
        try:
            report = backcare.review(
                stores.feedback,
                top=top,
                threshold=threshold,
                accepted=decisions.accepted if decisions else (),
                rejected=decisions.rejected if decisions else (),
            )
            return report, backcare.kb_label
        finally:
            stores.close()
    except BackcareError as exc:
        raise _fail(str(exc)) from exc


@review_app.callback(invoke_without_command=True)
def review(
    ctx: typer.Context,
    top: Annotated[int, typer.Option("--top", min=1, help="How many of each to list.")] = 20,
    threshold: ThresholdOption = 0.8,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    kb: KbOption = None,
) -> None:
    """The most frequent unanswered questions and the worst-rated answers.

    Each cluster of unanswered questions comes with the entry it most likely
    belongs to; accept with `backcare review accept CLUSTER ENTRY --kb DIR`
    (its questions become alternates of ENTRY) or reject the proposal.
    """
    if ctx.invoked_subcommand is not None:
        return
    report, _ = _review_report(kb, top=top, threshold=threshold)
    if as_json:
        print(report.model_dump_json())
        return
    console.print(
        f"[bold]Unanswered questions[/] ({report.abstained_total} logged), most frequent first:"
    )
    for cluster in report.unanswered:
        console.print(
            f"  {cluster.count:>4} × “{escape(cluster.question)}”  "
            f"[dim]cluster {cluster.id} in {escape(cluster.kb)}[/]",
            soft_wrap=True,
        )
        for example in cluster.examples[1:]:
            console.print(f"         also: “{escape(example)}”", soft_wrap=True)
        if cluster.proposal is not None:
            console.print(
                f"         proposed: {escape(cluster.proposal.entry_id)} "
                f"(“{escape(cluster.proposal.question)}”, {cluster.proposal.score:.2f})",
                soft_wrap=True,
            )
    console.print(f"[bold]Worst-rated answers[/] ({report.ratings_total} ratings):")
    for entry in report.worst_rated:
        console.print(
            f"  {escape(entry.entry_id)} ({escape(entry.kb)}): {entry.wrong} wrong, "
            f"{entry.not_helpful} not helpful, {entry.helpful} helpful",
            soft_wrap=True,
        )
        for example in entry.examples:
            console.print(f"      “{escape(example)}”", soft_wrap=True)


def _decision_kb(kb: Path | None) -> Path:
    kb = kb if kb is not None else _settings().kb
    if kb is None:
        raise _fail(
            "accepting or rejecting needs an ingested knowledge base (--kb DIR or BACKCARE_KB); "
            "the shipped pack is edited in content/entries/"
        )
    return kb


@review_app.command("accept")
def review_accept(
    cluster: Annotated[str, typer.Argument(help="The cluster id `backcare review` shows.")],
    entry: Annotated[str, typer.Argument(help="The entry its questions belong to.")],
    kb: KbOption = None,
    threshold: ThresholdOption = 0.8,
) -> None:
    """Add a cluster's questions as alternates of ENTRY (a new version, switched in atomically)."""
    from backcare import accept_proposal

    folder = _decision_kb(kb)
    report, label = _review_report(folder, top=10_000, threshold=threshold)
    found = _own_cluster(report, cluster, label, folder)
    settings = _settings()
    try:
        # The variant the knowledge base was opened with above: another one has
        # another model id, and the whole knowledge base would be re-encoded with it.
        encoder = default_encoder(
            settings.model_dir, threads=settings.threads, variant=settings.encoder
        )
        added = accept_proposal(folder, cluster, entry, found.examples, encoder)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    err_console.print(f"added {added} alternate question(s) to {escape(entry)} in {folder}")


def _own_cluster(report: ReviewReport, cluster: str, label: str, folder: Path) -> UnansweredCluster:
    """The open cluster ``cluster`` of the knowledge base ``label`` (in ``folder``), or a failure.

    A cluster of questions asked of another knowledge base is refused: its
    questions would become alternates of an entry they were never asked of.
    """
    same = [c for c in report.unanswered if c.id == cluster]
    found = next((c for c in same if c.kb == label), None)
    if found is not None:
        return found
    if same:
        others = ", ".join(sorted({c.kb for c in same}))
        raise _fail(
            f"cluster '{cluster}' holds questions asked of {others}, not of {label} ({folder}); "
            "accept it into the knowledge base its questions were asked of"
        )
    raise _fail(f"no open cluster '{cluster}'; run `backcare review --kb {folder}` for ids")


@review_app.command("reject")
def review_reject(
    cluster: Annotated[str, typer.Argument(help="The cluster id `backcare review` shows.")],
    entry: Annotated[str, typer.Argument(help="The proposed entry it does not belong to.")],
    kb: KbOption = None,
) -> None:
    """Never propose ENTRY for this cluster again."""
    from backcare import reject_proposal

    folder = _decision_kb(kb)
    try:
        reject_proposal(folder, cluster, entry)
    except BackcareError as exc:
        raise _fail(str(exc)) from exc
    err_console.print(f"rejected {escape(entry)} for cluster {cluster}")
