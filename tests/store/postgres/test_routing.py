"""Handing documents out: every document to exactly ``analysts_per_document`` distinct
analysts, even when all of them ask at once (real connections, one per thread)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.models import Document, DocumentAnnotation, text_hash
from annotator.store.postgres import open_postgres
from annotator.store.postgres.routing import AnalystProgress

pytestmark = pytest.mark.postgres


def fill(url: str, count: int, needed: int | None) -> None:
    with open_postgres(url) as store:
        store.add_documents([Document(id=f"d{n:02}", text=f"Article {n}.") for n in range(count)])
        if needed is not None:
            store.save_settings({"analysts_per_document": needed})


def test_eight_analysts_at_once_give_every_document_exactly_two(postgres_url: str) -> None:
    # 40 documents: without the count taken again under the row lock, a third analyst
    # got one of them in most runs.
    fill(postgres_url, 40, needed=2)
    analysts = [f"analyst{n}" for n in range(8)]
    given: dict[str, list[str]] = {name: [] for name in analysts}
    failures: list[BaseException] = []
    start = threading.Barrier(len(analysts))

    def work(name: str) -> None:
        try:
            with open_postgres(postgres_url) as store:
                layer = store.annotations(name)
                start.wait()
                while (doc_id := store.next_document(name)) is not None:
                    given[name].append(doc_id)
                    labels = DocumentAnnotation(
                        doc_id=doc_id, text_hash=text_hash(store.get_text(doc_id))
                    )
                    labels.status = "done"
                    layer.save(labels)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in analysts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    per_document = Counter(doc_id for docs in given.values() for doc_id in docs)
    assert per_document == {f"d{n:02}": 2 for n in range(40)}
    for docs in given.values():
        assert len(docs) == len(set(docs)), "an analyst was given a document twice"
    with open_postgres(postgres_url) as store:
        progress = store.progress_by_annotator()
        assert sum(p.handed_out for p in progress.values()) == 80
        assert {name: p.done for name, p in progress.items()} == {
            name: len(docs) for name, docs in given.items() if docs
        }
        assert store.next_document("newcomer") is None


def test_documents_go_out_in_order_skipping_what_an_analyst_labelled(postgres_url: str) -> None:
    fill(postgres_url, 4, needed=None)  # one analyst per document by default
    with open_postgres(postgres_url) as store:
        store.annotations("alice").save(
            DocumentAnnotation(doc_id="d00", text_hash=text_hash("Article 0."))
        )
        assert store.next_document("alice") == "d01"
        assert store.next_document("bob") == "d00"
        assert store.next_document("bob") == "d02"
        assert store.next_document("alice") == "d03"
        assert store.next_document("carol") is None
        assert store.progress_by_annotator() == {
            "alice": AnalystProgress(handed_out=2, done=0),
            "bob": AnalystProgress(handed_out=2, done=0),
        }
        store.save_settings({"analysts_per_document": 2})
        assert store.next_document("carol") == "d00"
        assert store.next_document("alice") == "d02"  # d00 is labelled by her already
        store.save_settings({"analysts_per_document": "two"})
        with pytest.raises(AnnotatorError, match="analysts_per_document must be a whole number"):
            store.next_document("carol")


def test_a_document_handed_out_is_heard_by_other_programs(postgres_url: str) -> None:
    from annotator.store.postgres.project import Change

    fill(postgres_url, 3, needed=None)
    with open_postgres(postgres_url) as reviewer, open_postgres(postgres_url) as bob:
        reviewer.listen()
        assert bob.next_document("bob") == "d00"
        # No one's labels changed; the team's counts did.
        assert reviewer.poll_changes(timeout=10) == [Change("", "d00")]
        assert bob.next_document("bob") == "d01"
        assert reviewer.poll_changes(timeout=10) == [Change("", "d01")]
        assert bob.next_document("bob") == "d02"
        assert bob.next_document("bob") is None
        # Nothing handed out, nothing said.
        assert reviewer.poll_changes(timeout=0.2) == [Change("", "d02")]
        # The program that claimed does not hear its own claim.
        reviewer.next_document("carol")
        assert reviewer.poll_changes(timeout=0.2) == []
