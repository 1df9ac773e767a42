"""The layers hold: no import cycle inside `bot/` or `runner/` (TYPE_CHECKING imports included), between modules
or between folders, `runner/` never imports `bot/`, and modules that must stay light load without their heavy
neighbours."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "runner")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (absolute imports, anywhere in the file)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def unit_of(module: str, path: Path) -> str:
    """The node a module belongs to in the folder graph: its sub-package (`runner.stages`), or itself for a
    module at a package's top (`runner.schemas`, `bot.settings`): those are the layers' shared ground."""
    parts = module.split(".")
    if path.name == "__init__.py" or len(parts) <= 2:
        return module
    return ".".join(parts[:2])


def folder_graph(graph: dict[str, set[str]], paths: dict[str, Path]) -> dict[str, set[str]]:
    """folder (or top-level module) -> the folders and top-level modules it imports."""
    folders: dict[str, set[str]] = {unit_of(name, path): set() for name, path in paths.items()}
    for name, targets in graph.items():
        source = unit_of(name, paths[name])
        folders[source] |= {unit_of(t, paths[t]) for t in targets} - {source}
    return folders


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_no_loop_between_folders() -> None:
    """`runner.stages` may use `runner.selfheal` or the reverse, never both (likewise every pair of folders)."""
    assert cycles(folder_graph(import_graph(), _modules())) == []


def test_a_folder_loop_is_found() -> None:
    graph = {
        "runner.stages.smoke": {"runner.selfheal.diagnose", "runner.schemas"},
        "runner.selfheal.diagnose": set(),
        "runner.selfheal.loop": {"runner.stages.smoke", "runner.schemas"},
        "runner.schemas": set(),
    }
    paths = {name: Path(name.replace(".", "/") + ".py") for name in graph}
    assert cycles(folder_graph(graph, paths)) == [["runner.selfheal", "runner.stages"]]
    del graph["runner.selfheal.loop"], paths["runner.selfheal.loop"]
    assert cycles(folder_graph(graph, paths)) == []


def test_runner_never_imports_bot() -> None:
    graph = import_graph()
    offenders = {name: sorted(t for t in targets if t.startswith("bot")) for name, targets in graph.items()}
    assert {name: bad for name, bad in offenders.items() if name.startswith("runner") and bad} == {}


@pytest.mark.parametrize(
    ("module", "must_not_load"),
    [
        ("bot.github_auth", "github"),  # token minting needs no PyGithub
        ("bot.errors", "github"),
        ("bot.compute.base", "bot.context"),
        ("runner.cli", "bot"),
        ("runner.cli", "torch"),
    ],
)
def test_module_loads_alone_without(module: str, must_not_load: str) -> None:
    prefix = must_not_load + "."
    code = (
        f"import sys, {module}\n"
        f"sys.exit(int(any(m == {must_not_load!r} or m.startswith({prefix!r}) for m in sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"importing {module} loaded {must_not_load}: {result.stderr[-2000:]}"
