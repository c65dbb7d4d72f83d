"""What the labelling window edits, without Qt: the session, offsets, snapping, span index.

The window (``annotator.ui``) is one consumer of these; they never import Qt or the ui
(tests/test_layers.py keeps it so), and are tested without a window.
"""
