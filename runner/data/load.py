"""Load a dataset from a local file or the Hub into a DataFrame, with actionable errors."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.config import DataFormat
from runner.data.delimiter import sniff_file_delimiter
from runner.data.portable import read_table
from runner.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

SUFFIX_FORMATS: dict[str, DataFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def detect_format(source: str) -> DataFormat:
    """The format of `source` from its suffix; an existing-looking Hub id (`owner/name`) is `hub`."""
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in SUFFIX_FORMATS:
        return SUFFIX_FORMATS[suffix]
    if path.is_dir():
        raise DataError(
            f"{source} is a folder without photos in class sub-folders (<folder>/<class>/*.jpg|png|webp|gif|bmp|tif, "
            "optionally under train/, validation/, test/): for text data, give a .csv, .tsv, .json, .jsonl or "
            ".parquet file"
        )
    if path.exists():
        raise DataError(
            f"cannot tell the format of {source}: use a .csv, .tsv, .json, .jsonl or .parquet file, or a folder of "
            "photos with one sub-folder per class"
        )
    if _HUB_ID.match(source) and "/" in source:
        return "hub"
    raise DataError(
        f"{source} not found: give a local .csv/.tsv/.json/.jsonl/.parquet file, a folder of photos (one sub-folder "
        "per class) or a Hub dataset id (owner/name)"
    )


StreamLoader = Callable[..., Iterable[dict[str, Any]]]


def sample_hub(source: str, split: str, max_rows: int, load: StreamLoader | None = None) -> pd.DataFrame:
    """The first `max_rows` rows of a Hub dataset, streamed (`datasets.load_dataset(..., streaming=True)`):
    neither the whole dataset nor more than `max_rows` rows are ever downloaded or held in memory."""
    import pandas as pd

    if load is None:
        import datasets

        load = datasets.load_dataset
    rows = list(itertools.islice(iter(load(source, split=split, streaming=True)), max_rows))
    return pd.DataFrame.from_records(rows)


def load_table(
    source: str,
    fmt: DataFormat | None = None,
    hub_split: str = "train",
    *,
    max_rows: int | None = None,
    stream_loader: StreamLoader | None = None,
) -> pd.DataFrame:
    """Read `source`; every failure is a DataError that says what to do. With `max_rows`, a Hub dataset is
    read as a streamed sample of that many rows (what a shared service like the bot does)."""
    fmt = fmt or detect_format(source)
    if fmt != "hub":
        path = Path(source)
        if not path.is_file():
            raise DataError(f"{source} not found: check the path (relative paths start from the current directory)")
        if path.stat().st_size == 0:
            raise DataError(f"{source} is empty: it holds no rows")
    if fmt == "hub" and stream_loader is None:
        from runner.data.hub_check import hub_dataset_unavailable

        problem = hub_dataset_unavailable(source)
        if problem is not None:
            raise DataError(problem)
    try:
        if fmt == "hub" and max_rows is not None:
            frame = sample_hub(source, hub_split, max_rows, stream_loader)
        else:
            frame = read_table(source, fmt, hub_split, csv_delimiter(source, fmt))
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{source} is not valid UTF-8 (byte {exc.object[exc.start]:#04x} at offset {exc.start}): "
            "re-save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 IN > OUT`"
        ) from exc
    except ImportError as exc:
        raise DataError(f"reading {fmt} needs an extra package: {exc}; `pip install ml-intern-bot[train]`") from exc
    except (ValueError, OSError) as exc:
        if fmt == "hub":
            raise DataError(
                f"cannot load Hub dataset {source!r} (split {hub_split!r}): {_first_line(exc)}; "
                "check the id, your network and HF_TOKEN, or pass a local file"
            ) from exc
        raise DataError(f"cannot parse {source} as {fmt}: {_first_line(exc)}") from exc
    except Exception as exc:  # pandas/pyarrow parser errors have no common base we can name
        raise DataError(f"cannot parse {source} as {fmt}: {type(exc).__name__}: {_first_line(exc)}") from exc
    if len(frame) == 0:
        raise DataError(f"{source} holds a header but no rows")
    frame.columns = [str(column) for column in frame.columns]
    return frame


def csv_delimiter(source: str, fmt: DataFormat) -> str | None:
    """The sniffed field separator of a local CSV when it is not a comma (None: a comma, or not a CSV)."""
    if fmt != "csv" or not Path(source).is_file():
        return None
    delimiter, _ = sniff_file_delimiter(source)
    return None if delimiter == "," else delimiter


def csv_delimiter_note(source: str, fmt: DataFormat | str) -> str | None:
    """Why a local CSV is read with another separator than a comma, for the user (None: a comma)."""
    if fmt != "csv" or not Path(source).is_file():
        return None
    delimiter, reason = sniff_file_delimiter(source)
    return None if delimiter == "," else f"{source}: {reason}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
