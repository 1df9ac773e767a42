"""The permission table: one row per gateway call, levels that fit the HTTP methods, and a manifest that grants them."""

from __future__ import annotations

import pytest

from bot.gateway import GitHubGateway
from bot.github_permissions import CATEGORIES, GATEWAY_CALLS, Operation, missing_grants, required_permissions
from bot.manifest import build_manifest


def protocol_methods() -> set[str]:
    return {name for name, value in vars(GitHubGateway).items() if callable(value) and not name.startswith("_")}


def test_every_gateway_call_has_a_row_and_every_row_a_call() -> None:
    assert set(GATEWAY_CALLS) == protocol_methods()
    assert all(GATEWAY_CALLS.values()), "a call with no operations"


@pytest.mark.parametrize(("call", "op"), [(c, op) for c, ops in GATEWAY_CALLS.items() for op in ops])
def test_writes_need_write_and_permissions_are_known(call: str, op: Operation) -> None:
    assert op.permission in CATEGORIES, f"{call}: unknown permission {op.permission}"
    if op.method != "GET":
        assert op.level == "write", f"{call}: {op.method} {op.path} cannot be done with read access"


def test_the_manifest_grants_every_permission_the_calls_need() -> None:
    granted = build_manifest("https://bot.example.org")["default_permissions"]
    assert missing_grants(granted, required_permissions()) == {}
    assert granted["workflows"] == "write"
    assert granted["contents"] == "write" and granted["metadata"] == "read"


def test_missing_grants_spots_a_lacking_or_too_low_permission() -> None:
    needed = required_permissions()
    without_workflows = {k: v for k, v in needed.items() if k != "workflows"}
    assert missing_grants(without_workflows, needed) == {"workflows": "write"}
    assert missing_grants({**needed, "checks": "read"}, needed) == {"checks": "write"}
    assert missing_grants({**needed, "checks": "admin"}, needed) == {"checks": "write"}


def test_required_permissions_keeps_the_highest_level() -> None:
    ops = [Operation("GET", "/a", "issues", "read"), Operation("POST", "/a", "issues", "write")]
    assert required_permissions(ops) == {"issues": "write"}
    assert required_permissions(reversed(ops)) == {"issues": "write"}
