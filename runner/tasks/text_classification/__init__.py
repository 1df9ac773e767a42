"""Single-label text classification: one label per text (the task the intern started with)."""
