"""Serving a delivered model over HTTP (`intern serve`)."""
