"""Every script the intern generates from a module (each task's train.py, the image demo) stands alone: after the
pasted blocks replace their imports, nothing imports `runner`, which a user's repository does not have."""

from __future__ import annotations

import re

import pytest

from runner.render.pysource import parse_python
from runner.render.script import assemble_script

MODULES = [
    "runner.tasks.text_classification.train_script",
    "runner.tasks.multi_label.train_script",
    "runner.tasks.image_classification.train_script",
    "runner.tasks.image_classification.app_script",
]


@pytest.mark.parametrize("module", MODULES)
def test_the_assembled_script_never_imports_runner(module: str) -> None:
    text = assemble_script(module)
    parse_python(text, module)
    assert not re.findall(r"^\s*(?:from|import) runner\b.*$", text, flags=re.MULTILINE)
