"""Settings from the environment (``BACKCARE_*``): the only code that reads it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backcare.retrieval.onnx_export import DEFAULT_VARIANT, Variant

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
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the diary and feedback database: "
        "sqlite:///<data_dir>/backcare.db when empty, or postgresql+psycopg://user@host/db",
    )
    kb: Path | None = Field(default=None, description="answer from this ingested knowledge base")
    threads: int | None = Field(default=None, ge=1, description="onnxruntime threads")
    encoder: Variant = Field(
        default=DEFAULT_VARIANT,
        description="which graph of the encoder to run: int8 (quantised, faster) or fp32 "
        "(exact); each has its own model id, so knowledge bases are built per variant",
    )
    rate_limit: float = Field(
        default=20.0,
        ge=0,
        description="requests a second each client address (and bearer token) may make "
        "to `backcare serve`; 0 turns the limit off",
    )
    rate_burst: int = Field(
        default=40, ge=1, description="requests a quiet client may make at once"
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or networks (e.g. 127.0.0.1,10.0.0.0/8) of "
        "reverse proxies whose proxy_header names the client; empty: trust none",
    )
    proxy_header: Literal["x-forwarded-for", "forwarded"] = Field(
        default="x-forwarded-for",
        description="the one header the trusted proxies write: x-forwarded-for or forwarded",
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="`backcare serve` logs one JSON object a line, or text"
    )
    shutdown_grace: int = Field(
        default=30,
        ge=1,
        description="seconds `backcare serve` lets in-flight requests finish after SIGTERM",
    )

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url.strip():
            self.database_url = f"sqlite:///{self.data_dir / 'backcare.db'}"
        return self

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
