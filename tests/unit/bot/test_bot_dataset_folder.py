"""`dataset=` naming a folder of the repository: an image dataset (one sub-folder per class) copied whole, caps
checked on the listing before any download, Git LFS pointers refused with what to do, a Hub id only when no such
folder exists."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from bot.errors import CommandError
from bot.gateway import RepoFile
from bot.runs.dataset_folder import check_folder_caps
from bot.runs.project_files import build_project, local_source
from runner.planning import plan_command
from runner.workflow_options import WorkflowOptions
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import REPO, deliver, make_services, seed_repo
from tests.unit.bot.fake_gateway import FakeGateway
from tests.unit.runner.tasks.image_classification.images import CLASSES, photo

LFS = b"version https://git-lfs.github.com/spec/v1\noid sha256:%064d\nsize 48213\n"


def photos(folder: str = "data/photos", per_class: int = 6) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for seed, (name, colour) in enumerate((n, c) for n, c in CLASSES.items() for _ in range(per_class)):
        buffer = io.BytesIO()
        fmt = ("PNG", "JPEG")[seed % 2]
        photo(colour, seed).save(buffer, format=fmt)
        files[f"{folder}/{name}/{name}{seed}.{fmt.lower().replace('jpeg', 'jpg')}"] = buffer.getvalue()
    return files


def pointers(folder: str = "data/photos", count: int = 8) -> dict[str, bytes]:
    return {f"{folder}/{('red', 'blue')[i % 2]}/{i}.jpg": LFS % i for i in range(count)}


class CountingGateway(FakeGateway):
    """Counts file reads, so a test can tell a cap was checked before any download."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def read_file(self, repo: str, path: str, ref: str, max_bytes: int | None = None) -> bytes | None:
        self.reads.append(path)
        return super().read_file(repo, path, ref, max_bytes)


def _gateway(files: dict[str, bytes]) -> CountingGateway:
    gateway = CountingGateway()
    seed_repo(gateway)
    gateway.commit_files(REPO, "main", gateway.branch_sha(REPO, "main") or "", files, "data")
    return gateway


def _planner(objective: str, data: str | None) -> Any:
    return plan_command(objective, data, hub=None, llm=None)


def _build(gateway: FakeGateway, objective: str, **args: str) -> Any:
    return build_project(
        gateway, REPO, "main", objective, args, planner=_planner, workflow_options=WorkflowOptions(), max_rows=1000
    )


def test_a_folder_of_photos_is_copied_whole_and_planned_as_images() -> None:
    files = photos()
    gateway = _gateway({**files, "data/photos/README.md": b"# Colours\nLicence: CC0\n"})
    project = _build(gateway, "Sort the support queue", dataset="data/photos", model="scratch:tiny")
    assert set(project.dataset_paths) == {*files, "data/photos/README.md"}  # every file, for the local checkout
    config = project.files["intern.yaml"].decode()
    assert "task: image-classification" in config and "source: data/photos" in config and "format: folder" in config
    assert project.labels == sorted(CLASSES) and project.model == "scratch:tiny"
    assert "/tmp" not in project.inspect_md  # the report names the repository's folder, not the bot's copy


def test_the_objective_alone_says_photos_and_the_data_picks_the_folder_format() -> None:
    gateway = _gateway(photos())
    project = _build(gateway, "classify photos of things by colour", dataset="data/photos")
    assert b"task: image-classification" in project.files["intern.yaml"]
    assert project.model != "sentence-transformers/all-MiniLM-L6-v2"  # the image task's own default backbone


@pytest.mark.parametrize(
    ("max_bytes", "max_files", "message"),
    [(None, 5, "12 files, over the 5-file limit"), (2000, 100, "over the 2000-byte limit")],
)
def test_a_folder_over_a_cap_is_refused_before_any_download(
    tmp_path: Path, max_bytes: int | None, max_files: int, message: str
) -> None:
    gateway = _gateway(photos())
    with pytest.raises(CommandError, match=message):
        local_source(gateway, REPO, "main", "data/photos", tmp_path, max_bytes, max_files)
    assert gateway.reads == [] and list(tmp_path.iterdir()) == []


