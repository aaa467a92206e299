"""How the CLI shows replies, triage, care plans and ingest reports (rich)."""

from __future__ import annotations

from rich.markup import escape
from rich.panel import Panel

from backcare import (
    CarePlan,
    IngestReport,
    KbInfo,
    Reply,
    TriageLevel,
    TriageResult,
)
from backcare.cli._common import (
    _LEVEL_STYLE,
    console,
)


def render_triage(triage: TriageResult) -> Panel:
    """The triage banner: loud for emergency and urgent, quiet for self-care."""
    style, title = _LEVEL_STYLE[triage.level]
    if not triage.checked and triage.level is TriageLevel.SELF_CARE:
        # Not an all-clear: the message's language has no rules, so it is shown as loudly
        # as an urgent finding.
        style, title = _LEVEL_STYLE[TriageLevel.URGENT][0], "WARNING SIGNS NOT CHECKED"
    lines = [escape(triage.message)]
    for flag in triage.flags:
        lines.append(f"• {escape(flag.id)} ({flag.level.value}): “{escape(flag.evidence)}”")
    return Panel(
        "\n".join(lines), title=title, border_style=style.split(" on ")[-1], title_align="left"
    )


def render_reply(reply: Reply) -> None:
    """Print a reply for people: triage first when it matters, then the answer."""
    loud = reply.triage.level != TriageLevel.SELF_CARE or not reply.triage.checked
    if loud:
        console.print(render_triage(reply.triage))
    if reply.answer is not None:
        answer = reply.answer
        body = escape(answer.text.strip())
        if answer.sources:
            body += "\n\n[dim]Sources:[/]\n" + "\n".join(
                f"[dim]• {escape(s.title)} — {escape(s.url)}[/]" for s in answer.sources
            )
        console.print(
            Panel(
                body,
                title=escape(answer.question),
                title_align="left",
                subtitle=f"confidence {answer.confidence:.2f} · {escape(reply.kb)}",
                subtitle_align="right",
            )
        )
    else:
        console.print(
            Panel(
                "I don't have a good answer to that in this knowledge base.",
                title="No confident answer",
                title_align="left",
            )
        )
    if reply.alternatives:
        heading = "Related questions" if reply.answer else "Closest topics"
        console.print(f"[bold]{heading}:[/]")
        for alt in reply.alternatives:
            console.print(
                f"  • {escape(alt.question)} [dim]({escape(alt.entry_id)}, {alt.score:.2f})[/]"
            )
    if not loud:
        console.print(f"[green]{escape(reply.triage.message)}[/]")


def _render_plan(plan: CarePlan) -> None:
    if plan.triage is not None and (
        plan.triage.level != TriageLevel.SELF_CARE or not plan.triage.checked
    ):
        console.print(render_triage(plan.triage))
    console.print(
        Panel(escape(plan.headline), title=f"Day {plan.day} since it started", title_align="left")
    )
    for note in plan.notes:
        console.print(f"[yellow]• {escape(note)}[/]")
    for phase in plan.phases:
        current = " (you are here)" if phase.id == plan.current_phase else ""
        end = phase.end_date.isoformat() if phase.end_date else "onwards"
        lines = ["[bold]Do:[/]"] + [f"  • {escape(item)}" for item in phase.do]
        lines += ["[bold]Expect:[/]"] + [f"  • {escape(item)}" for item in phase.expect]
        lines += ["[bold]Get help if:[/]"] + [f"  • {escape(item)}" for item in phase.escalate]
        console.print(
            Panel(
                "\n".join(lines),
                title=f"{escape(phase.title)}: {phase.start_date} to {end}{current}",
                title_align="left",
            )
        )
    if not plan.suppressed:
        checkins = ", ".join(day.isoformat() for day in plan.checkins)
        console.print(f"Check in on: {checkins}")
        console.print(f"[bold]See a doctor by {plan.see_doctor_by} if it is not improving.[/]")


def _render_report(report: IngestReport, info: KbInfo, show: int) -> None:
    console.print(
        f"[bold]{escape(info.name)}[/] in {escape(info.path)}: {info.entries} entries "
        f"(added {report.added}, merged {report.merged}, skipped {report.skipped}, "
        f"conflicts {report.conflicts}"
        + (f", warnings {report.warnings})" if report.warnings else ")"),
        soft_wrap=True,
    )
    for title, items in (
        ("warnings", report.of_kind("warning")),
        ("conflicts", report.of_kind("conflict")),
        ("merged", report.of_kind("merged")),
        ("skipped", report.of_kind("skipped")),
        ("added", report.of_kind("added")),
    ):
        if not items:
            continue
        reasons: dict[str, int] = {}
        for item in items:
            reasons[item.reason] = reasons.get(item.reason, 0) + 1
        console.print(f"[bold]{title}[/] ({len(items)}):")
        for item in items[:show]:
            question = f" “{escape(item.question[:80])}”" if item.question else ""
            console.print(
                f"  {escape(item.where)}{question}: {escape(item.reason)}", soft_wrap=True
            )
        if len(items) > show:
            top = sorted(reasons.items(), key=lambda kv: -kv[1])[:5]
            summary = "; ".join(f"{n} × {escape(reason)}" for reason, n in top)
            console.print(
                f"  … and {len(items) - show} more ({summary}); --json lists all", soft_wrap=True
            )
