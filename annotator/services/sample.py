"""The bundled sample project (resources/sample), copied to the user's data folder on first use.

Users label the copy, so the files in the repository never change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import platformdirs

from annotator.store.names import ANNOTATIONS_DIR, EXAMPLES_SUFFIX, check_annotator_name

BUNDLED_SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample"
# The analyst whose example labels a newcomer starts from.
EXAMPLE_ANNOTATOR = "alice"


def user_sample_path() -> Path:
    return Path(platformdirs.user_data_dir("annotator")) / "sample-project"


def ensure_sample_project() -> Path:
    """The user's copy of the sample project, made from the bundled one if it is not there yet."""
    target = user_sample_path()
    if not (target / "annotator.json").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(BUNDLED_SAMPLE, staging, ignore=shutil.ignore_patterns("*.lock"))
        staging.rename(target)
    return target


def is_user_sample(project_path: str | Path) -> bool:
    """Whether a project is the user's copy of the sample (a database never is)."""
    if not isinstance(project_path, Path):
        return False
    return project_path.resolve() == user_sample_path().resolve()


def seed_sample_labels(project_path: Path, annotator: str) -> bool:
    """Give a newcomer on the sample project the example labels to start from.

    Only in the user's sample copy, and only when this annotator has no labels there yet.
    The copy is marked (``annotations/<name>.examples``): review and agreement leave it
    out until the newcomer changes a document. Returns whether labels were copied.
    """
    check_annotator_name(annotator)
    if project_path.resolve() != user_sample_path().resolve():
        return False
    layer = project_path / ANNOTATIONS_DIR / f"{annotator}.jsonl"
    example = project_path / ANNOTATIONS_DIR / f"{EXAMPLE_ANNOTATOR}.jsonl"
    if layer.exists() or not example.exists():
        return False
    # The mark first: a copy without it would count as a third analyst in review.
    (layer.parent / f"{annotator}{EXAMPLES_SUFFIX}").write_text(
        EXAMPLE_ANNOTATOR + "\n", encoding="utf-8"
    )
    shutil.copyfile(example, layer)
    return True