def test_the_caps_count_the_listed_sizes() -> None:
    files = [RepoFile(path=f"d/{i}.png", size=100, sha=str(i)) for i in range(10)]
    check_folder_caps("d", files, max_bytes=1000, max_files=10)  # exactly at both caps
    with pytest.raises(CommandError, match="1000 bytes in 10 files"):
        check_folder_caps("d", files, max_bytes=999, max_files=10)
    with pytest.raises(CommandError, match="INTERN_MAX_DATASET_FILES"):
        check_folder_caps("d", files, max_bytes=None, max_files=9)


def test_a_hub_id_only_when_no_such_folder_exists(tmp_path: Path) -> None:
    gateway = _gateway(photos("owner/name"))
    folder = local_source(gateway, REPO, "main", "owner/name", tmp_path)
    assert folder.where == str(tmp_path / "name") and len(folder.repo_paths) == 12
    hub = local_source(gateway, REPO, "main", "bitext/support", tmp_path)
    assert hub.where == "bitext/support" and hub.repo_paths == ()
    with pytest.raises(CommandError, match="a folder on the default branch `main`"):
        local_source(gateway, REPO, "main", "photos", tmp_path)


def test_a_truncated_listing_is_a_clear_refusal(tmp_path: Path) -> None:
    gateway = _gateway(photos())
    gateway.repos[REPO].tree_limit = 5
    with pytest.raises(CommandError, match="too big for GitHub to list"):
        local_source(gateway, REPO, "main", "data/photos", tmp_path)


def test_a_folder_of_lfs_pointers_gets_the_clear_message_and_no_pr(tmp_path: Path) -> None:
    gateway = _gateway(pointers())
    services = make_services(tmp_path, gateway)
    comment = payloads.issue_comment(REPO, 1, "/intern train dataset=data/photos model=scratch:tiny", "alice")
    deliver(services, "issue_comment", comment)
    replies = "\n".join(gateway.comments_on(REPO, 1))
    assert "`data/photos` holds Git LFS pointer files, not the data (8 of 8 files" in replies
    assert "git lfs untrack 'data/photos/**'" in replies and "git add --renormalize data/photos" in replies
    assert gateway.repos[REPO].pulls == {}
    assert set(gateway.repos[REPO].branches) == {"main"}  # no branch pushed either
    run = services.store.latest_run(REPO, 1)
    assert run is None or run.state == "failed"


def test_a_few_pointers_among_images_are_left_to_the_data_report(tmp_path: Path) -> None:
    gateway = _gateway({**photos(), **pointers(count=2)})
    source = local_source(gateway, REPO, "main", "data/photos", tmp_path)
    assert len(source.repo_paths) == 14  # the runner's inspection lists the two pointers as unreadable


def test_a_data_file_kept_in_lfs_is_refused_too(tmp_path: Path) -> None:
    gateway = _gateway({"data/big.csv": LFS % 1})
    with pytest.raises(CommandError, match=r"`data/big\.csv` holds Git LFS pointer files"):
        local_source(gateway, REPO, "main", "data/big.csv", tmp_path)


def test_the_run_records_every_file_of_the_folder_for_the_local_checkout(tmp_path: Path) -> None:
    files = photos()
    gateway = _gateway(files)
    services = make_services(tmp_path, gateway)
    command = "/intern train dataset=data/photos model=scratch:tiny"
    deliver(services, "issue_comment", payloads.issue_comment(REPO, 1, command, "alice"))
    run = services.store.latest_run(REPO, 1)
    assert run is not None and run.state == "pr_opened", "\n".join(gateway.comments_on(REPO, 1))
    assert set(files) <= set(run.data.files) and "intern.yaml" in run.data.files
    (pull,) = gateway.repos[REPO].pulls.values()
    head = gateway.repos[REPO].commits[pull.head_sha]
    assert not any(path.startswith("data/photos/") and head[path] != files[path] for path in files)
