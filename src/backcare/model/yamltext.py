"""YAML text parsed with PyYAML's safe loader, in C when PyYAML was built with it.

Like ``csvcells.py``, not a type but one rule that two parts above this layer
share: the pack loaders (``backcare.knowledge``) and triage's own content
files (``backcare.triage``). The C loader reads the same values several times
faster: the pure-Python one spent tens of milliseconds of every cold start on
the translated safety nets, the cross-language examples and the clause
classifier's weights.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["parse_yaml"]

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


def parse_yaml(text: str) -> Any:
    """Parse YAML text with the safe loader; raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
