"""Import under faults: killed, out of disk, refused, or told to skip what is invalid.

One import's documents, labels (every layer it writes) and schema are committed
together or not at all; a refused import leaves every file of the project as it was
(names included, lock files too); messages name the file (and line).
"""

from __future__ import annotations

import errno
import hashlib
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
from annotator.core import Document, DocumentAnnotation, Span
from annotator.core.errors import AnnotatorError
from annotator.services import import_sources
from annotator.store import Project
from annotator.store.journal import AnnotationStore

REPO = Path(__file__).resolve().parents[2]
PENDING = ".documents.jsonl.pending"


def tree_digest(root: Path) -> tuple[str, list[str]]:
    """A hash of every file below ``root``, names and bytes (lock files included)."""
    digest = hashlib.sha256()
    names = []
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        names.append(name)
        digest.update(name.encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest(), names


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def native_line(doc_id: str, text: str, who: str, label: str = "PERSON") -> bytes:
    end = text.index(" ")
    return orjson.dumps(
        {
            "id": doc_id,
            "text": text,
            "meta": {},
            "annotator": who,
            "status": "done",
            "spans": [{"id": "T1", "start": 0, "end": end, "label": label, "text": text[:end]}],
            "relations": [],
        }
    )


def labelled_project(root: Path) -> Path:
    """A project with a few documents and alice's labels on them."""
    with Project.create(root) as project:
        project.add_documents(
            [Document(id=f"old-{n}", text=f"Zoë 👩‍🔬 said e\u0301 {n}.") for n in range(5)]
        )
        store = project.annotations("alice")
        for n in range(5):
            annotation = DocumentAnnotation(doc_id=f"old-{n}")
            annotation.add_span(Span(id="T1", start=0, end=3, label="PERSON", text="Zoë"))
            store.save(annotation, project.get_text(f"old-{n}"))
    return root


def state(root: Path) -> dict[str, Any]:
    """What the project holds: documents and config byte for byte, each journal's
    records (save times aside), and the names of its files (per-process files aside)."""
    journals = {}
    for path in sorted((root / "annotations").glob("*.jsonl")):
        records = []
        for line in path.read_bytes().splitlines():
            record = orjson.loads(line)
            for volatile in ("updated", "checksum"):
                record.pop(volatile, None)
            records.append(record)
        if records:
            journals[path.name] = records
    names = sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if not path.name.endswith((".lock", ".idx"))
    )
    return {
        "documents": (root / "documents.jsonl").read_bytes(),
        "config": (root / "annotator.json").read_bytes(),
        "journals": journals,
        "names": names,
    }


# --- refused imports leave every file as it was -------------------------------------------


BROKEN_SOURCES: dict[str, tuple[str, dict[str, str]]] = {
    # native refused at line 2, after line 1 named a new annotator.
    "native": (
        "native",
        {
            "bad.jsonl": native_line("d1", "Alice said hi.", "zed").decode()
            + '\n{"id": "d2", "text": 5}\n'
        },
    ),
    "doccano-duplicate-span-ids": (
        "doccano",
        {
            "dup.jsonl": '{"text": "Alice met Bob.", "entities": ['
            '{"id": 1, "start_offset": 0, "end_offset": 5, "label": "PERSON"}, '
            '{"id": 1, "start_offset": 10, "end_offset": 13, "label": "PERSON"}]}\n'
        },
    ),
    "label-studio-duplicate-span-ids": (
        "label-studio",
        {
            "ls.json": orjson.dumps(
                [
                    {
                        "id": 1,
                        "data": {"text": "Alice met Bob."},
                        "annotations": [
                            {
                                "completed_by": 1,
                                "result": [
                                    {
                                        "id": "a",
                                        "from_name": "label",
                                        "to_name": "text",
                                        "type": "labels",
                                        "value": {"start": s, "end": e, "labels": ["PERSON"]},
                                    }
                                    for s, e in ((0, 5), (10, 13))
                                ],
                            }
                        ],
                    }
                ]
            ).decode()
        },
    ),
    "brat-duplicate-span-ids": (
        "brat",
        {
            "brat/a.txt": "Alice met Bob.\n",
            "brat/a.ann": "T1\tPERSON 0 5\tAlice\nT1\tPERSON 10 13\tBob\n",
        },
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_SOURCES))
def test_a_refused_import_leaves_every_file_of_the_project_as_it_was(
    tmp_path: Path, case: str
) -> None:
    fmt, files = BROKEN_SOURCES[case]
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    source = tmp_path / next(iter(files)).split("/")[0]
    for root in (tmp_path / "fresh", labelled_project(tmp_path / "labelled")):
        if not root.exists():
            Project.create(root).close()
        before = tree_digest(root)
        with Project.open(root) as project, pytest.raises(AnnotatorError):
            import_sources(project, [source], fmt)
        assert tree_digest(root) == before, case


