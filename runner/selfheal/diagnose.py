"""Failure diagnosis: a smoke-test log -> a known error class, a one-line summary and a suggested fix.

Pure and table-driven. `CATALOGUE` is data: each `Signature` lists regexes written against the *real* messages
that datasets 5, transformers 5, torch 2.x and scikit-learn 1.9 print (captured by running the failures, see
tests/unit/test_diagnose.py), the error class they mean, a summary and the suggested fix. Named groups in a
pattern (`(?P<column>...)`) become `Diagnosis.details` and fill `{column}` in the summary and the fix text, so
`runner.selfheal.fixes` can act on them without parsing the log again.

When several signatures match, the one whose match ends *last* in the log wins (the final exception is the
one that stopped the run); ties go to the earlier catalogue entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

UNKNOWN = "unknown"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Diagnosis(BaseModel):
    """What went wrong, in terms a person and `runner.selfheal.fixes` can act on."""

    model_config = ConfigDict(frozen=True)

    error_class: str
    summary: str
    suggested_fix: str | None
    known: bool
    evidence: str | None = None
    details: dict[str, str] = {}


@dataclass(frozen=True)
class Signature:
    error_class: str
    patterns: tuple[str, ...]
    summary: str
    suggested_fix: str | None
    compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", tuple(re.compile(p, re.MULTILINE) for p in self.patterns))


CATALOGUE: tuple[Signature, ...] = (
    Signature(
        "tokenizer_no_pad_token",
        (
            r"Asking to pad but the tokenizer does not have a padding token",
            r"Cannot handle batch sizes > 1 if no padding token is defined",
        ),
        "The tokenizer has no padding token, so batches of different lengths cannot be padded.",
        "Set `tokenizer.pad_token` to the EOS (or UNK) token, or add a `[PAD]` token, "
        "and set `model.config.pad_token_id` to match.",
    ),
    Signature(
        "label_not_classlabel",
        (
            r"Stratifying by column is only supported for ClassLabel column, and column (?P<column>\S+) is",
            r"'Value' object has no attribute '(?:names|int2str|str2int|num_classes)'",
            r"ValueError: too many dimensions 'str'",
            r"Perhaps your features \(`(?P<column>labels?)` in this case\) have excessive nesting",
        ),
        "The label column holds strings, not a `ClassLabel`, so it cannot be stratified or turned into tensors.",
        "Cast the label column to `ClassLabel(names=labels)` (the label list in intern.yaml) before splitting.",
    ),
    Signature(
        "metrics_missing_classes",
        (
            r"Number of classes, \d+, does not match size of target_names, \d+",
            r"At least one label specified must be in y_true",
            r"y_pred contains classes not in y_true",
        ),
        "A metric broke because the evaluated split does not contain every class.",
        "Pass `labels=list(range(num_labels))` to every scikit-learn metric so missing classes count as zero.",
    ),
    Signature(
        "missing_column",
        (
            r"Column '(?P<column>[^']+)' doesn't exist",
            r"Column name \['(?P<column>[^']+)'\] not in the dataset",
            r"Original column name (?P<column>\S+) not in the dataset",
            r"Column \((?P<column>[^)]+)\) not in table columns",
            r"ColumnError: .*?column '(?P<column>[^']+)'",
            r"^KeyError: '(?P<column>[^']+)'\s*$",
        ),
        "The script asks for column `{column}`, which the data does not have.",
        "Point intern.yaml's `data.text_column` / `data.label_column` at the columns the data really has.",
    ),
    Signature(
        "out_of_memory",
        (
            r"CUDA out of memory\. Tried to allocate (?P<size>[\d.]+ [KMGT]iB)",
            r"OutOfMemoryError",
            r"DefaultCPUAllocator: can't allocate memory: you tried to allocate (?P<size>\d+) bytes",
            r"MPS backend out of memory",
            r"^Killed\s*$",
        ),
        "The run ran out of memory at the configured batch size.",
        "Halve `training.batch_size` and double `training.gradient_accumulation_steps` in intern.yaml "
        "(same effective batch).",
    ),
    Signature(
        "cuda_unavailable",
        (
            r"Torch not compiled with CUDA enabled",
            r"No CUDA GPUs are available",
            r"Found no NVIDIA driver on your system",
            r"CUDA driver initialization failed",
            r"has no attribute '_cuda_\w+'",
            r"torch\.cuda\.is_available\(\) is False",
        ),
        "The script asked for CUDA on a machine without a usable GPU.",
        "Set `training.device: cpu` in intern.yaml (or `auto` to use a GPU only when one exists).",
    ),
    Signature(
        "removed_training_argument",
        (
            r"(?P<owner>TrainingArguments|Trainer)\.__init__\(\) got an unexpected keyword argument "
            r"'(?P<argument>\w+)'",
        ),
        "`{owner}` no longer accepts `{argument}` (removed or renamed in transformers 5).",
        "Rename or drop `{argument}` in train.py (e.g. evaluation_strategy -> eval_strategy, "
        "no_cuda -> use_cpu, warmup_ratio -> warmup_steps, tokenizer -> processing_class).",
    ),
    Signature(
        "sequence_too_long",
        (
            r"The expanded size of the tensor \((?P<length>\d+)\) must match the existing size "
            r"\((?P<positions>\d+)\) at non-singleton dimension 1",
            r"The size of tensor a \((?P<length>\d+)\) must match the size of tensor b "
            r"\((?P<positions>\d+)\) at non-singleton dimension 1",
            r"IndexError: index out of range in self",
        ),
        "Token sequences are longer than the model's position embeddings.",
        "Cap `model.max_length` at the model's `max_position_embeddings` (and truncate).",
    ),
    Signature(
        "nan_loss",
        (
            r"'(?:loss|grad_norm|eval_loss)': '?nan'?",
            r"(?i)\b(?:training )?loss (?:is|became) (?:nan|inf|not finite)",
            r"(?i)non-finite loss",
            r"FloatingPointError",
            r"returned nan values in its \d+th output",
        ),
        "The loss became NaN: training diverged.",
        "Divide `training.learning_rate` by 10 in intern.yaml.",
    ),
    Signature(
        "timeout",
        (
            r"TimeoutExpired",
            r"TimeoutError: train\.py exceeded its time limit",
            r"timed out after [\d.]+ seconds",
            r"(?i)exceeded (?:the|its) (?:smoke )?time limit",
        ),
        "The run did not finish within its time limit.",
        "Lower `smoke.max_steps` or `model.max_length`, or raise `smoke.time_limit_s` in intern.yaml.",
    ),
    Signature(
        "dependency_missing",
        (r"ModuleNotFoundError: No module named '(?P<module>[\w.]+)'",),
        "Python package `{module}` is not installed.",
        "Install it (`pip install {module}` or the project's `[train]` extra) and add it to requirements.",
    ),
    Signature(
        "removed_api",
        (r"ImportError: cannot import name '(?P<name>\w+)' from '(?P<module>[\w.]+)'",),
        "`{name}` is no longer in `{module}` (an API removed in the installed version).",
        "Replace the import of `{name}` with its current equivalent (see the library's migration guide).",
    ),
)

_UNKNOWN = Diagnosis(
    error_class=UNKNOWN,
    summary="The smoke test failed with an error that is not in the catalogue.",
    suggested_fix=None,
    known=False,
)


def clean_log(log: str) -> str:
    """Strip ANSI colours and turn progress-bar carriage returns into line breaks."""
    return _ANSI.sub("", log).replace("\r\n", "\n").replace("\r", "\n")


def _fill(text: str | None, details: dict[str, str]) -> str | None:
    if text is None:
        return None
    try:
        return text.format(**details)
    except (KeyError, IndexError):
        return re.sub(r"\{\w+\}", "it", text)


def _line_at(log: str, position: int) -> str:
    start = log.rfind("\n", 0, position) + 1
    end = log.find("\n", position)
    return log[start : end if end != -1 else len(log)].strip()


def _last_error_line(log: str) -> str | None:
    lines = [line.strip() for line in log.splitlines() if re.match(r"^\s*[\w.]*(Error|Exception)\b", line)]
    return lines[-1] if lines else None


def classify_failure(log: str, catalogue: Iterable[Signature] = CATALOGUE) -> Diagnosis:
    """Classify a failed run from its log (or log tail). Pure; never raises."""
    text = clean_log(log)
    best: tuple[int, int, Signature, re.Match[str]] | None = None
    for order, signature in enumerate(catalogue):
        for pattern in signature.compiled:
            for found in pattern.finditer(text):
                rank = (found.end(), -order)
                if best is None or rank > (best[0], best[1]):
                    best = (found.end(), -order, signature, found)
    if best is None:
        evidence = _last_error_line(text)
        return _UNKNOWN.model_copy(update={"evidence": evidence})
    _, _, signature, found = best
    details = {key: value for key, value in found.groupdict().items() if value is not None}
    return Diagnosis(
        error_class=signature.error_class,
        summary=_fill(signature.summary, details) or signature.summary,
        suggested_fix=_fill(signature.suggested_fix, details),
        known=True,
        evidence=_line_at(text, found.start()),
        details=details,
    )


def error_classes() -> list[str]:
    """Every class the catalogue can return, plus `unknown`."""
    return [signature.error_class for signature in CATALOGUE] + [UNKNOWN]
