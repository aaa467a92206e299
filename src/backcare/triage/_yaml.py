"""YAML parsing for triage's content files, with PyYAML's C loader when it has one.

The pure-Python loader spent tens of milliseconds of every cold start on the
translated safety nets, the cross-language examples and the clause
classifier's weights; the C loader reads the same values several times faster.
"""

from __future__ import annotations

from typing import Any

import yaml

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


def parse(text: str) -> Any:
    """Parse YAML text with the safe loader (C when available); raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
