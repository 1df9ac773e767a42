"""intern predict's input: tables with pass-through columns, text files, stdin, the delimiter sniffer."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from runner.data.delimiter import sniff_delimiter, sniff_file_delimiter
from runner.data.table_input import parse_input_text, read_input_table
from runner.errors import ColumnError, DataError

TICKETS = "instruction,category,intent\nwhere is my refund?,REFUND,get_refund\nreset my password,ACCOUNT,recover\n"


@pytest.mark.parametrize(
    ("sample", "delimiter", "name"),
    [
        ("text,label\nhello there,a\nbye now,b\n", ",", "comma"),
        ("text;label\nhello, there;a\nbye, now;b\n", ";", "semicolon"),
        ("text\tlabel\nhello, there\ta\nbye; now\tb\n", "\t", "tab"),
        ("text|label\nhello, there|a\nbye; now|b\n", "|", "pipe"),
        ('text;label\n"a; quoted, text";x\nplain;y\n', ";", "semicolon"),
    ],
)
def test_sniff_delimiter(sample: str, delimiter: str, name: str) -> None:
    found, reason = sniff_delimiter(sample)
    assert found == delimiter
    assert reason.startswith(f"{name}-separated") and "2 columns" in reason


def test_sniff_delimiter_one_column_and_empty() -> None:
    assert sniff_delimiter("text\nhello\n")[0] == ","
    assert "one column" in sniff_delimiter("text\nhello\n")[1]
    assert sniff_delimiter("")[0] == ","


def test_sniff_file_delimiter_skips_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes("\ufefftext;label\nhi;a\n".encode())
    assert sniff_file_delimiter(path)[0] == ";"


def test_csv_detects_the_text_column_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text(TICKETS, encoding="utf-8")
    table = read_input_table(str(path))
    assert table.texts == ["where is my refund?", "reset my password"]
    assert table.text_column == "instruction" and "usual text column name" in table.reason
    assert table.extras == [
        {"category": "REFUND", "intent": "get_refund"},
        {"category": "ACCOUNT", "intent": "recover"},
    ]


def test_semicolon_csv_is_sniffed_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id;message\n7;where is my refund, please\n8;hello\n", encoding="utf-8")
    table = read_input_table(str(path), text_column="message")
    assert table.texts == ["where is my refund, please", "hello"]
    assert table.extras == [{"id": "7"}, {"id": "8"}]
    assert any("semicolon-separated" in note for note in table.notes)


def test_jsonl_keeps_ids_with_their_types(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": 7, "text": "my parcel is late", "meta": {"a": 1}}\n\n{"id": 8, "text": "refund"}\n')
    table = read_input_table(str(path))
    assert table.texts == ["my parcel is late", "refund"]
    assert table.extras == [{"id": 7, "meta": {"a": 1}}, {"id": 8}]


def test_parquet_and_tsv(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame({"ticket_id": [1, 2], "body": ["my invoice is wrong", "where is my parcel"]})
    frame.to_parquet(tmp_path / "t.parquet")
    table = read_input_table(str(tmp_path / "t.parquet"))
    assert table.texts == ["my invoice is wrong", "where is my parcel"]
    assert table.extras == [{"ticket_id": 1}, {"ticket_id": 2}]
    json.dumps(table.extras)  # numpy ints became plain ints
    frame.to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    assert read_input_table(str(tmp_path / "t.tsv"), text_column="body").texts == table.texts


def test_plain_text_is_one_text_per_line(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("text,label\nfirst line\n\n  second  \n", encoding="utf-8")
    table = read_input_table(str(path))
    assert table.texts == ["text,label", "first line", "second"]
    assert table.extras == [{}, {}, {}]


@pytest.mark.parametrize(
    ("text", "column", "expected", "kind"),
    [
        ('{"id": 1, "text": "a b"}\n', None, ["a b"], "jsonl"),
        ("id,text\n1,a b\n", "text", ["a b"], "csv"),
        ("id\ttext\n1\ta b\n", "text", ["a b"], "tsv"),
        ("just a line\nanother\n", None, ["just a line", "another"], "lines"),
    ],
)
def test_stdin_is_sniffed(text: str, column: str | None, expected: list[str], kind: str) -> None:
    table = read_input_table("-", column, stdin=io.StringIO(text))  # type: ignore[arg-type]
    assert table.texts == expected
    assert table.notes and f"read as {kind}" in table.notes[0]


def test_forced_format_on_stdin() -> None:
    table = parse_input_text("text,id\nhello,1\n", "csv", None, "stdin")
    assert table.texts == ["hello"] and table.extras == [{"id": "1"}]


@pytest.mark.parametrize(
    ("name", "content", "column", "error", "fragment"),
    [
        ("t.csv", TICKETS, "body", ColumnError, "--text-column 'body' not found"),
        ("t.txt", "hello\n", "text", ColumnError, "needs a table"),
        ("t.jsonl", "not json\n", None, DataError, "t.jsonl:1"),
        ("t.jsonl", "[1, 2]\n", None, DataError, "not a JSON object"),
        ("t.csv", "", None, DataError, "empty"),
        ("t.csv", "id,n\n1,2\n3,4\n", None, ColumnError, "no text column"),
    ],
)
def test_bad_inputs(
    tmp_path: Path, name: str, content: str, column: str | None, error: type[Exception], fragment: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(error, match=fragment.replace("(", r"\(")):
        read_input_table(str(path), column)


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        read_input_table(str(tmp_path / "absent.csv"))
    (tmp_path / "l.txt").write_bytes(b"caf\xe9\n")
    with pytest.raises(DataError, match="not valid UTF-8"):
        read_input_table(str(tmp_path / "l.txt"))


def test_a_semicolon_csv_trains_as_it_was_inspected(tmp_path: Path) -> None:
    """The sniffed separator is stored in intern.yaml (data.delimiter) and train.py's loader reads it."""
    from runner.data.load import csv_delimiter, load_table
    from runner.data.portable import load_splits

    path = tmp_path / "d.csv"
    rows = "".join(f"text number {i}, with a comma;{'ab'[i % 2]}\n" for i in range(20))
    path.write_text("text;label\n" + rows, encoding="utf-8")
    assert csv_delimiter(str(path), "csv") == ";"
    assert list(load_table(str(path)).columns) == ["text", "label"]
    config = {
        "data": {"source": "d.csv", "format": "csv", "text_column": "text", "label_column": "label", "delimiter": ";"},
        "split": {"test_size": 0.2, "validation_size": 0.2, "seed": 0},
    }
    splits = load_splits(config, str(tmp_path))
    assert sum(len(texts) for texts, _ in splits.values()) == 20
