"""Browser fixtures, defined once so every module shares one Playwright and one browser.

Two definitions of a session fixture would start two Playwright loops in one
thread, which Playwright's sync API refuses.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from backcare import Encoder, FaqEntry, KnowledgeBase, Source
from tests.web.support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    SCRIPT_ANSWER,
    SCRIPT_QUESTION,
    Server,
    _start,
)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[Server]:
    """The server on the shipped pack."""
    yield from _start(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="session")
def script_server(
    tmp_path_factory: pytest.TempPathFactory, chromium_path: Path, real_encoder: Encoder
) -> Iterator[Server]:
    """A server on a tiny knowledge base whose texts contain markup."""
    tmp = tmp_path_factory.mktemp("serve-script")
    entries = [
        FaqEntry(
            id="markup",
            question=SCRIPT_QUESTION,
            answer=SCRIPT_ANSWER,
            sources=(
                Source(
                    title="<script>window.__pwned = 4</script> Guide",
                    url="javascript:window.__pwned = 5",
                ),
            ),
        ),
        FaqEntry(
            id="walk",
            question="Should I walk with a back spasm?",
            answer="Short, easy walks help most people.",
        ),
        FaqEntry(
            id="sleep",
            question="How should I sleep with a back spasm?",
            answer="Lie on your side with a pillow between your knees.",
        ),
    ]
    KnowledgeBase.build("markup-kb@1", entries, real_encoder).save(tmp / "kb")
    yield from _start(tmp, "--kb", str(tmp / "kb"))


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh page that fails the test on any script error or CSP violation."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(
        viewport={"width": 1000, "height": 900}, locale="en-US", accept_downloads=True
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"), full_page=True)
    context.close()
    assert problems == []
