"""Self-debugging: classify a failed smoke log, propose a fix, and the loop that applies fixes and re-runs."""
