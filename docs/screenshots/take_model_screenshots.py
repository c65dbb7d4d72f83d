"""Screenshots of the Model menu on a project built from the Prodigy headlines fixture.

Under an X server with a window manager (the whole screen is captured with ImageMagick):
    Xvfb :99 -screen 0 1366x768x24 &  DISPLAY=:99 openbox &
    DISPLAY=:99 PYTHONPATH=. .venv/bin/python docs/screenshots/take_model_screenshots.py

The analyst "you" labelled 120 headlines and trained once from the command line, then
180 more; the window trains again (the chart's second point) and suggests labels for the
73 headlines nobody has finished.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from annotator.cli import main as cli  # noqa: E402
from annotator.ui.main_window import MainWindow  # noqa: E402
from annotator.ui.settings import Settings  # noqa: E402
from annotator.ui.theme import apply_theme  # noqa: E402

OUT = REPO / "docs" / "screenshots"
FIXTURE = (
    REPO.parent / "shared/fixtures/prodigy/annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl"
)


def build(root: Path) -> Path:
    lines = FIXTURE.read_bytes().splitlines()
    first, more = root / "first.jsonl", root / "more.jsonl"
    first.write_bytes(b"\n".join(lines[:120]) + b"\n")
    more.write_bytes(b"\n".join(lines[120:300]) + b"\n")
    unlabelled = root / "unlabelled.jsonl"
    records = [orjson.loads(line) for line in lines[300:]]
    unlabelled.write_bytes(
        b"".join(
            orjson.dumps({"text": r["text"], "meta": r.get("meta", {})}) + b"\n" for r in records
        )
    )
    project = root / "news"
    assert cli(["init", str(project)]) == 0
    assert cli(["import", str(project), str(first), "--annotator", "you"]) == 0
    out = project / "models" / "you-first"
    assert cli(["train", str(project), "--annotator", "you", "-o", str(out), "--epochs", "15"]) == 0
    assert cli(["import", str(project), str(more), "--annotator", "you"]) == 0
    assert cli(["import", str(project), str(unlabelled)]) == 0
    return project


def main() -> None:
    app = QApplication(sys.argv[:1])
    apply_theme(app, dark=False)

    def wait(done: Callable[[], bool], seconds: float = 900) -> None:
        end = time.monotonic() + seconds
        while not done() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    def shot(name: str) -> None:
        wait(lambda: False, 1.0)
        subprocess.run(["import", "-window", "root", str(OUT / name)], check=True)

    with tempfile.TemporaryDirectory() as tmp:
        project = build(Path(tmp))
        settings = Settings(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        window = MainWindow(project, "you", settings)
        window.resize(1366, 740)
        window.move(0, 0)
        window.show()
        wait(lambda: False, 1.0)
        models = window.models
        models.epochs = 20
        assert window.project is not None
        models.train("you", models.default_model_dir(window.project, "you"))
        wait(lambda: models.report_dialog is not None)
        dialog = models.report_dialog
        assert dialog is not None
        dialog.move(290, 60)
        wait(lambda: models.task is None)
        shot("training-chart.png")
        dialog.close()
        book = window.assist._book()
        assert book is not None
        busiest = max(window.project.document_ids(), key=lambda doc: len(book.pending(doc)))
        window.show_document(busiest)
        wait(lambda: False, 1.0)
        window.assist.step(1)
        shot("model-suggestions.png")
        window.close()


if __name__ == "__main__":
    main()
