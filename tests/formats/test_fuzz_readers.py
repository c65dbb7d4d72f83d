"""Malformed variants of every import format through the command line (issue 22):
each import ends with exit 0 (the variant happened to be valid) or exit 1 with one line
naming the source, never "internal error" or a traceback, and a refused import leaves
the project byte-identical (every file's name and bytes, lock files included)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.formats import jsonio
from annotator.services import import_sources
from tests.formats.fuzz_sources import Variant, all_variants

VARIANTS = all_variants()
FORMATS = sorted({variant.fmt for variant in VARIANTS})
ROOT = Path(__file__).resolve().parents[2]


def project_hash(folder: Path) -> dict[str, str]:
    """Every file and folder below ``folder``: its name, and its bytes' hash. A lock
    file counts by its name only: what it holds says which process last held it."""
    return {
        path.relative_to(folder).as_posix(): (
            "dir"
            if path.is_dir()
            else "lock"
            if path.name.endswith(".lock")
            else hashlib.sha256(path.read_bytes()).hexdigest()
        )
        for path in sorted(folder.rglob("*"))
    }


def _empty_layer_left(before: dict[str, str], after: dict[str, str]) -> bool:
    """Issue 22 item 8 (another change fixes it): a refused import leaves an empty
    annotations/NAME.jsonl and its lock behind, and nothing else differs."""
    empty = hashlib.sha256(b"").hexdigest()
    added = {name: digest for name, digest in after.items() if name not in before}
    return (
        bool(added)
        and all(after.get(name) == digest for name, digest in before.items())
        and all(
            name.startswith("annotations/")
            and (digest == "lock" or (name.endswith(".jsonl") and digest == empty))
            for name, digest in added.items()
        )
    )


def _write(variant: Variant, folder: Path) -> Path:
    for name, content in variant.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return folder / variant.source


def _check(
    variant: Variant, code: object, err: str, before: dict[str, str], after: dict[str, str]
) -> str:
    """'' when the import held (see the module's docstring), else what went wrong."""
    if "internal error" in err or "Traceback" in err:
        return f"internal error: {err.strip()}"
    if code == 0:
        return ""
    if code != 1:
        return f"exit {code!r}: {err.strip()}"
    lines = err.strip().splitlines()
    if len(lines) != 1 or not lines[0].startswith("annotator: error: "):
        return f"not one error line: {lines}"
    if before != after:
        return "item 8" if _empty_layer_left(before, after) else "project changed"
    return ""


def _run_in_process(variant: Variant, work: Path, template: Path) -> tuple[str, str]:
    """Import ``variant`` into ``work/project`` (a copy of ``template``, made again only
    after an import that changed it); what went wrong ('' if nothing), and stderr."""
    shutil.rmtree(work / "src", ignore_errors=True)
    source = _write(variant, work / "src")
    project = work / "project"
    if not project.exists():
        shutil.copytree(template, project)
    before = project_hash(project)
    err = io.StringIO()
    saved = jsonio.ARRAY_CHUNK_BYTES
    if variant.streamed:
        # Tiny chunks: every element is decoded across chunk boundaries.
        jsonio.ARRAY_CHUNK_BYTES = 64
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code: object = main(["import", str(project), str(source), "--format", variant.fmt])
    except BaseException as exc:  # anything escaping main() is a failure
        code = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        jsonio.ARRAY_CHUNK_BYTES = saved
    after = project_hash(project)
    if after != before:
        shutil.rmtree(project)  # the next variant starts from the template again
    problem = _check(variant, code, err.getvalue(), before, after)
    if problem in ("", "item 8") and code == 1 and str(work / "src") not in err.getvalue():
        problem = f"error does not name the source: {err.getvalue().strip()}"
    return problem, err.getvalue().strip()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from annotator.store import Project

    folder = tmp_path_factory.mktemp("template")
    path = folder / "project"
    Project.create(path).close()
    # One document imported before, as in a project in use: the project's lock file
    # (annotations/.project.lock, taken by every import) is there already.
    earlier = folder / "earlier.txt"
    earlier.write_text("An earlier article.\n")
    with Project.open(path) as project:
        import_sources(project, [earlier], "text")
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_malformed_variants_are_refused_cleanly(
    fmt: str, tmp_path: Path, template: Path, request: pytest.FixtureRequest
) -> None:
    variants = [variant for variant in VARIANTS if variant.fmt == fmt]
    tried: Counter[str] = Counter()
    held: Counter[str] = Counter()
    failures: list[str] = []
    left_layers: list[str] = []
    for number, variant in enumerate(variants):
        category = variant.category + (" (streamed)" if variant.streamed else "")
        tried[category] += 1
        problem, err = _run_in_process(variant, tmp_path, template)
        if problem == "item 8":
            left_layers.append(f"{category}: {err}")
            held[category] += 1  # the reader held; the store's leftover is item 8
        elif problem:
            failures.append(f"{category} #{number}: {problem} | files: {variant.files!r:.400}")
        else:
            held[category] += 1
    report = [f"{fmt} {c}: {tried[c]} tried, {held[c]} held" for c in sorted(tried)]
    print("\n".join(report))
    assert not failures, "\n".join(failures[:20])
    # Issue 22 item 8: a refused import leaves no empty layer file or lock behind.
    assert not left_layers, "\n".join(left_layers[:20])


# A variant of each format that must be refused, by category.
SUBPROCESS_PICKS = {
    "native": "NaN and Infinity",
    "prodigy": "lone surrogates",
    "doccano": "deep nesting",
    "label-studio": "huge numbers",
    "brat": "event loops",
    "text": "bad UTF-8 and binary",
}


@pytest.mark.parametrize("fmt", sorted(SUBPROCESS_PICKS))
def test_a_malformed_variant_through_the_real_command(
    fmt: str, tmp_path: Path, template: Path
) -> None:
    """One refused variant a format through ``python -m annotator.cli`` itself: the
    exit status and stderr a shell sees, with no in-process state to help."""
    variant = next(
        v
        for v in VARIANTS
        if v.fmt == fmt and v.category == SUBPROCESS_PICKS[fmt] and not v.streamed
    )
    source = _write(variant, tmp_path / "src")
    project = tmp_path / "project"
    shutil.copytree(template, project)
    before = project_hash(project)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ANNOTATOR_DEBUG", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "annotator.cli",
            "import",
            str(project),
            str(source),
            "--format",
            fmt,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and lines[0].startswith("annotator: error: "), lines
    assert "internal error" not in lines[0]
    assert str(tmp_path / "src") in lines[0]
    assert project_hash(project) == before
