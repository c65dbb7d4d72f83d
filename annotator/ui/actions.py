"""The window's actions as one table: the menus and the shortcut list (F1) are built from it.

Each row names its handler as a path of attributes from the window ("editing.apply_label")
that is looked up when the action is triggered, not when the menus are built: the table
imports nothing, so building the first frame's menus loads no handler's module, and a
handler may live in a part of the window that is built later.

The Labels menu is built from the project's schema when a project opens, and its rows of
this table follow the schema's labels and relations there (``MainWindow.build_label_actions``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from typing import TYPE_CHECKING, Literal, NamedTuple

from annotator.core.status import STATUSES, Status
from annotator.ui.lazy_qt import new_action, set_shortcut
from annotator.ui.statuses import STATUS_TEXT

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMenu, QWidget

MENUS = ("&File", "&Edit", "&Labels", "&Document", "&View", "&Suggestions", "&Model", "&Help")
LABELS_MENU = "&Labels"


class ActionSpec(NamedTuple):
    name: str  # the action's objectName
    menu: str  # one of MENUS
    text: str = ""
    handler: str = ""  # attribute path from the window; "" for a checkbox read where used
    keys: tuple[str, ...] = ()
    args: tuple[object, ...] = ()
    checkable: bool = False
    # A bool query on the window (an attribute path) whose change signal is the same path
    # with "Changed" appended, as Qt names them (QUndoStack.canUndo, canUndoChanged);
    # "" means always enabled.
    enabled_when: str = ""
    # A str signal (attribute path): the action reads "text" followed by what it sends, as
    # QUndoStack's own undo action reads "Undo Add span".
    text_from: str = ""
    # "submenu": the handler fills the submenu each time it is about to show.
    kind: Literal["action", "separator", "submenu"] = "action"


def separator(menu: str) -> ActionSpec:
    return ActionSpec("", menu, kind="separator")


STATUS_KEYS: dict[Status, str] = {
    "todo": "Alt+1",
    "in_progress": "Alt+2",
    "done": "Alt+3",
    "skipped": "Alt+4",
    "flagged": "Alt+5",
}

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("openProject", "&File", "&Open project…", "loader.choose_project", ("Ctrl+O",)),
    ActionSpec("recentProjects", "&File", "Recent projects", "loader.fill_recent", kind="submenu"),
    ActionSpec("save", "&File", "&Save", "loader.save_now", ("Ctrl+S",)),
    separator("&File"),
    ActionSpec(
        "importFiles", "&File", "&Import documents and labels…", "loader.import_files", ("Ctrl+I",)
    ),
    ActionSpec(
        "exportLabels", "&File", "&Export labels…", "loader.export_labels", ("Ctrl+Shift+S",)
    ),
    separator("&File"),
    ActionSpec(
        "openReview",
        "&File",
        "&Review and agreement…",
        "loader.open_review_window",
        ("Ctrl+Shift+R",),
    ),
    separator("&File"),
    ActionSpec("switchAnalyst", "&File", "S&witch analyst…", "switch_analyst"),
    separator("&File"),
    ActionSpec("quit", "&File", "&Quit", "close", ("Ctrl+Q",)),
    ActionSpec(
        "undo",
        "&Edit",
        "&Undo",
        "undo_stack.undo",
        ("Ctrl+Z",),
        enabled_when="undo_stack.canUndo",
        text_from="undo_stack.undoTextChanged",
    ),
    ActionSpec(
        "redo",
        "&Edit",
        "&Redo",
        "undo_stack.redo",
        ("Ctrl+Shift+Z", "Ctrl+Y"),
        enabled_when="undo_stack.canRedo",
        text_from="undo_stack.redoTextChanged",
    ),
    separator("&Edit"),
    ActionSpec(
        "deleteSpan",
        "&Edit",
        "&Delete selected span",
        "editing.delete_selected_span",
        ("Del", "Backspace"),
    ),
    ActionSpec(
        "editSpanNote", "&Edit", "Edit span &note…", "editing.edit_selected_span_note", ("Ctrl+E",)
    ),
    ActionSpec("find", "&Edit", "&Find in document", "open_find", ("Ctrl+F",)),
    ActionSpec("findNext", "&Edit", "Find &next", "find_bar.search", ("F3",), args=(True,)),
    ActionSpec("cancel", "&Edit", "Cancel / clear selection", "cancel", ("Esc",)),
    ActionSpec(
        "snapToWords",
        "&Edit",
        "Snap selection to &words",
        "snapping_toggled",
        ("Ctrl+Shift+W",),
        checkable=True,
    ),
    ActionSpec(
        "nextDocument",
        "&Document",
        "&Next document",
        "loader.step_document",
        ("Ctrl+PgDown", "Alt+Down"),
        args=(1,),
    ),
    ActionSpec(
        "previousDocument",
        "&Document",
        "&Previous document",
        "loader.step_document",
        ("Ctrl+PgUp", "Alt+Up"),
        args=(-1,),
    ),
    ActionSpec(
        "nextUnlabelled",
        "&Document",
        "Next &unlabelled document",
        "loader.next_unlabelled",
        ("Ctrl+J",),
    ),
    ActionSpec(
        "leastSureFirst",
        "&Document",
        "Next unlabelled: least &sure first",
        "least_sure_toggled",
        checkable=True,
    ),
    separator("&Document"),
    *(
        ActionSpec(
            f"mark_{status}",
            "&Document",
            f"Mark {STATUS_TEXT[status]}",
            "editing.set_status",
            (STATUS_KEYS[status],),
            args=(status,),
        )
        for status in STATUSES
    ),
    ActionSpec(
        "doneAndNext",
        "&Document",
        "Mark done and go to next unlabelled",
        "loader.done_and_next",
        ("Ctrl+Return",),
    ),
    ActionSpec(
        "editDocumentNote", "&Document", "Edit document note", "focus_note", ("Ctrl+Shift+E",)
    ),
    ActionSpec(
        "biggerText", "&View", "&Bigger text", "change_font", ("Ctrl++", "Ctrl+="), args=(1,)
    ),
    ActionSpec("smallerText", "&View", "&Smaller text", "change_font", ("Ctrl+-",), args=(-1,)),
    ActionSpec(
        "darkPalette",
        "&View",
        "&Dark palette",
        "dark_toggled",
        ("Ctrl+Shift+D",),
        checkable=True,
    ),
    ActionSpec(
        "showAllArrows",
        "&View",
        "Show all &attributions",
        "arrows_toggled",
        ("Ctrl+Shift+A",),
        checkable=True,
    ),
    # The window adds the docks' own show/hide actions below these.
    ActionSpec("editLabels", LABELS_MENU, "Edit labels…", "loader.edit_schema", ("Ctrl+Shift+L",)),
    # Suggestions (assist_controller.py). Its shortcuts follow Prodigy's: A accepts, X rejects;
    # the controller moves them when a label has taken one as its hotkey.
    ActionSpec(
        "acceptSuggestion", "&Suggestions", "&Accept suggestion", "assist.accept_current", ("A",)
    ),
    ActionSpec(
        "rejectSuggestion", "&Suggestions", "&Reject suggestion", "assist.reject_current", ("X",)
    ),
    ActionSpec(
        "acceptAll",
        "&Suggestions",
        "Accept all suggestions in this &document",
        "assist.accept_all",
        ("Shift+A",),
    ),
    ActionSpec(
        "nextSuggestion", "&Suggestions", "&Next suggestion", "assist.step", ("F8",), args=(1,)
    ),
    ActionSpec(
        "previousSuggestion",
        "&Suggestions",
        "&Previous suggestion",
        "assist.step",
        ("Shift+F8",),
        args=(-1,),
    ),
    separator("&Suggestions"),
    ActionSpec(
        "labelMentionsHere",
        "&Suggestions",
        "Label all &mentions in this document",
        "assist.label_mentions",
        ("Ctrl+M",),
        args=(False, False),
    ),
    ActionSpec(
        "labelMentionsEverywhere",
        "&Suggestions",
        "Label all mentions in all documents",
        "assist.label_mentions",
        args=(True, False),
    ),
    ActionSpec(
        "suggestMentionsHere",
        "&Suggestions",
        "Suggest all mentions in this document",
        "assist.label_mentions",
        args=(False, True),
    ),
    ActionSpec(
        "suggestMentionsEverywhere",
        "&Suggestions",
        "Suggest all mentions in all documents",
        "assist.label_mentions",
        ("Ctrl+Shift+M",),
        args=(True, True),
    ),
    ActionSpec("mentionsIgnoreCase", "&Suggestions", "Mentions ignore &case", checkable=True),
    separator("&Suggestions"),
    ActionSpec(
        "suggestPatterns",
        "&Suggestions",
        "Suggest from a &pattern file or word list…",
        "assist.choose_patterns",
    ),
    # Training a model on the labels and using it as suggester (model_controller.py).
    ActionSpec("trainFromLabels", "&Model", "&Train from my labels…", "models.train_from_labels"),
    ActionSpec("trainFromGold", "&Model", "Train from the &gold layer…", "models.train_from_gold"),
    separator("&Model"),
    ActionSpec("suggestWithModel", "&Model", "&Suggest with a model…", "models.choose_model"),
    ActionSpec(
        "suggestFromPredictions",
        "&Model",
        "Suggest from &predictions file…",
        "models.choose_predictions",
    ),
    ActionSpec("showHelp", "&Help", "&Keyboard shortcuts", "show_help", ("F1", "Ctrl+/")),
)


def attribute(root: object, path: str) -> object:
    """``root.a.b`` for the path "a.b"."""
    return reduce(getattr, path.split("."), root)


def handler(window: object, spec: ActionSpec) -> Callable[[], object]:
    """Calls the row's handler, looked up on the window when the action fires."""

    def run() -> object:
        function = attribute(window, spec.handler)
        assert callable(function), spec.handler
        return function(*spec.args)

    return run


