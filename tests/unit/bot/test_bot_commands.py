from __future__ import annotations

import pytest

from bot.command_parser import (
    COMMANDS,
    Command,
    Rejection,
    parse_commands,
    parse_line,
    render_command_list_md,
    render_help_md,
)


@pytest.mark.parametrize(
    ("line", "verb", "args"),
    [
        ("/intern help", "help", {}),
        ("/intern", "help", {}),
        ("/INTERN TRAIN", "train", {}),
        (
            "/intern Train dataset=data/t.csv text=instruction label=category",
            "train",
            {"dataset": "data/t.csv", "text": "instruction", "label": "category"},
        ),
        (
            "/intern train model=distilbert-base-uncased epochs=2",
            "train",
            {"model": "distilbert-base-uncased", "epochs": "2"},
        ),
        (
            "/intern train dataset=bitext/Bitext-customer-support",
            "train",
            {"dataset": "bitext/Bitext-customer-support"},
        ),
        ("  /intern status  ", "status", {}),
        ("/intern cancel", "cancel", {}),
        ("/intern publish", "publish", {}),
        ("/intern retry", "retry", {}),
        ("/intern smoke", "smoke", {}),
    ],
)
def test_accepted(line: str, verb: str, args: dict[str, str]) -> None:
    parsed = parse_line(line.strip())
    assert isinstance(parsed, Command)
    assert parsed.verb == verb
    assert parsed.args == args


@pytest.mark.parametrize(
    ("line", "reason", "suggestion"),
    [
        ("/intern trian", "unknown command", "train"),
        ("/intern stauts", "unknown command", "status"),
        ("/intern publsh", "unknown command", "publish"),
        ("/intern xyzzy", "unknown command", None),
        ("/intern train dataset", "not a key=value", None),
        ("/intern train foo=1", "does not take `foo`", None),
        ("/intern train datset=x.csv", "did you mean `dataset`", None),
        ("/intern train dataset=", "value of `dataset`", None),
        ("/intern train dataset=a;rm -rf /", "value of `dataset`", None),
        ("/intern train dataset=$(curl evil)", "value of `dataset`", None),
        ("/intern train dataset=`id`", "value of `dataset`", None),
        ("/intern train model=a model=b", "given twice", None),
        ("/intern status now=1", "does not take", None),
        ("/intern train dataset=" + "a" * 301, "value of `dataset`", None),
    ],
)
def test_rejected(line: str, reason: str, suggestion: str | None) -> None:
    parsed = parse_line(line)
    assert isinstance(parsed, Rejection)
    assert reason in parsed.reason
    assert parsed.suggestion == suggestion


def test_commands_anywhere_one_per_line_skipping_quotes_and_code() -> None:
    body = (
        "Thanks! Let's go.\n"
        "/intern train dataset=data/x.csv\n"
        "> /intern cancel\n"
        "```\n/intern publish\n```\n"
        "not a command: /intern help in the middle\n"
        "/intern status\n"
    )
    parsed = parse_commands(body)
    assert [p.verb for p in parsed if isinstance(p, Command)] == ["train", "status"]
    assert parse_commands(None) == []
    assert parse_commands("/interns train") == []


def test_body_is_capped() -> None:
    assert len(parse_commands("/intern status\n" * 1000)) == 5


def test_help_is_generated_from_the_table() -> None:
    text = render_help_md()
    for spec in COMMANDS:
        assert f"`{spec.usage}`" in text
        for example in spec.examples:
            assert example in text
    rejection = parse_line("/intern trian")
    assert isinstance(rejection, Rejection)
    assert "Did you mean `/intern train`?" in render_help_md(rejection)


def test_help_quotes_untrusted_input_safely() -> None:
    rejection = parse_line("/intern `rm` <script>")
    assert isinstance(rejection, Rejection)
    text = render_help_md(rejection)
    first = text.splitlines()[0]
    assert "``/intern `rm` <script>``" in first  # a longer fence: user backticks cannot close our code span
    assert "`` `rm` ``" in first


def test_command_list_has_one_line_per_command() -> None:
    lines = render_command_list_md().strip().splitlines()
    assert len(lines) == len(COMMANDS)
    for line, spec in zip(lines, COMMANDS, strict=True):
        assert line.startswith(f"- `{spec.usage}`")
