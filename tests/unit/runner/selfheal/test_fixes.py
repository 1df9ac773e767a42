"""Each catalogue fix on the real rendered train.py / intern.yaml (pure: no training here)."""

from __future__ import annotations

import ast

import pytest
import yaml

from runner.config import InternConfig
from runner.data.columns import ColumnChoice
from runner.selfheal.diagnose import Diagnosis, classify_failure
from runner.selfheal.fixes import RENAMED_ARGUMENTS, keyword_span, propose_fix, yaml_set
from runner.stages.scaffold import build_config
from runner.tasks.project import render_project


@pytest.fixture(scope="module")
def project() -> dict[str, str]:
    config = build_config(
        source="data.csv",
        fmt="csv",
        text_column="text",
        label_column="label",
        labels=["billing", "refund", "shipping"],
        model="scratch:tiny",
        rows=30,
    )
    files = render_project(config, None, workflow=False)
    return {"train.py": files["train.py"], "intern.yaml": files["intern.yaml"]}


def _config(files: dict[str, str]) -> InternConfig:
    return InternConfig.model_validate(yaml.safe_load(files["intern.yaml"]))


def _apply(files: dict[str, str], log: str, **kwargs: object) -> tuple[dict[str, str], str]:
    diagnosis = classify_failure(log)
    fix = propose_fix(files, diagnosis, 1, **kwargs)  # type: ignore[arg-type]
    assert fix is not None, diagnosis
    assert fix.error_class == diagnosis.error_class
    assert fix.diff.startswith("--- a/")
    new = {**files, **fix.changes}
    ast.parse(new["train.py"])
    _config(new)
    return new, fix.reason


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


# --- intern.yaml edits --------------------------------------------------------------------------------


def test_yaml_set_keeps_comments_and_order() -> None:
    text = "# head\ntraining:\n  batch_size: 32  # tuned\n  lr: 1\nsmoke:\n  max_steps: 8\n"
    assert yaml_set(text, "training", "batch_size", 16) == (
        "# head\ntraining:\n  batch_size: 16  # tuned\n  lr: 1\nsmoke:\n  max_steps: 8\n"
    )


def test_yaml_set_inserts_missing_key_and_section() -> None:
    text = "training:\n  lr: 1\n"
    assert yaml.safe_load(yaml_set(text, "training", "device", "cpu")) == {"training": {"lr": 1, "device": "cpu"}}
    assert yaml.safe_load(yaml_set(text, "model", "max_length", 64))["model"] == {"max_length": 64}


def test_out_of_memory_halves_batch_and_keeps_effective_batch(project: dict[str, str]) -> None:
    log = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 40.00 GiB. GPU 0 has a total capacity"
    new, reason = _apply(project, log)
    training = _config(new).training
    assert (training.batch_size, training.gradient_accumulation_steps) == (16, 2)
    assert "effective batch 32 -> 32" in reason
    again, _ = _apply(new, log)
    assert (_config(again).training.batch_size, _config(again).training.gradient_accumulation_steps) == (8, 4)


def test_out_of_memory_at_batch_one_has_no_fix(project: dict[str, str]) -> None:
    files = {**project, "intern.yaml": yaml_set(project["intern.yaml"], "training", "batch_size", 1)}
    assert propose_fix(files, classify_failure("CUDA out of memory. Tried to allocate 2.00 GiB"), 1) is None


def test_cuda_on_cpu_machine_sets_device_cpu(project: dict[str, str]) -> None:
    files = {**project, "intern.yaml": yaml_set(project["intern.yaml"], "training", "device", "cuda")}
    new, _ = _apply(files, "AssertionError: Torch not compiled with CUDA enabled")
    assert _config(new).training.device == "cpu"
    cpu = {**project, "intern.yaml": yaml_set(project["intern.yaml"], "training", "device", "cpu")}
    assert propose_fix(cpu, classify_failure("RuntimeError: No CUDA GPUs are available"), 1) is None


def test_missing_column_uses_runner_detection(project: dict[str, str]) -> None:
    files = {**project, "intern.yaml": yaml_set(project["intern.yaml"], "data", "text_column", "message")}
    detected = ColumnChoice(text="text", label="label", reason="test")
    new, reason = _apply(files, "KeyError: 'message'", columns=detected)
    assert _config(new).data.text_column == "text"
    assert "'message'" in reason
    assert propose_fix(files, classify_failure("KeyError: 'message'"), 1) is None  # no detection: no guess


