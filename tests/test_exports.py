"""backcare.__all__ lists exactly the public names (httpx's test_exported_members)."""

from __future__ import annotations

import backcare


def test_all_is_sorted_and_complete() -> None:
    # dir(), not vars(): public names are loaded lazily (PEP 562 __getattr__).
    public = {name for name in dir(backcare) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(backcare, name)).__name__ == "module"}
    assert sorted(backcare.__all__) == backcare.__all__
    assert set(backcare.__all__) == public - modules


def test_every_public_name_is_documented() -> None:
    for name in backcare.__all__:
        assert getattr(backcare, name).__doc__, f"{name} has no docstring"
