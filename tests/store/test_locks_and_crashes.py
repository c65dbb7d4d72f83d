"""Other programs and crashes: locks between processes, and kill -9 at random moments."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from annotator.core import LockedError
from annotator.services import check_project
from annotator.store import Project
from tests.store.helpers import make_documents

REPO = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent(
    """
    import sys
    from annotator.store import Project
    project = Project.open(sys.argv[1])
    store = project.annotations("alice")
    print("locked", flush=True)
    sys.stdin.read()  # hold the lock until the test closes our stdin (or kills us)
    """
)


def start_python(script: str, *args: str, fsync: bool = False) -> subprocess.Popen[str]:
    env = {**os.environ, "ANNOTATOR_FSYNC": "1" if fsync else "0"}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )


@pytest.fixture
def filled(project_path: Path) -> Path:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(20))
    return project_path


def test_a_second_program_writing_the_same_annotator_is_refused_clearly(filled: Path) -> None:
    holder = start_python(HOLDER, str(filled))
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with Project.open(filled) as project:
            with pytest.raises(LockedError) as caught:
                project.annotations("alice")
            message = str(caught.value)
            assert "alice.jsonl" in message
            assert f"pid {holder.pid}" in message
            assert "read-only" in message and "\n" not in message
            # Reading is fine, and so is writing under another name.
            assert len(project.annotations("alice", writable=False)) == 0
            project.annotations("bob").save(project.annotations("bob").get_or_new("doc-1"))
    finally:
        holder.communicate("", timeout=10)
    assert holder.returncode == 0, holder.stderr
    with Project.open(filled) as project:
        project.annotations("alice")  # released on a clean exit


def test_a_lock_left_by_a_killed_program_does_not_block_the_next_open(filled: Path) -> None:
    holder = start_python(HOLDER, str(filled))
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=10)
    lock = filled / "annotations" / "alice.lock"
    assert lock.exists() and f"pid {holder.pid}" in lock.read_text()  # stale content left
    with Project.open(filled) as project:
        store = project.annotations("alice")
        store.save(store.get_or_new("doc-0"))
        assert f"pid {os.getpid()}" in lock.read_text()


def test_the_same_process_cannot_hold_two_writers_on_one_annotator(filled: Path) -> None:
    first = Project.open(filled)
    second = Project.open(filled)
    try:
        first.annotations("alice")
        with pytest.raises(LockedError):
            second.annotations("alice")
        first.release_annotations("alice")
        second.annotations("alice")
    finally:
        first.close()
        second.close()


# --- the kill test ----------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from annotator.core import DocumentAnnotation, Span
    from annotator.store import Project, journal

    # Compact often, so kills also land inside compaction and inside the open that compacts.
    journal.COMPACT_MIN_BYTES = 1 << 15
    path, first = sys.argv[1], int(sys.argv[2])
    project = Project.open(path)
    store = project.annotations("writer")
    ids = project.document_ids()
    texts = {doc_id: project.get_text(doc_id) for doc_id in ids}
    print("ready", flush=True)
    number = first
    while True:
        number += 1
        doc_id = ids[number % len(ids)]
        text = texts[doc_id]
        # Every third save is large (many pages), so that a kill can land inside write().
        padding = " " + "x" * 400_000 if number % 3 == 0 else ""
        annotation = DocumentAnnotation(doc_id=doc_id, note=f"save {number}{padding}")
        for index in range(20):
            start = (number + 7 * index) % (len(text) - 5)
            annotation.spans.append(Span.of(text, start, start + 5, "PERSON", f"T{index + 1}"))
        store.save(annotation, text)
        print(doc_id, number, flush=True)
        if number % 40 == 0:
            store.compact()
    """
)


SAVES_BEFORE_KILL = 5


def _collect(stream: object, lines: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line)


def test_kill_minus_nine_at_random_moments_never_loses_an_acknowledged_save(
    filled: Path,
) -> None:
    rng = random.Random(20251123)
    acknowledged: dict[str, int] = {}
    torn_rounds = 0
    saves = 0
    for round_number in range(30):
        child = start_python(WRITER, str(filled), str(round_number * 1_000_000), fsync=True)
        lines: list[str] = []
        reader = threading.Thread(target=_collect, args=(child.stdout, lines), daemon=True)
        reader.start()
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0.05, 0.3))  # somewhere while starting, opening, compacting
        else:
            # A few saves acknowledged first, so that a slow or busy machine still makes
            # enough saves for the test to prove something; then a kill at a random moment.
            deadline = time.monotonic() + 10
            while len(lines) < 1 + SAVES_BEFORE_KILL and time.monotonic() < deadline:
                time.sleep(0.002)
            assert lines and lines[0] == "ready\n", child.stderr.read() if child.stderr else ""
            time.sleep(rng.uniform(0.0, 0.12))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        reader.join(timeout=10)
        assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
        for line in lines:
            if line.endswith("\n") and line != "ready\n":
                doc_id, count = line.split()
                acknowledged[doc_id] = max(acknowledged.get(doc_id, 0), int(count))
                saves += 1

        with Project.open(filled) as project:
            problems = check_project(project)
            unexpected = [problem for problem in problems if "cut off" not in problem]
            assert unexpected == [], f"round {round_number}"
            torn_rounds += len(problems) - len(unexpected)
            store = project.annotations("writer")  # writable: recovers a torn line, if any
            for doc_id, acked in acknowledged.items():
                annotation = store.get(doc_id)
                assert annotation is not None, f"round {round_number}: {doc_id} lost"
                saved = int(annotation.note.split()[1])
                # A save may have landed without its ack being read, never the other way.
                assert saved >= acked, f"round {round_number}: {doc_id} went back in time"
                assert annotation.problems_with(project.get_text(doc_id)) == []
            # A compaction cut short leaves no temp file behind once the writer reopens.
            assert list((filled / "annotations").glob("*.tmp")) == []
    assert saves > 100, "the writer hardly saved anything; the test proves little"
    print(f"kill test: {saves} acknowledged saves, {torn_rounds} torn lines recovered")
