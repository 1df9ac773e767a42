"""The one zip builder of the tests: artifacts and uploads as GitHub and the Hub would hand them over."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping


def zip_files(files: Mapping[str, bytes | str]) -> bytes:
    """A zip archive holding `files` (name -> content), as bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
