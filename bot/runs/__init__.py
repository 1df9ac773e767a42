"""Run use cases: start a run, show its progress, repair a failed smoke test, record results, publish."""
