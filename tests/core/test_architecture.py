"""The layering rules of docs/architecture.md, checked on the source of every distribution.

* no import cycles, counting imports inside functions (and under ``TYPE_CHECKING``);
* backends and plugins import only public core names: no ``dspex_core._x`` or
  ``dspex_core.pkg._x`` from outside ``dspex_core``.

The import graph is read with :mod:`ast` from the repository's source folders, so nothing is
imported and every distribution is checked whatever the tox env installs.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("DSPEX_TEST_ROOT", Path(__file__).parents[2]))

#: source folder -> the distribution's import packages found there
SOURCES = [ROOT / "dspex_core" / "src", ROOT / "dspex_native" / "src", ROOT / "dspex_dspy" / "src",
           *sorted((ROOT / "plugins").glob("*/src")), *sorted((ROOT / "tests" / "plugins" / "fixtures").glob("*/src"))]


def _modules() -> dict[str, Path]:
    found = {}
    for src in SOURCES:
        for path in src.rglob("*.py"):
            parts = list(path.relative_to(src).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _known(name: str) -> str | None:
    """The longest known module ``name`` is in (``a.b.c`` -> ``a.b`` when ``c`` is a name in it)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> list[tuple[str, int]]:
    """``(imported module, line)`` for every import in ``module``, wherever it is in the file."""
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(found, node.lineno) for alias in node.names if (found := _known(alias.name))]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                found = _known(f"{target}.{alias.name}") if f"{target}.{alias.name}" in MODULES else _known(target)
                if found:
                    out.append((found, node.lineno))
    return out


def import_graph() -> dict[str, set[str]]:
    return {module: {target for target, _ in imports_of(module) if target != module} for module in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_distribution_is_found():
    tops = {name.split(".")[0] for name in MODULES}
    assert {"dspex_core", "dspex_native", "dspex_dspy", "dspex_example"} <= tops


def test_there_are_no_import_cycles():
    found = cycles(import_graph())
    assert found == [], "import cycles (imports inside functions count):\n" + "\n".join(
        " <-> ".join(component) for component in found)


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def _private(module: str) -> bool:
    return module.startswith("dspex_core.") and any(part.startswith("_") for part in module.split(".")[1:])


@pytest.mark.parametrize("top", sorted({name.split(".")[0] for name in MODULES} - {"dspex_core"}))
def test_backends_and_plugins_import_only_public_core_names(top):
    bad = sorted({f"{module}:{line} imports {target}" for module in MODULES if module.split(".")[0] == top
                  for target, line in imports_of(module) if _private(target)})
    assert bad == [], "private core modules imported from outside dspex_core (use dspex_core.backend):\n" + \
        "\n".join(bad)


def test_what_counts_as_a_private_core_module():
    assert _private("dspex_core._redact") and _private("dspex_core.testing._recording_lm")
    assert not _private("dspex_core.backend") and not _private("dspex_core.testing")


def test_test_modules_that_run_together_have_distinct_names():
    """The ``all`` env runs tests/core and tests/native in one pytest session, where test files
    are imported by their base name: two files of the same name there fail to collect."""
    core = {p.name for p in (ROOT / "tests" / "core").glob("test_*.py")}
    native = {p.name for p in (ROOT / "tests" / "native").glob("test_*.py")}
    assert not core & native, sorted(core & native)
