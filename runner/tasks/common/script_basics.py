"""What every generated train.py shares, whatever its task: its command line, its progress notes and the row each
candidate gets in reports/train.json. Copied verbatim into the generated scripts (between the markers below).
"""

# --- BEGIN PORTABLE SCRIPT BASICS (copied into train.py; edit runner/tasks/common/script_basics.py, not the copy) ---
import argparse
import sys
from typing import Any


def parse_args(doc: str) -> argparse.Namespace:
    """The command line of every train.py (`doc`: the script's docstring, whose first line describes it)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--config", default="intern.yaml", help="the project config (default: intern.yaml)")
    parser.add_argument("--smoke", action="store_true", help="every step on a tiny sample, to check the pipeline")
    return parser.parse_args()


def note(text: str) -> None:
    """A progress line on stderr (a candidate starting or done): stdout keeps the lines `intern` reads."""
    print(text, file=sys.stderr, flush=True)


def candidate_row(
    candidate: dict[str, Any], winner: dict[str, Any], metrics: tuple[str, ...] = ("accuracy", "macro_f1")
) -> dict[str, Any]:
    """A candidate's row in reports/train.json: its status, and each of `metrics` on validation and on test."""
    validation, test = candidate.get("validation", {}), candidate.get("test", {})
    row = {
        "name": candidate["name"],
        "title": candidate["title"],
        "status": candidate["status"],
        "reason": candidate.get("reason", ""),
        "winner": candidate is winner,
    }
    row.update({f"validation_{metric}": validation.get(metric) for metric in metrics})
    row.update({f"test_{metric}": test.get(metric) for metric in metrics})
    row["seconds"] = candidate.get("seconds", 0.0)
    return row


# --- END PORTABLE SCRIPT BASICS ---
