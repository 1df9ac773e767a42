"""Fail fast, before `datasets` spends its retries, when a Hub dataset cannot be had: offline (`HF_HUB_OFFLINE`)
or the Hub not answering, and no copy in the local Hugging Face cache. Then the error says so, in under 2 s."""

from __future__ import annotations

from pathlib import Path

PROBE_TIMEOUT_S = 1.5


def cached_dataset(source: str) -> bool:
    """Whether the local Hugging Face cache holds some revision of the Hub dataset `source`."""
    from huggingface_hub import constants

    folder = Path(constants.HF_HUB_CACHE) / ("datasets--" + source.replace("/", "--"))
    return (folder / "snapshots").is_dir() and any((folder / "snapshots").iterdir())


def hub_dataset_unavailable(source: str) -> str | None:
    """Why the Hub dataset `source` cannot be loaded now (what to do about it), or None when it may be."""
    from huggingface_hub import constants

    from runner.adapters.hub import hub_reachable

    if cached_dataset(source):
        return None
    if constants.HF_HUB_OFFLINE:
        return (
            f"Hub dataset {source!r} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set: "
            "pass a local file (csv, tsv, json, jsonl, parquet), or unset HF_HUB_OFFLINE on a machine with network"
        )
    if not hub_reachable(constants.ENDPOINT, offline=False, timeout_s=PROBE_TIMEOUT_S):
        return (
            f"the Hub ({constants.ENDPOINT}) does not answer and {source!r} is not in the local cache: check your "
            "network or HF_ENDPOINT, pass a local file, or set HF_HUB_OFFLINE=1 to work offline"
        )
    return None
