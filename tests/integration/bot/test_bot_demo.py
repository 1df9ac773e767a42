"""`intern-bot demo`: the whole journey against the fake GitHub and Hub, every comment printed and rendered."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import run_demo

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_demo_runs_the_journey_and_leaves_html(tmp_path: Path) -> None:
    printed: list[str] = []
    result = run_demo(tmp_path / "html", echo=printed.append, per_class=12)
    assert result["state"] == "published"
    output = "\n".join(printed)
    for step in ("PR #2 opened", "$ intern smoke", "approves PR #2", "merges PR #2", "`published`"):
        assert step in output, step
    assert "Projected against actual" in output
    pages = [Path(page) for page in result["pages"]]
    assert (tmp_path / "html" / "index.html").is_file() and len(pages) >= 4
    images = list((tmp_path / "html" / "files").rglob("*.png"))
    assert images, "the committed pictures are copied beside the pages"
