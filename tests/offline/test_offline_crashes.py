"""kill -9 while edits are being kept offline, and while they are being sent.

The "server" is a folder project's journal behind a switch (tests/offline/flaky.py): it
outlives the killed program, and its lines show every save it took, so the test can
count how often each edit arrived.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from annotator.core.models import DocumentAnnotation, Span
from annotator.store import Project
from annotator.store.offline import OfflineBufferedLayer
from tests.offline.flaky import FlakyLayer, Switch
from tests.store.helpers import make_documents

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from annotator.core.models import DocumentAnnotation, Span
    from annotator.store import Project
    from annotator.store.offline import OfflineBufferedLayer
    from tests.offline.flaky import FlakyLayer, Switch

    mode, project_path, journal_path, first = sys.argv[1:5]
    project = Project.open(project_path)
    flaky = FlakyLayer(project.annotations("writer"), Switch(down=mode == "write"))
    layer = OfflineBufferedLayer(flaky, Path(journal_path))
    print("ready", flush=True)
    if mode == "send":
        # After the server's save returned, before the journal marks it sent.
        flaky.pause = 0.01
        flaky.on_saved = lambda doc_id: print("sent", doc_id, flush=True)
        print("done", layer.send_waiting(), layer.waiting(), flush=True)
        sys.exit(0)
    ids = project.document_ids()
    number = int(first)
    while True:
        number += 1
        doc_id = ids[number % len(ids)]
        text = project.get_text(doc_id)
        # Every other edit is large (2 MB), so that a kill can land inside write().
        padding = " " + "x" * 2_000_000 if number % 2 == 0 else ""
        annotation = DocumentAnnotation(doc_id=doc_id, note=f"save {number}{padding}")
        for index in range(10):
            start = (number + 7 * index) % (len(text) - 5)
            annotation.spans.append(Span.of(text, start, start + 5, "PERSON", f"T{index + 1}"))
        layer.save(annotation, text)
        print(doc_id, number, flush=True)
    """
)


def start(mode: str, project: Path, journal: Path, first: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(project), str(journal), str(first)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "ANNOTATOR_FSYNC": "1"},
    )


def collect(child: subprocess.Popen[str]) -> tuple[list[str], threading.Thread]:
    lines: list[str] = []

    def read() -> None:
        assert child.stdout is not None
        lines.extend(child.stdout)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


def wait_for(lines: list[str], count: int, child: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while len(lines) < count and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)


def kill(child: subprocess.Popen[str], reader: threading.Thread) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    reader.join(timeout=10)


def server_lines(project: Path) -> list[dict[str, object]]:
    """Every save the server took, in order, from its journal."""
    path = project / "annotations" / "writer.jsonl"
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def note_number(note: object) -> int:
    return int(str(note).split()[1])


@pytest.fixture
def server(tmp_path: Path) -> Path:
    path = tmp_path / "server"
    with Project.create(path) as project:
        project.add_documents(make_documents(12))
    return path


