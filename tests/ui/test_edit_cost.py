"""An edit touches only what it changed: the attribution list, the document list's row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtWidgets import QTableView
from pytest import MonkeyPatch

from annotator.core.models import Relation, Span
from annotator.ui import commands
from annotator.ui.main_window import MainWindow

Opener = Callable[..., MainWindow]


def test_a_span_outside_every_attribution_leaves_the_attribution_list_alone(
    make_project: Callable[..., Path], open_main: Opener, monkeypatch: MonkeyPatch
) -> None:
    window = open_main(make_project())
    window.show_document("quote")
    window.snap_action.setChecked(False)
    text = window.view.text
    for phrase, label in (('"we remain together now"', "QUOTE"), ("Putin", "PERSON")):
        start = text.index(phrase)
        window.view.select_range(start, start + len(phrase))
        window.editing.apply_label(label)
    assert window.session is not None
    relation = Relation(id="R1", label="ATTRIBUTED_TO", head="T1", tail="T2")
    window.undo_stack.push(commands.AddRelation(window.session, "quote", relation))
    assert window.panel.relation_view.topLevelItemCount() == 1
    rebuilt: list[int] = []
    original = window.panel.show_relations
    monkeypatch.setattr(
        window.panel, "show_relations", lambda annotation: (rebuilt.append(1), original(annotation))
    )
    start = text.index("Beijing")
    window.view.select_range(start, start + len("Beijing"))
    window.editing.apply_label("GPE")
    assert rebuilt == []  # a new span no attribution joins
    window.editing.relabel("T2", "ORG")
    assert len(rebuilt) == 1  # the attribution's source changed: its line says ORG now
    assert "ORG" in window.panel.relation_view.topLevelItem(0).text(2)
    window.editing.delete_span("T2")
    assert window.panel.relation_view.topLevelItemCount() == 0
    assert window.view.arrows == []


def test_document_list_is_a_table_over_a_model_with_fixed_columns(
    make_project: Callable[..., Path], open_main: Opener
) -> None:
    window = open_main(make_project())
    assert window.document_list is not None
    view = window.document_list.view
    assert isinstance(view, QTableView) and view.objectName() == "documentList"
    header = view.horizontalHeader()
    metrics = view.fontMetrics()
    # Columns keep their width as counts change, and fit the widest status and count.
    assert header.sectionSize(2) >= metrics.horizontalAdvance("99,999")
    assert header.sectionSize(1) >= metrics.horizontalAdvance("◐ in progress")
    window.show_document("kim")
    before = (header.sectionSize(1), header.sectionSize(2))
    start = window.view.text.index("Beijing")
    window.view.select_range(start, start + 7)
    window.editing.apply_label("GPE")
    assert (header.sectionSize(1), header.sectionSize(2)) == before
    row = window.document_list.model.row_of("kim")
    assert row is not None
    assert window.document_list.model.index(row, 2).data() == 1
    assert "in progress" in window.document_list.model.index(row, 1).data()
    assert window.document_list.progress.text() == "<b>0 of 6 done</b>"


def test_statuses_in_one_pass_agree_with_one_at_a_time(
    make_project: Callable[..., Path], open_main: Opener
) -> None:
    window = open_main(make_project())
    session = window.session
    assert session is not None
    window.show_document("emoji")
    window.editing.set_status("done")
    ids = [entry.id for entry in session.project.entries()]
    assert session.statuses(ids) == [session.status(doc_id) for doc_id in ids]
    assert session.statuses(ids)[ids.index("emoji")] == "done"
    # The window's own lookups use the view's table of spans.
    assert window.editing._span(None) is None and window.editing._span("T404") is None
    start = window.view.text.index("Putin")
    window.view.select_range(start, start + 5)
    window.editing.apply_label("PERSON")
    span = window.editing._span(window.view.selected_span)
    assert isinstance(span, Span) and span.text == "Putin"


class _NoPassList(list[Span]):
    """The panel's span list, refusing a pass over every span."""

    def __iter__(self) -> Iterator[Span]:
        raise AssertionError("an edit went over every span of the document")


