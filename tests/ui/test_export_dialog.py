"""The import and export dialogs, driven like a user would, offscreen."""

from __future__ import annotations

from pathlib import Path

import orjson
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from annotator.store import Project
from annotator.ui.export_dialog import ExportDialog
from annotator.ui.import_dialog import ImportDialog
from tests.formats.tricky import expected_key, label_key, labels_of, make_project


def choose(combo: object, data: str) -> None:
    index = combo.findData(data)  # type: ignore[attr-defined]
    assert index >= 0, data
    combo.setCurrentIndex(index)  # type: ignore[attr-defined]


def test_export_writes_the_chosen_format(qtbot: QtBot, tmp_path: Path) -> None:
    project = make_project(tmp_path / "a", tmp_path)
    dialog = ExportDialog(project, "alice")
    qtbot.addWidget(dialog)
    dialog.show()
    choose(dialog.format_box, "label-studio")
    assert dialog.output_edit.text().endswith("a-label-studio.json")  # follows the format
    out = tmp_path / "ls.json"
    dialog.output_edit.setText(str(out))
    assert not dialog.unlabelled_box.isChecked()  # training data: labelled documents only
    dialog.unlabelled_box.setChecked(True)
    seen: list[tuple[int, int]] = []
    dialog.progress.progressed.connect(lambda done, total: seen.append((done, total)))
    with qtbot.waitSignal(dialog.exported):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    tasks = orjson.loads(out.read_bytes())
    assert len(tasks) == 2
    assert seen and seen[-1] == (2, 2)
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum()
    assert "Exported 2 documents, 9 spans, 2 relations" in dialog.message.text()
    assert dialog.export_button.isEnabled() and dialog.close_button.text() == "Close"
    project.close()


def test_export_leaves_out_unlabelled_documents_and_says_what(qtbot: QtBot, tmp_path: Path) -> None:
    project = make_project(tmp_path / "a", tmp_path)
    dialog = ExportDialog(project, "alice")
    qtbot.addWidget(dialog)
    choose(dialog.format_box, "bio")
    out = tmp_path / "bio.jsonl"
    dialog.output_edit.setText(str(out))
    assert dialog.run()
    assert len(out.read_bytes().splitlines()) == 1  # the unlabelled document is not there
    message = dialog.message.text()
    assert "not exported: 1 unlabelled (status todo, no labels) documents" in message
    assert (
        "bio cannot carry, so left out: the status of 1 documents (1 done), 2 relations, "
        "1 span notes" in message
    )
    project.close()


def test_export_filters_and_split(qtbot: QtBot, tmp_path: Path) -> None:
    project = make_project(tmp_path / "a", tmp_path)
    dialog = ExportDialog(project, "alice")
    qtbot.addWidget(dialog)
    choose(dialog.format_box, "bio")
    choose(dialog.status_box, "done")
    dialog.split_edit.setText("train=1.0")
    dialog.output_edit.setText(str(tmp_path / "splits"))
    assert dialog.run()
    rows = (tmp_path / "splits" / "train.jsonl").read_bytes().splitlines()
    assert len(rows) == 1  # only the document marked done
    project.close()


def test_export_error_is_shown_and_nothing_written(qtbot: QtBot, tmp_path: Path) -> None:
    project = make_project(tmp_path / "a", tmp_path)
    dialog = ExportDialog(project, "alice")
    qtbot.addWidget(dialog)
    dialog.labels_edit.setText("NOPE")
    dialog.output_edit.setText(str(tmp_path / "x.jsonl"))
    assert not dialog.run()
    assert "not in the schema: NOPE" in dialog.message.text()
    assert not (tmp_path / "x.jsonl").exists()
    project.close()


def test_export_can_be_cancelled(qtbot: QtBot, tmp_path: Path) -> None:
    project = make_project(tmp_path / "a", tmp_path)
    dialog = ExportDialog(project, "alice")
    qtbot.addWidget(dialog)
    out = tmp_path / "x.jsonl"
    dialog.output_edit.setText(str(out))
    # The user clicks Cancel while the export runs (on the first progress report).
    dialog.progress.progressed.connect(lambda *_: dialog.close_button.click())
    assert not dialog.run()
    assert "stopped" in dialog.message.text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "source.jsonl"]
    project.close()


def test_import_dialog_round_trip(qtbot: QtBot, tmp_path: Path) -> None:
    source = make_project(tmp_path / "a", tmp_path)
    out = tmp_path / "brat"
    dialog = ExportDialog(source, "alice")
    qtbot.addWidget(dialog)
    choose(dialog.format_box, "brat")
    dialog.output_edit.setText(str(out))
    dialog.unlabelled_box.setChecked(True)
    assert dialog.run()
    source.close()

    target = Project.create(tmp_path / "b")
    importer = ImportDialog(target, "carol")
    qtbot.addWidget(importer)
    importer.show()
    importer.add_sources([out, out])  # listed once
    assert importer.sources.count() == 1
    with qtbot.waitSignal(importer.imported):
        qtbot.mouseClick(importer.import_button, Qt.MouseButton.LeftButton)
    assert target.annotators() == ["carol"]
    assert label_key(labels_of(target)) == expected_key()
    log = importer.log.toPlainText()
    assert "detected format brat" in log and "Done: 2 documents added" in log
    target.close()


def test_import_dialog_refuses_a_bad_file_whole(qtbot: QtBot, tmp_path: Path) -> None:
    target = Project.create(tmp_path / "b")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"text": "fine", "label": [[0, 4, "X"]]}\n{"text": "broken", "label": [[0, 99, "X"]]}\n'
    )
    importer = ImportDialog(target, None)
    qtbot.addWidget(importer)
    importer.add_sources([bad])
    choose(importer.format_box, "doccano")
    assert not importer.run()
    log = importer.log.toPlainText()
    assert f"{bad}:2: label[0] [0, 99): offset 99 is outside" in log
    assert "project is unchanged" in log
    assert len(target) == 0 and importer.import_button.isEnabled()
    target.close()


def test_import_can_be_cancelled(qtbot: QtBot, tmp_path: Path) -> None:
    target = Project.create(tmp_path / "b")
    source = tmp_path / "many.jsonl"
    source.write_bytes(b"".join(orjson.dumps({"text": f"document {n}"}) + b"\n" for n in range(50)))
    importer = ImportDialog(target, None)
    qtbot.addWidget(importer)
    importer.add_sources([source])
    importer.progress.progressed.connect(lambda *_: importer.close_button.click())
    assert not importer.run()
    assert "Import stopped; the project is unchanged." in importer.log.toPlainText()
    assert len(target) == 0
    target.close()
