"""Check the fake GitHub's responses against GitHub's REST API description (npm `@octokit/openapi`).

The description is OpenAPI 3.0 (`nullable: true`), so it is converted once to plain JSON Schema (draft 4 with
`"null"` types) and loaded into a `referencing` registry; each response body is validated against its
operation's schema for the status sent, `$ref`s resolved inside `api.github.com.json`.

Where the file is looked for, first match wins: `$INTERN_OCTOKIT_OPENAPI` (the JSON file itself), then
`.cache/octokit/node_modules/@octokit/openapi/generated/api.github.com.json` and
`node_modules/@octokit/openapi/generated/api.github.com.json` under the repository root. Install it with
`npm install --no-save --prefix .cache/octokit @octokit/openapi`.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker  # type: ignore[import-untyped,unused-ignore]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.fakes.github_http import Exchange

ROOT = Path(__file__).resolve().parents[2]
RELATIVE = Path("node_modules/@octokit/openapi/generated/api.github.com.json")
BASE = "urn:github-rest-api"
_GLOBAL_STATUSES = {401, 429}  # documented once for the whole API, not per operation
# Formats are checked too (uri, uri-template, date-time, email, ...): `jsonschema[format-nongpl]` brings the
# checkers; `missing_format_checkers()` names any the installed jsonschema lacks, and the test fails on them.
FORMATS = ("uri", "uri-template", "date-time", "date", "email")
_FORMAT_CHECKER = FormatChecker()


def missing_format_checkers() -> list[str]:
    return [name for name in FORMATS if name not in _FORMAT_CHECKER.checkers]


def find_description() -> Path | None:
    explicit = os.environ.get("INTERN_OCTOKIT_OPENAPI")
    candidates = [Path(explicit)] if explicit else []
    for candidate in [*candidates, ROOT / ".cache/octokit" / RELATIVE, ROOT / RELATIVE]:
        if candidate.is_file():
            return candidate
    return None


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: `nullable: true` becomes a `"null"` type (or an `anyOf` with null)."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_json_schema(value) for key, value in node.items()}
    if out.get("nullable") is True:
        del out["nullable"]
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            return {"anyOf": [out, {"type": "null"}]}
    return out


@functools.cache
def _description() -> dict[str, Any]:
    path = find_description()
    if path is None:
        raise FileNotFoundError("the @octokit/openapi description is not installed")
    converted: dict[str, Any] = to_json_schema(json.loads(path.read_text()))
    return converted


def operation(method: str, template: str) -> dict[str, Any] | None:
    """The description's operation object (with `x-github` metadata), None when there is no such operation."""
    found: dict[str, Any] | None = _description()["paths"].get(template, {}).get(method.lower())
    return found


@functools.cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(_description(), default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource(BASE, resource)
    return registry


def _pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


@functools.cache
def _validator(template: str, method: str, status: str) -> Draft4Validator | str | None:
    """A validator for the response body, None when the response has no body, or a string saying why not."""
    operation = _description()["paths"].get(template, {}).get(method)
    if operation is None:
        return f"{method.upper()} {template} is not an operation of the REST API"
    responses = operation["responses"]
    key = status if status in responses else None
    if key is None:
        if int(status) < 400:
            return f"{method.upper()} {template} does not document status {status}"
        return _make_validator("#/components/schemas/basic-error")
    pointer = ["paths", template, method, "responses", key]
    response = responses[key]
    if "$ref" in response:
        pointer = response["$ref"].lstrip("#/").split("/")
        response = _description()["components"]["responses"][pointer[-1]]
    if "application/json" not in response.get("content", {}):
        return None
    schema_pointer = _pointer(*pointer, "content", "application/json", "schema")
    return _make_validator(f"#{schema_pointer}")


def _make_validator(pointer: str) -> Draft4Validator:
    return Draft4Validator({"$ref": f"{BASE}{pointer}"}, registry=_registry(), format_checker=_FORMAT_CHECKER)


def _is_rate_limit(exchange: Exchange) -> bool:
    if exchange.status in _GLOBAL_STATUSES:
        return True
    message = str(exchange.body.get("message", "")) if isinstance(exchange.body, dict) else ""
    return exchange.status == 403 and "rate limit" in message.lower()


def conformance_errors(exchanges: Iterable[Exchange]) -> list[str]:
    """One line per response that does not match the description (empty when all conform)."""
    errors = []
    for exchange in exchanges:
        where = f"{exchange.method} {exchange.path} -> {exchange.status}"
        if exchange.template is None:
            if exchange.status != 404:
                errors.append(f"{where}: no route for this request")
            continue
        if _is_rate_limit(exchange):
            continue
        validator = _validator(exchange.template, exchange.method.lower(), str(exchange.status))
        if isinstance(validator, str):
            errors.append(f"{where}: {validator}")
        elif validator is None:
            if exchange.body is not None:
                errors.append(f"{where}: the description says no JSON body")
        else:
            for error in validator.iter_errors(exchange.body):
                errors.append(f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message[:300]}")
                break
    return errors
