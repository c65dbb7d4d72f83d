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

import sys
from types import ModuleType
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


def quicken_pyside_import_hook() -> None:
    """Make the check PySide6 runs on every module imported after it a file read.

    PySide6.QtCore wraps ``__import__``: the first time a module is imported (or named in an
    import statement) after Qt is loaded, ``shibokensupport.feature`` asks whether the
    module's source mentions "PySide6" (to let it opt in to ``from __feature__ import
    snake_case``), through ``inspect.getsource``: linecache, encoding detection, the lines
    decoded and joined. The same question asked of the file's bytes gives the same answer
    ("PySide6" is ASCII, and Python's source encodings are ASCII-compatible) for 4.7M fewer
    instructions before the window's first frame and 65M fewer before it is usable, when
    pydantic and the store are imported (callgrind, bench_startup's children). Modules
    without a ``.py`` file on disk (built in, zipped, compiled) are asked as before.
    Nothing happens if PySide6 names these differently.
    """
    import PySide6.QtCore  # noqa: F401  (it installs the hook this replaces)

    feature = sys.modules.get("shibokensupport.feature")
    scan = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(scan) or getattr(scan, "__name__", "") != "_mod_uses_pyside":
        return

    def mod_uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return bool(scan(module))

    feature._mod_uses_pyside = mod_uses_pyside  # type: ignore[attr-defined]
