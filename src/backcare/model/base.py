"""The base of every backcare type: frozen and strict about unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Frozen"]


class Frozen(BaseModel):
    """A pydantic model that cannot be changed once made and refuses unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")
