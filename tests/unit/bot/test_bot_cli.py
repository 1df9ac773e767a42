from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app


def test_manifest_lists_permissions_and_events() -> None:
    result = CliRunner().invoke(app, ["manifest", "--url", "https://bot.example.org/"])
    assert result.exit_code == 0
    manifest = json.loads(result.output)
    assert manifest["hook_attributes"]["url"] == "https://bot.example.org/webhook"
    assert manifest["default_permissions"] == {
        "contents": "write",
        "pull_requests": "write",
        "issues": "write",
        "checks": "write",
        "actions": "write",
        "metadata": "read",
        "workflows": "write",  # the first commit carries .github/workflows/intern.yml
    }
    assert set(manifest["default_events"]) == {"issue_comment", "pull_request", "pull_request_review", "workflow_run"}


def test_serve_refuses_to_start_without_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("INTERN_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "INTERN_WEBHOOK_SECRET" in result.output and "INTERN_GITHUB_APP_ID" in result.output
