"""Where the images are and which columns say what: a folder of class folders, a table of image paths (CSV, TSV,
JSON, JSONL, Parquet) or of embedded images (Parquet, a Hub dataset with an `Image` feature). Cheap: file names and a
few rows; every decision carries the sentence that explains it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from runner.config import DataFormat
from runner.errors import UserInputError
from runner.tasks.image_classification.portable_data import IMAGE_EXTENSIONS, SPLIT_FOLDERS, is_image_file

TABLE_FORMATS: dict[str, DataFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".parquet": "parquet",
}
LABEL_NAMES = ("label", "labels", "class", "category", "target", "species", "breed", "type", "y")
IMAGE_NAMES = ("image", "img", "path", "file", "filename", "image_path", "filepath", "file_path", "picture")
SAMPLE_ROWS = 200


class ImageSource(BaseModel):
    """How to read an image dataset: its format and columns, and why they were picked."""

    model_config = ConfigDict(frozen=True)

    fmt: DataFormat
    image_column: str = "image"
    label_column: str = "label"
    split_column: str | None = None
    reason: str


def _has_class_folders(folder: Path) -> bool:
    for child in folder.iterdir():
        if child.is_dir() and not child.name.startswith("."):
            inner = child
            if child.name.lower() in SPLIT_FOLDERS:
                inner = next((c for c in child.iterdir() if c.is_dir()), child)
            if any(is_image_file(p) for p in inner.iterdir() if p.is_file()):
                return True
    return False


def detect_image_source(source: str, image: str | None = None, label: str | None = None) -> ImageSource | None:
    """The image dataset at `source`, or None when it does not hold images."""
    path = Path(source)
    if path.is_dir():
        if _has_class_folders(path):
            return ImageSource(fmt="folder", reason=f"{source} is a folder of images with one sub-folder per class")
        if any(path.glob("*.parquet")) or any(path.glob("*/*.parquet")):
            return _detect_dataset(str(path), image, label)
        return None
    if path.is_file():
        fmt = TABLE_FORMATS.get(path.suffix.lower())
        return _detect_table(path, fmt, image, label) if fmt else None
    if "/" in source and not source.startswith((".", "/")):
        return _detect_dataset(source, image, label)
    return None


def _detect_table(path: Path, fmt: DataFormat, image: str | None, label: str | None) -> ImageSource | None:
    import pandas as pd

    try:
        if fmt in ("csv", "tsv"):
            frame = pd.read_csv(path, sep="\t" if fmt == "tsv" else ",", dtype=str, nrows=SAMPLE_ROWS)
        elif fmt == "jsonl":
            frame = pd.read_json(path, lines=True, dtype=False, nrows=SAMPLE_ROWS)
        elif fmt == "json":
            frame = pd.read_json(path, dtype=False).head(SAMPLE_ROWS)
        else:
            import pyarrow.parquet as pq

            table = pq.ParquetFile(path)
            frame = next(table.iter_batches(batch_size=SAMPLE_ROWS)).to_pandas()
    except (ValueError, OSError, StopIteration, UnicodeDecodeError):
        return None
    columns = [str(c) for c in frame.columns]
    image_column = image if image in columns else _image_column(frame, columns)
    if image_column is None:
        return None
    split_column = next((c for c in columns if c.lower() in ("split", "subset", "partition")), None)
    others = [c for c in columns if c not in (image_column, split_column)]
    if label and label not in columns:
        raise UserInputError(f"no column {label!r} in {path}: it has {', '.join(columns)}")
    label_column = label or next((c for c in others if c.lower() in LABEL_NAMES), None)
    if label_column is None:
        few = [c for c in others if frame[c].nunique() <= max(2, len(frame) // 3)]
        label_column = few[0] if few else None
    if label_column is None:
        raise UserInputError(f"{path} has image paths in {image_column!r} but no label column: pass --label COLUMN")
    reason = (
        f"{path.name}: images in {image_column!r} (paths ending in an image extension or image bytes), "
        f"labels in {label_column!r}" + (f", splits in {split_column!r}" if split_column else "")
    )
    return ImageSource(
        fmt=fmt, image_column=image_column, label_column=label_column, split_column=split_column, reason=reason
    )


def _image_column(frame: object, columns: list[str]) -> str | None:
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    ranked = sorted(columns, key=lambda c: c.lower() not in IMAGE_NAMES)
    for column in ranked:
        values = frame[column].dropna()
        if values.empty:
            continue
        first = values.iloc[0]
        if isinstance(first, dict) and ("bytes" in first or "path" in first):
            return column
        if isinstance(first, bytes):
            return column
        as_text = values.astype(str).str.lower()
        if as_text.str.endswith(IMAGE_EXTENSIONS).mean() >= 0.8:
            return column
    return None


def _detect_dataset(source: str, image: str | None, label: str | None) -> ImageSource | None:
    """A Hub dataset id or a local folder of Parquet files: its features say whether it holds images."""
    try:
        import datasets

        builder = datasets.load_dataset_builder(source)
        features = builder.info.features
        if features is None:  # a folder of Parquet files: the schema is known once a split is read
            split = next(iter(datasets.get_dataset_split_names(source)))
            features = datasets.load_dataset(source, split=split).features
    except Exception:  # offline, unknown id, not a dataset: no evidence either way
        return None
    image_column = image or next((k for k, v in features.items() if isinstance(v, datasets.Image)), None)
    if image_column is None:
        return None
    label_column = label or next(
        (k for k, v in features.items() if isinstance(v, datasets.ClassLabel)),
        next((k for k in features if k.lower() in LABEL_NAMES), None),
    )
    if label_column is None:
        raise UserInputError(f"{source} has images in {image_column!r} but no label column: pass --label COLUMN")
    return ImageSource(
        fmt="hub",
        image_column=image_column,
        label_column=label_column,
        reason=f"{source}: an `Image` feature {image_column!r}, labels in {label_column!r}",
    )