def test_an_annotator_name_inside_a_native_file_is_refused_with_its_file_and_line(
    tmp_path: Path, project_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "evil.jsonl"
    source.write_bytes(
        native_line("d1", "Alice said hi.", "alice")
        + b"\n"
        # A name that would be a path outside the project.
        + native_line("d2", "Bob said no.", "../../evil")
        + b"\n"
    )
    before = tree_digest(project_path)
    code, _, err = run(capsys, "import", str(project_path), str(source), "--format", "native")
    assert code == 1
    assert err.count("\n") == 1
    assert f"{source}:2: annotator name '../../evil'" in err
    assert "--annotator NAME" in err
    assert tree_digest(project_path) == before
    assert not (tmp_path / "evil.jsonl.lock").exists()
    # --annotator names the layer instead: the file's name is not used.
    code, _, err = run(
        capsys, "import", str(project_path), str(source), "--format", "native", "--annotator", "ed"
    )
    assert code == 0, err
    assert (project_path / "annotations" / "ed.jsonl").stat().st_size > 0


def test_label_studio_and_prodigy_annotator_names_are_made_safe(
    tmp_path: Path, project_path: Path
) -> None:
    """These tools name annotators with e-mails and numbers: a name is made into a file
    name (documented in docs/formats.md), never used as a path."""
    prodigy = tmp_path / "p.jsonl"
    prodigy.write_bytes(
        orjson.dumps(
            {
                "text": "Alice met Bob.",
                "spans": [{"start": 0, "end": 5, "label": "PERSON"}],
                "answer": "accept",
                "_annotator_id": "../../evil",
            }
        )
        + b"\n"
    )
    with Project.open(project_path) as project:
        summary = import_sources(project, [prodigy], "prodigy")
    assert list(summary.labelled) == ["evil"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jsonl", "project"]


# --- out of disk ------------------------------------------------------------------------


def labelled_native(path: Path, count: int, who: str = "alice", label: str = "PERSON") -> Path:
    with open(path, "wb") as handle:
        for n in range(count):
            text = f"Zoë{n} 👩‍🔬 reported from Zürich, e\u0301 {'news ' * 40}{n}."
            handle.write(native_line(f"new-{n}", text, who, label) + b"\n")
    return path


@pytest.mark.parametrize("failing", ["documents", "journal", "config"])
def test_an_import_that_cannot_write_is_undone_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    root = labelled_project(tmp_path / "p")
    source = labelled_native(tmp_path / "in.jsonl", 50, label="NEWLABEL")
    before = tree_digest(root)
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if failing == "journal":

        def no_space(self: AnnotationStore, prepared: list[Any]) -> None:
            os.write(self._fd, b'{"doc_id": "torn')  # type: ignore[arg-type]
            raise full

        monkeypatch.setattr(AnnotationStore, "append_prepared", no_space)
        named = root / "annotations" / "alice.jsonl"
    elif failing == "documents":
        real_fsync = os.fsync
        failed = []

        def fsync(fd: int) -> None:
            # The commit's fsync fails (the kernel could not write the buffered pages
            # back); the roll back's, after the cut, does not.
            if not failed and os.readlink(f"/proc/self/fd/{fd}").endswith("documents.jsonl"):
                failed.append(fd)
                raise full
            real_fsync(fd)

        monkeypatch.setenv("ANNOTATOR_FSYNC", "1")
        monkeypatch.setattr(os, "fsync", fsync)
        named = root / "documents.jsonl"
    else:
        import annotator.store.project as project_module

        real_write = project_module.atomic_write_bytes

        def write(path: Path, data: bytes) -> None:
            if path.name == "annotator.json":
                raise full
            real_write(path, data)

        monkeypatch.setattr(project_module, "atomic_write_bytes", write)
        named = root / "annotator.json"
    with Project.open(root) as project, pytest.raises(AnnotatorError) as refused:
        import_sources(project, [source], "native")
    message = str(refused.value)
    assert message.startswith(f"{named}: could not be written (No space left on device)")
    assert "\n" not in message
    monkeypatch.undo()
    assert tree_digest(root) == before


def _mount_tmpfs(folder: Path, size: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")


def test_a_full_disk_during_import_leaves_the_project_byte_identical(tmp_path: Path) -> None:
    """400 labelled documents into a 2 MB tmpfs, as the issue's report did."""
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "2m")
    try:
        root = labelled_project(disk / "p")
        source = tmp_path / "in.jsonl"
        with open(source, "wb") as handle:
            for n in range(400):
                words = [f"Zoë{n}-{k}" for k in range(300)]
                text = " ".join(words)
                starts = [sum(len(w) + 1 for w in words[:k]) for k in range(0, 300, 15)]
                spans = [
                    {
                        "id": f"T{k}",
                        "start": start,
                        "end": start + len(text[start:].split(" ")[0]),
                        "label": "NEWLABEL",
                        "text": text[start:].split(" ")[0],
                    }
                    for k, start in enumerate(starts)
                ]
                record = {"id": f"new-{n}", "text": text, "annotator": "alice", "spans": spans}
                handle.write(orjson.dumps(record) + b"\n")
        assert source.stat().st_size > 1_500_000  # stored with their journal lines: > 2 MB
        before = tree_digest(root)
        done = subprocess.run(
            [sys.executable, "-m", "annotator.cli", "import", str(root), str(source)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(REPO), "ANNOTATOR_FSYNC": "1"},
        )
        assert done.returncode == 1, done.stdout
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "No space left on device" in lines[0]
        assert f"error: {root}/" in lines[0], lines[0]
        assert tree_digest(root) == before
        with Project.open(root) as project:
            assert len(project) == 5
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# --- kill -9 ----------------------------------------------------------------------------


_KILL_LATE = """
import os, signal, sys
from annotator.store.journal import AnnotationStore
real = AnnotationStore.append_prepared
calls = []
def append_then_die(self, prepared):
    calls.append(self.name)
    if len(calls) == int(sys.argv[1]):
        os.write(self._fd, prepared[0].line[:20])  # a torn line, then the kill
        os.kill(os.getpid(), signal.SIGKILL)
    real(self, prepared)
AnnotationStore.append_prepared = append_then_die
from annotator.cli import main
sys.exit(main(sys.argv[2:]))
"""


def two_layer_source(path: Path, count: int) -> Path:
    """alice's labels (a layer the project has) then bob's (a new one), a new label."""
    labelled_native(path, count, "alice", "NEWLABEL")
    with open(path, "ab") as handle:
        for n in range(count):
            text = f"Bob{n} 👩‍🔬 wrote from Zürich{n}."
            handle.write(native_line(f"bob-{n}", text, "bob") + b"\n")
    return path


def reference_after(tmp_path: Path, base: Path, source: Path) -> dict[str, Any]:
    done = tmp_path / "done"
    shutil.copytree(base, done)
    code = main(["import", str(done), str(source)])
    assert code == 0
    return state(done)


@pytest.mark.parametrize("killed_in_append", [1, 2])
def test_an_import_killed_while_writing_labels_is_undone_whole(
    tmp_path: Path, killed_in_append: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """The late kill of the issue: documents in, schema written, labels half-written."""
    base = labelled_project(tmp_path / "base")
    source = two_layer_source(tmp_path / "in.jsonl", 300)
    before = state(base)
    after = reference_after(tmp_path, base, source)
    assert after != before and "bob.jsonl" in after["journals"]
    root = tmp_path / "killed"
    shutil.copytree(base, root)
    killed = subprocess.run(
        [sys.executable, "-c", _KILL_LATE, str(killed_in_append), "import", str(root), str(source)],
        capture_output=True,
        cwd=REPO,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert killed.returncode == -signal.SIGKILL
    assert (root / PENDING).exists()
    capsys.readouterr()
    # A read-only check says so, and changes nothing.
    untouched = tree_digest(root)
    code, out, _ = run(capsys, "check", str(root))
    assert code == 1
    assert "an import has not finished" in out
    assert len(out.splitlines()) == 1, out  # not its half-written labels, line by line
    assert tree_digest(root) == untouched
    # The next writer undoes it.
    Project.open(root).close()
    assert state(root) == before
    code, out, _ = run(capsys, "check", str(root))
    assert code == 0, out


def test_kill_9_at_random_moments_leaves_the_import_whole_or_absent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = labelled_project(tmp_path / "base")
    source = two_layer_source(tmp_path / "in.jsonl", 3000)
    before = state(base)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "annotator.cli", "import"]
    started = time.perf_counter()
    timing = tmp_path / "timing"
    shutil.copytree(base, timing)
    subprocess.run([*command, str(timing), str(source)], check=True, env=env, cwd=REPO)
    whole = time.perf_counter() - started
    after = state(timing)
    rng = random.Random(22)
    outcomes = {"before": 0, "after": 0}
    unfinished = 0
    deadline = time.monotonic() + 90
    for round_no in range(14):
        if time.monotonic() > deadline:
            break
        root = tmp_path / f"k{round_no}"
        shutil.copytree(base, root)
        process = subprocess.Popen(
            [*command, str(root), str(source)],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Most kills late in the import, where the issue found the damage.
        time.sleep(whole * rng.uniform(0.4, 1.3))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if (root / PENDING).exists():
            unfinished += 1
            code, out, _ = run(capsys, "check", str(root))
            assert code == 1 and "an import has not finished" in out
            assert (root / PENDING).exists()
        Project.open(root).close()
        now = state(root)
        assert now in (before, after), f"kill {round_no} left a mix"
        outcomes["before" if now == before else "after"] += 1
        shutil.rmtree(root)
    print(f"kills: {outcomes}, {unfinished} left an unfinished import, import took {whole:.2f} s")
    assert sum(outcomes.values()) >= 5


# --- --skip-invalid ---------------------------------------------------------------------


def test_skip_invalid_imports_the_rest_and_reports_each_rejected_record(
    tmp_path: Path, fixtures_dir: Path, project_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    brat = tmp_path / "brat"
    shutil.copytree(fixtures_dir / "brat", brat)
    # Two malformed lines, in two documents: a span with no offsets, a line of no kind.
    for name, ann in [
        ("broken1", "T1\tPERSON 0 5\tAlice\nT2\tPERSON\tBob\n"),
        ("broken2", "what is this\n"),
    ]:
        (brat / f"{name}.txt").write_text("Alice met Bob in Zürich.\r\n", encoding="utf-8")
        (brat / f"{name}.ann").write_text(ann, encoding="utf-8")
    doccano = tmp_path / "doccano.jsonl"
    good = (fixtures_dir / "doccano" / "sequence_labeling.export.jsonl").read_bytes()
    good_lines = good.splitlines()
    doccano.write_bytes(
        b"\n".join(
            [good_lines[0], b'{"text": "Alice", "label": [[0, 99, "PERSON"]]}', *good_lines[1:]]
        )
        + b"\n"
    )
    native = tmp_path / "native.jsonl"
    native.write_bytes(
        native_line("n1", "Carol said hi.", "carol")
        + b"\n{broken json\n"
        + native_line("n3", "Dave said no.", "carol")
        + b"\n"
    )
    before = tree_digest(project_path)
    # The default is refusal, naming the first bad record.
    code, _, err = run(capsys, "import", str(project_path), str(brat))
    assert code == 1 and "broken1.ann:2" in err
    assert tree_digest(project_path) == before

    code, out, err = run(
        capsys,
        "import",
        str(project_path),
        str(brat),
        str(doccano),
        str(native),
        "--skip-invalid",
    )
    assert code == 0, err
    reports = list(project_path.glob("import-report-*.jsonl"))
    assert len(reports) == 1
    assert "4 invalid records skipped" in out and str(reports[0]) in out
    rejected = [orjson.loads(line) for line in reports[0].read_bytes().splitlines()]
    assert [(Path(r["file"]).name, r["line"]) for r in rejected] == [
        ("broken1.ann", 2),
        ("broken2.ann", 1),
        ("doccano.jsonl", 2),
        ("native.jsonl", 2),
    ]
    assert all(r["reason"] for r in rejected)
    assert all(str(tmp_path) in r["file"] for r in rejected)  # the user's paths, not copies
    with Project.open(project_path) as project:
        ids = set(project.document_ids())
        assert not {"broken1", "broken2"} & ids
        assert {"PMID-10233888", "PMID-10915770", "PMID-16583246", "n1", "n3"} <= ids
        assert len(ids) == 3 + (len(good_lines)) + 2
    code, out, _ = run(capsys, "check", str(project_path))
    assert code == 0, out


def test_a_failed_import_keeps_the_windows_own_store_open_and_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window imports into the project it has open, its annotator's store among the
    layers written: a roll back after that layer was appended leaves the store open
    (the window goes on saving to it) and without the lines cut from its file."""
    root = labelled_project(tmp_path / "p")
    source = two_layer_source(tmp_path / "in.jsonl", 20)
    real = AnnotationStore.append_prepared

    def bob_has_no_space(self: AnnotationStore, prepared: list[Any]) -> None:
        if self.name == "bob":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(self, prepared)

    monkeypatch.setattr(AnnotationStore, "append_prepared", bob_has_no_space)
    with Project.open(root) as project:
        window_store = project.annotations("alice")
        before = tree_digest(root)  # alice.lock names this process now
        with pytest.raises(AnnotatorError, match=r"bob\.jsonl: could not be written"):
            import_sources(project, [source], "native")
        assert tree_digest(root) == before
        assert not window_store.closed
        assert sorted(window_store.doc_ids()) == [f"old-{n}" for n in range(5)]
        annotation = window_store.get("old-1")
        assert annotation is not None
        annotation.status = "done"
        window_store.save(annotation, project.get_text("old-1"))
    with Project.open(root) as project:
        saved = project.annotations("alice", writable=False).get("old-1")
        assert saved is not None and saved.status == "done"


def test_a_kill_while_the_pending_record_is_written_leaves_nothing_after_the_next_open(
    tmp_path: Path,
) -> None:
    """Killed inside the atomic write of the pending record (or of annotator.json), an
    import leaves only a temp file: the next writer's open removes it."""
    root = labelled_project(tmp_path / "p")
    before = state(root)
    (root / ".documents.jsonl.pending.9c90ocvm.tmp").write_bytes(b'{"documents": 12')
    (root / "..documents.jsonl.pending.k2j4.tmp").write_bytes(b"")
    (root / ".annotator.json.x7q1.tmp").write_bytes(b'{"name": ')
    Project.open(root).close()
    assert state(root) == before
