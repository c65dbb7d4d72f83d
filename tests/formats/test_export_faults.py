"""Exports are complete or absent: kills, full disks, leftovers, unsafe names and places."""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.cli import main
from annotator.core.errors import AnnotatorError
from annotator.formats import brat
from annotator.formats.sinks import EXPORT_MARKER
from annotator.services import export_project, import_sources
from annotator.store import Project

REPO = Path(__file__).resolve().parents[2]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return path


def labelled_project(path: Path, count: int, word: str, text_size: int = 200) -> Project:
    """``count`` documents labelled done by alice; ``word`` makes one project's texts differ."""
    records = []
    filler = "x" * text_size
    for number in range(count):
        text = f"{word} 👍🏽 met Bob\r\nin Café {number}. {filler}"
        start = text.index("Bob")
        records.append(
            {
                "id": f"doc-{number}",
                "text": text,
                "spans": [
                    {"id": "T1", "start": 0, "end": len(word), "label": "PERSON"},
                    {"id": "T2", "start": start, "end": start + 3, "label": "PERSON"},
                ],
                "relations": [],
                "status": "done",
            }
        )
    project = Project.create(path)
    import_sources(project, [write_jsonl(path.parent / f"{path.name}.jsonl", records)], "native",
                   annotator="alice")  # fmt: skip
    return project


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, by relative path."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "annotator.cli", *args]


def cli_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "ANNOTATOR_FSYNC": "0"}


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --- 22.4: complete or absent, into existing folders too ----------------------------------


def test_brat_export_replaces_an_earlier_one_whole(tmp_path: Path) -> None:
    """A name of the new export that is a folder in the old one no longer half-moves files in."""
    first = labelled_project(tmp_path / "first", 30, "Alice")
    second = labelled_project(tmp_path / "second", 30, "Carol")
    out = tmp_path / "out"
    export_project(first, "brat", out)
    (out / "doc-7.ann").unlink()
    (out / "doc-7.ann").mkdir()  # a target name that exists as a folder
    export_project(second, "brat", out)
    expected = tmp_path / "expected"
    export_project(second, "brat", expected)
    assert snapshot(out) == snapshot(expected)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    first.close()
    second.close()


