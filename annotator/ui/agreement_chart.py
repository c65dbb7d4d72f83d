"""The agreement panel: headline figures, a table per pair, and a bar chart per label.

The chart is painted with QPainter (no chart package): for each label either
annotator used, a bar for exact-match F1, a lighter bar for overlap F1, and a tick
for token kappa, all on a 0-1 scale, averaged over the pairs of annotators.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.review.agreement import AgreementReport
from annotator.ui.colors import LabelColors
from annotator.ui.screen_fit import fit_to_screen


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    exact: float | None
    overlap: float | None
    kappa: float | None


def bars_of(report: AgreementReport) -> list[Bar]:
    used = [
        label for label in report.labels if any(label in pair.spans_exact for pair in report.pairs)
    ]
    return [
        Bar(
            label,
            report.label_f1(label),
            report.label_f1(label, exact=False),
            report.label_kappa(label),
        )
        for label in used
    ]


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value + 0.0:.2f}"


class AgreementChart(QWidget):
    """Grouped bars per label: exact F1, overlap F1, and a kappa tick."""

    def __init__(self, colors: LabelColors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agreementChart")
        self.colors = colors
        self.bars: list[Bar] = []
        # Short by default: the review window's agreement dock starts at a quarter of its height.
        self.setMinimumSize(420, 140)

    def sizeHint(self) -> QSize:
        return QSize(640, 170)

    def set_report(self, report: AgreementReport) -> None:
        self.bars = bars_of(report)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_color = palette.windowText().color()
        grid_color = QColor(text_color)
        grid_color.setAlpha(45)
        painter.fillRect(self.rect(), palette.base())
        metrics = painter.fontMetrics()
        left, right = metrics.horizontalAdvance("1.00") + 14, 12
        # Title on the first row, legend on the second, so neither hides the other.
        top, bottom = metrics.height() * 2 + 16, metrics.height() * 2 + 10
        plot = QRectF(left, top, self.width() - left - right, self.height() - top - bottom)
        if plot.width() < 40 or plot.height() < 40:
            painter.end()
            return
        title = QFont(painter.font())
        title.setBold(True)
        painter.setFont(title)
        painter.setPen(text_color)
        painter.drawText(
            QRectF(left, 2, plot.width(), metrics.height() + 6),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            "Agreement by label (mean over pairs)",
        )
        painter.setFont(self.font())
        self._legend(painter, plot, text_color)
        for step in range(6):
            value = step / 5
            y = plot.bottom() - value * plot.height()
            painter.setPen(QPen(grid_color, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text_color)
            painter.drawText(
                QRectF(0, y - metrics.height() / 2, left - 6, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{value:.1f}",
            )
        if not self.bars:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No labels to compare yet")
            painter.end()
            return
        group = plot.width() / len(self.bars)
        bar_width = max(min(group * 0.34, 28.0), 3.0)
        for index, bar in enumerate(self.bars):
            center = plot.left() + group * (index + 0.5)
            base = QColor(self.colors.edge(bar.label))
            light = QColor(self.colors.color(bar.label))
            self._bar(painter, plot, center - bar_width, bar_width, bar.exact, base)
            self._bar(painter, plot, center, bar_width, bar.overlap, light)
            if bar.kappa is not None:
                y = plot.bottom() - max(min(bar.kappa, 1.0), 0.0) * plot.height()
                painter.setPen(QPen(text_color, 2.5))
                painter.drawLine(
                    QPointF(center - bar_width - 3, y), QPointF(center + bar_width + 3, y)
                )
            painter.setPen(text_color)
            name = metrics.elidedText(bar.label, Qt.TextElideMode.ElideRight, int(group) - 2)
            painter.drawText(
                QRectF(center - group / 2, plot.bottom() + 4, group, metrics.height()),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                name,
            )
            value_text = _fmt(bar.exact)
            painter.drawText(
                QRectF(
                    center - group / 2,
                    plot.bottom() + 4 + metrics.height(),
                    group,
                    metrics.height(),
                ),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                value_text,
            )
        painter.end()

    def _bar(
        self,
        painter: QPainter,
        plot: QRectF,
        x: float,
        width: float,
        value: float | None,
        color: QColor,
    ) -> None:
        if value is None:
            return
        height = max(min(value, 1.0), 0.0) * plot.height()
        painter.setPen(QPen(color.darker(130), 1))
        painter.setBrush(color)
        painter.drawRect(QRectF(x, plot.bottom() - height, width, max(height, 1.0)))

    def _legend(self, painter: QPainter, plot: QRectF, text_color: QColor) -> None:
        metrics = painter.fontMetrics()
        row = metrics.height() + 8
        entries = [
            ("exact F1 (darker bar)", QColor("#555555")),
            ("overlap F1 (lighter)", QColor("#bbbbbb")),
            ("token kappa", None),
        ]
        x = plot.right()
        for name, color in reversed(entries):
            width = metrics.horizontalAdvance(name)
            x -= width
            painter.setPen(text_color)
            painter.drawText(QPointF(x, row + metrics.ascent()), name)
            x -= 16
            if color is None:
                painter.setPen(QPen(text_color, 2.5))
                y = row + metrics.height() / 2
                painter.drawLine(QPointF(x, y), QPointF(x + 12, y))
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(color)
                painter.drawRect(QRectF(x, row + metrics.height() / 2 - 5, 12, 10))
            x -= 14


PAIR_COLUMNS = [
    ("pair", "reference annotator / other annotator"),
    ("docs", "documents both labelled"),
    ("P", "span precision, exact match (the other against the reference)"),
    ("R", "span recall, exact match"),
    ("F1", "span F1, exact match (start, end and label)"),
    ("F1~", "span F1, overlap match (same label, ranges overlap)"),
    ("kappa", "Cohen's kappa over tokens, all labels pooled"),
    ("rel F1", "relation F1 (label and both ends match exactly)"),
]


AGREEMENT_DOCK_HEIGHT = 190  # the least the dock starts at: headline, one pair, a short chart


def fit_review_window(window: QMainWindow) -> None:
    """The review window sized to the screen, the text first: the agreement dock starts
    at a quarter of the window (its size hint took 40% at 1366x768), its chart scaled
    down to fit; dragging the splitter or floating the dock gives it more."""
    fit_to_screen(window, 1500, 940)
    dock = window.findChild(QDockWidget, "agreementDock")
    if dock is not None:
        height = max(AGREEMENT_DOCK_HEIGHT, window.height() // 4)
        window.resizeDocks([dock], [height], Qt.Orientation.Vertical)


class AgreementPanel(QWidget):
    """Headline, per-pair table and per-label chart of an agreement report."""

    def __init__(self, colors: LabelColors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agreementPanel")
        self.headline = QLabel()
        self.headline.setObjectName("agreementHeadline")
        self.headline.setWordWrap(True)
        self.table = QTableWidget(0, len(PAIR_COLUMNS))
        self.table.setObjectName("agreementTable")
        for column, (name, tip) in enumerate(PAIR_COLUMNS):
            header = QTableWidgetItem(name)
            header.setToolTip(tip)
            self.table.setHorizontalHeaderItem(column, header)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.chart = AgreementChart(colors)
        side = QVBoxLayout()
        side.addWidget(self.headline)
        side.addWidget(self.table, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(side, 2)
        layout.addWidget(self.chart, 3)

    def set_report(self, report: AgreementReport) -> None:
        summary = report.summary()
        if len(report.annotators) < 2:
            so_far = ", ".join(report.annotators) or "none yet"
            self.headline.setText(f"Agreement needs two analysts' labels (so far: {so_far}).")
        else:
            self.headline.setText(
                f"<b>{', '.join(report.annotators)}</b> on {report.documents} documents "
                f"labelled by at least two: span F1 <b>{_fmt(summary['span_f1_exact'])}</b> "
                f"exact, {_fmt(summary['span_f1_overlap'])} overlap; token kappa "
                f"<b>{_fmt(summary['token_kappa'])}</b>; relation F1 "
                f"{_fmt(summary['relation_f1_exact'])}."
            )
        self.table.setRowCount(len(report.pairs))
        for row, pair in enumerate(report.pairs):
            exact = pair.exact
            values = [
                f"{pair.reference} / {pair.other}",
                str(pair.documents),
                _fmt(exact.precision),
                _fmt(exact.recall),
                _fmt(exact.f1),
                _fmt(pair.overlap.f1),
                _fmt(pair.token_kappa.kappa),
                _fmt(pair.relations_exact.f1),
            ]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        self.chart.set_report(report)
