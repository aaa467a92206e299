"""Fixtures shared by the retrieval tests."""

from __future__ import annotations

import pytest

from backcare import FaqEntry


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every line FaqEntry.model_validate_json is asked to parse, from now on."""
    seen: list[object] = []
    original = FaqEntry.model_validate_json

    def counting(data: object, *args: object, **kwargs: object) -> FaqEntry:
        seen.append(data)
        return original(data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(FaqEntry, "model_validate_json", counting)
    return seen
