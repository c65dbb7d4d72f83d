"""After training: the model's figures per label and the analyst's learning curve.

The curve is painted with QPainter (no chart package): F1 per label, each in the label's
own colour, and the overall F1, against the number of labelled documents, one point per
training run remembered in the project (``annotator.assist.train.training_history``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.ui.colors import LabelColors

if TYPE_CHECKING:
    from annotator.assist.train import TrainReport

OVERALL = "overall"


@dataclass(frozen=True, slots=True)
class Curve:
    label: str  # a label's name, or OVERALL
    points: list[tuple[int, float]]  # (labelled documents, F1)


def curves_of(history: list[dict[str, Any]]) -> list[Curve]:
    """One curve per label seen in any run (in order of first appearance), then overall."""
    runs = [
        run
        for run in history
        if isinstance(run.get("documents"), int) and isinstance(run.get("f"), int | float)
    ]
    names: list[str] = []
    for run in runs:
        labels = run.get("labels")
        if isinstance(labels, dict):
            names.extend(name for name in labels if name not in names)
    curves = []
    for name in names:
        points = [
            (run["documents"], float(run["labels"][name]))
            for run in runs
            if isinstance(run.get("labels"), dict) and name in run["labels"]
        ]
        curves.append(Curve(name, sorted(points)))
    curves.append(Curve(OVERALL, sorted((run["documents"], float(run["f"])) for run in runs)))
    return curves


class LearningCurve(QWidget):
    """F1 (0-1) against labelled documents, a line per label and a thick one overall."""

    MARGIN_LEFT = 58
    # Labels may share a colour (an import gives new labels a default one): each curve
    # also has its own marker.
    MARKERS = ("circle", "square", "diamond", "triangle")
    MARGIN_BOTTOM = 40
    MARGIN_TOP = 14
    LEGEND_WIDTH = 150

    def __init__(
        self, curves: list[Curve], colors: LabelColors, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("learningCurve")
        self.curves = curves
        self.colors = colors
        self.setMinimumSize(520, 260)

    def sizeHint(self) -> QSize:
        return QSize(700, 320)

    def color_of(self, curve: Curve) -> QColor:
        if curve.label == OVERALL:
            return self.palette().windowText().color()
        color = self.colors.color(curve.label)
        # Pale label colours are darkened a little to stand out on a light background.
        return color.darker(125) if self.palette().window().color().lightness() > 128 else color

    def marker_of(self, curve: Curve) -> str:
        if curve.label == OVERALL:
            return "circle"
        return self.MARKERS[self.curves.index(curve) % len(self.MARKERS)]

    def _marker(self, painter: QPainter, shape: str, center: QPointF, radius: float) -> None:
        x, y = center.x(), center.y()
        if shape == "square":
            painter.drawRect(QRectF(x - radius, y - radius, 2 * radius, 2 * radius))
        elif shape == "diamond":
            r = radius * 1.3
            painter.drawPolygon(
                QPolygonF(
                    [QPointF(x, y - r), QPointF(x + r, y), QPointF(x, y + r), QPointF(x - r, y)]
                )
            )
        elif shape == "triangle":
            r = radius * 1.3
            painter.drawPolygon(
                QPolygonF(
                    [QPointF(x, y - r), QPointF(x + r, y + r * 0.8), QPointF(x - r, y + r * 0.8)]
                )
            )
        else:
            painter.drawEllipse(center, radius, radius)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        plot = QRectF(
            self.MARGIN_LEFT,
            self.MARGIN_TOP,
            max(self.width() - self.MARGIN_LEFT - self.LEGEND_WIDTH - 12, 40),
            max(self.height() - self.MARGIN_TOP - self.MARGIN_BOTTOM, 40),
        )
        xs = sorted({x for curve in self.curves for x, _ in curve.points})
        low, high = (xs[0], xs[-1]) if xs else (0, 1)
        if low == high:
            low, high = max(low - 1, 0), high + 1

        def at(x: float, y: float) -> QPointF:
            return QPointF(
                plot.left() + (x - low) / (high - low) * plot.width(),
                plot.bottom() - y * plot.height(),
            )

        self._paint_axes(painter, plot, xs, at)
        self._paint_curves(painter, at)
        self._paint_legend(painter, QPointF(plot.right() + 16, plot.top()))
        if len(xs) < 2:
            painter.setPen(self.palette().windowText().color())
            painter.drawText(
                plot.adjusted(8, 8, -8, -8),
                int(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft),
                "One training run so far: train again after labelling more to see the curve",
            )
        painter.end()

    def _paint_axes(
        self,
        painter: QPainter,
        plot: QRectF,
        xs: list[int],
        at: Callable[[float, float], QPointF],
    ) -> None:
        text_color = self.palette().windowText().color()
        grid_color = self.palette().mid().color()
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() - 1, 7))
        painter.setFont(small)
        metrics = painter.fontMetrics()
        # Horizontal grid and the F1 scale.
        for step in range(5):
            y = at(0, step / 4).y()
            painter.setPen(
                QPen(grid_color, 1, Qt.PenStyle.DotLine if step else Qt.PenStyle.SolidLine)
            )
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text_color)
            painter.drawText(
                QRectF(0, y - 8, self.MARGIN_LEFT - 6, 16),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                f"{step / 4:.2f}",
            )
        painter.setPen(QPen(grid_color, 1))
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        # A tick at each run's number of documents.
        painter.setPen(text_color)
        last_right = -1e9
        for x in xs:
            point = at(x, 0)
            label = str(x)
            width = metrics.horizontalAdvance(label)
            if point.x() - width / 2 < last_right + 4:
                continue  # too close to the previous tick's number
            painter.drawLine(point, QPointF(point.x(), point.y() + 4))
            painter.drawText(
                QPointF(point.x() - width / 2, point.y() + 6 + metrics.ascent()), label
            )
            last_right = point.x() + width / 2
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 20, plot.width(), 18),
            int(Qt.AlignmentFlag.AlignHCenter),
            "labelled documents",
        )
        painter.save()
        painter.translate(12, plot.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-40, -9, 80, 18), int(Qt.AlignmentFlag.AlignCenter), "F1")
        painter.restore()

    def _pen(self, curve: Curve) -> QPen:
        """Overall is drawn thicker and dashed."""
        overall = curve.label == OVERALL
        pen = QPen(self.color_of(curve), 3 if overall else 2)
        if overall:
            pen.setStyle(Qt.PenStyle.DashLine)
        return pen

    def _paint_curves(self, painter: QPainter, at: Callable[[float, float], QPointF]) -> None:
        # Overall comes last: on top.
        for curve in self.curves:
            color = self.color_of(curve)
            painter.setPen(self._pen(curve))
            points = [at(x, y) for x, y in curve.points]
            for first, second in itertools.pairwise(points):
                painter.drawLine(first, second)
            painter.setBrush(color)
            painter.setPen(QPen(color, 1))
            radius = 4.5 if curve.label == OVERALL else 3.5
            for point in points:
                self._marker(painter, self.marker_of(curve), point, radius)
            painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_legend(self, painter: QPainter, corner: QPointF) -> None:
        left, top = corner.x(), corner.y()
        painter.setFont(self.font())
        row = painter.fontMetrics().height() + 4
        for index, curve in enumerate(self.curves):
            y = top + index * row + row / 2
            color = self.color_of(curve)
            painter.setPen(self._pen(curve))
            painter.drawLine(QPointF(left, y), QPointF(left + 22, y))
            painter.setPen(QPen(color, 1))
            painter.setBrush(color)
            self._marker(painter, self.marker_of(curve), QPointF(left + 11, y), 3.5)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(self.palette().windowText().color())
            latest = f" {curve.points[-1][1]:.2f}" if curve.points else ""
            painter.drawText(
                QRectF(left + 28, y - row / 2, self.LEGEND_WIDTH - 28, row),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                painter.fontMetrics().elidedText(
                    f"{curve.label}{latest}", Qt.TextElideMode.ElideMiddle, self.LEGEND_WIDTH - 28
                ),
            )


class TrainingReportDialog(QDialog):
    """The report of one training run and the learning curve of every run so far."""

    def __init__(
        self,
        report: TrainReport,
        history: list[dict[str, Any]],
        colors: LabelColors,
        annotator: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("trainingReport")
        whose = "the gold layer" if annotator == "gold" else f"the labels of {annotator}"
        self.setWindowTitle(f"Model trained on {whose}")
        self.report = report
        summary = QLabel(
            f"Trained on {len(report.train_ids)} documents, checked on "
            f"{len(report.dev_ids)} held-out documents ({report.epochs} epochs, "
            f"{report.seconds:.0f} s). Overall F1 {report.f:.2f}.\nSaved to {report.model_dir}"
            + "".join(f"\n{notice}" for notice in report.notices)
        )
        summary.setObjectName("trainingSummary")
        summary.setWordWrap(True)
        summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table = QTableWidget(len(report.labels) + 1, 5)
        self.table.setObjectName("trainingScores")
        self.table.setHorizontalHeaderLabels(["Label", "Precision", "Recall", "F1", "Dev spans"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        rows: list[tuple[str, str, str, str, str]] = [
            (name, f"{s.p:.2f}", f"{s.r:.2f}", f"{s.f:.2f}", str(s.gold))
            for name, s in report.labels.items()
        ]
        rows.append(
            (OVERALL, "", "", f"{report.f:.2f}", str(sum(s.gold for s in report.labels.values())))
        )
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if row == len(rows) - 1:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                elif column == 0:
                    item.setBackground(colors.color(values[0]))
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, 5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.chart = LearningCurve(curves_of(history), colors)
        chart_title = QLabel("<b>Learning curve</b>: F1 on the held-out documents, per run")
        chart_box = QWidget()
        chart_layout = QVBoxLayout(chart_box)
        chart_layout.setContentsMargins(0, 6, 0, 0)
        chart_layout.addWidget(chart_title)
        chart_layout.addWidget(self.chart, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(chart_box)
        splitter.setStretchFactor(1, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.resize(780, 620)
