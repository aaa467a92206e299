"""backcare: fast, sourced, safety-first answers for people with lower back spasms.

The public API: every name in ``__all__``, and nothing else. The one list of
them is the stub beside this file, ``__init__.pyi``: type checkers read it as
it is, and this module reads it at import time to load each name from its
module on first use (PEP 562). ``tests/test_exports.py`` pins the names, so a
change to the public API is always a deliberate one.
"""

import ast as _ast
import importlib as _importlib
import os as _os
import typing as _typing

__version__ = "0.1.0"


def _read_stub() -> dict[str, str]:
    """Each public name and the module it comes from, from ``__init__.pyi``."""
    path = _os.path.join(_os.path.dirname(__file__), "__init__.pyi")
    with open(path, encoding="utf-8") as stub:
        tree = _ast.parse(stub.read(), filename=path)
    return {
        alias.name: node.module
        for node in tree.body
        if isinstance(node, _ast.ImportFrom) and node.module
        for alias in node.names
    }


# Public names are imported on first use, so `import backcare` and the ask path
# do not pay for SQLAlchemy, the ingest readers or the retriever's models
# (benchmarks/run.py measures the cold start this protects).
_MODULE_OF = _read_stub()

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> _typing.Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'backcare' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))


# `evaluate` names both a function and its package: importing the package
# (`import backcare.evaluate`) would bind the package here, so bind the function now.
from backcare.evaluate import evaluate as evaluate  # noqa: E402