@pytest.mark.parametrize(
    ("fmt", "split"), [("brat", None), ("prodigy", "train=0.5,dev=0.5"), ("brat", "a=0.5,b=0.5")]
)
def test_killed_export_leaves_the_old_folder_or_the_new_one(
    tmp_path: Path, fmt: str, split: str | None
) -> None:
    old = labelled_project(tmp_path / "old", 600, "Alice")
    new = labelled_project(tmp_path / "new", 600, "Carol")
    old.close()
    new.close()
    extra = ["--split", split] if split else []
    references = {}
    started = time.monotonic()
    for name in ("old", "new"):
        reference = tmp_path / f"ref-{name}"
        subprocess.run(
            cli("export", str(tmp_path / name), "--format", fmt, "-o", str(reference), *extra),
            env=cli_env(), check=True, capture_output=True,
        )  # fmt: skip
        references[name] = snapshot(reference)
    export_seconds = (time.monotonic() - started) / 2
    assert references["old"] != references["new"]
    exports = tmp_path / "exports"
    exports.mkdir()
    out = exports / "out"
    shutil.copytree(tmp_path / "ref-old", out)
    rng = random.Random(22)
    deadline = time.monotonic() + 40
    seen = set()
    for _ in range(6):
        if time.monotonic() > deadline:
            break
        process = subprocess.Popen(
            cli("export", str(tmp_path / "new"), "--format", fmt, "-o", str(out), *extra),
            env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        # From start-up to just after the export would have finished (swap included).
        time.sleep(rng.uniform(0.2, 1.1 * export_seconds))
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = snapshot(out)
        assert state in (references["old"], references["new"])
        seen.add("old" if state == references["old"] else "new")
        # Beside it, at most the hidden temp files and folders of the killed export.
        for path in exports.iterdir():
            assert path == out or (path.name.startswith(".out.") and path.name.endswith(".tmp"))
        if state == references["new"]:
            shutil.rmtree(out)
            shutil.copytree(tmp_path / "ref-old", out)
    # The next export cleans every leftover and writes the new folder whole.
    subprocess.run(
        cli("export", str(tmp_path / "new"), "--format", fmt, "-o", str(out), *extra),
        env=cli_env(), check=True, capture_output=True,
    )  # fmt: skip
    assert snapshot(out) == references["new"]
    assert [path.name for path in exports.iterdir()] == ["out"]
    assert seen  # at least one kill was checked


def test_a_swap_killed_half_way_is_undone_by_the_next_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the swap takes two renames (no renameat2): the old folder renamed aside, then
    killed before the new one came in. The next export puts the old one back first."""
    old = labelled_project(tmp_path / "old", 5, "Alice")
    new = labelled_project(tmp_path / "new", 5, "Carol")
    exports = tmp_path / "exports"
    out = exports / "out"
    export_project(old, "brat", out)
    before = snapshot(out)
    pid = dead_pid()
    (out / ".annotator-export-aside").write_bytes(b"")
    out.rename(exports / f".out.{pid}.aside1.tmp")
    staged = exports / f".out.{pid}.staged1.tmp"
    staged.mkdir()
    (staged / "half.ann").write_text("T1\tPERSON 0 5\tAlice\n")

    def full_disk_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))

    with monkeypatch.context() as patch:
        patch.setattr(brat, "open", full_disk_open, raising=False)
        with pytest.raises(AnnotatorError, match="No space left on device"):
            export_project(new, "brat", out)
    assert snapshot(out) == before
    assert [p.name for p in exports.iterdir()] == ["out"]
    export_project(new, "brat", out)
    assert "Carol" in (out / "doc-0.ann").read_text()
    assert [p.name for p in exports.iterdir()] == ["out"]
    old.close()
    new.close()


# --- 22.9: a full disk -------------------------------------------------------------------


def test_full_disk_during_a_brat_export_names_the_file_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = labelled_project(tmp_path / "p", 10, "Alice")
    project.close()
    out = tmp_path / "exports" / "out"
    assert main(["export", str(tmp_path / "p"), "--format", "brat", "-o", str(out)]) == 0
    before = snapshot(out)
    capsys.readouterr()
    opened = {"n": 0}
    real_open = open

    def full_disk_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode:
            opened["n"] += 1
            if opened["n"] == 7:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(brat, "open", full_disk_open, raising=False)
    assert main(["export", str(tmp_path / "p"), "--format", "brat", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err == (
        f"annotator: error: {out}: cannot write doc-3.txt: No space left on device; "
        "nothing was written\n"
    )
    assert snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]


def test_full_disk_during_a_file_export_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = labelled_project(tmp_path / "p", 10, "Alice")
    project.close()

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setenv("ANNOTATOR_FSYNC", "1")
    monkeypatch.setattr("annotator.formats.sinks.os.fsync", no_space)
    out = tmp_path / "exports" / "out.jsonl"
    assert main(["export", str(tmp_path / "p"), "--format", "prodigy", "-o", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"annotator: error: {out}: cannot write: No space left on device; nothing was written\n"
    )
    assert list(out.parent.iterdir()) == []


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Any:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a 2 MB tmpfs needs root and mount(8)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


@pytest.mark.parametrize(("fmt", "name"), [("native", "out.jsonl"), ("brat", "out")])
def test_real_full_disk_says_which_file_and_leaves_no_tmp(
    tmp_path: Path, small_tmpfs: Path, fmt: str, name: str
) -> None:
    project = labelled_project(tmp_path / "p", 400, "Alice", text_size=8000)  # about 3.3 MB
    project.close()
    out = small_tmpfs / name
    done = subprocess.run(
        cli("export", str(tmp_path / "p"), "--format", fmt, "-o", str(out)),
        env=cli_env(), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"annotator: error: {out}: cannot write")
    assert "No space left on device; nothing was written" in done.stderr
    assert list(small_tmpfs.iterdir()) == []


# --- 22.10: leftovers, split names, links ------------------------------------------------


@pytest.mark.parametrize(("fmt", "name"), [("prodigy", "out.jsonl"), ("brat", "out")])
def test_killed_exports_temp_files_are_cleaned_by_the_next_export(
    tmp_path: Path, fmt: str, name: str
) -> None:
    project = labelled_project(tmp_path / "p", 3, "Alice")
    exports = tmp_path / "exports"
    exports.mkdir()
    dead = dead_pid()
    left_file = exports / f".{name}.{dead}.k3x9_a.tmp"
    left_file.write_bytes(b"half an export")
    left_folder = exports / f".{name}.{dead}.q1w2e3.tmp"
    (left_folder / "deep").mkdir(parents=True)
    (left_folder / "deep" / "doc.ann").write_text("T1\tPERSON 0 5\tAlice\n")
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = exports / f".{name}.{running.pid}.zz9.tmp"
        live.write_bytes(b"an export still running")
        not_ours = [exports / f".{name}.notes.tmp", exports / f".{name}.{dead}.tmp"]
        for path in not_ours:
            path.write_bytes(b"someone else's")
        export_project(project, fmt, exports / name)
        assert not left_file.exists() and not left_folder.exists()
        assert live.exists() and all(path.exists() for path in not_ours)
    finally:
        running.kill()
        running.wait()
    project.close()


@pytest.mark.parametrize("split", ["../../x=1", "/tmp/x=0.5,y=0.5", "a/b=1", ".=1", "..=1"])
def test_split_names_are_plain_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], split: str
) -> None:
    project = labelled_project(tmp_path / "p", 3, "Alice")
    project.close()
    out = tmp_path / "deep" / "er" / "out"
    before = sorted(tmp_path.rglob("*"))
    args = ["export", str(tmp_path / "p"), "--format", "prodigy", "-o", str(out), "--split", split]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a plain name" in err
    assert sorted(tmp_path.rglob("*")) == before


def test_split_names_may_not_repeat(tmp_path: Path) -> None:
    project = labelled_project(tmp_path / "p", 3, "Alice")
    with pytest.raises(AnnotatorError, match="'train' is named twice"):
        export_project(project, "prodigy", tmp_path / "o", split="train=0.5,train=0.5")
    project.close()


@pytest.mark.parametrize(("fmt", "split"), [("brat", None), ("prodigy", "train=1")])
def test_a_folder_output_that_is_a_link_is_refused(
    tmp_path: Path, fmt: str, split: str | None
) -> None:
    project = labelled_project(tmp_path / "p", 3, "Alice")
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    link = tmp_path / "out"
    link.symlink_to(target, target_is_directory=True)
    with pytest.raises(AnnotatorError, match="is a symbolic link; give the folder itself"):
        export_project(project, fmt, link, split=split)
    assert snapshot(target) == {"keep.txt": b"mine"}
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "out", "p", "p.jsonl"]
    project.close()


def test_a_file_output_that_is_a_link_replaces_the_link(tmp_path: Path) -> None:
    project = labelled_project(tmp_path / "p", 3, "Alice")
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("mine")
    link = tmp_path / "out.jsonl"
    link.symlink_to(target)
    export_project(project, "prodigy", link)
    assert target.read_text() == "mine"
    assert not link.is_symlink() and len(link.read_bytes().splitlines()) == 3
    project.close()


def test_a_folder_that_is_not_an_earlier_export_is_refused(tmp_path: Path) -> None:
    project = labelled_project(tmp_path / "p", 3, "Alice")
    out = tmp_path / "sources"
    out.mkdir()
    (out / "article.txt").write_text("my own article")
    with pytest.raises(AnnotatorError, match=r"folder holds article\.txt and is not an earlier"):
        export_project(project, "brat", out)
    assert snapshot(out) == {"article.txt": b"my own article"}
    empty = tmp_path / "empty"
    empty.mkdir()
    export_project(project, "brat", empty)
    assert (empty / EXPORT_MARKER).is_file() and (empty / "doc-0.ann").is_file()
    project.close()
