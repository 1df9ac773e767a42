"""`intern upload-results` through the real CLI and `runner.adapters.hub` against the fake Hub: one commit to a private
dataset repo, reports/ + model/ + the job log under the prefix, checkpoints left out; bad input exits 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from runner.cli import main
from tests.fakes import sample_reports
from tests.fakes.hub_server import FakeHub

pytestmark = pytest.mark.integration

REPO_ID = "intern-user/intern-runs"


def _project(root: Path) -> Path:
    reports, model = root / "reports", root / "model"
    (model / "checkpoint-4").mkdir(parents=True)
    reports.mkdir()
    (reports / "train.json").write_text(sample_reports.train_summary().model_dump_json())
    (reports / "eval.json").write_text(sample_reports.eval_report().model_dump_json())
    (model / "config.json").write_text('{"model_type": "bert"}')
    (model / "checkpoint-4" / "optimizer.pt").write_bytes(b"\0" * 16)
    return root


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["intern", *args])
    with pytest.raises(SystemExit) as caught:
        main()
    out = capsys.readouterr()
    return int(caught.value.code or 0), out.out, out.err


def test_upload_results_commits_once_to_a_private_dataset_repo(
    tmp_path: Path,
    fake_hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = _project(tmp_path / "project")
    log = tmp_path / "intern-job.log"
    log.write_text("epoch 1 ... done\n")
    args = ["upload-results", str(project), "--repo-id", REPO_ID, "--path-prefix", "runs/42/", "--log", str(log)]
    code, out, err = _cli(monkeypatch, capsys, *args, "--token", fake_hub.token, "--endpoint", fake_hub.url)
    assert code == 0, err
    result = json.loads(out)
    repo = fake_hub.state.repo("dataset", REPO_ID)
    assert repo is not None and repo.private
    assert fake_hub.commits(REPO_ID, "dataset") == ["initial commit", "ML Intern results: runs/42"]
    files = fake_hub.files(REPO_ID, "dataset")
    expected = {"runs/42/reports/train.json", "runs/42/reports/eval.json", "runs/42/model/config.json"}
    assert expected | {"runs/42/reports/job.log"} == {path for path in files if path.startswith("runs/")}
    assert files["runs/42/reports/job.log"] == b"epoch 1 ... done\n"
    assert json.loads(files["runs/42/reports/eval.json"])["macro_f1"] == pytest.approx(0.8)
    assert result["commit"] == repo.head.oid and result["path_prefix"] == "runs/42"

    # a failed job: no project directory at all, only the log; a second run of the same id adds a commit
    code, _out, err = _cli(
        monkeypatch, capsys, "upload-results", str(tmp_path / "absent"), "--repo-id", REPO_ID,
        "--path-prefix", "runs/43", "--log", str(log), "--token", fake_hub.token, "--endpoint", fake_hub.url,
    )  # fmt: skip
    assert code == 0, err
    assert "runs/43/reports/job.log" in fake_hub.files(REPO_ID, "dataset")
    assert len(fake_hub.commits(REPO_ID, "dataset")) == 3


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--repo-id", REPO_ID, "--path-prefix", "../escape"], "--path-prefix"),
        (["--repo-id", "no-owner", "--path-prefix", "runs/1"], "OWNER/NAME"),
        (["--repo-id", REPO_ID, "--path-prefix", "runs/1"], "nothing to upload"),
    ],
)
def test_bad_input_is_one_error_line(
    tmp_path: Path,
    fake_hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    fragment: str,
) -> None:
    common = ["--token", fake_hub.token, "--endpoint", fake_hub.url]
    code, _out, err = _cli(monkeypatch, capsys, "upload-results", str(tmp_path / "empty"), *args, *common)
    assert code == 2 and err.startswith("error: ") and fragment in err
    assert fake_hub.state.repo("dataset", REPO_ID) is None  # refused before anything reached the Hub
