"""A small cache of what is built from immutable objects, keyed by their identity.

Compiled rule tables, safety-net topics, a pack's extra layers and spelling
dictionaries are built once per object that describes them. Those objects are
frozen but not always hashable (they hold dicts), and hashing a whole rule
table per message would cost more than the lookup saves, so the key is the
objects' ``id``. The objects are kept with the value, so no id can be reused
by another object while it is cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["IdentityMemo"]

V = TypeVar("V")


class IdentityMemo(Generic[V]):
    """Values by the identity of the objects they were made from; the oldest go first."""

    def __init__(self, size: int) -> None:
        """Keep at most ``size`` values (a process has one pack, tests a few)."""
        self._size = size
        self._items: dict[tuple[int, ...], tuple[tuple[object, ...], V]] = {}

    def get(self, *sources: object, make: Callable[[], V]) -> V:
        """The value made from ``sources``, calling ``make`` the first time."""
        key = tuple(map(id, sources))
        cached = self._items.get(key)
        if cached is not None and all(a is b for a, b in zip(cached[0], sources, strict=True)):
            return cached[1]
        value = make()
        if len(self._items) >= self._size:
            self._items.pop(next(iter(self._items)))
        self._items[key] = (sources, value)
        return value
