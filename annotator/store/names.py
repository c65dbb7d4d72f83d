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


def check_annotator_name(name: str) -> str:
    if not _ANNOTATOR_NAME.match(name) or name.endswith(".lock"):
        raise AnnotatorError(
            f"annotator name {name!r} must be letters, digits, '.', '-' or '_' "
            "(it names a file), at most 64 characters"
        )
    return name


def check_project_folder(root: Path) -> Path:
    """``root/annotator.json``, or the error Project.open gives for a folder without one."""
    config_path = root / CONFIG_FILE
    if not config_path.is_file():
        raise AnnotatorError(f"{root}: not a project folder (no {CONFIG_FILE})")
    return config_path
