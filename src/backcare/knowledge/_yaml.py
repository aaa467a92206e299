"""YAML reading shared by the pack loaders, with errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from backcare.errors import KnowledgePackError, PackValidationError
from backcare.model.yamltext import parse_yaml


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, turning I/O and syntax errors into pack errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KnowledgePackError(f"{path}: file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgePackError(f"{path}: cannot read file ({exc})") from exc
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        raise PackValidationError(f"{path}: invalid YAML: {exc}") from exc


def describe_validation_error(path: Path, item: str, exc: ValidationError) -> str:
    """One message naming the file, the item (entry or rule id) and each bad field."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(whole item)"
        problems.append(f"field '{field}': {error['msg']}")
    return f"{path}: {item}: " + "; ".join(problems)