def test_an_edit_updates_the_legend_counts_without_a_pass_over_every_span(
    make_project: Callable[..., Path], open_main: Opener
) -> None:
    window = open_main(make_project())
    window.show_document("emoji")
    window.snap_action.setChecked(False)
    text = window.view.text
    model = window.panel.span_model
    model.spans = _NoPassList(model.spans)
    for phrase, label in (("Xi Jinping", "PERSON"), ("Putin", "PERSON"), ("Fans 👍🏽", "ORG")):
        start = text.index(phrase)
        window.view.select_range(start, start + len(phrase))
        window.editing.apply_label(label)
    assert window.palette_widget.counts == {"PERSON": 2, "ORG": 1}
    window.editing.relabel("T1", "GPE")
    window.editing.delete_span("T3")
    assert window.palette_widget.counts == {"PERSON": 1, "GPE": 1}
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert window.palette_widget.counts == {"PERSON": 2, "ORG": 1}
    assert window.panel.span_count.text() == "3 spans"
    # The counts kept by the edits are those of a fresh look at the document.
    window.show_document("kim")
    window.show_document("emoji")
    assert window.palette_widget.counts == {"PERSON": 2, "ORG": 1}


def test_new_span_ids_come_without_a_scan_of_every_id(
    make_project: Callable[..., Path], open_main: Opener, monkeypatch: MonkeyPatch
) -> None:
    from annotator.core.models import DocumentAnnotation

    window = open_main(make_project())
    window.show_document("emoji")
    window.snap_action.setChecked(False)
    assert window.session is not None
    annotation = window.session.annotation("emoji")
    # Ids in use just past the count of spans, as after deletions: they are stepped over.
    text = window.view.text
    annotation.add_span(Span.of(text, 0, 1, "ORG", f"T{len(annotation.spans) + 1}"))
    annotation.add_span(Span.of(text, 1, 2, "ORG", f"T{len(annotation.spans) + 1}"))
    window.show_document("kim")
    window.show_document("emoji")
    used = {span.id for span in annotation.spans}

    def scan(_self: DocumentAnnotation) -> str:
        raise AssertionError("the highest span id was looked for over every span")

    monkeypatch.setattr(DocumentAnnotation, "next_span_id", scan)
    for phrase in ("Xi Jinping", "Putin"):
        start = text.index(phrase)
        window.view.select_range(start, start + len(phrase))
        window.editing.apply_label("PERSON")
    new = [span for span in annotation.spans if span.id not in used]
    assert [span.text for span in new] == ["Xi Jinping", "Putin"]
    assert len({span.id for span in annotation.spans}) == len(annotation.spans)
    # Undone, a new span still gets an id never used in this session.
    window.undo_stack.undo()
    start = text.index("Putin")
    window.view.select_range(start, start + len("Putin"))
    window.editing.apply_label("ORG")
    assert annotation.spans[-1].id not in {span.id for span in new}


def test_an_edit_renames_only_the_label_button_whose_count_changed(
    make_project: Callable[..., Path], open_main: Opener
) -> None:
    window = open_main(make_project())
    window.show_document("emoji")
    window.snap_action.setChecked(False)
    renamed: list[str] = []
    for name, button in window.palette_widget.buttons.items():
        original = button.setText
        button.setText = lambda text, name=name, original=original: (  # type: ignore[method-assign]
            renamed.append(name),
            original(text),
        )
    start = window.view.text.index("Putin")
    window.view.select_range(start, start + len("Putin"))
    window.editing.apply_label("PERSON")
    assert renamed == ["PERSON"]
    assert "· 1" in window.palette_widget.buttons["PERSON"].text()
    window.undo_stack.undo()
    assert renamed == ["PERSON", "PERSON"]
    assert "·" not in window.palette_widget.buttons["PERSON"].text()
