"""Upload files to act's artifact server with the upload-artifact v3 HTTP protocol (stdlib only).

POST {ACTIONS_RUNTIME_URL}_apis/pipelines/workflows/{run}/artifacts   -> {"fileContainerResourceUrl": URL}
PUT  URL?itemPath=<name>/<relative path>                              -> one request per file
PATCH {ACTIONS_RUNTIME_URL}_apis/pipelines/workflows/{run}/artifacts?artifactName=<name>
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request
from pathlib import Path


def _request(method: str, url: str, body: bytes, headers: dict[str, str]) -> bytes:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        data: bytes = response.read()
        return data


def collect(paths: list[str]) -> list[tuple[Path, str]]:
    """(file, path inside the artifact): a directory's files are stored relative to that directory."""
    found: list[tuple[Path, str]] = []
    for raw in paths:
        root = Path(raw)
        if root.is_file():
            found.append((root, root.name))
        elif root.is_dir():
            found.extend((f, f.relative_to(root).as_posix()) for f in sorted(root.rglob("*")) if f.is_file())
    return found


def main() -> int:
    name = os.environ["INPUT_NAME"]
    paths = [line.strip() for line in os.environ["INPUT_PATH"].splitlines() if line.strip()]
    files = collect(paths)
    if not files:
        mode = os.environ.get("INPUT_IF_NO_FILES_FOUND", "warn")
        print(f"::{'error' if mode == 'error' else 'warning'}::no files found at {paths}")
        return 1 if mode == "error" else 0
    base = os.environ["ACTIONS_RUNTIME_URL"]
    run_id = os.environ["GITHUB_RUN_ID"]
    auth = {"Authorization": f"Bearer {os.environ['ACTIONS_RUNTIME_TOKEN']}"}
    json_headers = {**auth, "Content-Type": "application/json"}
    api = f"{base}_apis/pipelines/workflows/{run_id}/artifacts?api-version=6.0-preview"
    created = json.loads(
        _request("POST", api, json.dumps({"Type": "actions_storage", "Name": name}).encode(), json_headers)
    )
    upload_url = created["fileContainerResourceUrl"]
    total = 0
    for path, relative in files:
        data = path.read_bytes()
        item = urllib.parse.quote(f"{name}/{relative}")
        headers = {**auth, "Content-Type": "application/octet-stream"}
        if data:
            headers["Content-Range"] = f"bytes 0-{len(data) - 1}/{len(data)}"
        _request("PUT", f"{upload_url}?itemPath={item}", data, headers)
        total += len(data)
    finalize = f"{api}&artifactName={urllib.parse.quote(name)}"
    _request("PATCH", finalize, json.dumps({"Size": total}).encode(), json_headers)
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        out.write(f"files={len(files)}\n")
    print(f"uploaded {len(files)} file(s), {total} bytes, as artifact {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
