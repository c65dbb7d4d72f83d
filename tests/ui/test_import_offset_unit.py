"""The import dialog's offset unit: an import the spans cannot settle names the choice,
and choosing the unit settles it."""

from __future__ import annotations

from pathlib import Path

import orjson
from pytestqt.qtbot import QtBot

from annotator.store import Project
from annotator.ui.import_dialog import ImportDialog


def test_the_offset_choice_settles_an_ambiguous_doccano_file(qtbot: QtBot, tmp_path: Path) -> None:
    source = tmp_path / "ambiguous.jsonl"
    source.write_bytes(orjson.dumps({"id": 1, "text": "👍 a-b-c", "label": [[4, 6, "P"]]}) + b"\n")
    project = Project.create(tmp_path / "p")
    dialog = ImportDialog(project, None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.add_sources([source])
    assert dialog.offset_box.currentData() is None  # decided from the spans by default
    assert not dialog.run()
    log = dialog.log.toPlainText()
    assert f"{source}:1: offsets could count code points or UTF-16 units" in log
    assert "Offsets in the import dialog" in log and len(project) == 0
    dialog.offset_box.setCurrentIndex(dialog.offset_box.findData("utf16"))
    assert dialog.run()
    annotation = project.annotations("imported").get("1")
    assert annotation is not None and [s.text for s in annotation.spans] == ["-b"]
    project.close()
