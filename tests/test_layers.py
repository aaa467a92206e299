"""The import rules of docs/architecture.md section 2, checked with ast over src/backcare.

Also the shape of the package: a few flat modules beside the packages, and no
import loops between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "backcare"

# Lowest layer first; a module may import only from layers before its own (or its own package).
LAYERS: dict[str, int] = {
    "errors": 1,
    "model": 2,
    "knowledge": 3,
    "language": 3,
    "retrieval": 3,
    "triage": 3,
    "careplan": 3,
    "diary": 3,
    "feedback": 3,
    "service": 4,
    "ingest": 4,
    "stores": 4,
    "evaluate": 4,
    "settings": 5,
    "api": 5,
    "cli": 5,
    "web": 5,
    "__init__": 5,
    "__main__": 6,
}
# Same-layer imports allowed on purpose: the CLI reads settings and starts the API
# (`serve`); the evaluator drives the facade; the feedback
# review measures meaning with the encoder and proposes entries with the retriever.
SHELL_IMPORTS = {
    ("cli", "settings"),
    ("cli", "api"),
    ("evaluate", "service"),
    ("feedback", "retrieval"),
}
CORE_FORBIDDEN = {"typer", "rich", "fastapi", "uvicorn", "starlette"}


def _part(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_module_respects_layers(path: Path) -> None:
    part = _part(path)
    assert part in LAYERS, f"{part} has no layer in tests/test_layers.py: add it"
    own = LAYERS[part]
    for name in _imports(path):
        top = name.split(".")[0]
        if own <= 4:
            assert top not in CORE_FORBIDDEN, f"core module {path.name} imports {top}"
        if top != "backcare":
            continue
        pieces = name.split(".")
        if len(pieces) == 1:
            assert own >= 5, f"{path.name} imports the package root (only shells may)"
            continue
        target = pieces[1]
        if target == part:
            continue
        assert target in LAYERS, f"unknown part {target}"
        allowed = LAYERS[target] < own or (part, target) in SHELL_IMPORTS
        assert allowed, (
            f"{path.relative_to(SRC)} (layer {own}) imports {name} (layer {LAYERS[target]})"
        )


def test_shells_use_only_the_public_api() -> None:
    public = {
        "cli": {"backcare", "backcare.settings", "backcare.api", "backcare.api.logs"},
        "api": {"backcare"},
    }
    paths = {shell: sorted((SRC / shell).glob("*.py")) for shell in public}
    for shell, files in paths.items():
        assert files and all(path.exists() for path in files), f"{shell} is missing"
        for path in files:
            for name in _imports(path):
                own = name == f"backcare.{shell}" or name.startswith(f"backcare.{shell}.")
                if name.startswith("backcare") and not own:
                    assert name in public[shell], (
                        f"{path.name} imports {name}; re-export it from backcare"
                    )


def test_shells_stay_in_front_of_the_facade() -> None:
    """The API and CLI use ``Backcare``'s own methods, never its knowledge base or retriever."""
    for path in sorted((SRC / "api").glob("*.py")) + sorted((SRC / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            inner = node.value
            reaches = node.attr == "retriever" or (
                isinstance(inner, ast.Attribute) and inner.attr == "kb"
            )
            assert not reaches, f"{path.relative_to(SRC)}:{node.lineno} reaches past the facade"


SHELL_MODULES = sorted((SRC / "api").glob("*.py")) + sorted((SRC / "cli").glob("*.py"))
MAX_SHELL_FUNCTION_LINES = 80


@pytest.mark.parametrize("path", SHELL_MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_shell_functions_stay_short(path: Path) -> None:
    """No function in the shells is over 80 lines (its body, nested routes included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            length = node.end_lineno - node.lineno + 1
            assert length <= MAX_SHELL_FUNCTION_LINES, (
                f"{path.relative_to(SRC)}: {node.name} is {length} lines; split it into "
                "named helpers"
            )


# The modules that stay flat in src/backcare: the public names, the entry point,
# the errors, the settings, the facade and the store opener. Every other concern
# is a package with one module per job.
MAX_FLAT_MODULES = 6


def test_few_flat_modules() -> None:
    flat = sorted(path.name for path in SRC.glob("*.py"))
    assert len(flat) <= MAX_FLAT_MODULES, (
        f"{len(flat)} flat modules in src/backcare ({', '.join(flat)}); "
        "put the new one in the package of its concern"
    )


def _module_name(path: Path) -> str:
    parts = ("backcare", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _load_time_imports(path: Path, known: set[str]) -> set[str]:
    """The backcare modules ``path`` imports when it is loaded.

    Imports inside functions and under ``TYPE_CHECKING`` run later or never, so
    they cannot make a loop at load time and are left out.
    """
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found & known


def test_the_import_graph_has_no_loops() -> None:
    names = {_module_name(path): path for path in MODULES}
    graph = {name: _load_time_imports(path, set(names)) - {name} for name, path in names.items()}
    done: set[str] = set()

    def walk(name: str, trail: list[str]) -> None:
        if name in trail:
            loop = trail[trail.index(name) :] + [name]
            raise AssertionError("import loop: " + " -> ".join(loop))
        if name in done:
            return
        for target in sorted(graph[name]):
            walk(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        walk(name, [])
