"""The model layers never pull in Qt: the GUI is one consumer of them, not their owner."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QT_FREE_MODULES = [
    "annotator.core",
    "annotator.core.models",
    "annotator.core.text",
    "annotator.store",
    "annotator.formats.base",
    "annotator.formats.text",
    "annotator.formats.native",
    "annotator.services",
    "annotator.services.checking",
    "annotator.services.exporting",
    "annotator.services.importing",
    "annotator.services.progress",
    "annotator.services.sample",
    "annotator.review",
    "annotator.cli",
    "annotator.editing",
    "annotator.editing.session",
    "annotator.editing.assist_book",
    "annotator.editing.offsets",
    "annotator.editing.snapping",
    "annotator.editing.span_index",
    "annotator.assist.mentions",
    "annotator.assist.model",
    "annotator.assist.patterns",
    "annotator.assist.run",
    "annotator.assist.suggestions",
]
QT_FREE_PACKAGES = ["core", "store", "formats", "review", "assist", "editing", "services"]
# Import cycles that exist today, each as the sorted modules of one cycle. The list may
# only shrink.
KNOWN_CYCLES: list[list[str]] = []


def test_importing_the_model_layers_does_not_import_qt() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {QT_FREE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "ui = sorted(m for m in sys.modules if m.startswith('annotator.ui'))\n"
        "print(repr((qt, ui)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    qt, ui = ast.literal_eval(result.stdout.strip())
    assert qt == [], f"importing the model layers imported Qt: {qt}"
    assert ui == [], f"importing the model layers imported the ui: {ui}"


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return (
        top in ("PySide6", "shiboken6")
        or module == "annotator.ui"
        or (module.startswith("annotator.ui."))
    )


def test_no_model_layer_file_imports_qt_or_the_ui() -> None:
    offenders = []
    checked = 0
    for package in QT_FREE_PACKAGES:
        for path in sorted((REPO / "annotator" / package).rglob("*.py")):
            if package == "formats" and "dialog" in path.name:
                continue
            checked += 1
            for line, module in _imported_modules(path):
                if _forbidden(module):
                    offenders.append(f"{path.relative_to(REPO)}:{line}: imports {module}")
    assert checked >= 20, "the layer check found too few files; did the layout change?"
    assert offenders == []


def _module_names() -> dict[str, Path]:
    """Every module and package of annotator/, by dotted name."""
    names: dict[str, Path] = {}
    for path in sorted((REPO / "annotator").rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Which annotator modules each one imports: at the top, in functions, under
    TYPE_CHECKING (a cycle there is still two modules that need each other), and
    relative imports too. ``from package import name`` counts as importing the module
    ``package.name`` when there is one, else the package."""

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                names = [name for _, name in _imported_modules_of(node)]
            for name in names:
                target = known(name)
                if target is not None and target != module:
                    targets.add(target)
        graph[module] = targets
    return graph


