"""`intern predict` end to end through main(): tables, stdin, pass-through ids, JSON output, exit codes, and a
TF-IDF model that loads without torch."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli import main
from runner.render.predictions import prediction_record, render_json_line, render_text_line
from runner.schemas import Prediction
from tests.fakes.datasets import make_rows
from tests.fakes.linear_models import build_linear_model

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows, _ = make_rows(12)
    return build_linear_model(
        tmp_path_factory.mktemp("model") / "model", [r.text for r in rows], [r.label for r in rows]
    )


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["intern", *args])
    monkeypatch.setenv("CI", "1")
    with pytest.raises(SystemExit) as caught:
        main()
    captured = capsys.readouterr()
    return int(caught.value.code or 0), captured.out, captured.err


def test_render_is_pure_and_never_overwrites_a_prediction_field() -> None:
    p = Prediction(text="my\tinvoice\nplease", label="billing", score=0.9, top_label="billing", abstained=False)
    record = prediction_record(p, {"id": 3, "label": "refund", "input_label": "x"})
    assert list(record)[:3] == ["id", "input_label", "input_input_label"]
    assert record["input_label"] == "refund" and record["input_input_label"] == "x"
    assert record["label"] == "billing" and record["id"] == 3
    assert json.loads(render_json_line(p, {"id": 3}))["id"] == 3
    assert render_text_line(p) == "billing\t0.9000\tmy invoice please"


def test_csv_input_passes_ids_through_to_json(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text("ticket_id,message,category\n17,my invoice payment charge,billing\n18,parcel courier late,x\n")
    code, out, err = _run(monkeypatch, capsys, "predict", str(model_dir), "--input", str(path), "--json")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["ticket_id"] for r in records] == ["17", "18"]
    assert [r["category"] for r in records] == ["billing", "x"]
    assert records[0]["label"] == "billing" and records[1]["top_label"] == "delivery"
    assert records[0]["text"] == "my invoice payment charge"
    assert "text column 'message'" in err and "ticket_id" in err


def test_the_header_is_never_classified(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.csv"
    path.write_text("text,label\nmy invoice payment,billing\n")
    code, out, _ = _run(monkeypatch, capsys, "predict", str(model_dir), "--input", str(path))
    assert code == 0
    assert out.splitlines() == [out.splitlines()[0]] and out.endswith("\tmy invoice payment\n")


def test_stdin_jsonl(model_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"id": 1, "text": "refund my money"}\n{"id": 2, "text": "x"}\n'))
    code, out, _ = _run(monkeypatch, capsys, "predict", str(model_dir), "--input", "-", "--json")
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1, 2]


def test_bad_input_exits_2_with_json_on_stdout(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,message\n1,hello\n")
    code, out, err = _run(
        monkeypatch, capsys, "predict", str(model_dir), "--input", str(path), "--text-column", "x", "--json"
    )
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("error: --text-column 'x' not found")
    assert json.loads(out) == {"ok": False, "error": err.strip().splitlines()[-1][len("error: ") :], "exit_code": 2}


def test_progress_over_a_file_goes_to_stderr(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.txt"
    path.write_text("my invoice\n" * 30)
    code, out, err = _run(monkeypatch, capsys, "predict", str(model_dir), "--input", str(path), "--batch-size", "8")
    assert code == 0 and len(out.splitlines()) == 30
    assert "predict: 30/30 texts (100%)" in err


def test_a_tfidf_model_never_imports_torch(model_dir: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from runner.cli import main; "
        f"sys.argv = ['intern', 'predict', {str(model_dir)!r}, 'my invoice']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False False"
    assert result.stdout.splitlines()[0].startswith("billing\t")
