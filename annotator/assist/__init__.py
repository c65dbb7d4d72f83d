"""Assisted labelling: pattern files, "label all mentions", suggestions, model suggestions.

Pure Python; never imports Qt. Suggestions live in their own layer
(PROJECT/suggestions/NAME.jsonl) and become labels only when accepted.
"""
