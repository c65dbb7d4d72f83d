"""docs/screenshots/quotes.png: three quotes in the Moscow Times article (one split around
its cue, one with the pronoun source "he" resolved to Putin), the split one selected.

Under an X server with a window manager at 1366x768 (the whole screen is captured):
    Xvfb :99 -screen 0 1366x768x24 &  DISPLAY=:99 openbox &
    DISPLAY=:99 PYTHONPATH=. .venv/bin/python docs/screenshots/take_quotes_screenshot.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from annotator.cli import main as cli  # noqa: E402
from annotator.core.models import DocumentAnnotation, Relation, Span, text_hash  # noqa: E402
from annotator.store import Project  # noqa: E402
from annotator.ui.main_window import MainWindow  # noqa: E402
from annotator.ui.settings import Settings  # noqa: E402
from annotator.ui.theme import apply_theme  # noqa: E402

ARTICLES = REPO.parent / "shared" / "articles"
DOC = "moscow-times-putin-xi-parade"
# id, label, text, the text it comes after (to tell repeated words apart)
SPANS = [
    ("P1", "SOURCE", "President Vladimir Putin", ""),
    ("U1", "CUE", "told", "President Vladimir Putin "),
    (
        "Q1",
        "QUOTE",
        'relations between their two countries had reached an "unprecedented level,"',
        "",
    ),
    ("P2", "SOURCE", "Putin", "Meeting with the Chinese president, "),
    ("Q2", "QUOTE", '"We were always together then, and we remain together now,"', ""),
    ("H", "SOURCE", "he", 'we remain together now," '),
    ("U2", "CUE", "said", 'we remain together now," he '),
    (
        "Q3",
        "QUOTE",
        'close communication between the two leaders reflected the "strategic nature" of the partnership',
        "",
    ),
    (
        "Q4",
        "QUOTE",
        '"China-Russia relations have withstood the test of international changes,"',
        "",
    ),
    ("X", "SOURCE", "Xi", 'international changes," '),
    ("U3", "CUE", "said", 'international changes," Xi '),
]
RELATIONS = [
    ("CUE", "Q1", "U1"),
    ("ATTRIBUTED_TO", "Q1", "P1"),
    ("CUE", "Q2", "U2"),
    ("ATTRIBUTED_TO", "Q2", "H"),
    ("CONTINUES", "Q3", "Q2"),
    ("COREF", "H", "P2"),
    ("CUE", "Q4", "U3"),
    ("ATTRIBUTED_TO", "Q4", "X"),
]


def build(root: Path) -> Path:
    folder = root / "proj"
    assert cli(["init", str(folder), str(ARTICLES)]) == 0
    with Project.open(folder) as project:
        text = project.get_text(DOC)
        spans = []
        for span_id, label, piece, after in SPANS:
            assert after + piece in text, (span_id, after + piece)
            start = text.index(after + piece) + len(after)
            spans.append(Span.of(text, start, start + len(piece), label, span_id))
        relations = [
            Relation(id=f"R{n}", label=label, head=head, tail=tail)
            for n, (label, head, tail) in enumerate(RELATIONS, 1)
        ]
        labels = DocumentAnnotation(
            doc_id=DOC, text_hash=text_hash(text), spans=spans, relations=relations
        )
        labels.status = "in_progress"
        project.annotations("alice").save(labels, text)
    return folder


def main() -> int:
    app = QApplication(sys.argv[:1])
    apply_theme(app, dark=False)
    folder = build(Path(tempfile.mkdtemp()))
    settings = Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(folder, "alice", settings)
    window.showMaximized()
    window.show_document(DOC)
    window.select_span("Q2")
    view = window.view
    for _ in range(20):
        app.processEvents()
        time.sleep(0.05)
    # The paragraph of the first quote at the top: all three quotes show.
    block = view.document().findBlock(view.offsets.to_qt(view.text.index("President Vladimir")))
    view.verticalScrollBar().setValue(block.firstLineNumber())
    window.select_span("Q2")
    for _ in range(20):
        app.processEvents()
        time.sleep(0.05)
    out = REPO / "docs" / "screenshots" / "quotes.png"
    subprocess.run(["import", "-window", "root", str(out)], check=True)
    print(out)
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
