"""The project folder's file names and the checks that need nothing but them.

No pydantic and no models: the window imports these before it shows, and the command
line checks a project folder with them before the GUI starts.
"""

from __future__ import annotations

import re
from pathlib import Path

from annotator.core.errors import AnnotatorError

CONFIG_FILE = "annotator.json"
DOCUMENTS_FILE = "documents.jsonl"
ANNOTATIONS_DIR = "annotations"
SUGGESTIONS_DIR = "suggestions"
# The reviewer's settled labels live in their own layer under this reserved name.
GOLD_ANNOTATOR = "gold"
_ANNOTATOR_NAME = re.compile(r"^\w[\w.-]{0,63}$")
# Beside a layer copied from another analyst's example labels (the sample project's
# newcomers): ``annotations/<name>.examples`` names whose labels they are. Review and
# agreement do not count such a layer as an analyst until its labels differ.
EXAMPLES_SUFFIX = ".examples"


def check_annotator_name(name: str) -> str:
    if not _ANNOTATOR_NAME.match(name) or name.endswith(".lock"):
        raise AnnotatorError(
            f"annotator name {name!r} must be letters, digits, '.', '-' or '_' "
            "(it names a file), at most 64 characters"
        )
    return name


def layer_name_for(display_name: str) -> str:
    """A file-safe annotator name for a person's name: "Jane Doe" -> "Jane_Doe".

    Letters of any script stay ("Zoë", "李雷"); spaces become "_", anything else that
    cannot be in a file name is dropped. "analyst" when nothing usable is left.
    """
    import unicodedata

    text = unicodedata.normalize("NFC", display_name).strip()
    text = re.sub(r"\s+", "_", text)
    text = re.sub(r"[^\w.-]", "", text)
    text = re.sub(r"^[^\w]+", "", text)[:64].rstrip(".")
    if text.endswith(".lock"):
        text = text[: -len(".lock")]
    if not text or text == GOLD_ANNOTATOR:
        text = f"{text}_analyst" if text else "analyst"
    return check_annotator_name(text)


def check_project_folder(root: Path) -> Path:
    """``root/annotator.json``, or the error Project.open gives for a folder without one."""
    config_path = root / CONFIG_FILE
    if not config_path.is_file():
        raise AnnotatorError(f"{root}: not a project folder (no {CONFIG_FILE})")
    return config_path


# A project is a folder, or a database on the team server named by its URL.
DATABASE_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(location: str | Path) -> bool:
    """Whether the location names a database (postgresql://...) rather than a folder."""
    return isinstance(location, str) and location.startswith(DATABASE_SCHEMES)


def project_location(text: str | Path) -> str | Path:
    """What a user typed as PROJECT: a database URL as it is, anything else a folder."""
    return text if is_database_url(text) else Path(text)


def check_location(location: str | Path) -> None:
    """The quick check before a window opens: a folder must hold a project (a database
    is reached, and checked, when the project opens)."""
    if not is_database_url(location):
        check_project_folder(Path(location))
