"""Make docs/screenshots/labelling-dense-*.png: nested, crossing spans and attributions.

Run under a real X server at the screen size wanted (not collected by pytest):
    Xvfb :99 -screen 0 1366x768x24 & DISPLAY=:99 openbox &
    DISPLAY=:99 .venv/bin/python tests/ui/make_dense_screenshots.py OUT.png [--dark]
The window fills the screen and the whole screen is captured with ImageMagick's import.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from annotator.core.models import Document
from annotator.store import Project
from annotator.ui.main_window import MainWindow
from annotator.ui.settings import Settings
from annotator.ui.theme import apply_theme

REPO = Path(__file__).resolve().parents[2]
DOC = "moscow-times-putin-xi-parade"
ARTICLE = REPO.parent / "shared" / "articles" / f"{DOC}.txt"

# (label, text, occurrence). Nested: PERSON inside SOURCE, ORG inside CLAIM, PERSON inside
# QUOTE; crossing: the CLAIM and the EVENT share "military parade" only in part.
LABELS = [
    ("SOURCE", "President Vladimir Putin", 0),
    ("PERSON", "Vladimir Putin", 1),
    ("PERSON", "Xi Jinping", 1),
    ("DATE", "Tuesday", 0),
    ("QUOTE", 'relations between their two countries had reached an "unprecedented level,"', 0),
    ("CLAIM", "the two leaders met in Beijing ahead of a large-scale", 0),
    ("EVENT", "Beijing ahead of a large-scale military parade", 0),
    ("GPE", "Beijing", 1),
    ("CLAIM", "will bring together more than two dozen heads of state", 0),
    ("PERSON", "Kim Jong-un", 0),
    ("SOURCE", "South Korean officials", 0),
    ("GPE", "Moscow", 0),
    ("QUOTE", '"We were always together then, and we remain together now,"', 0),
    ("SOURCE", "he said", 0),  # "he" only: see SHORTER
    ("CLAIM", "Gazprom had signed new agreements with China's national energy company", 0),
    ("ORG", "Gazprom", 0),
    ("SOURCE", "Russian state media", 0),
    ("ORG", "Kremlin", 1),
]
# (head label index, tail label index): QUOTE -> SOURCE (short, same line), CLAIM ->
# SOURCE over several lines, CLAIM -> SOURCE on the next paragraph.
SHORTER = {"he said": 2}
ATTRIBUTIONS = [(12, 13), (4, 0), (8, 10), (14, 16)]


def nth(text: str, needle: str, occurrence: int) -> int:
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    return index


def main() -> int:
    out = Path(sys.argv[1])
    dark = "--dark" in sys.argv
    app = QApplication(sys.argv[:1])
    apply_theme(app, dark=dark)
    folder = Path(tempfile.mkdtemp()) / "dense"
    project = Project.create(folder, name="dense")
    text = ARTICLE.read_text(encoding="utf-8")
    project.add_documents([Document(id=DOC, text=text, meta={"title": "Putin and Xi"})])
    project.close()
    settings = Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    settings.dark = dark
    window = MainWindow(folder, "alice", settings)
    window.showMaximized()
    window.show_document(DOC)
    window.snap_action.setChecked(False)
    text = window.view.text
    ids: list[str] = []
    for label, needle, occurrence in LABELS:
        start = nth(text, needle, occurrence)
        window.view.select_range(start, start + SHORTER.get(needle, len(needle)))
        window.editing.apply_label(label)
        assert window.view.selected_span is not None, needle
        ids.append(window.view.selected_span)
    for head, tail in ATTRIBUTIONS:
        window.select_span(ids[head])
        window.editing.start_relation("ATTRIBUTED_TO")
        window.editing.on_span_clicked(ids[tail])
    window.select_span(None)
    window.view.clear_selection()

    first = window.view.document().findBlock(window.view.offsets.to_qt(text.index("President")))

    def capture() -> None:
        window.view.verticalScrollBar().setValue(first.firstLineNumber())
        app.processEvents()
        subprocess.run(["import", "-window", "root", str(out)], check=True)
        app.quit()

    QTimer.singleShot(1500, capture)
    app.exec()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