def test_sequence_too_long_caps_max_length(project: dict[str, str]) -> None:
    files = {**project, "intern.yaml": yaml_set(project["intern.yaml"], "model", "max_length", 128)}
    log = (
        "RuntimeError: The expanded size of the tensor (128) must match the existing size (64) at "
        "non-singleton dimension 1.  Target sizes: [4, 128].  Tensor sizes: [1, 64]"
    )
    new, _ = _apply(files, log)
    assert _config(new).model.max_length == 64
    assert propose_fix(new, classify_failure(log), 2) is None


@pytest.mark.parametrize(("rate", "expected"), [(1e-3, 1e-4), (5e-5, 5e-6), (1e4, 1e-3)])
def test_nan_loss_lowers_learning_rate(project: dict[str, str], rate: float, expected: float) -> None:
    files = {**project, "intern.yaml": yaml_set(project["intern.yaml"], "training", "learning_rate", rate)}
    new, _ = _apply(files, "FloatingPointError: training loss is nan: lower training.learning_rate")
    assert _config(new).training.learning_rate == pytest.approx(expected)


def test_timeout_cuts_steps_then_raises_limit(project: dict[str, str]) -> None:
    files = {**project, "intern.yaml": yaml_set(project["intern.yaml"], "smoke", "max_steps", 5000)}
    log = "TimeoutError: train.py exceeded its time limit of 600 s and was stopped"
    new, _ = _apply(files, log)
    assert _config(new).smoke.max_steps == 8
    newer, _ = _apply(new, log)
    assert _config(newer).smoke.time_limit_s == 1200


# --- train.py edits -----------------------------------------------------------------------------------


def test_classlabel_cast_is_restored(project: dict[str, str]) -> None:
    cast = '    ds = ds.cast_column("label", ClassLabel(names=label_names))\n'
    broken = {**project, "train.py": _replace(project["train.py"], cast, "")}
    new, _ = _apply(broken, "ValueError: too many dimensions 'str'")
    assert new["train.py"] == project["train.py"]


def test_classlabel_import_added_when_missing() -> None:
    script = 'import os\nfrom datasets import Dataset\nds = Dataset.from_dict({"text": t, "labels": y})\n'
    files = {"train.py": script, "intern.yaml": "labels: [a, b]\n"}
    fix = propose_fix(files, classify_failure("AttributeError: 'Value' object has no attribute 'names'"), 1)
    assert fix is not None
    assert "from datasets import ClassLabel\n" in fix.changes["train.py"]
    assert "ds.cast_column(\"labels\", ClassLabel(names=['a', 'b']))" in fix.changes["train.py"]


def test_metric_labels_added(project: dict[str, str]) -> None:
    script = _replace(project["train.py"], "labels=every_class, ", "")
    script = _replace(
        script,
        '        return {\n            "accuracy"',
        "        classification_report(\n"
        "            prediction.label_ids, predicted, target_names=[str(i) for i in every_class]\n"
        "        )\n"
        '        return {\n            "accuracy"',
    )
    log = "ValueError: Number of classes, 2, does not match size of target_names, 3. Try specifying the labels"
    new, reason = _apply({**project, "train.py": script}, log)
    assert "target_names=[str(i) for i in every_class], labels=every_class)" in new["train.py"].replace("\n", "")
    assert "zero_division=0, labels=every_class)" in new["train.py"]
    assert "classification_report" in reason and "f1_score" in reason


def test_pad_token_guard_added_after_model_is_built(project: dict[str, str]) -> None:
    broken = _replace(project["train.py"], 'unk_token="[UNK]", pad_token="[PAD]", ', 'unk_token="[UNK]", ')
    new, _ = _apply(
        {**project, "train.py": broken},
        "ValueError: Asking to pad but the tokenizer does not have a padding token.",
    )
    lines = new["train.py"].splitlines()
    at = next(i for i, line in enumerate(lines) if "tokenizer, model, max_length = build_model(" in line)
    assert "if tokenizer.pad_token is None:" in lines[at + 1]
    assert "model.config.pad_token_id = tokenizer.pad_token_id" in new["train.py"]
    assert propose_fix(new, classify_failure("Cannot handle batch sizes > 1 if no padding token is defined"), 2) is None


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("eval_strategy=", "evaluation_strategy="),
        ('use_cpu=device == "cpu"', 'no_cuda=device == "cpu"'),
        ('warmup_steps=training["warmup_ratio"]', 'warmup_ratio=training["warmup_ratio"]'),
        ("processing_class=tokenizer", "tokenizer=tokenizer"),
    ],
)
def test_renamed_training_arguments(project: dict[str, str], good: str, bad: str) -> None:
    broken = {**project, "train.py": _replace(project["train.py"], good, bad)}
    argument = bad.split("=", 1)[0]
    owner = "Trainer" if argument == "tokenizer" else "TrainingArguments"
    new, reason = _apply(broken, f"TypeError: {owner}.__init__() got an unexpected keyword argument '{argument}'")
    assert new["train.py"] == project["train.py"]
    assert argument in reason


