"""The ``backcare`` command line: parse, call the library, print.

Library errors become a message and exit code 1; an unusable question
(empty, too long, not text) exits with 2 (docs/architecture.md section 3).
Each module registers its commands on ``app`` when imported; the import
order below is the order ``backcare --help`` lists them.
"""

from backcare.cli import ask, diary, kb, serve  # noqa: F401  (registers the commands)
from backcare.cli._common import app
from backcare.cli.serve import _app_factory, _rate_limit

__all__ = ["_app_factory", "_rate_limit", "app", "main"]


def main() -> None:
    """Entry point of the ``backcare`` console script."""
    app()
