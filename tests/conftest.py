"""Test-wide settings: everything runs offline (no test reaches the Hub or GitHub)."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# The fakes' fixtures, for every test (instead of an import with `noqa: F811` in each module).
from tests.fakes.github_server import fake_github
from tests.fakes.hub_server import fake_hub
from tests.fakes.openai_server import fake_openai

__all__ = ["fake_github", "fake_hub", "fake_openai"]