def test_removed_training_argument_is_dropped(project: dict[str, str]) -> None:
    anchor = '        report_to="none",\n'
    broken = {
        **project,
        "train.py": _replace(project["train.py"], anchor, anchor + "        overwrite_output_dir=True,\n"),
    }
    new, _ = _apply(
        broken,
        "TypeError: TrainingArguments.__init__() got an unexpected keyword argument 'overwrite_output_dir'",
    )
    assert new["train.py"] == project["train.py"]


def test_every_renamed_argument_is_really_gone_or_renamed_in_installed_transformers() -> None:
    import inspect

    from transformers import Trainer, TrainingArguments

    known = set(inspect.signature(TrainingArguments.__init__).parameters) | set(
        inspect.signature(Trainer.__init__).parameters
    )
    for old, new in RENAMED_ARGUMENTS.items():
        assert old not in known, old
        assert new is None or new in known, new


def test_keyword_span_handles_nesting_and_last_argument() -> None:
    text = "f(a=1, b=g(2, 3), c=[4, 5])"
    start = text.index("b=")
    assert text[slice(*keyword_span(text, start))] == "b=g(2, 3), "
    start = text.index("c=")
    assert text[slice(*keyword_span(text, start))] == "c=[4, 5]"


# --- nothing to do ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "log",
    ["RuntimeError: something new", "ModuleNotFoundError: No module named 'evaluate'"],
)
def test_no_known_fix(project: dict[str, str], log: str) -> None:
    assert propose_fix(project, classify_failure(log), 1) is None


def test_fix_that_does_not_apply_returns_none(project: dict[str, str]) -> None:
    diagnosis = Diagnosis(
        error_class="removed_training_argument",
        summary="x",
        suggested_fix=None,
        known=True,
        details={"argument": "evaluation_strategy"},
    )
    assert propose_fix(project, diagnosis, 1) is None  # the script does not use it


# --- applying an LLM's unified diff (runner.selfheal.loop.apply_unified_diff, pure) -------------------------


def test_apply_unified_diff_round_trip(project: dict[str, str]) -> None:
    from runner.selfheal.fixes import unified_diff
    from runner.selfheal.loop import apply_unified_diff

    broken = {**project, "train.py": project["train.py"].replace("trainer.train()", "trainer.trian()")}
    diff = unified_diff(broken, project)
    assert apply_unified_diff(broken, diff) == {"train.py": project["train.py"]}


@pytest.mark.parametrize(
    ("diff", "message"),
    [
        ("--- a/setup.py\n+++ b/setup.py\n@@ -1 +1 @@\n-x\n+y\n", "touches 'setup.py'"),
        ("--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-no such line\n+y\n", "does not match train.py"),
        ("--- a/train.py\n+++ b/train.py\n@@ bogus @@\n", "bad hunk header"),
        ("just prose, no diff", "no file changes"),
        ("--- a/train.py\nno plus header\n", "not followed by"),
    ],
)
def test_apply_unified_diff_rejections(project: dict[str, str], diff: str, message: str) -> None:
    from runner.selfheal.loop import PatchError, apply_unified_diff

    with pytest.raises(PatchError, match=message):
        apply_unified_diff(project, diff)


def test_project_in_a_subdirectory_keeps_its_paths(project: dict[str, str]) -> None:
    files = {
        "ml/train.py": project["train.py"],
        "ml/intern.yaml": yaml_set(project["intern.yaml"], "training", "device", "cuda"),
    }
    fix = propose_fix(files, classify_failure("AssertionError: Torch not compiled with CUDA enabled"), 1)
    assert fix is not None and list(fix.changes) == ["ml/intern.yaml"]
    assert fix.diff.startswith("--- a/ml/intern.yaml")
