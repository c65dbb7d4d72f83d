"""Qt names for the window's first frame, without setting up what that frame does not use.

PySide6 sets a class up (its Python type and every enum in it) the first time the class
is named or handed to Python. For ``Qt``, the namespace of enums, that is 93 enums and
about 1,200 members: 20-30 ms with Python 3.11's enum module, a sixth of a bare window's
start-up. ``from PySide6.QtCore import Qt`` at the top of a module pays it at import.

The modules the first frame needs take ``Qt`` from here instead: a stand-in that looks
members up on first use. The frame itself names none of them, so the cost falls after the
window is on screen (a test in ``tests/ui/test_deferred_loading.py`` keeps it so). Qt
sets the namespace up too whenever it hands Python one of its enums (a ``headerData``
override receiving a ``Qt.Orientation``, say), and so do some overloaded calls while
PySide6 picks the overload: the helpers below are those calls' cheaper equivalents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import QObject
    from PySide6.QtCore import Qt as Qt
    from PySide6.QtGui import QAction
else:

    class _Namespace:
        """Looks members up on PySide6's ``Qt`` and keeps them."""

        def __getattr__(self, name: str) -> Any:
            from PySide6.QtCore import Qt as namespace

            value = getattr(namespace, name)
            setattr(self, name, value)
            return value

        def __repr__(self) -> str:
            return "<PySide6.QtCore.Qt, set up on first use>"

    Qt = _Namespace()


def new_action(text: str, parent: QObject) -> QAction:
    """``QAction(text, parent)``, whose overloads set up QIcon (157 enum members)."""
    from PySide6.QtGui import QAction

    action = QAction(parent)
    action.setText(text)
    return action


def set_shortcut(action: QAction, keys: str) -> None:
    """``action.setShortcut(QKeySequence(keys))`` (none for ""): setShortcut's overloads set
    up ``Qt``, setShortcuts' list does not."""
    from PySide6.QtGui import QKeySequence

    action.setShortcuts([QKeySequence(keys)] if keys else [])
