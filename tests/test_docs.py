"""Every CLI command has help text and appears in the README (sqlite-utils' test_docs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command

from backcare.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    root = get_command(app)
    names = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            names += [f"{name} {sub}" for sub in subcommands]
        else:
            names.append(name)
    return sorted(names)


def test_there_are_commands_to_check() -> None:
    assert len(_commands()) >= 15


@pytest.mark.parametrize("command", _commands())
def test_command_is_in_the_readme(command: str) -> None:
    assert f"backcare {command}" in README, f"`backcare {command}` is not in README.md"


@pytest.mark.parametrize("command", _commands())
def test_command_has_help(command: str) -> None:
    root = get_command(app)
    node = root
    for part in command.split():
        node = node.commands[part]  # type: ignore[attr-defined]
    assert node.help and len(node.help.strip()) > 20, f"{command} has no real help"
