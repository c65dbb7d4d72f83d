"""The database store's own promises, on a real server: many writers (one per annotator,
a second one refused and offered read-only), refresh and change notices, records kept
exactly as the folder's journal writes them, documents added all or nothing."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import orjson
import psycopg
import pytest

from annotator.core.errors import AnnotatorError, InputError, LockedError
from annotator.core.models import Document, DocumentAnnotation, Span, text_hash
from annotator.store import Project
from annotator.store.postgres import create_postgres, open_postgres
from annotator.store.postgres.project import Change, PostgresProject
from tests.store.postgres.server import PASSWORD, Databases

pytestmark = pytest.mark.postgres

TEXT = "Putin 👍🏽 met Xi\tin Beijing.\nCafe\u0301 talks."


def labelled(doc_id: str, text: str, status: str = "done") -> DocumentAnnotation:
    labels = DocumentAnnotation(doc_id=doc_id, text_hash=text_hash(text))
    start = text.index("Beijing")
    labels.add_span(Span.of(text, start, start + 7, "GPE", "T1"))
    labels.add_span(Span.of(text, 0, 5, "PERSON", "T2"))
    labels.status = status  # type: ignore[assignment]
    return labels


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query.encode()).fetchall()


def test_a_second_writer_is_refused_and_may_read_while_others_write(postgres_url: str) -> None:
    with open_postgres(postgres_url) as first, open_postgres(postgres_url) as second:
        first.add_documents([Document(id="a", text=TEXT), Document(id="b", text="Other.")])
        alice = first.annotations("alice")
        with pytest.raises(LockedError) as refused:
            second.annotations("alice")
        message = str(refused.value)
        assert "\n" not in message
        assert message.startswith(f"{first.location}/annotations/alice is open for writing by ")
        assert f"pid {os.getpid()} on {socket.gethostname()}" in message
        assert message.endswith("close it there first, or open the project read-only")
        # Suggestions are a layer of their own, and bob writes beside alice.
        suggested = second.suggestions("alice")
        suggested.save(labelled("a", TEXT))
        assert suggested.writable and second.suggestion_annotators() == ["alice"]
        bob = second.annotations("bob")
        bob.save(labelled("a", TEXT, "in_progress"))
        reader = second.annotations("alice", writable=False)
        assert not reader.writable and len(reader) == 0
        alice.save(labelled("a", TEXT))
        assert "a" not in reader  # not until a refresh
        reader.refresh()
        assert reader.doc_ids() == ["a"] and reader.get("a") == alice.get("a")
        with pytest.raises(AnnotatorError, match="read-only"):
            reader.save(labelled("a", TEXT))
        # The writer let go: a second program may now write alice's labels.
        first.release_annotations("alice")
        taken = second.annotations("alice")
        assert taken.writable and taken.summary("a") is not None
        assert first.annotators() == ["alice", "bob"]


def test_closing_a_project_lets_go_of_its_layers(postgres_url: str) -> None:
    first = open_postgres(postgres_url)
    first.annotations("alice")
    first.suggestions("alice")
    first.close()
    with open_postgres(postgres_url) as second:
        assert second.annotations("alice").writable
        assert second.suggestions("alice").writable


def test_each_save_is_one_row_kept_as_the_folders_journal_line(
    postgres_url: str, tmp_path: Path
) -> None:
    labels = labelled("a", TEXT)
    with Project.create(tmp_path / "folder") as folder:
        folder.add_documents([Document(id="a", text=TEXT)])
        folder.annotations("alice").save(labels.model_copy(deep=True))
    journal_line = (tmp_path / "folder" / "annotations" / "alice.jsonl").read_bytes().strip()
    with open_postgres(postgres_url) as store:
        store.add_documents([Document(id="a", text=TEXT)])
        layer = store.annotations("alice")
        layer.save(labels.model_copy(deep=True))
        earlier = labels.model_copy(deep=True)
        earlier.status = "in_progress"
        layer.save(earlier)
        layer.save(labels.model_copy(deep=True))  # the last save wins
        summary = layer.summary("a")
        assert summary is not None and (summary.status, summary.spans) == ("done", 2)
    stored = rows(postgres_url, "SELECT record::text, status, spans, relations FROM annotations")
    assert stored == [(journal_line.decode(), "done", 2, 0)]
    with open_postgres(postgres_url) as reopened:
        record = reopened.annotations("alice", writable=False).get_record(
            "a", TEXT, text_hash(TEXT)
        )
        assert record == labels.model_dump(mode="json")
        assert list(record) == list(labels.model_dump(mode="json"))


def test_a_damaged_record_is_reported_naming_the_row(postgres_url: str) -> None:
    with open_postgres(postgres_url) as store:
        store.add_documents([Document(id="a", text=TEXT)])
        store.annotations("alice").save(labelled("a", TEXT))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("""UPDATE annotations SET record = '{"doc_id": "a", "spans": 3}'""")
    with open_postgres(postgres_url) as store:
        layer = store.annotations("alice", writable=False)
        with pytest.raises(InputError, match=r"/annotations/alice/a: invalid labels"):
            layer.get("a")


def test_documents_keep_their_order_meta_and_text_exactly(postgres_url: str) -> None:
    meta = {"title": "Zoë", "source": "wire", "a": [1, {"z": None, "b": 2}]}
    with open_postgres(postgres_url) as store:
        store.add_documents([Document(id="z", text=TEXT, meta=meta)])
        batch = [Document(id=f"d{n:04}", text=f"Text {n} 👍🏽\n") for n in range(3000)]
        seen: list[int] = []
        counts = store.add_documents(batch, progress=lambda done, total: seen.append(done))
        assert counts == {"added": 3000, "unchanged": 0} and seen[-1] == 3000
        assert store.document_ids() == ["z", *(d.id for d in batch)]
        document = store.get_document("z")
        assert document.text == TEXT and list(document.meta) == ["title", "source", "a"]
        assert document.meta == meta and store.entry("z").title == "Zoë"
        assert [d.id for d in store.iter_documents()] == store.document_ids()
    with open_postgres(postgres_url) as reopened:
        assert len(reopened) == 3001 and reopened.entries()[1].chars == len("Text 0 👍🏽\n")


def test_a_refused_batch_adds_nothing_and_says_which_document(postgres_url: str) -> None:
    with open_postgres(postgres_url) as store:
        store.add_documents([Document(id="a", text=TEXT)])
        with pytest.raises(AnnotatorError, match="'b' is already earlier in this import"):
            store.add_documents([Document(id="b", text="One."), Document(id="b", text="Two.")])
        with pytest.raises(AnnotatorError, match="'a' is already in the project"):
            store.add_documents([Document(id="new", text="New."), Document(id="a", text="X")])
        with pytest.raises(AnnotatorError, match="NUL character"):
            store.add_documents([Document(id="c", text="A\x00B")])
        assert store.document_ids() == ["a"]
        same = store.add_documents([Document(id="a", text=TEXT), Document(id="a2", text=TEXT)])
        assert same == {"added": 1, "unchanged": 1}
    assert rows(postgres_url, "SELECT id, ordinal FROM documents ORDER BY ordinal") == [
        ("a", 1),
        ("a2", 2),
    ]


def test_another_programs_documents_and_saves_are_seen(postgres_url: str) -> None:
    with open_postgres(postgres_url) as mine, open_postgres(postgres_url) as theirs:
        assert len(mine) == 0
        theirs.add_documents([Document(id="a", text=TEXT)])
        assert "a" in mine and len(mine) == 1 and mine.entries()[0].id == "a"
        mine.listen()
        theirs.annotations("bob").save(labelled("a", TEXT))
        assert mine.poll_changes(timeout=10) == [Change("bob", "a")]
        assert mine.poll_changes() == []
        # This program's own saves are not news to it.
        mine.annotations("alice").save(labelled("a", TEXT))
        assert mine.poll_changes(timeout=0.2) == []
        many = [f"m{n}" for n in range(150)]
        theirs.add_documents([Document(id=doc_id, text=TEXT) for doc_id in many])
        theirs.annotations("carol").save_many([labelled(doc_id, TEXT) for doc_id in many])
        assert mine.poll_changes(timeout=10) == [Change("carol", "")]
        assert len(mine.annotations("carol", writable=False)) == 150


def test_schema_settings_and_state_live_in_the_database(postgres_url: str) -> None:
    with open_postgres(postgres_url) as store:
        schema = store.schema
        store.set_schema(schema.model_copy(update={"labels": schema.labels[:2]}))
        store.save_settings({"analysts_per_document": 2, "nested": {"b": 1, "a": 2}})
        store.write_state("review", "carol", b"\x00{\xff}")
        store.write_state("review", "carol", b'{"seen": 2}')
    with open_postgres(postgres_url) as reopened:
        assert reopened.schema == schema.model_copy(update={"labels": schema.labels[:2]})
        assert reopened.settings == {"analysts_per_document": 2, "nested": {"b": 1, "a": 2}}
        assert reopened.read_state("review", "carol") == b'{"seen": 2}'
        assert reopened.read_state("review", "dave") is None
        assert reopened.name == "project"


def test_location_never_shows_the_password(databases: Databases) -> None:
    url = databases.new()
    with_password = url.replace("annotator_test@", f"annotator_test:{PASSWORD}@")
    assert with_password != url
    with open_postgres(with_password) as store:
        assert store.location == url and PASSWORD not in store.location
        assert PASSWORD not in store.annotations("alice").location
    in_query = f"{url}?password={PASSWORD}&connect_timeout=5"
    with open_postgres(in_query) as store:
        assert store.location == f"{url}?connect_timeout=5"


def test_create_names_the_project_and_keeps_the_schema(databases: Databases) -> None:
    url = databases.new(template=None)
    with open_postgres(databases.new()) as other:
        schema = other.schema.model_copy(update={"labels": other.schema.labels[:1]})
    store = create_postgres(url, name="Team news", schema=schema)
    try:
        assert isinstance(store, PostgresProject)
        assert store.name == "Team news" and store.schema == schema and len(store) == 0
    finally:
        store.close()
    with pytest.raises(AnnotatorError, match="a project already exists here"):
        create_postgres(url)


def test_export_streams_every_row_and_checks_a_record_not_sealed(postgres_url: str) -> None:
    texts = {f"d{n:04}": f"{n}. {TEXT}" for n in range(2_500)}
    with open_postgres(postgres_url) as store:
        store.add_documents([Document(id=doc_id, text=text) for doc_id, text in texts.items()])
        layer = store.annotations("alice")
        layer.save_many([labelled(doc_id, texts[doc_id]) for doc_id in ("d0001", "d2400")])
    # A record as an older program wrote it: plain JSON, no checksum.
    plain = labelled("d2400", texts["d2400"]).model_dump(mode="json")
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE annotations SET record = %s WHERE document = 'd2400'",
            (orjson.dumps(plain).decode(),),
        )
    with open_postgres(postgres_url) as store:
        rows = list(store.export_rows("alice"))
        assert [row.fields[0] for row in rows] == list(texts)
        assert rows[1].sealed is not None and rows[1].sealed.head["doc_id"] == "d0001"
        assert rows[2400].sealed is None and rows[2400].record == plain
        assert sum(row.sealed is not None or row.record is not None for row in rows) == 2
        # An export left half-way leaves the project's connection free.
        first = next(iter(store.export_rows("alice")))
        assert first.fields[0] == "d0000"
        assert store.get_text("d2499") == texts["d2499"] and len(store) == 2_500
