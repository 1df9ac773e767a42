"""classify_failure on real messages, captured by reproducing each failure in the project venv
(datasets 5.2, transformers 5.24, torch 2.13 CPU, scikit-learn 1.9; the CUDA messages on an H200 with
torch 2.11+cu130, and with CUDA_VISIBLE_DEVICES="")."""

from __future__ import annotations

import pytest

from runner.selfheal.diagnose import CATALOGUE, Diagnosis, classify_failure, clean_log, error_classes

CAPTURED: list[tuple[str, str]] = [
    # label column still strings
    (
        "ValueError: Stratifying by column is only supported for ClassLabel column, and column label is Value.",
        "label_not_classlabel",
    ),
    ("AttributeError: 'Value' object has no attribute 'names'", "label_not_classlabel"),
    ("AttributeError: 'Value' object has no attribute 'int2str'", "label_not_classlabel"),
    ("ValueError: too many dimensions 'str'", "label_not_classlabel"),
    (
        "ValueError: Unable to create tensor, you should probably activate truncation and/or padding with "
        "'padding=True' 'truncation=True' to have batched tensors with the same length. "
        "Perhaps your features (`label` in this case) have excessive nesting "
        "(inputs type `list` where type `int` is expected).",
        "label_not_classlabel",
    ),
    # sklearn metrics on a split lacking classes
    (
        "ValueError: Number of classes, 2, does not match size of target_names, 3. Try specifying the labels parameter",
        "metrics_missing_classes",
    ),
    ("ValueError: At least one label specified must be in y_true", "metrics_missing_classes"),
    # columns
    ("ValueError: Column 'category' doesn't exist.", "missing_column"),
    (
        "ValueError: Column name ['category'] not in the dataset. Current columns in the dataset: ['text', 'label']",
        "missing_column",
    ),
    (
        "ValueError: Original column name category not in the dataset. Current columns in the dataset: "
        "['text', 'label']",
        "missing_column",
    ),
    ("ValueError: Column (category) not in table columns (['text', 'label']).", "missing_column"),
    ("KeyError: 'category'", "missing_column"),
    # tokenizer
    (
        "ValueError: Asking to pad but the tokenizer does not have a padding token. Please select a token to "
        "use as `pad_token` `(tokenizer.pad_token = tokenizer.eos_token e.g.)` or add a new pad token via "
        "`tokenizer.add_special_tokens({'pad_token': '[PAD]'})`.",
        "tokenizer_no_pad_token",
    ),
    ("ValueError: Cannot handle batch sizes > 1 if no padding token is defined.", "tokenizer_no_pad_token"),
    # memory
    (
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 40.00 GiB. GPU 0 has a total capacity "
        "of 139.80 GiB of which 19.29 GiB is free. Including non-PyTorch memory, this process has 120.51 GiB "
        "memory in use. Of the allocated memory 120.00 GiB is allocated by PyTorch, "
        "and 0 bytes is reserved by PyTorch but unallocated. "
        "If reserved but unallocated memory is large try setting "
        "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.",
        "out_of_memory",
    ),
    (
        "RuntimeError: [enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
        "memory: you tried to allocate 40000000000000 bytes. Error code 12 (Cannot allocate memory)",
        "out_of_memory",
    ),
    # CUDA
    ("AssertionError: Torch not compiled with CUDA enabled", "cuda_unavailable"),
    ("RuntimeError: No CUDA GPUs are available", "cuda_unavailable"),
    ("AttributeError: module 'torch._C' has no attribute '_cuda_setDevice'", "cuda_unavailable"),
    # transformers 5 removals
    (
        "TypeError: TrainingArguments.__init__() got an unexpected keyword argument 'evaluation_strategy'",
        "removed_training_argument",
    ),
    (
        "TypeError: TrainingArguments.__init__() got an unexpected keyword argument 'no_cuda'",
        "removed_training_argument",
    ),
    (
        "TypeError: Trainer.__init__() got an unexpected keyword argument 'tokenizer'",
        "removed_training_argument",
    ),
    # positions
    (
        "RuntimeError: The expanded size of the tensor (40) must match the existing size (16) "
        "at non-singleton dimension 1.  Target sizes: [2, 40].  Tensor sizes: [1, 16]",
        "sequence_too_long",
    ),
    ("IndexError: index out of range in self", "sequence_too_long"),
    # divergence: transformers 5 filters nan losses from the log but grad_norm shows it
    (
        "{'loss': '0', 'grad_norm': 'nan', 'learning_rate': '8.333e+07', 'epoch': '0.5'}",
        "nan_loss",
    ),
    # subprocess time limit
    (
        "subprocess.TimeoutExpired: Command '['/work/main/.venv/bin/python', '-c', 'import time; "
        "time.sleep(5)']' timed out after 0.49995062700000403 seconds",
        "timeout",
    ),
    # runner.adapters.subprocess_run's own line when it kills train.py
    ("TimeoutError: train.py exceeded its time limit of 10 s and was stopped", "timeout"),
    ("ModuleNotFoundError: No module named 'evaluate'", "dependency_missing"),
    (
        "ImportError: cannot import name 'TFAutoModel' from 'transformers' (/x/transformers/__init__.py)",
        "removed_api",
    ),
]


