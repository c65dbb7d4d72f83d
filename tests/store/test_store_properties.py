"""Random edits and saves, reopened at random moments: the store gives back what was saved."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from annotator.core import STATUSES, Document, DocumentAnnotation, Relation, Span
from annotator.store import Project
from annotator.store import journal as journal_module

TEXTS = [
    "Putin 👍🏽 said “café\u0301” in 北京.\tDone",
    "Line one\nLine two\u00a0with NBSP\n\n👩\u200d👩\u200d👧 family",
    "Xi Jinping met 金正恩 on Tuesday; “We remain together,” he said.",
]
LABELS = ["PERSON", "QUOTE", "SOURCE", "GPE"]


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="annotator-stateful-"))
        self.project = Project.create(self.folder / "p")
        self.project.add_documents(
            [Document(id=f"d{i}", text=text) for i, text in enumerate(TEXTS)]
        )
        self.store = self.project.annotations("alice")
        # The edited (unsaved) state and the last saved state of each document.
        self.working = {f"d{i}": DocumentAnnotation(doc_id=f"d{i}") for i in range(len(TEXTS))}
        self.saved: dict[str, DocumentAnnotation] = {}

    def teardown(self) -> None:
        self.project.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    docs = st.sampled_from([f"d{i}" for i in range(len(TEXTS))])

    @rule(doc=docs, data=st.data(), label=st.sampled_from(LABELS))
    def add_span(self, doc: str, data: st.DataObject, label: str) -> None:
        text = TEXTS[int(doc[1:])]
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start + 1, len(text)))
        annotation = self.working[doc]
        annotation.add_span(Span.of(text, start, end, label, annotation.next_span_id()))

    @precondition(lambda self: any(a.spans for a in self.working.values()))
    @rule(data=st.data())
    def remove_span(self, data: st.DataObject) -> None:
        annotation = data.draw(st.sampled_from([a for a in self.working.values() if a.spans]))
        span = data.draw(st.sampled_from(annotation.spans))
        annotation.remove_span(span.id)

    @precondition(lambda self: any(len(a.spans) >= 2 for a in self.working.values()))
    @rule(data=st.data())
    def add_relation(self, data: st.DataObject) -> None:
        annotation = data.draw(
            st.sampled_from([a for a in self.working.values() if len(a.spans) >= 2])
        )
        head, tail = data.draw(st.permutations(annotation.spans))[:2]
        relation = Relation(
            id=annotation.next_relation_id(), label="ATTRIBUTED_TO", head=head.id, tail=tail.id
        )
        annotation.add_relation(relation)

    @rule(doc=docs, status=st.sampled_from(STATUSES), note=st.text(max_size=8))
    def set_status_and_note(self, doc: str, status: str, note: str) -> None:
        self.working[doc].set_status(status)  # type: ignore[arg-type]
        self.working[doc].set_note(note)

    @rule(doc=docs)
    def save(self, doc: str) -> None:
        self.store.save(self.working[doc])
        self.saved[doc] = self.working[doc].model_copy(deep=True)

    @rule()
    def compact(self) -> None:
        self.store.compact()

    @rule(compact_threshold=st.sampled_from([0, 1 << 20]))
    def reopen(self, compact_threshold: int) -> None:
        self.project.close()
        original = journal_module.COMPACT_MIN_BYTES
        journal_module.COMPACT_MIN_BYTES = compact_threshold
        try:
            self.project = Project.open(self.folder / "p")
            self.store = self.project.annotations("alice")
        finally:
            journal_module.COMPACT_MIN_BYTES = original
        # Unsaved edits are gone after a reopen, as in the application.
        for doc in self.working:
            self.working[doc] = (
                self.saved[doc].model_copy(deep=True)
                if doc in self.saved
                else DocumentAnnotation(doc_id=doc)
            )

    @invariant()
    def store_returns_the_last_save(self) -> None:
        assert sorted(self.store.doc_ids()) == sorted(self.saved)
        for doc, annotation in self.saved.items():
            assert self.store.get(doc) == annotation
            summary = self.store.summary(doc)
            assert summary is not None and summary.spans == len(annotation.spans)
        assert self.store.problems == []


StoreMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
test_store_state_machine = StoreMachine.TestCase
