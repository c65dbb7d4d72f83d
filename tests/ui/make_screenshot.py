"""Make docs/screenshots/labelling.png: the real window on the sample articles, with labels.

Run under Xvfb (not collected by pytest):
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tests/ui/make_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from annotator.core.models import Document
from annotator.store import Project
from annotator.ui.main_window import MainWindow
from annotator.ui.settings import Settings
from annotator.ui.theme import apply_theme

REPO = Path(__file__).resolve().parents[2]
ARTICLES = REPO.parent / "shared" / "articles"
DOC = "moscow-times-putin-xi-parade"
TITLES = {
    "express-gazette-putin-xi-unprecedented-ties": "Putin and Xi Hail ‘Unprecedentedly High’ Ties",
    "internewscast-putin-xi-dear-friend": "Putin praises his “dear friend” Xi",
    "moscow-times-putin-xi-parade": "Putin and Xi Tout Deepening Ties Ahead of Parade",
    "xi-convenes-putin-kim-beijing": "Xi convenes Putin and Kim in Beijing",
    "xi-putin-strategic-ties-summit": "Xi and Putin Strengthen Strategic Ties",
}

# (label, text, occurrence): labels on the Moscow Times article, with an overlap
# (the QUOTE contains entity spans) and attributions from quotes to their speakers.
LABELS = [
    ("PERSON", "Vladimir Putin", 0),
    ("PERSON", "Xi Jinping", 0),
    ("SOURCE", "President Vladimir Putin", 0),
    ("PERSON", "Vladimir Putin", 1),
    ("PERSON", "Xi Jinping", 1),
    ("DATE", "Tuesday", 0),
    ("QUOTE", 'relations between their two countries had reached an "unprecedented level,"', 0),
    ("GPE", "Beijing", 1),
    ("EVENT", "military parade", 0),
    ("PERSON", "Putin", 4),
    ("GPE", "Moscow", 0),
    ("GPE", "Beijing", 2),
    ("QUOTE", '"We were always together then, and we remain together now,"', 0),
    ("QUOTE", '"China-Russia relations have withstood the test of international changes,"', 0),
    ("GPE", "China", 0),
    ("GPE", "Russia", 0),
    ("PERSON", "Xi", 4),
]


def nth(text: str, needle: str, occurrence: int) -> int:
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    return index


def main() -> int:
    app = QApplication(sys.argv[:1])
    apply_theme(app, dark="--dark" in sys.argv)
    folder = Path(tempfile.mkdtemp()) / "sample"
    project = Project.create(folder, name="putin-xi-sample")
    documents = []
    for path in sorted(ARTICLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        title = TITLES.get(path.stem, path.stem)
        documents.append(Document(id=path.stem, text=text, meta={"title": title}))
    project.add_documents(documents)
    project.close()

    settings = Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    settings.font_size = 12
    window = MainWindow(folder, "alice", settings)
    window.resize(1560, 940)
    window.show()
    window.show_document(DOC)
    text = window.view.text
    ids: list[str] = []
    for label, needle, occurrence in LABELS:
        start = nth(text, needle, occurrence)
        window.view.select_range(start, start + len(needle))
        window.editing.apply_label(label)
        assert window.view.selected_span is not None
        ids.append(window.view.selected_span)
    annotation = window.session.annotation(DOC) if window.session else None
    assert annotation is not None
    by_text = {span.text: span.id for span in annotation.spans}
    pairs = [(ids[6], "President Vladimir Putin"), (ids[12], "Putin"), (ids[13], "Xi")]
    for quote_id, source in pairs:
        window.select_span(quote_id)
        window.editing.start_relation("ATTRIBUTED_TO")
        window.editing.on_span_clicked(by_text[source])
    window.select_span(ids[6])
    window.editing.set_status("in_progress")
    app.processEvents()
    window.view.verticalScrollBar().setValue(0)
    app.processEvents()
    name = "labelling-dark.png" if "--dark" in sys.argv else "labelling.png"
    out = REPO / "docs" / "screenshots" / name
    window.grab().save(str(out))
    print(out, len(annotation.spans), "spans", len(annotation.relations), "relations")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
