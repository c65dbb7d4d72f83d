"""annotator: label entities, claims, quotes and sources in news text."""

__version__ = "0.1.0"
