"""Loading datasets with actionable errors (runner/data/load.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.data.load import detect_format, load_table
from runner.errors import DataError
from tests.fakes.datasets import FORMATS, LABELS, make_rows, write_rows


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("data.csv", "csv"),
        ("DATA.CSV", "csv"),
        ("data.tsv", "tsv"),
        ("data.tab", "tsv"),
        ("data.json", "json"),
        ("data.jsonl", "jsonl"),
        ("data.ndjson", "jsonl"),
        ("data.parquet", "parquet"),
        ("data.pq", "parquet"),
        ("some/dir/data.csv", "csv"),
    ],
)
def test_detect_format_by_suffix(name: str, expected: str) -> None:
    assert detect_format(name) == expected


@pytest.mark.parametrize(
    "source",
    ["bitext/Bitext-customer-support-llm-chatbot-training-dataset", "owner/name", "org-1/data.set_v2", "a/b"],
)
def test_detect_format_hub_ids(source: str) -> None:
    assert detect_format(source) == "hub"


@pytest.mark.parametrize("source", ["justaname", "a/b/c", "./relative/thing", "/abs/missing", "owner/"])
def test_detect_format_refuses_what_is_neither_file_nor_hub_id(source: str) -> None:
    with pytest.raises(DataError, match="not found"):
        detect_format(source)


def test_detect_format_refuses_an_existing_file_of_unknown_type(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"cannot tell the format .*\.csv"):
        detect_format(str(path))


def test_detect_format_says_what_a_folder_needs_to_be_photos(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("hello\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"folder without photos in class sub-folders .*\.csv"):
        detect_format(str(tmp_path))


def test_a_missing_source_names_every_shape_of_data() -> None:
    with pytest.raises(DataError, match=r"\.parquet file, a folder of photos .* or a Hub dataset id"):
        detect_format("/abs/missing")


@pytest.mark.parametrize("fmt", FORMATS)
def test_load_each_format(tmp_path: Path, fmt: str) -> None:
    rows, _ = make_rows(3)
    path = write_rows(tmp_path / f"data.{fmt}", rows, text_column="utterance", label_column="intent")
    frame = load_table(str(path))
    assert list(frame.columns) == ["utterance", "intent"]
    assert len(frame) == len(rows)
    assert list(frame["utterance"]) == [row.text for row in rows]
    assert sorted(set(frame["intent"])) == list(LABELS)


def test_load_json_lines_in_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('{"text": "a b", "label": "x"}\n{"text": "c d", "label": "y"}\n', encoding="utf-8")
    frame = load_table(str(path))
    assert list(frame["label"]) == ["x", "y"]


def test_load_keeps_csv_values_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,label\nNA,1\nnull,2\n", encoding="utf-8")
    frame = load_table(str(path))
    assert list(frame["text"]) == ["NA", "null"]  # not turned into NaN
    assert list(frame["label"]) == ["1", "2"]


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_table(str(tmp_path / "absent.csv"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_load_empty_file(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"empty.{fmt}"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="is empty"):
        load_table(str(path))


def test_load_header_only(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,label\n", encoding="utf-8")
    with pytest.raises(DataError, match="no rows"):
        load_table(str(path))


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl"])
def test_load_non_utf8_says_utf8(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"latin.{fmt}"
    if fmt == "jsonl":
        body = '{"text": "caf\xe9 bill", "label": "billing"}\n'
    else:
        sep = "\t" if fmt == "tsv" else ","
        body = f"text{sep}label\ncaf\xe9 bill{sep}billing\nfine{sep}refund\n"
    path.write_bytes(body.encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8") as caught:
        load_table(str(path))
    assert "0xe9" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("bad.json", '{"text": "a", "label": '),
        ("bad.jsonl", '{"text": "a", "label": "x"}\nnot json\n'),
        ("bad.parquet", "this is not parquet"),
    ],
)
def test_load_malformed_file_is_a_data_error(tmp_path: Path, name: str, body: str) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataError, match=r"cannot parse .* as"):
        load_table(str(path))


def test_load_hub_id_offline_is_a_data_error() -> None:
    with pytest.raises(DataError, match="Hub dataset 'intern-tests/no-such-dataset-offline' is not in the local"):
        load_table("intern-tests/no-such-dataset-offline")