def _imported_modules_of(node: ast.AST) -> list[tuple[int, str]]:
    if (
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return [(node.lineno, node.args[0].value)]
    return []


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
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
    return sorted(found)


def test_no_import_cycle_between_modules() -> None:
    modules = _module_names()
    graph = import_graph(modules)
    assert len(graph) >= 60 and graph["annotator.ui.main_window"], "did the layout change?"
    assert cycles(graph) == sorted(KNOWN_CYCLES)


def test_no_import_cycle_between_packages() -> None:
    """annotator.cli, annotator.ui, annotator.store...: the layers point one way."""
    graph: dict[str, set[str]] = {}
    for module, targets in import_graph(_module_names()).items():
        layer = ".".join(module.split(".")[:2])
        graph.setdefault(layer, set()).update(".".join(target.split(".")[:2]) for target in targets)
    for layer, targets in graph.items():
        targets.discard(layer)
    assert {"annotator.ui", "annotator.editing", "annotator.store"} <= graph.keys()
    assert "annotator.editing" in graph["annotator.ui"]
    assert cycles(graph) == []


# Which layers each may import (besides itself): services sit on the formats, the store
# and core, under the front ends (cli, ui); review and assist are their own services.
ALLOWED_LAYER_IMPORTS = {
    "annotator.services": {"annotator.core", "annotator.store", "annotator.formats"},
    "annotator.review": {"annotator.core", "annotator.store", "annotator.formats"},
    "annotator.assist": {"annotator.core", "annotator.store", "annotator.formats"},
    "annotator.formats": {"annotator.core", "annotator.store"},
    "annotator.store": {"annotator.core"},
    "annotator.core": set(),
}


def test_the_services_sit_between_the_model_layers_and_the_front_ends() -> None:
    graph: dict[str, set[str]] = {}
    for module, targets in import_graph(_module_names()).items():
        layer = ".".join(module.split(".")[:2])
        graph.setdefault(layer, set()).update(".".join(target.split(".")[:2]) for target in targets)
    assert {"annotator.formats", "annotator.store"} <= graph["annotator.services"]
    assert "annotator.services" in graph["annotator.cli"]
    assert "annotator.services" in graph["annotator.ui"]
    offenders = {
        layer: sorted(graph[layer] - allowed - {layer, "annotator"})
        for layer, allowed in ALLOWED_LAYER_IMPORTS.items()
        if graph[layer] - allowed - {layer, "annotator"}
    }
    assert offenders == {}


def test_the_cycle_check_finds_cycles_through_functions_and_type_checking(
    tmp_path: Path,
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import C\n"
    )
    (package / "c.py").write_text("from . import a\n")
    (package / "d.py").write_text("import pkg.a\n")
    modules = {
        "pkg": package / "__init__.py",
        **{f"pkg.{name}": package / f"{name}.py" for name in "abcd"},
    }
    graph = import_graph(modules)
    assert graph["pkg.c"] == {"pkg", "pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_the_static_check_catches_a_qt_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "from PySide6.QtWidgets import QWidget\n"
        "from annotator import ui\n"
        "def f():\n"
        "    import annotator.ui.session\n"
        "    importlib.import_module('PySide6.QtCore')\n"
    )
    flagged = [(line, module) for line, module in _imported_modules(sample) if _forbidden(module)]
    assert {line for line, _ in flagged} == {2, 3, 5, 6}


def test_the_packages_hand_out_their_models_and_store_classes_on_first_use() -> None:
    """annotator.core and annotator.store load pydantic only when a model is asked for."""
    import importlib

    import annotator.core
    import annotator.store

    for package, module_name in (
        (annotator.core, "annotator.core.models"),
        (annotator.store, "annotator.store.project"),
    ):
        module = importlib.import_module(module_name)
        for name in package.__all__:
            value = getattr(package, name)
            if hasattr(module, name):
                assert value is getattr(module, name), name
    assert annotator.store.AnnotationStore.__module__ == "annotator.store.journal"
    for package in (annotator.core, annotator.store):
        try:
            package.NoSuchName  # type: ignore[attr-defined]  # noqa: B018
        except AttributeError as exc:
            assert "NoSuchName" in str(exc)
        else:
            raise AssertionError("unknown names must raise AttributeError")
    script = (
        "import sys\n"
        "from annotator.core import STATUSES, AnnotatorError\n"
        "from annotator.store import CONFIG_FILE, check_annotator_name\n"
        "print('pydantic' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "False"


# What the layers above the store may import of it: the storage interface, the one way
# to open a project (store.open) and the names (file names, the annotator-name check,
# also re-exported by the annotator.store package). Never a store's own classes (the
# folder's Project, DocumentBatch, journals, sealed lines): a second store (the team
# server's) must plug in without touching them.
# Modules that work on any store through the interface: opening one, names, the offline
# buffer around any layer, and copying between any two stores.
STORE_FRONT_DOORS = {
    "annotator.store.interface",
    "annotator.store.open",
    "annotator.store.names",
    "annotator.store.offline",
    "annotator.store.transfer",
}
ABOVE_THE_STORE = ["services", "ui", "editing", "review", "assist"]


def _store_names() -> set[str]:
    from annotator.store import names

    return {name for name in vars(names) if not name.startswith("_")}


def reaches_past_the_interface(module: str, names: set[str]) -> bool:
    """Whether an imported name is a store's own module or class, not the interface's."""
    if not module.startswith("annotator.store.") or module in STORE_FRONT_DOORS:
        return False
    rest = module.removeprefix("annotator.store.")
    first = rest.split(".")[0]
    if f"annotator.store.{first}" in STORE_FRONT_DOORS:
        return False
    # ``from annotator.store import GOLD_ANNOTATOR``: a name of store.names, re-exported.
    return not (first == rest and first in names)


def test_above_the_store_only_the_storage_interface_is_imported() -> None:
    names = _store_names()
    paths = [REPO / "annotator" / "cli.py"]
    for package in ABOVE_THE_STORE:
        paths.extend(sorted((REPO / "annotator" / package).rglob("*.py")))
    offenders = [
        f"{path.relative_to(REPO)}:{line}: imports {module}"
        for path in paths
        for line, module in _imported_modules(path)
        if reaches_past_the_interface(module, names)
    ]
    assert len(paths) > 60, "the check found too few files; did the layout change?"
    assert offenders == []


def test_the_interface_check_sees_a_store_class_however_it_is_imported(tmp_path: Path) -> None:
    names = _store_names()
    source = tmp_path / "above.py"
    source.write_text(
        "from annotator.store import Project, GOLD_ANNOTATOR\n"
        "from annotator.store.interface import ProjectStore\n"
        "from annotator.store.open import open_project\n"
        "def f():\n"
        "    from annotator.store.batch import DocumentBatch\n"
        "    import annotator.store.journal_reader\n"
        "    from annotator.store.sealed import SealedLine\n"
    )
    found = [m for _, m in _imported_modules(source) if reaches_past_the_interface(m, names)]
    assert found == [
        "annotator.store.Project",
        "annotator.store.batch",
        "annotator.store.batch.DocumentBatch",
        "annotator.store.journal_reader",
        "annotator.store.sealed",
        "annotator.store.sealed.SealedLine",
    ]
