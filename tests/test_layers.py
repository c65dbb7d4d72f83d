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
    "annotator.review",
    "annotator.cli",
]
QT_FREE_PACKAGES = ["core", "store", "formats", "review"]


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
    assert checked >= 10, "the layer check found too few files; did the layout change?"
    assert offenders == []


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
