"""The Model menu: training on the worker thread, the report with its learning curve,
and the new model's suggestions in the window (offscreen, a tiny model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("spacy")

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMessageBox

from annotator.assist.train import HISTORY_KIND
from annotator.core.models import Document
from annotator.store import Project
from annotator.ui.model_controller import ModelController
from tests.assist.test_gui import labels, open_window, press, settle  # noqa: F401
from tests.assist.test_train import article, labels_for

UNDONE = 'Putin 👍🏽 arrived in Paris.\n"we will meet again 99," Putin said.'
ENTITIES = ("PERSON", "GPE")


def make_project(root: Path, labelled: int = 10) -> Path:
    """``labelled`` short articles alice has marked done (people and places), and "a",
    an article like them that she has not."""
    path = root / "p"
    with Project.create(path) as project:
        documents = {f"doc{i}": article(i) for i in range(labelled)}
        project.add_documents(
            [Document(id="a", text=UNDONE, meta={"title": "a"})]
            + [Document(id=doc_id, text=text) for doc_id, (text, _) in documents.items()]
        )
        alice = project.annotations("alice")
        for doc_id, (text, wanted) in documents.items():
            entities = [pair for pair in wanted if pair[0] in ENTITIES]
            alice.save(labels_for(doc_id, text, entities))
    return path


def confirm_default(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Confirms the proposed folder as the analyst would, and records it."""
    proposed: list[Path] = []

    def confirm(self: ModelController, annotator: str, out: Path) -> Path:
        proposed.append(out)
        return out

    monkeypatch.setattr(ModelController, "confirm_folder", confirm)
    return proposed


def wait_idle(qtbot: Any, window: Any, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: window.models.task is None, timeout=timeout)
    settle()


def test_train_from_my_labels_reports_charts_and_suggests(
    open_window: Callable[[Path], Any],  # noqa: F811
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    warnings: list[str],
) -> None:
    path = make_project(tmp_path)
    # An earlier run with fewer documents: the chart then has two points.
    earlier = [{"documents": 4, "model": "m0", "labels": {"PERSON": 0.4, "GPE": 0.1}, "f": 0.3}]
    (path / HISTORY_KIND).mkdir()
    (path / HISTORY_KIND / "alice.json").write_bytes(orjson.dumps(earlier))
    window = open_window(path)
    proposed = confirm_default(monkeypatch)
    window.models.epochs = 4
    window.table_actions["trainFromLabels"].trigger()
    models = window.models
    assert models.task is not None and models.progress_dialog is not None
    assert models.progress_dialog.isVisible()
    # The window's thread is free while the worker trains: events are handled.
    settle()
    assert models.task.isRunning() or models.task.isFinished()
    wait_idle(qtbot, window)
    assert warnings == []

    out = proposed[0]
    assert out.parent == path / "models" and out.name.startswith("alice-")
    assert (out / "annotator-model.json").is_file()
    dialog = models.report_dialog
    assert dialog is not None and dialog.isVisible()
    table = dialog.table
    names = [table.item(row, 0).text() for row in range(table.rowCount())]
    assert set(names[:-1]) <= set(ENTITIES) and names[-1] == "overall"
    assert table.item(table.rowCount() - 1, 3).text() == f"{dialog.report.f:.2f}"
    # Two runs on the chart: 4 documents, then the 10 just trained on.
    curves = {curve.label: curve.points for curve in dialog.chart.curves}
    assert [x for x, _ in curves["overall"]] == [4, 10]
    assert curves["PERSON"][0] == (4, 0.4)
    # Each label in its own colour from the schema (a little darker on a light palette).
    person_curve = next(curve for curve in dialog.chart.curves if curve.label == "PERSON")
    person = dialog.chart.color_of(person_curve).rgb()
    assert person == window.colors.color("PERSON").darker(125).rgb()
    image = dialog.chart.grab().toImage()
    colours = {
        image.pixelColor(x, y).rgb()
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
    }
    assert len(colours) > 3  # axes, text and lines, not a blank widget
    assert any(QColor(c).rgb() == person for c in colours)

    # Then the model suggested labels in "a", the one document not done.
    qtbot.waitUntil(lambda: "Model suggestions:" in window.statusBar().currentMessage())
    dialog.close()
    window.activateWindow()
    window.view.setFocus()
    window.show_document("a")
    settle()
    window.assist.sync()
    pending = window.assist.pending()
    assert pending, "the model suggested nothing on a document like its training data"
    assert all(UNDONE[s.start : s.end] == s.text for s in pending)
    assert {s.attrs["source"] for s in pending} == {f"model:{out}"}
    with Project.open(path) as project:
        assert project.suggestions("alice", writable=False).get("doc0") is None
    press(qtbot, window, Qt_key("F8"))
    press(qtbot, window, Qt_key("A"))
    accepted = labels(window, "a")
    assert accepted and accepted[0] in {(s.label, s.text) for s in pending}


def Qt_key(name: str) -> Any:
    from PySide6.QtCore import Qt

    return getattr(Qt.Key, f"Key_{name}")