@pytest.mark.parametrize(("message", "expected"), CAPTURED)
def test_classifies_captured_message(message: str, expected: str) -> None:
    log = f'Traceback (most recent call last):\n  File "train.py", line 3, in <module>\n{message}\n'
    diagnosis = classify_failure(log)
    assert diagnosis.error_class == expected
    assert diagnosis.known is True
    assert diagnosis.summary
    assert diagnosis.evidence is not None and diagnosis.evidence in clean_log(log)


def test_every_catalogue_class_has_a_captured_example() -> None:
    covered = {expected for _, expected in CAPTURED}
    assert set(error_classes()) - {"unknown"} <= covered


@pytest.mark.parametrize(
    "log",
    [
        "",
        "all good\n",
        "RuntimeError: something nobody has seen before\n",
        "Token indices sequence length is longer than the specified maximum sequence length for this model\n",
    ],
)
def test_unknown(log: str) -> None:
    diagnosis = classify_failure(log)
    assert diagnosis == Diagnosis(
        error_class="unknown",
        summary=diagnosis.summary,
        suggested_fix=None,
        known=False,
        evidence=diagnosis.evidence,
    )


def test_unknown_keeps_last_error_line_as_evidence() -> None:
    log = "step 1\nValueError: first\nstep 2\nRuntimeError: the real one\n"
    assert classify_failure(log).evidence == "RuntimeError: the real one"


def test_details_fill_summary_and_fix() -> None:
    diagnosis = classify_failure(
        "TypeError: TrainingArguments.__init__() got an unexpected keyword argument 'warmup_ratio'"
    )
    assert diagnosis.details == {"owner": "TrainingArguments", "argument": "warmup_ratio"}
    assert "`warmup_ratio`" in diagnosis.summary
    assert diagnosis.suggested_fix is not None and "`warmup_ratio`" in diagnosis.suggested_fix


def test_column_name_is_extracted() -> None:
    diagnosis = classify_failure("ValueError: Column 'category' doesn't exist.")
    assert diagnosis.details["column"] == "category"
    assert "`category`" in diagnosis.summary


def test_last_failure_wins() -> None:
    log = (
        "{'loss': '0', 'grad_norm': 'nan', 'epoch': '0.5'}\n"
        "Traceback (most recent call last):\n"
        "AssertionError: Torch not compiled with CUDA enabled\n"
    )
    assert classify_failure(log).error_class == "cuda_unavailable"


def test_progress_bars_and_colours_are_cleaned() -> None:
    log = "\x1b[31m 50%|#####     | 1/2 [00:00<00:00]\r\x1b[0mValueError: Column 'text2' doesn't exist.\r\n"
    diagnosis = classify_failure(log)
    assert diagnosis.error_class == "missing_column"
    assert diagnosis.evidence == "ValueError: Column 'text2' doesn't exist."


def test_diagnosis_is_frozen() -> None:
    diagnosis = classify_failure("RuntimeError: No CUDA GPUs are available")
    with pytest.raises(ValueError):
        diagnosis.error_class = "x"  # type: ignore[misc]


def test_catalogue_classes_are_unique() -> None:
    names = [signature.error_class for signature in CATALOGUE]
    assert len(names) == len(set(names))
