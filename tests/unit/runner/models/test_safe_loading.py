"""Model files that are safe to load: a `.skops` file naming any type outside the exact allowlist (here
`builtins.print`, called with an argument from the file) is refused before anything in it runs, by `intern predict`,
by the generated app.py and by the usage snippet of the model card (runner/models/portable_model.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import skops.io as sio

from runner.models.portable_model import HEAD_FILE, load_model
from runner.models.portable_safe_load import UnsafeModelFile, safe_skops_load
from runner.stages.card import render_model_card
from runner.stages.scaffold import render_app
from tests.fakes import sample_reports as sample
from tests.fakes.linear_model import MARKER, make_malicious, save_linear_model

ROOT = Path(__file__).resolve().parents[4]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "CI": "1"}


@pytest.fixture
def malicious(tmp_path: Path) -> Path:
    return make_malicious(save_linear_model(tmp_path / "model"))


def test_the_file_really_is_malicious(malicious: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The old check (any `builtins.*` accepted) would have run the payload: trusting the listed types runs it."""
    types = sio.get_untrusted_types(file=malicious / HEAD_FILE)
    assert "builtins.print" in types
    sio.load(malicious / HEAD_FILE, trusted=types)
    assert MARKER in capsys.readouterr().out


def test_the_allowlist_refuses_it_before_anything_runs(malicious: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UnsafeModelFile, match=r"builtins\.print"):
        safe_skops_load(malicious / HEAD_FILE)
    with pytest.raises(UnsafeModelFile, match=r"builtins\.print"):
        load_model(malicious)
    assert MARKER not in capsys.readouterr().out


def test_our_own_files_load(tmp_path: Path) -> None:
    model = load_model(save_linear_model(tmp_path / "model"))
    assert model.labels == ["billing", "delivery"]
    assert model.predict_proba(["where is my parcel"]).argmax() == 1


def test_intern_predict_refuses_it_with_exit_2(malicious: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runner.cli", "predict", str(malicious), "where is my parcel"],
        capture_output=True,
        text=True,
        env=env(),
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert MARKER not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: refusing to load") and "builtins.print" in line


def test_the_generated_app_refuses_it_with_exit_2(malicious: Path, tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(render_app(str(malicious), "Tickets", "desc"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(app)], capture_output=True, text=True, env=env(), timeout=300, cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert MARKER not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "error: refusing to load" in done.stderr and "builtins.print" in done.stderr


def card_snippet(model_dir: Path) -> str:
    card = render_model_card(
        sample.config(), None, None, None, None, str(model_dir), threshold=0.6, model_dir=model_dir
    )
    (code,) = re.findall(r"```python\n(.*?)```", card, flags=re.S)
    return code


def run_snippet(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "snippet.py"
    script.write_text(code, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env(), timeout=120, cwd=tmp_path
    )


def test_the_card_snippet_loads_the_saved_model(tmp_path: Path) -> None:
    model_dir = save_linear_model(tmp_path / "model", threshold=0.0)
    code = card_snippet(model_dir).replace('texts = ["', 'texts = ["where is my parcel", "')
    done = run_snippet(code, tmp_path)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0].split("\t")
    assert first[0] == "delivery" and first[2] == "where is my parcel"
    expected = load_model(model_dir).predict_proba(["where is my parcel"]).max()
    assert float(first[1]) == pytest.approx(float(expected), abs=1e-4)  # the same probabilities as the runner


def test_the_card_snippet_refuses_the_malicious_file(malicious: Path, tmp_path: Path) -> None:
    done = run_snippet(card_snippet(malicious), tmp_path)
    assert done.returncode != 0
    assert MARKER not in done.stdout + done.stderr
    assert "refusing head.skops" in done.stderr and "builtins.print" in done.stderr
