"""Rendering: the Jinja2 environment and templates, reports, the workflow, terminal progress."""