def build_actions(window: QWidget, menus: dict[str, QMenu]) -> dict[str, QAction]:
    """Every row's action, added to the window (shortcuts) and to its menu, in table order.

    Rows of the Labels menu are made but not placed: the menu is rebuilt from the schema.
    """
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        menu = menus[spec.menu]
        if spec.kind == "separator":
            if spec.menu != LABELS_MENU:
                menu.addSeparator()
            continue
        if spec.kind == "submenu":
            submenu = menu.addMenu(spec.text)
            submenu.setObjectName(spec.name)
            fill = handler(window, spec._replace(args=(submenu,)))
            submenu.aboutToShow.connect(fill)
            continue
        action = _make(window, spec)
        actions[spec.name] = action
        if spec.menu != LABELS_MENU:
            menu.addAction(action)
    return actions


def _make(window: QWidget, spec: ActionSpec) -> QAction:
    action = new_action(spec.text, window)
    action.setObjectName(spec.name)
    if len(spec.keys) == 1:
        set_shortcut(action, spec.keys[0])
    elif spec.keys:
        from PySide6.QtGui import QKeySequence

        action.setShortcuts([QKeySequence(key) for key in spec.keys])
    action.setCheckable(spec.checkable)
    if spec.handler:
        run = handler(window, spec)
        if spec.checkable:
            action.toggled.connect(lambda _checked: run())
        else:
            action.triggered.connect(lambda _checked=False: run())
    if spec.enabled_when:
        query = attribute(window, spec.enabled_when)
        assert callable(query), spec.enabled_when
        action.setEnabled(bool(query()))
        attribute(window, spec.enabled_when + "Changed").connect(action.setEnabled)  # type: ignore[attr-defined]
    if spec.text_from:
        prefix = spec.text

        def follow(text: str) -> None:
            action.setText(f"{prefix} {text}" if text else prefix)

        attribute(window, spec.text_from).connect(follow)  # type: ignore[attr-defined]
    window.addAction(action)
    return action
