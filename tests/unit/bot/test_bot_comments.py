from __future__ import annotations

from bot.comments import (
    GITHUB_COMMENT_LIMIT,
    REDACTED,
    Section,
    redact,
    render_sections,
    reply_marker,
    run_marker,
)
from runner.render.markdown import inline_code


def test_markers_are_hidden_and_distinct() -> None:
    assert run_marker(3).startswith("<!--") and run_marker(3).endswith("-->")
    assert run_marker(3) != run_marker(30)
    assert reply_marker(3) != run_marker(3)


def test_small_comment_is_unchanged_and_folds_long_parts() -> None:
    text = render_sections("## Header", [Section("Plan", "short plan"), Section("Data", "table", folded=True)])
    assert "### Plan\n\nshort plan" in text
    assert "<details><summary>Data</summary>\n\ntable\n\n</details>" in text
    assert "truncated" not in text


def test_huge_sections_are_cut_under_the_limit() -> None:
    sections = [
        Section("Log", "x" * 200_000, folded=True),
        Section("Small", "keep me"),
        Section("Other", "y" * 90_000, folded=True),
    ]
    text = render_sections("## Run", sections)
    assert len(text) < GITHUB_COMMENT_LIMIT
    assert "keep me" in text  # small sections survive whole
    assert text.count("truncated") == 2
    assert text.count("<details>") == 2 and text.count("</details>") == 2  # folding stays well-formed


def test_huge_header_is_still_capped() -> None:
    text = render_sections("h" * 100_000, [])
    assert len(text) < GITHUB_COMMENT_LIMIT


def test_redact_replaces_every_secret() -> None:
    secrets = ["hf_abcdefghijklmnop", "whsec-0123456789abcdef"]
    text = "token hf_abcdefghijklmnop and whsec-0123456789abcdef twice hf_abcdefghijklmnop"
    cleaned = redact(text, secrets)
    assert "hf_abc" not in cleaned and "whsec" not in cleaned
    assert cleaned.count(REDACTED) == 3
    assert redact("abc", ["", "ab"]) == "abc"  # too-short values are not treated as secrets


def test_inline_code_cannot_break_out() -> None:
    assert inline_code("a`b\nc") == "``a`b c``"
    assert len(inline_code("z" * 1000)) == 202