def test_cancel_leaves_no_model_folder(
    open_window: Callable[[Path], Any],  # noqa: F811
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    warnings: list[str],
) -> None:
    path = make_project(tmp_path)
    window = open_window(path)
    proposed = confirm_default(monkeypatch)
    window.models.epochs = 30
    window.table_actions["trainFromLabels"].trigger()
    dialog = window.models.progress_dialog
    assert dialog is not None
    dialog.cancel_button.click()
    assert "Cancelling" in dialog.text.text()
    wait_idle(qtbot, window)
    assert window.statusBar().currentMessage() == "Training cancelled: no model was saved"
    assert not proposed[0].exists()
    assert not (path / "models").exists() or list((path / "models").iterdir()) == []
    assert window.models.report_dialog is None and warnings == []


def test_errors_are_one_line(
    open_window: Callable[[Path], Any],  # noqa: F811
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    warnings: list[str],
) -> None:
    confirm_default(monkeypatch)
    # No labelled document at all; then exactly one.
    path = make_project(tmp_path / "none", labelled=0)
    window = open_window(path)
    window.models.train_from_labels()
    wait_idle(qtbot, window)
    window.models.train_from_gold()  # no gold layer: said, not greyed out
    one = make_project(tmp_path / "one", labelled=1)
    window = open_window(one)
    window.models.train_from_labels()
    wait_idle(qtbot, window)

    # A model trained on another project's labels.
    other = tmp_path / "other"
    with Project.create(other) as project:
        project.add_documents([Document(id="x", text="Nobody 👍🏽 spoke.")])
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("ner").add_label("TOPIC")
    nlp.initialize()
    nlp.to_disk(tmp_path / "topics")
    window.models.suggest_with_model(tmp_path / "topics")
    wait_idle(qtbot, window)

    assert len(warnings) == 4 and all("\n" not in w for w in warnings), warnings
    assert "has labelled no documents" in warnings[0]
    assert "no gold layer" in warnings[1]
    assert "has labelled one document" in warnings[2] and "at least two" in warnings[2]
    assert "trained on another project" in warnings[3]
    assert not (path / "models").exists()


def test_without_spacy_the_message_says_how_to_install_it(
    open_window: Callable[[Path], Any],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    warnings: list[str],
) -> None:
    import importlib.util

    confirm_default(monkeypatch)
    window = open_window(make_project(tmp_path, labelled=2))
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "spacy" else real(name, *a)
    )
    window.models.train_from_labels()
    window.models.suggest_with_model(tmp_path / "anything")
    assert len(warnings) == 2 and all("pip install 'annotator[spacy]'" in w for w in warnings)
    assert all("\n" not in w for w in warnings)
    assert window.models.task is None


def test_the_window_loads_no_model_code_until_the_menu_is_used(tmp_path: Path) -> None:
    """The Model menu is in the first frame; spaCy, the training code and the controller
    load when one of its actions is first used."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from PySide6.QtCore import QSettings\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from annotator.ui.main_window import MainWindow\n"
        "from annotator.ui.settings import Settings\n"
        f"settings = Settings(QSettings({str(tmp_path / 's.ini')!r}, QSettings.Format.IniFormat))\n"
        "window = MainWindow(None, 'alice', settings)\n"
        "window.show()\n"
        "app.processEvents()\n"
        "menus = [a.text() for a in window.menuBar().actions()]\n"
        "assert '&Model' in menus, menus\n"
        "heavy = ('spacy', 'thinc', 'annotator.assist', 'annotator.ui.model_controller',\n"
        "         'annotator.ui.training_report')\n"
        "print(' '.join(sorted(n for n in sys.modules if n.startswith(heavy))))\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == ""


def test_the_folder_asked_about_is_a_new_one_in_the_project(
    open_window: Callable[[Path], Any],  # noqa: F811
    tmp_path: Path,
    qtbot: Any,
) -> None:
    from PySide6.QtCore import QTimer

    path = make_project(tmp_path, labelled=2)
    window = open_window(path)
    proposed = window.models.default_model_dir(window.project, "alice")
    assert proposed.parent == path / "models" and not proposed.exists()
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and box.objectName() == "confirmModelFolder"
        seen.append(box.informativeText())
        train = next(b for b in box.buttons() if b.text() == "Train")
        train.click()

    QTimer.singleShot(0, answer)
    assert window.models.confirm_folder("alice", proposed) == proposed
    assert str(proposed) in seen[0]


def test_closing_the_window_while_training_stops_it_cleanly(
    open_window: Callable[[Path], Any],  # noqa: F811
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = make_project(tmp_path)
    window = open_window(path)
    proposed = confirm_default(monkeypatch)
    window.models.epochs = 30
    window.models.train_from_labels()
    thread = window.models.task
    assert thread is not None
    window.close()  # waits for the worker: it stops after the epoch it is in
    assert not thread.isRunning()
    settle()
    assert not proposed[0].exists()