def test_kill_while_keeping_edits_offline_loses_no_acknowledged_edit(
    server: Path, tmp_path: Path
) -> None:
    journal = tmp_path / "offline" / "writer.jsonl"
    rng = random.Random(20261204)
    acknowledged: dict[str, int] = {}
    problems: list[str] = []
    for round_number in range(8):
        child = start("write", server, journal, round_number * 1_000_000)
        lines, reader = collect(child)
        wait_for(lines, 1 + 4, child)  # opened, and a few edits kept
        assert lines and lines[0] == "ready\n", child.stderr.read() if child.stderr else ""
        time.sleep(rng.uniform(0.0, 0.1))
        kill(child, reader)
        assert child.returncode == -signal.SIGKILL
        for line in lines[1:]:
            if line.endswith("\n"):
                doc_id, number = line.split()
                acknowledged[doc_id] = max(acknowledged.get(doc_id, 0), int(number))
        # Still offline after the restart: every acknowledged edit waits, in its last version.
        with Project.open(server) as project:
            flaky = FlakyLayer(project.annotations("writer"), Switch(down=True))
            layer = OfflineBufferedLayer(flaky, journal)  # type: ignore[arg-type]
            problems += layer.problems
            for doc_id, number in acknowledged.items():
                waiting = layer.get(doc_id)
                assert waiting is not None, f"round {round_number}: {doc_id} lost"
                # An edit may have been kept without its ack being read, never the reverse.
                assert note_number(waiting.note) >= number, f"round {round_number}: {doc_id}"
                assert waiting.problems_with(project.get_text(doc_id)) == []
            layer.close()
    assert server_lines(server) == []  # the server was out of reach all along
    assert sum(acknowledged.values()) > 0 and len(acknowledged) >= 4
    assert all("cut off by a crash" in problem for problem in problems)

    # The connection is back: each document reaches the server once, in its last version.
    with Project.open(server) as project:
        flaky = FlakyLayer(project.annotations("writer"))
        layer = OfflineBufferedLayer(flaky, journal)  # type: ignore[arg-type]
        expected = {doc_id: layer.get(doc_id) for doc_id in layer.journal.waiting}
        assert layer.send_waiting() == len(expected) and layer.waiting() == 0
        layer.close()
    saved = server_lines(server)
    assert Counter(str(line["doc_id"]) for line in saved) == Counter(dict.fromkeys(expected, 1))
    for line in saved:
        kept = expected[str(line["doc_id"])]
        assert kept is not None and line["note"] == kept.note
        assert note_number(line["note"]) >= acknowledged.get(str(line["doc_id"]), 0)
    print(f"offline kill test: {len(problems)} torn lines recovered, {len(saved)} documents sent")


def test_kill_while_sending_sends_each_edit_once_but_the_one_in_flight(
    server: Path, tmp_path: Path
) -> None:
    journal = tmp_path / "offline" / "writer.jsonl"
    documents = make_documents(12)
    last: dict[str, str] = {}
    with Project.open(server) as project:
        flaky = FlakyLayer(project.annotations("writer"), Switch(down=True))
        layer = OfflineBufferedLayer(flaky, journal)  # type: ignore[arg-type]
        for version in range(3):
            for document in documents:
                annotation = DocumentAnnotation(doc_id=document.id, note=f"v {version}")
                annotation.add_span(Span.of(document.text, 0, 8, "PERSON", "T1"))
                layer.save(annotation, document.text)
                last[document.id] = annotation.note
        layer.close()

    rng = random.Random(7)
    kills = 0
    for _round in range(20):
        child = start("send", server, journal)
        lines, reader = collect(child)
        wait_for(lines, 2 + rng.randrange(3), child)  # ready, then a save or two
        time.sleep(rng.uniform(0.0, 0.02))
        if child.poll() is None:
            kill(child, reader)
            kills += 1
        else:
            reader.join(timeout=10)
            assert child.returncode == 0, child.stderr.read() if child.stderr else ""
        if any(line.startswith("done") for line in lines):
            assert lines[-1].split()[2] == "0"  # nothing left waiting
            break
    else:
        pytest.fail("sending never finished")
    assert kills >= 3, "too few kills landed while sending; the test proves little"

    saved = server_lines(server)
    counts = Counter(str(line["doc_id"]) for line in saved)
    # Every document arrived, in its last version (the only one ever sent)...
    assert set(counts) == set(last)
    assert {str(line["note"]) for line in saved} == {"v 2"}
    # ...once, but for at most the one in flight at each kill (sent, not yet marked so).
    assert sum(counts.values()) - len(counts) <= kills
    with Project.open(server) as project:
        reader_layer = project.layer_reader("writer")
        assert {doc_id: reader_layer.get(doc_id).note for doc_id in last} == last  # type: ignore[union-attr]
        reader_layer.close()
    print(f"offline send kill test: {kills} kills, {sum(counts.values()) - len(counts)} resent")
