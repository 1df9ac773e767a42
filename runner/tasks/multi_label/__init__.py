"""Multi-label text classification: any number of labels per text, including none."""
