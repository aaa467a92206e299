"""Shared fixtures: the pack, encoders (model-free and real), services and CLI runner."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from backcare import Backcare, Encoder, HashingEncoder, KnowledgePack, load_pack
from backcare.settings import Settings
from tests.diary.backends import diary_store, diary_url, postgres  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the expected files of golden-file tests instead of comparing",
    )


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or skip the test when the checkout has none."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (shared/ sits beside the repository)")
    return path


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """Rows of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="session")
def pack() -> KnowledgePack:
    """The shipped knowledge pack, loaded once."""
    return load_pack()


@pytest.fixture(scope="session")
def fake_encoder() -> Encoder:
    """A deterministic encoder with no model file."""
    return HashingEncoder(dim=64)


@pytest.fixture(scope="session")
def fake_backcare(pack: KnowledgePack, fake_encoder: Encoder) -> Backcare:
    """The service over the pack with the model-free encoder (no cache on disk)."""
    return Backcare.open(fake_encoder, pack=pack)


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings from the environment: the model cache `make test` has built."""
    return Settings()


@pytest.fixture(scope="session")
def real_encoder(settings: Settings) -> Encoder:
    """The real ONNX MiniLM encoder (built into the cache on first use)."""
    from backcare import default_encoder

    return default_encoder(settings.model_dir)


@pytest.fixture(scope="session")
def real_backcare(pack: KnowledgePack, real_encoder: Encoder, settings: Settings) -> Backcare:
    """The service exactly as `backcare ask` builds it."""
    return Backcare.open(real_encoder, pack=pack, cache_dir=settings.index_dir)


@pytest.fixture(scope="session", autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands under test keep diaries and ratings in a throw-away folder, never the user's."""
    from backcare.settings import get_settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BACKCARE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        patch.delenv("BACKCARE_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No BACKCARE_KB from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key == "BACKCARE_KB":
            monkeypatch.delenv(key)
    yield
