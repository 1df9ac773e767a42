"""The inspect stage: load a dataset, pick its columns, validate it, split it, report on it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from runner.config import DataFormat, SplitConfig
from runner.data.columns import detect_columns
from runner.data.load import StreamLoader, detect_format, load_table
from runner.data.portable import clean_rows, normalise_text, split_indices
from runner.data.profile import PreparedData, build_report, validate_labels
from runner.errors import ColumnError, DataError
from runner.schemas import InspectReport


class InspectResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    report: InspectReport
    fmt: DataFormat
    test_format: DataFormat | None
    labels: list[str]
    rows: int
    examples: list[str]


def _given_test(
    texts: list[str],
    labels: list[str],
    test_texts: list[str],
    test_labels: list[str],
    test_source: str,
    split: SplitConfig,
) -> PreparedData:
    unknown = sorted(set(test_labels) - set(labels))
    if unknown and set(test_labels) <= set(unknown):
        raise DataError(
            f"{test_source}: none of its labels ({', '.join(map(repr, unknown[:5]))}) occurs in the training data: "
            "check that --label names the same column in both files"
        )
    in_test = {normalise_text(text) for text in test_texts}
    keep = [i for i, text in enumerate(texts) if normalise_text(text) not in in_test]
    texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    rows = split_indices(texts, labels, 0.0, split.validation_size, split.seed)
    offset = len(texts)
    rows["test"] = list(range(offset, offset + len(test_texts)))
    return PreparedData(texts + test_texts, labels + test_labels, rows, dropped=0)


def inspect_source(
    source: str,
    *,
    text: str | None = None,
    label: str | None = None,
    test_source: str | None = None,
    split: SplitConfig | None = None,
    hub_split: str = "train",
    max_rows: int | None = None,
    stream_loader: StreamLoader | None = None,
) -> InspectResult:
    """Inspect `source`; `max_rows` caps a Hub dataset to a streamed sample (see `load_table`)."""
    split = split or SplitConfig()
    fmt = detect_format(source)
    frame = load_table(source, fmt, hub_split, max_rows=max_rows, stream_loader=stream_loader)
    choice = detect_columns(frame, text, label)
    texts, labels, kept = clean_rows(list(frame[choice.text]), list(frame[choice.label]))
    dropped = len(frame) - len(kept)
    test_format: DataFormat | None = None
    if test_source is not None:
        test_format = detect_format(test_source)
        test_frame = load_table(test_source, test_format, "test")
        missing = [column for column in (choice.text, choice.label) if column not in test_frame.columns]
        if missing:
            raise ColumnError(
                f"{test_source} lacks column(s) {', '.join(missing)} that {source} uses: "
                f"its columns are {', '.join(map(str, test_frame.columns))}"
            )
        test_texts, test_labels, _ = clean_rows(list(test_frame[choice.text]), list(test_frame[choice.label]))
        if not test_texts:
            raise DataError(f"{test_source}: every row has an empty text or label")
        validate_labels(labels, source)
        data = _given_test(texts, labels, test_texts, test_labels, test_source, split)
        data.dropped = dropped
    else:
        validate_labels(labels, source)
        data = PreparedData(
            texts,
            labels,
            split_indices(texts, labels, split.test_size, split.validation_size, split.seed),
            dropped,
        )
    report = build_report(
        data,
        source=source if fmt == "hub" else Path(source).name,
        rows=len(frame),
        columns=[str(column) for column in frame.columns],
        text_column=choice.text,
        label_column=choice.label,
        column_reason=choice.reason,
        test_size=split.test_size,
        seed=split.seed,
        given_test=test_source is not None,
    )
    train_and_validation = data.splits["train"] + data.splits["validation"]
    label_names = sorted({data.labels[i] for i in train_and_validation})
    out_of_scope = [i for i in data.splits["test"] if data.labels[i] not in set(label_names)]
    if out_of_scope:
        unseen = sorted({data.labels[i] for i in out_of_scope})
        report = report.model_copy(
            update={
                "warnings": [
                    *report.warnings,
                    f"{len(out_of_scope)} test rows carry labels never seen in training "
                    f"({', '.join(map(repr, unseen[:5]))}): they are treated as out of scope, "
                    "and the model is scored on abstaining on them",
                ]
            }
        )
    examples = []
    train_rows = data.splits["train"]
    for name in label_names[:5]:
        found = next((data.texts[i] for i in train_rows if data.labels[i] == name), None)
        if found:
            examples.append(found)
    return InspectResult(
        report=report,
        fmt=fmt,
        test_format=test_format,
        labels=label_names,
        rows=len(texts),
        examples=examples,
    )
