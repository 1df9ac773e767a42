"""The `intern` command line on bad input: one `error:` line on stderr, exit code 2, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.cli import main
from tests.fakes.datasets import Row, make_rows, write_rows

ROOT = Path(__file__).resolve().parents[3]


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["intern", *args])
    monkeypatch.setenv("CI", "1")  # plain progress lines
    with pytest.raises(SystemExit) as caught:
        main()
    captured = capsys.readouterr()
    code = caught.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def assert_one_error_line(err: str, *fragments: str) -> None:
    """stderr ends with one `error:` line; before it only the stages' status lines (`[hh:mm:ss] ...`)."""
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], err
    assert all(line.startswith(("[", "  ")) for line in lines[:-1]), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in errors[0]


def _missing(tmp: Path) -> list[str]:
    return ["inspect", str(tmp / "absent.csv")]


def _unknown_label(tmp: Path) -> list[str]:
    rows, _ = make_rows(4)
    return ["inspect", str(write_rows(tmp / "d.csv", rows)), "--label", "category"]


def _single_class(tmp: Path) -> list[str]:
    rows = [Row(f"my invoice number {i}", "billing") for i in range(6)]
    return ["inspect", str(write_rows(tmp / "d.csv", rows)), "--text", "text", "--label", "label"]


def _empty_texts(tmp: Path) -> list[str]:
    path = tmp / "d.csv"
    path.write_text("text,label\n,a\n ,b\n,a\n,b\n", encoding="utf-8")
    return ["inspect", str(path), "--text", "text", "--label", "label"]


def _one_example(tmp: Path) -> list[str]:
    rows, _ = make_rows(4, labels=("billing", "refund"))
    return ["inspect", str(write_rows(tmp / "d.csv", [*rows, Row("my lonely parcel", "delivery")]))]


def _latin1(tmp: Path) -> list[str]:
    path = tmp / "d.csv"
    path.write_bytes("text,label\ncaf\xe9 invoice,billing\nrefund me,refund\n".encode("latin-1"))
    return ["inspect", str(path)]


def _run_missing(tmp: Path) -> list[str]:
    return ["run", str(tmp / "absent.jsonl"), "--out", str(tmp / "out"), "--model", "scratch:tiny"]


def _scaffold_unknown_text(tmp: Path) -> list[str]:
    rows, _ = make_rows(4)
    return ["scaffold", str(write_rows(tmp / "d.csv", rows)), "--out", str(tmp / "p"), "--text", "body"]


def _predict_nothing(tmp: Path) -> list[str]:
    return ["predict", str(tmp / "model")]


def _predict_both(tmp: Path) -> list[str]:
    (tmp / "in.txt").write_text("hello\n", encoding="utf-8")
    return ["predict", str(tmp / "model"), "hello", "--input", str(tmp / "in.txt")]


def _predict_no_model(tmp: Path) -> list[str]:
    return ["predict", str(tmp / "model"), "where is my parcel"]


def _evaluate_no_project(tmp: Path) -> list[str]:
    return ["evaluate", str(tmp)]


def _smoke_no_project(tmp: Path) -> list[str]:
    return ["smoke", str(tmp)]


def _report_bad_stage(tmp: Path) -> list[str]:
    return ["report", str(tmp), "--stage", "everything"]


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (_missing, ("absent.csv", "not found")),
        (_unknown_label, ("label column 'category' not found", "text, label", "--label")),
        (_single_class, ("only one class ('billing')",)),
        (_empty_texts, ("every row has an empty text or label",)),
        (_one_example, ("'delivery'", "single example")),
        (_latin1, ("not valid UTF-8", "0xe9")),
        (_run_missing, ("absent.jsonl", "not found")),
        (_scaffold_unknown_text, ("text column 'body' not found",)),
        (_predict_nothing, ("give either a TEXT argument or --input FILE",)),
        (_predict_both, ("give either a TEXT argument or --input FILE",)),
        (_predict_no_model, ("holds no trained model", "intern train")),
        (_evaluate_no_project, ("intern.yaml not found", "intern scaffold")),
        (_smoke_no_project, ("intern.yaml not found",)),
        (_report_bad_stage, ("unknown --stage 'everything'",)),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else None,
)
def test_user_mistakes_exit_2_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    build: Callable[[Path], list[str]],
    fragments: tuple[str, ...],
) -> None:
    code, out, err = run_main(monkeypatch, capsys, *build(tmp_path))
    assert code == 2
    assert out == ""  # results only on stdout; nothing when there is none
    assert_one_error_line(err, *fragments)


def test_run_failure_leaves_an_incomplete_run_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run_main(monkeypatch, capsys, *_run_missing(tmp_path))
    assert code == 2
    status = json.loads((tmp_path / "out" / "reports" / "run.json").read_text(encoding="utf-8"))
    assert status["complete"] is False
    assert status["stages"]["inspect"]["state"] == "failed"
    assert status["stages"]["train"]["state"] == "pending"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["inspect"], "Missing"), (["inspect", "d.csv", "--colour", "red"], "No such option")],
    ids=["missing-argument", "unknown-option"],
)
def test_usage_error_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    code, _, err = run_main(monkeypatch, capsys, *args)
    assert code == 2
    assert fragment in err and "Traceback" not in err


def test_schemas_prints_every_report_model(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(monkeypatch, capsys, "schemas")
    assert code == 0 and err == ""
    schemas = json.loads(out)
    assert set(schemas) == {
        "InspectReport",
        "SmokeReport",
        "EpochRecord",
        "TrainSummary",
        "EvalReport",
        "StressReport",
        "RunStatus",
    }
    assert all(schema["type"] == "object" for schema in schemas.values())


def test_the_real_entry_point_in_a_subprocess(tmp_path: Path) -> None:
    args = _latin1(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "runner.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "CI": "1"},
    )
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "not valid UTF-8")


def test_json_output_is_valid_json_even_on_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, _ = make_rows(6)
    path = write_rows(tmp_path / "d.csv", rows)
    code, out, err = run_main(monkeypatch, capsys, "inspect", str(path), "--json")
    assert code == 0 and json.loads(out)["rows"] == len(rows)
    assert "inspect" in err  # the status line went to stderr
    code, out, _ = run_main(monkeypatch, capsys, "inspect", str(tmp_path / "absent.csv"), "--json")
    assert code == 2 and json.loads(out)["ok"] is False


def test_a_semicolon_csv_is_read_and_the_reason_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, _ = make_rows(6)
    path = tmp_path / "d.csv"
    path.write_text("text;label\n" + "".join(f"{r.text}, really;{r.label}\n" for r in rows), encoding="utf-8")
    code, out, err = run_main(monkeypatch, capsys, "inspect", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["text_column"], report["label_column"]) == ("text", "label")
    assert "semicolon-separated" in err
