"""How `intern predict` and `intern serve` show a prediction (pure): a tab-separated line, or a JSON object.

The JSON object is the prediction's fields (`text`, `label`, `score`, `top_label`, `abstained`) after the other
columns of the input row (ids...) in their order; an input column named like a prediction field is kept as
`input_<name>` so that nothing is overwritten. `intern predict --json` prints one object per line, and
`POST /predict` of `intern serve` answers the same objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from runner.schemas import Prediction

INPUT_PREFIX = "input_"


def prediction_record(prediction: BaseModel, extras: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON-ready record of one prediction, with the input row's other columns first."""
    fields = prediction.model_dump(mode="json")
    record: dict[str, Any] = {}
    for key, value in (extras or {}).items():
        name = str(key)
        while name in fields or name in record:
            name = INPUT_PREFIX + name
        record[name] = value
    record.update(fields)
    return record


def render_json_line(prediction: BaseModel, extras: Mapping[str, Any] | None = None) -> str:
    """One line of JSON (no spaces to break on, non-ASCII kept)."""
    return json.dumps(prediction_record(prediction, extras), ensure_ascii=False, allow_nan=False)


def render_text_line(prediction: Prediction) -> str:
    """`label<TAB>score<TAB>text`, the text on one line."""
    text = " ".join(prediction.text.split())
    return f"{prediction.label}\t{prediction.score:.4f}\t{text}"
