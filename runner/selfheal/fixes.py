"""Known fixes: one pure edit of `train.py` or `intern.yaml` text per error class of `runner.selfheal.diagnose`.

`propose_fix(files, diagnosis, attempt)` takes the project's file texts by relative path and returns a
`ProposedFix` (the new texts, a unified diff and the reason) or None when no known fix applies. Nothing here
reads or writes files: `runner.selfheal.loop` does that, runs the smoke test again and keeps score.

intern.yaml is edited line by line (comments and order survive) and the result is validated against
`InternConfig`; train.py edits are small, anchored text edits whose result must still parse.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from runner.config import CONFIG_FILENAME, InternConfig
from runner.data.columns import ColumnChoice
from runner.render.pysource import parse_python
from runner.selfheal.diagnose import Diagnosis

TRAIN_SCRIPT = "train.py"
PROJECT_FILES = (TRAIN_SCRIPT, CONFIG_FILENAME)
MAX_SANE_LEARNING_RATE = 1e-2
RESET_LEARNING_RATE = 1e-3

# transformers 5: TrainingArguments/Trainer keywords that were renamed (old -> new) or removed (old -> None).
_RENAMED = {
    "evaluation_strategy": "eval_strategy",
    "no_cuda": "use_cpu",
    "warmup_ratio": "warmup_steps",  # a float in [0, 1) is a ratio in transformers 5
    "per_gpu_train_batch_size": "per_device_train_batch_size",
    "per_gpu_eval_batch_size": "per_device_eval_batch_size",
    "tokenizer": "processing_class",  # Trainer(...)
}
_REMOVED: tuple[str, ...] = ("overwrite_output_dir", "logging_dir", "use_mps_device", "use_ipex", "save_safetensors")
_REMOVED += ("tpu_num_cores", "jit_mode_eval", "half_precision_backend", "push_to_hub_token")
_REMOVED += ("include_inputs_for_metrics",)
RENAMED_ARGUMENTS: dict[str, str | None] = {**_RENAMED, **dict.fromkeys(_REMOVED)}
_SKLEARN_METRICS: tuple[str, ...] = ("f1_score", "precision_score", "recall_score", "classification_report")
_SKLEARN_METRICS += ("confusion_matrix", "precision_recall_fscore_support")


class ProposedFix(BaseModel):
    """A known fix: the new text of each changed file, as a diff, with the reason."""

    model_config = ConfigDict(frozen=True)

    error_class: str
    reason: str
    changes: dict[str, str]
    diff: str


Edit = tuple[str, dict[str, str]]  # (reason, {path: new text})
Fixer = Callable[[dict[str, str], Diagnosis, ColumnChoice | None], Edit | None]


# --- intern.yaml helpers ------------------------------------------------------------------------------


def read_yaml(files: dict[str, str]) -> dict[str, Any]:
    raw = yaml.safe_load(files.get(CONFIG_FILENAME, "") or "{}")
    return raw if isinstance(raw, dict) else {}


def yaml_set(text: str, section: str, key: str, value: object) -> str:
    """Set `section.key` to `value` in YAML text, editing one line so comments and order survive."""
    rendered = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
    lines = text.splitlines(keepends=True)
    header = next((i for i, line in enumerate(lines) if re.match(rf"^{re.escape(section)}:\s*(#.*)?$", line)), None)
    if header is None:
        suffix = "" if not text or text.endswith("\n") else "\n"
        return f"{text}{suffix}{section}:\n  {key}: {rendered}\n"
    end = header + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
        end += 1
    for i in range(header + 1, end):
        found = re.match(rf"^(\s+){re.escape(key)}:(\s*)[^#\n]*?(\s*#.*)?$", lines[i].rstrip("\n"))
        if found:
            lines[i] = f"{found.group(1)}{key}: {rendered}{found.group(3) or ''}\n"
            return "".join(lines)
    indent = re.match(r"^(\s+)", lines[header + 1]).group(1) if end > header + 1 else "  "  # type: ignore[union-attr]
    lines.insert(end, f"{indent}{key}: {rendered}\n")
    return "".join(lines)


def _config_edit(files: dict[str, str], edits: list[tuple[str, str, object]], reason: str) -> Edit | None:
    text = files.get(CONFIG_FILENAME)
    if text is None:
        return None
    for section, key, value in edits:
        text = yaml_set(text, section, key, value)
    try:
        InternConfig.model_validate(yaml.safe_load(text))
    except (ValidationError, yaml.YAMLError):
        return None
    return reason, {CONFIG_FILENAME: text}


# --- train.py helpers ---------------------------------------------------------------------------------


def _script_edit(files: dict[str, str], new_text: str, reason: str) -> Edit | None:
    old = files.get(TRAIN_SCRIPT)
    if old is None or new_text == old:
        return None
    try:
        parse_python(new_text, "train.py")
    except SyntaxError:
        return None
    return reason, {TRAIN_SCRIPT: new_text}


def keyword_span(text: str, start: int) -> tuple[int, int]:
    """The span of the keyword argument starting at `start` (`name=value`), through its trailing comma."""
    depth, i, quote = 0, text.index("=", start) + 1, ""
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif char == "," and depth == 0:
            i += 1
            break
        i += 1
    if i < len(text) and text[i - 1] == ",":
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == "\n":
            line_start = text.rfind("\n", 0, start) + 1
            if not text[line_start:start].strip():
                return line_start, i + 1
    return start, i


def _keyword_pattern(name: str) -> re.Pattern[str]:
    """`name=` as a keyword argument of a call (after `(` or `,`), not an assignment."""
    return re.compile(rf"[(,]\s*(?P<name>{re.escape(name)})(?P<space>\s*)=(?!=)")


# --- the fixes ----------------------------------------------------------------------------------------


def fix_classlabel(files: dict[str, str], diagnosis: Diagnosis, columns: ColumnChoice | None) -> Edit | None:
    script = files.get(TRAIN_SCRIPT, "")
    found = re.search(
        r"^(?P<indent>[ \t]*)(?P<var>\w+) = Dataset\.from_dict\(.*[\"'](?P<col>labels?)[\"']\s*:.*\)\s*$",
        script,
        re.MULTILINE,
    )
    if found is None or re.search(r"cast_column\([^)]*ClassLabel", script):
        return None
    names = "label_names" if "label_names" in script else repr([str(x) for x in read_yaml(files).get("labels", [])])
    var, col = found.group("var"), found.group("col")
    line = f'{found.group("indent")}{var} = {var}.cast_column("{col}", ClassLabel(names={names}))\n'
    new = script[: found.end() + 1] + line + script[found.end() + 1 :]
    if not re.search(r"^\s*from datasets import[^\n]*\bClassLabel\b", new, re.MULTILINE):
        new = re.sub(r"^import ", "from datasets import ClassLabel\nimport ", new, count=1, flags=re.MULTILINE)
    reason = f"cast the `{col}` column to a ClassLabel over the configured label names so it can be stratified"
    return _script_edit(files, new, reason + " and batched as integer ids")


def fix_metric_labels(files: dict[str, str], diagnosis: Diagnosis, columns: ColumnChoice | None) -> Edit | None:
    script = files.get(TRAIN_SCRIPT, "")
    if "every_class" in script:
        every = "every_class"
    elif re.search(r"\bnum_labels\b", script):
        every = "list(range(num_labels))"
    elif "label_names" in script:
        every = "list(range(len(label_names)))"
    else:
        return None
    new, changed = script, []
    for metric in _SKLEARN_METRICS:
        for call in reversed(list(re.finditer(rf"\b{metric}\(", new))):
            depth, i = 1, call.end()
            while i < len(new) and depth:
                depth += {"(": 1, ")": -1}.get(new[i], 0)
                i += 1
            if re.search(r"\blabels\s*=", new[call.end() : i - 1]):
                continue
            new = f"{new[: i - 1].rstrip()}, labels={every}{new[i - 1 :]}"
            changed.append(metric)
    metrics = ", ".join(sorted(set(changed)))
    reason = f"pass labels= (every class) to {metrics} so that a split lacking a class still scores"
    return _script_edit(files, new, reason) if changed else None


def fix_columns(files: dict[str, str], diagnosis: Diagnosis, columns: ColumnChoice | None) -> Edit | None:
    data = read_yaml(files).get("data") or {}
    missing = diagnosis.details.get("column")
    if columns is None or not isinstance(data, dict):
        return None
    edits: list[tuple[str, str, object]] = []
    for key, detected in (("text_column", columns.text), ("label_column", columns.label)):
        current = data.get(key)
        if current != detected and (missing is None or current == missing):
            edits.append(("data", key, detected))
    if not edits:
        return None
    what = ", ".join(f"data.{key}: {data.get(key)!r} -> {value!r}" for _, key, value in edits)
    return _config_edit(files, edits, f"the data has no column {missing!r}; detected columns: {what}")


def fix_pad_token(files: dict[str, str], diagnosis: Diagnosis, columns: ColumnChoice | None) -> Edit | None:
    script = files.get(TRAIN_SCRIPT, "")
    assignments = list(
        re.finditer(r"^(?P<indent>[ \t]*)(?P<targets>[\w, ]*\btokenizer\b[\w, ]*)=[^=].*$", script, re.M)
    )
    if not assignments or "# ML Intern fix: pad token" in script:
        return None
    with_model = [m for m in assignments if re.search(r"\bmodel\b", m.group("targets"))]
    anchor = (with_model or assignments)[-1]
    pad = anchor.group("indent")
    guard = [
        f"{pad}if tokenizer.pad_token is None:  # ML Intern fix: pad token (padding batches needs one)",
        f"{pad}    if tokenizer.eos_token or tokenizer.unk_token:",
        f"{pad}        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token",
        f"{pad}    else:",
        f'{pad}        tokenizer.add_special_tokens({{"pad_token": "[PAD]"}})',
    ]
    if with_model:
        guard += [
            f"{pad}        model.resize_token_embeddings(len(tokenizer))",
            f"{pad}    model.config.pad_token_id = tokenizer.pad_token_id",
        ]
    end = script.find("\n", anchor.end())
    end = len(script) if end == -1 else end
    new = script[:end] + "\n" + "\n".join(guard) + script[end:]
    return _script_edit(files, new, "the tokenizer has no pad token: use EOS/UNK as padding (or add [PAD])")


def fix_out_of_memory(files: dict[str, str], diagnosis: Diagnosis, columns: ColumnChoice | None) -> Edit | None:
    training = read_yaml(files).get("training") or {}
    batch, accumulation = (
        int(training.get("batch_size", 32)),
        int(training.get("gradient_accumulation_steps", 1)),
    )
    if batch <= 1:
        return None
    new_batch = batch // 2
    new_accumulation = accumulation * batch // new_batch if batch % 2 == 0 else accumulation * 2
    reason = (
        f"out of memory at batch size {batch}: batch_size {batch} -> {new_batch}, "
        f"gradient_accumulation_steps {accumulation} -> {new_accumulation} "
        f"(effective batch {batch * accumulation} -> {new_batch * new_accumulation})"
    )
    edits: list[tuple[str, str, object]] = [
        ("training", "batch_size", new_batch),
        ("training", "gradient_accumulation_steps", new_accumulation),
    ]
    return _config_edit(files, edits, reason)


def fix_cuda(files: dict[str, str], diagnosis: Diagnosis, columns: ColumnChoice | None) -> Edit | None:
    device = (read_yaml(files).get("training") or {}).get("device", "auto")
    if device == "cpu":
        return None
    reason = f"training.device was {device!r} but this machine has no usable CUDA GPU: train on the CPU"
    return _config_edit(files, [("training", "device", "cpu")], reason)


def fix_training_argument(files: dict[str, str], diagnosis: Diagnosis, columns: ColumnChoice | None) -> Edit | None:
    argument = diagnosis.details.get("argument", "")
    if argument not in RENAMED_ARGUMENTS:
        return None
    script, new_name = files.get(TRAIN_SCRIPT, ""), RENAMED_ARGUMENTS[argument]
    matches = list(_keyword_pattern(argument).finditer(script))
    if not matches:
        return None
    new = script
    for found in reversed(matches):
        if new_name is None:
            start, end = keyword_span(new, found.start("name"))
            new = new[:start] + new[end:]
        else:
            new = new[: found.start("name")] + new_name + new[found.end("name") :]
    what = f"renamed `{argument}` to `{new_name}`" if new_name else f"dropped `{argument}`"
    return _script_edit(files, new, f"transformers 5 removed the `{argument}` argument: {what}")


def fix_sequence_length(files: dict[str, str], diagnosis: Diagnosis, columns: ColumnChoice | None) -> Edit | None:
    current = (read_yaml(files).get("model") or {}).get("max_length")
    positions = diagnosis.details.get("positions")
    if positions is not None:
        target = int(positions)
    elif current:
        target = max(8, int(current) // 2)
    else:
        target = 512
    if current is not None and int(current) <= target:
        return None
    reason = f"sequences are longer than the model's {target} positions: cap model.max_length at {target}"
    return _config_edit(files, [("model", "max_length", target)], reason)


def fix_learning_rate(files: dict[str, str], diagnosis: Diagnosis, columns: ColumnChoice | None) -> Edit | None:
    rate = float((read_yaml(files).get("training") or {}).get("learning_rate", 5e-5))
    new_rate = rate / 10 if rate <= MAX_SANE_LEARNING_RATE else RESET_LEARNING_RATE
    why = "divided by 10" if rate <= MAX_SANE_LEARNING_RATE else f"above {MAX_SANE_LEARNING_RATE:g}, reset"
    reason = f"the loss became NaN: learning_rate {rate:g} -> {new_rate:g} ({why})"
    return _config_edit(files, [("training", "learning_rate", new_rate)], reason)


def fix_timeout(files: dict[str, str], diagnosis: Diagnosis, columns: ColumnChoice | None) -> Edit | None:
    smoke = read_yaml(files).get("smoke") or {}
    steps, limit = int(smoke.get("max_steps", 8)), int(smoke.get("time_limit_s", 600))
    if steps > 8:
        return _config_edit(files, [("smoke", "max_steps", 8)], f"smoke test timed out: max_steps {steps} -> 8")
    reason = f"smoke test timed out: time_limit_s {limit} -> {limit * 2}"
    return _config_edit(files, [("smoke", "time_limit_s", limit * 2)], reason)


FIXERS: dict[str, Fixer] = {
    "label_not_classlabel": fix_classlabel,
    "metrics_missing_classes": fix_metric_labels,
    "missing_column": fix_columns,
    "tokenizer_no_pad_token": fix_pad_token,
    "out_of_memory": fix_out_of_memory,
    "cuda_unavailable": fix_cuda,
    "removed_training_argument": fix_training_argument,
    "sequence_too_long": fix_sequence_length,
    "nan_loss": fix_learning_rate,
    "timeout": fix_timeout,
}


def unified_diff(old: dict[str, str], new: dict[str, str]) -> str:
    parts: list[str] = []
    for path in sorted(new):
        before, after = old.get(path, ""), new[path]
        parts.extend(
            difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
            )
        )
    return "".join(part if part.endswith("\n") else part + "\n" for part in parts)


def _project_view(files: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """`files` keyed by the canonical names (train.py, intern.yaml), and the real key of each.

    The bot passes repo paths; a project may live in a subdirectory (`ml/train.py`)."""
    view, keys = dict(files), {name: name for name in files}
    for name in PROJECT_FILES:
        if name not in files:
            nested = sorted(key for key in files if key.endswith("/" + name))
            if nested:
                view[name], keys[name] = files[nested[0]], nested[0]
    return view, keys


def propose_fix(
    files: dict[str, str], diagnosis: Diagnosis, attempt: int, *, columns: ColumnChoice | None = None
) -> ProposedFix | None:
    """The catalogue's fix for `diagnosis` on these files, or None when none applies.

    `files` maps paths (train.py, intern.yaml, or the same names under one subdirectory) to their text;
    `columns` is the runner's column detection on the data (needed only for missing_column). `attempt`
    (1-based) is part of the contract for fixes that escalate; today's fixes read the current files instead.
    """
    fixer = FIXERS.get(diagnosis.error_class)
    if fixer is None:
        return None
    view, keys = _project_view(files)
    edit = fixer(view, diagnosis, columns)
    if edit is None:
        return None
    reason, changes = edit
    changes = {keys.get(path, path): text for path, text in changes.items() if view.get(path) != text}
    if not changes:
        return None
    return ProposedFix(
        error_class=diagnosis.error_class, reason=reason, changes=changes, diff=unified_diff(files, changes)
    )
