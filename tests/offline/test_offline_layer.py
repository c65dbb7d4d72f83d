"""Edits kept on this computer while the store is out of reach (store/offline.py), on the
memory store with a switch that takes it out of reach, and on a folder journal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from annotator.core.errors import AnnotationError, InputError, LockedError
from annotator.core.models import Document, DocumentAnnotation, Span
from annotator.editing.session import Session
from annotator.store import Project
from annotator.store.memory import MemoryProject
from annotator.store.offline import OfflineBufferedLayer, offline_buffered, offline_folder
from tests.offline.flaky import FlakyLayer

TEXTS = {
    "kim": "Kim Jong Un’s visit to Beijing 👍🏽 surprised analysts.",
    "quote": 'Putin said "we remain together" in Beijing.',
    "cafe": "Cafe\u0301 owner Jose\u0301 spoke.\r\nThen Putin left.",
}


@pytest.fixture
def memory() -> Iterator[MemoryProject]:
    project = MemoryProject("team", location="postgresql://db.example/team")
    project.add_documents([Document(id=key, text=text) for key, text in TEXTS.items()])
    yield project
    project.close()


@pytest.fixture
def flaky(memory: MemoryProject) -> FlakyLayer:
    return FlakyLayer(memory.annotations("alice"))


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "offline" / "alice.jsonl"


@pytest.fixture
def layer(flaky: FlakyLayer, journal_path: Path) -> Iterator[OfflineBufferedLayer]:
    opened = OfflineBufferedLayer(flaky, journal_path)  # type: ignore[arg-type]
    yield opened
    opened.close()


def edit(doc_id: str, note: str, phrase: str = "Beijing") -> DocumentAnnotation:
    """Labels on a document: ``phrase`` as a GPE (where the text has it), and a note."""
    text = TEXTS[doc_id]
    annotation = DocumentAnnotation(doc_id=doc_id, note=note, status="in_progress")
    start = text.find(phrase)
    if start >= 0:
        annotation.add_span(Span.of(text, start, start + len(phrase), "GPE", "T1"))
    return annotation


def save(layer: OfflineBufferedLayer, doc_id: str, note: str, phrase: str = "Beijing") -> None:
    layer.save(edit(doc_id, note, phrase), TEXTS[doc_id])


def reopen(layer: OfflineBufferedLayer, flaky: FlakyLayer) -> OfflineBufferedLayer:
    """The same journal opened again, as a new run of the program would."""
    layer.journal.close()
    return OfflineBufferedLayer(flaky, layer.journal.path)  # type: ignore[arg-type]


def stored_note(memory: MemoryProject, doc_id: str) -> str | None:
    annotation = memory.layer_reader("alice").get(doc_id)
    return None if annotation is None else annotation.note


def test_a_reachable_store_gets_the_save_and_nothing_waits(
    layer: OfflineBufferedLayer, flaky: FlakyLayer, memory: MemoryProject
) -> None:
    save(layer, "kim", "first")
    assert flaky.saved == [("kim", "first")]
    assert stored_note(memory, "kim") == "first"
    assert layer.waiting() == 0
    assert layer.journal.path.stat().st_size == 0


def test_an_edit_made_offline_waits_and_reads_see_it(
    layer: OfflineBufferedLayer, flaky: FlakyLayer, memory: MemoryProject
) -> None:
    save(layer, "kim", "online")
    flaky.switch.down = True
    save(layer, "kim", "offline")
    save(layer, "cafe", "new offline", phrase="Putin")

    assert layer.waiting() == 2 and layer.is_waiting("cafe")
    assert stored_note(memory, "kim") == "online"  # the server has the older save
    assert stored_note(memory, "cafe") is None
    # The analyst sees their own edits: get, get_or_new, summary, membership, iteration.
    got = layer.get("kim")
    assert got is not None and got.note == "offline"
    assert got.spans[0].text == TEXTS["kim"][got.spans[0].start : got.spans[0].end] == "Beijing"
    assert layer.get_or_new("cafe").spans[0].text == "Putin"
    assert layer.get_or_new("quote").spans == []
    summary = layer.summary("cafe")
    assert summary is not None and (summary.status, summary.spans) == ("in_progress", 1)
    assert "cafe" in layer and len(layer) == 2 and sorted(layer.doc_ids()) == ["cafe", "kim"]
    assert {a.doc_id: a.note for a in layer.iter_annotations()} == {
        "kim": "offline",
        "cafe": "new offline",
    }
    record = layer.get_record("cafe", TEXTS["cafe"])
    assert record is not None and record["note"] == "new offline"

    # Each waiting line is the folder journal's kind of line: sealed, readable by its code.
    lines = layer.journal.path.read_bytes().splitlines()
    assert [orjson.loads(line)["doc_id"] for line in lines] == ["kim", "cafe"]
    assert all(b'"checksum":' in line for line in lines)

    flaky.switch.down = False
    assert layer.send_waiting() == 2
    assert layer.waiting() == 0
    assert stored_note(memory, "kim") == "offline"
    assert stored_note(memory, "cafe") == "new offline"
    assert layer.journal.path.stat().st_size == 0  # emptied once nothing waits


def test_while_edits_wait_saves_join_them_in_order_even_if_the_store_is_back(
    layer: OfflineBufferedLayer, flaky: FlakyLayer, memory: MemoryProject
) -> None:
    flaky.switch.down = True
    save(layer, "kim", "k1")
    flaky.switch.down = False
    # Sent directly, this save would arrive before the older waiting one: it waits too.
    save(layer, "quote", "q1")
    assert flaky.saved == [] and layer.waiting() == 2
    assert layer.send_waiting() == 2
    assert flaky.saved == [("kim", "k1"), ("quote", "q1")]
    save(layer, "kim", "k2")  # nothing waits: straight to the store
    assert flaky.saved[-1] == ("kim", "k2") and layer.waiting() == 0


def test_replay_is_in_the_order_of_the_last_saves_and_the_last_save_wins(
    layer: OfflineBufferedLayer, flaky: FlakyLayer, memory: MemoryProject
) -> None:
    flaky.switch.down = True
    for note, doc_id in [("1", "kim"), ("2", "quote"), ("3", "kim"), ("4", "cafe"), ("5", "kim")]:
        save(layer, doc_id, note, phrase="Putin" if doc_id != "kim" else "Beijing")
    assert layer.waiting() == 3
    flaky.switch.down = False
    assert layer.send_waiting() == 3
    # One save per document, its last version, oldest last save first.
    assert flaky.saved == [("quote", "2"), ("cafe", "4"), ("kim", "5")]


def test_a_connection_lost_while_sending_leaves_the_rest_waiting_in_order(
    layer: OfflineBufferedLayer, flaky: FlakyLayer, memory: MemoryProject
) -> None:
    flaky.switch.down = True
    for doc_id in ("kim", "quote", "cafe"):
        save(layer, doc_id, f"{doc_id} offline", phrase="Putin" if doc_id != "kim" else "Beijing")
    flaky.switch.down = False
    flaky.switch.fail_after = 1
    assert layer.send_waiting() == 1
    assert layer.waiting() == 2 and "could not connect" in layer.unreachable_reason
    assert stored_note(memory, "kim") == "kim offline" and stored_note(memory, "quote") is None

    # Restarted before the connection came back: the same two wait, in the same order.
    layer = reopen(layer, flaky)
    assert list(layer.journal.waiting) == ["quote", "cafe"]
    assert layer.journal.path.read_bytes().count(b"\n") == 2  # sent lines compacted away
    flaky.switch.down = False
    assert layer.send_waiting() == 2
    assert [doc for doc, _ in flaky.saved] == ["kim", "quote", "cafe"]
    layer.close()


def test_edits_left_waiting_by_an_earlier_run_are_found_and_sent(
    layer: OfflineBufferedLayer, flaky: FlakyLayer, memory: MemoryProject
) -> None:
    flaky.switch.down = True
    save(layer, "kim", "before the crash")
    layer.journal.close()  # the program ends (or is killed) while offline

    flaky.switch.down = False
    again = OfflineBufferedLayer(flaky, layer.journal.path)  # type: ignore[arg-type]
    assert again.waiting() == 1
    got = again.get("kim")
    assert got is not None and got.note == "before the crash"
    assert again.send_waiting() == 1
    assert stored_note(memory, "kim") == "before the crash"
    again.close()


def test_a_torn_last_line_is_moved_aside_and_named_and_the_rest_still_waits(
    layer: OfflineBufferedLayer, flaky: FlakyLayer, memory: MemoryProject
) -> None:
    flaky.switch.down = True
    save(layer, "kim", "kept")
    save(layer, "quote", "kept too", phrase="Putin")
    whole = layer.journal.path.read_bytes()
    save(layer, "kim", "in flight when killed")
    torn = layer.journal.path.read_bytes()[len(whole) :][:-40]  # cut inside the last line
    layer.journal.close()
    layer.journal.path.write_bytes(whole + torn)

    again = reopen(layer, flaky)
    assert list(again.journal.waiting) == ["kim", "quote"]
    got = again.get("kim")
    assert got is not None and got.note == "kept"  # the previous save of that document
    [problem] = again.problems
    assert "alice.jsonl:3:" in problem and "document kim" in problem and "torn" in problem
    assert again.journal.path.with_name("alice.jsonl.torn").read_bytes().endswith(torn + b"\n")
    # The journal continues with whole lines: a new save, a send, all of it readable.
    save(again, "cafe", "after", phrase="Putin")
    flaky.switch.down = False
    assert again.send_waiting() == 3
    assert stored_note(memory, "kim") == "kept" and stored_note(memory, "cafe") == "after"
    again.close()


def test_a_complete_last_record_that_lost_its_newline_is_kept(
    layer: OfflineBufferedLayer, flaky: FlakyLayer
) -> None:
    flaky.switch.down = True
    save(layer, "kim", "whole")
    layer.journal.close()
    path = layer.journal.path
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    again = reopen(layer, flaky)
    assert again.waiting() == 1 and again.problems == []
    save(again, "quote", "next", phrase="Putin")
    assert again.journal.path.read_bytes().count(b"\n") == 2
    again.close()


def test_a_record_the_server_refuses_is_kept_aside_and_reported_by_document(
    layer: OfflineBufferedLayer, flaky: FlakyLayer, memory: MemoryProject
) -> None:
    flaky.switch.down = True
    save(layer, "kim", "fine")
    # Labelled offline against the text as this computer had it; the server's text
    # differs (it was edited there meanwhile), so the server refuses these labels.
    stale = "Putin said it in Beijing."
    annotation = DocumentAnnotation(doc_id="quote", note="made on the old text")
    annotation.add_span(Span.of(stale, 0, 5, "PERSON", "T1"))
    layer.save(annotation, stale)
    save(layer, "cafe", "fine too", phrase="Putin")
    assert layer.waiting() == 3

    flaky.switch.down = False
    assert layer.send_waiting() == 2
    assert layer.waiting() == 0
    [rejection] = layer.rejected
    assert rejection.doc_id == "quote" and "different text" in rejection.reason
    assert "document quote" in rejection.message and "alice.jsonl.rejected" in rejection.message
    assert layer.problems == [rejection.message]
    assert stored_note(memory, "quote") is None
    kept = layer.journal.rejected_path.read_bytes().splitlines()
    assert kept[0].startswith(b"# ") and b"document quote refused" in kept[0]
    assert orjson.loads(kept[1])["note"] == "made on the old text"
    # Nothing waits any more, and the next run does not send it again.
    again = reopen(layer, flaky)
    assert again.waiting() == 0
    again.close()


def test_an_edit_that_does_not_fit_its_text_is_refused_not_kept(
    layer: OfflineBufferedLayer, flaky: FlakyLayer
) -> None:
    flaky.switch.down = True
    annotation = DocumentAnnotation(doc_id="kim")
    annotation.spans.append(Span(id="T1", start=0, end=5, label="PERSON", text="Putin"))
    with pytest.raises(AnnotationError, match="kim"):
        layer.save(annotation, TEXTS["kim"])
    assert layer.waiting() == 0 and layer.journal.path.stat().st_size == 0
    # And a store that answers with a refusal is not "out of reach": nothing is kept.
    flaky.switch.down = False
    with pytest.raises(AnnotationError):
        layer.save(annotation, TEXTS["kim"])
    assert layer.waiting() == 0


def test_one_program_at_a_time_keeps_an_annotators_offline_edits(
    layer: OfflineBufferedLayer, flaky: FlakyLayer
) -> None:
    with pytest.raises(LockedError, match=r"alice\.jsonl"):
        OfflineBufferedLayer(flaky, layer.journal.path)  # type: ignore[arg-type]


def test_only_stores_that_can_be_out_of_reach_are_wrapped(
    memory: MemoryProject, tmp_path: Path
) -> None:
    layer = memory.annotations("alice")
    assert offline_buffered(memory, layer, tmp_path) is layer
    folder = Project.create(tmp_path / "folder")
    folder_layer = folder.annotations("alice")
    assert offline_buffered(folder, folder_layer, tmp_path) is folder_layer
    folder.close()

    memory.remote = True  # type: ignore[misc]
    wrapped = offline_buffered(memory, layer, tmp_path)
    assert isinstance(wrapped, OfflineBufferedLayer)
    expected = offline_folder("postgresql://db.example/team", tmp_path) / "alice.jsonl"
    assert wrapped.journal.path == expected
    assert expected.parent.parent == tmp_path and "db.example_team" in expected.parent.name
    assert offline_folder("postgresql://db.example/other", tmp_path) != expected.parent
    reader = memory.annotations("bob", writable=False)
    assert offline_buffered(memory, reader, tmp_path) is reader
    wrapped.close()


def test_the_session_tells_saved_offline_and_failed_apart(
    memory: MemoryProject, flaky: FlakyLayer, layer: OfflineBufferedLayer
) -> None:
    session = Session(memory, "alice", layer)  # type: ignore[arg-type]
    assert session.offline is layer
    annotation = session.annotation("kim")
    text = TEXTS["kim"]
    annotation.add_span(Span.of(text, 0, 3, "PERSON", session.next_span_id("kim")))
    assert session.save("kim") and session.outcome("kim") == "saved"

    flaky.switch.down = True
    annotation.set_status("done")
    assert session.save("kim") and session.outcome("kim") == "offline"
    assert session.waiting == 1 and not session.dirty  # kept on disk: nothing to lose

    # An edit that cannot be kept anywhere (it does not fit its text) is a failed save.
    broken = session.annotation("quote")
    broken.spans.append(Span(id="T9", start=0, end=3, label="PERSON", text="xyz"))
    assert not session.save("quote") and session.outcome("quote") == "failed"
    assert session.dirty

    flaky.switch.down = False
    assert session.send_waiting() == 1
    assert session.waiting == 0 and session.outcome("kim") == "saved"
    stored = memory.layer_reader("alice").get("kim")
    assert stored is not None and stored.status == "done"


def test_a_refused_offline_edit_of_an_open_document_becomes_a_failed_save(
    memory: MemoryProject, flaky: FlakyLayer, layer: OfflineBufferedLayer
) -> None:
    session = Session(memory, "alice", layer)  # type: ignore[arg-type]
    session.annotation("kim").set_note("offline note")
    flaky.switch.down = True
    assert session.save("kim") and session.outcome("kim") == "offline"
    # The server refuses it when it comes (a rule it enforces).
    flaky.inner = _Refusing(flaky.inner)  # type: ignore[assignment]
    flaky.switch.down = False
    assert session.send_waiting() == 0
    assert session.outcome("kim") == "failed"
    assert "refused when it was sent" in session.unsaved["kim"]


def test_folder_and_memory_stores_are_never_out_of_reach(tmp_path: Path) -> None:
    assert MemoryProject().remote is False
    with Project.create(tmp_path / "p") as project:
        assert project.remote is False
        session = Session(project, "alice", project.annotations("alice"))
        assert session.offline is None and session.waiting == 0 and session.send_waiting() == 0


class _Refusing:
    def __init__(self, inner: object) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def save(self, annotation: DocumentAnnotation, text: str | None = None) -> None:
        raise AnnotationError(f"document {annotation.doc_id}: the server refuses notes today")


def test_a_damaged_waiting_record_is_kept_aside_not_sent_nor_dropped(
    layer: OfflineBufferedLayer, flaky: FlakyLayer, memory: MemoryProject
) -> None:
    flaky.switch.down = True
    save(layer, "kim", "fine")
    layer.journal.close()
    damaged = b'{"doc_id":"quote","status":"done","spans":[{"id":"T1","start":"nowhere"}]}\n'
    with layer.journal.path.open("ab") as handle:
        handle.write(damaged)
    again = reopen(layer, flaky)
    assert again.waiting() == 2
    with pytest.raises(InputError, match=r"alice\.jsonl:2: "):
        again.get("quote")  # one line naming the journal and the line, no traceback
    flaky.switch.down = False
    assert again.send_waiting() == 1
    [rejection] = again.rejected
    assert rejection.doc_id == "quote" and rejection.reason.startswith("unreadable (")
    assert again.journal.rejected_path.read_bytes().endswith(damaged)
    assert stored_note(memory, "kim") == "fine" and stored_note(memory, "quote") is None
    again.close()
