"""User settings kept in QSettings: window layout, projects, font size, theme, annotator."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 8
DEFAULT_FONT_SIZE = 12.0


class Settings:
    def __init__(self, settings: QSettings | None = None) -> None:
        self.qt = settings or QSettings("annotator", "annotator")

    def _get(self, key: str, default: object) -> object:
        value = self.qt.value(key, default)
        return default if value is None else value

    # --- annotator and projects --------------------------------------------------------

    @property
    def annotator(self) -> str:
        return str(self._get("annotator", ""))

    @annotator.setter
    def annotator(self, name: str) -> None:
        self.qt.setValue("annotator", name)

    @property
    def display_name(self) -> str:
        """The analyst's name as they typed it ("Jane Doe"); ``annotator`` is its file name."""
        return str(self._get("displayName", "")) or self.annotator

    @display_name.setter
    def display_name(self, name: str) -> None:
        self.qt.setValue("displayName", name)

    @property
    def last_project(self) -> str:
        return str(self._get("lastProject", ""))

    def recent_projects(self) -> list[str]:
        value = self._get("recentProjects", [])
        if isinstance(value, str):
            value = [value]
        return [str(item) for item in value if item] if isinstance(value, list) else []

    def remember_project(self, path: Path) -> None:
        text = str(path.resolve())
        recent = [text, *(item for item in self.recent_projects() if item != text)]
        self.qt.setValue("recentProjects", recent[:MAX_RECENT])
        self.qt.setValue("lastProject", text)

    def forget_project(self, path: str) -> None:
        self.qt.setValue(
            "recentProjects", [item for item in self.recent_projects() if item != path]
        )

    def last_document(self, project: Path) -> str:
        return str(self._get(f"lastDocument/{_key(project)}", ""))

    def set_last_document(self, project: Path, doc_id: str) -> None:
        self.qt.setValue(f"lastDocument/{_key(project)}", doc_id)

    # --- look --------------------------------------------------------------------------

    @property
    def font_size(self) -> float:
        try:
            return float(str(self._get("fontSize", DEFAULT_FONT_SIZE)))
        except ValueError:
            return DEFAULT_FONT_SIZE

    @font_size.setter
    def font_size(self, points: float) -> None:
        self.qt.setValue("fontSize", points)

    @property
    def dark(self) -> bool:
        return _bool(self._get("darkMode", False))

    @dark.setter
    def dark(self, value: bool) -> None:
        self.qt.setValue("darkMode", value)

    @property
    def snapping(self) -> bool:
        return _bool(self._get("snapping", True))

    @snapping.setter
    def snapping(self, value: bool) -> None:
        self.qt.setValue("snapping", value)

    @property
    def least_sure_first(self) -> bool:
        """Next unlabelled takes the documents whose model suggestions are least sure first."""
        return _bool(self._get("leastSureFirst", False))

    @least_sure_first.setter
    def least_sure_first(self, value: bool) -> None:
        self.qt.setValue("leastSureFirst", value)

    def geometry(self) -> QByteArray | None:
        value = self.qt.value("geometry")
        return value if isinstance(value, QByteArray) else None

    def window_state(self) -> QByteArray | None:
        value = self.qt.value("windowState")
        return value if isinstance(value, QByteArray) else None

    def save_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qt.setValue("geometry", geometry)
        self.qt.setValue("windowState", state)

    def sync(self) -> None:
        self.qt.sync()


def _bool(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _key(project: Path) -> str:
    import hashlib  # only once a project opens: OpenSSL's start-up is not free

    return hashlib.sha1(str(project.resolve()).encode()).hexdigest()[:12]
