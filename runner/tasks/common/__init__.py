"""Pieces the tasks share (pasted verbatim into their generated scripts)."""
