"""backcare: fast, sourced, safety-first answers for people with lower back spasms."""

from backcare.errors import *  # noqa: F403
from backcare.model import *  # noqa: F403

__version__ = "0.1.0"
