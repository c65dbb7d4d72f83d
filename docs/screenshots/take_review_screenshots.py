"""Screenshots of review mode on a copy of the bundled sample project (alice and bob).

xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots/take_review_screenshots.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from PySide6.QtWidgets import QApplication  # noqa: E402

from annotator.ui.review_app import open_review  # noqa: E402
from annotator.ui.theme import apply_theme  # noqa: E402

OUT = REPO / "docs" / "screenshots"


def settle(app: QApplication) -> None:
    for _ in range(10):
        app.processEvents()


def main() -> None:
    app = QApplication(sys.argv[:1])
    apply_theme(app, dark=False)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "sample"
        shutil.copytree(
            REPO / "resources" / "sample", project, ignore=shutil.ignore_patterns("*.lock")
        )
        window = open_review(project, "carol")
        window.resize(1560, 960)
        window.show()
        settle(app)
        window.accept_all_agreed()
        # Walk to the Moscow Times article and settle its first disagreement (AFP, alice only).
        window.open_document("moscow-times-putin-xi-parade")
        kinds = [item.kind for item in window.items]
        afp = next(i for i, item in enumerate(window.items) if "AFP" in item.describe())
        window.disagreements.setCurrentRow(afp)
        window.pick()
        window.disagreements.setCurrentRow(kinds.index("different_label"))
        settle(app)
        window.grab().save(str(OUT / "review.png"))
        window.tabs.setCurrentIndex(0)
        window.agreement.resize(1200, 320)
        settle(app)
        window.agreement.grab().save(str(OUT / "agreement.png"))
        window.close()


if __name__ == "__main__":
    main()
