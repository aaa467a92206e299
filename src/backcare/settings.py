"""Settings from the environment (``BACKCARE_*``): the only code that reads it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Where backcare keeps its files, and which knowledge base it answers from.

    Every field can be set as an environment variable with the ``BACKCARE_``
    prefix, e.g. ``BACKCARE_CACHE_DIR=/tmp/bc``.
    """

    model_config = SettingsConfigDict(env_prefix="BACKCARE_", extra="ignore")

    cache_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_cache_dir("backcare")),
        description="the ONNX model and the pack's index are built here once",
    )
    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("backcare")),
        description="the diary and feedback database live here",
    )
    kb: Path | None = Field(default=None, description="answer from this ingested knowledge base")
    threads: int | None = Field(default=None, ge=1, description="onnxruntime threads")

    @property
    def model_dir(self) -> Path:
        """Where the ONNX model is built and cached."""
        return self.cache_dir / "models"

    @property
    def index_dir(self) -> Path:
        """Where the shipped pack's index is cached."""
        return self.cache_dir / "kb"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
