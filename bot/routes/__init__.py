"""Event routes: one small module per webhook event, keyed by `(event, action)`."""
