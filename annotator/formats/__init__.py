"""Interchange formats, one module each, found by name through formats.base.FORMAT_MODULES."""
