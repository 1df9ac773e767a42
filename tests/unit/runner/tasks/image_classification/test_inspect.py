"""Detection and the image data report: counts, sizes, duplicates and leakage, unreadable and LFS files."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.errors import UserInputError
from runner.tasks.choose import choose_task
from runner.tasks.image_classification.detect import detect_image_source
from runner.tasks.image_classification.inspect_images import dhash, inspect_images
from tests.unit.runner.tasks.image_classification.images import make_folder, photo


def test_a_folder_of_class_folders_is_image_classification(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "photos", per_class=3, splits=())
    choice = choose_task(str(root), None)
    assert choice.task == "image-classification"
    assert "sub-folder per class" in choice.reason


def test_a_text_csv_is_not_images(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("text,label\nhello there,a\nbye now,b\n")
    assert detect_image_source(str(tmp_path / "t.csv")) is None


def test_a_csv_of_paths_is_detected_with_its_columns(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", per_class=3, splits=())
    lines = ["image_path,species"] + [f"{p.relative_to(root)},{p.parent.name}" for p in sorted(root.rglob("*.*"))]
    (root / "m.csv").write_text("\n".join(lines) + "\n")
    found = detect_image_source(str(root / "m.csv"))
    assert found is not None and (found.image_column, found.label_column) == ("image_path", "species")


def test_report_counts_sizes_duplicates_leakage_and_unreadable(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", per_class=9, splits=("train", "test"))
    test_copy = root / "test" / "red" / "leak.jpg"
    test_copy.write_bytes((root / "train" / "red" / "red0.jpg").read_bytes())  # identical file across splits
    photo((200, 40, 40), 1).resize((96, 80)).save(root / "train" / "red" / "bigger.png")  # near-duplicate of red0
    (root / "train" / "blue" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    found = detect_image_source(str(root))
    assert found is not None
    report, labels = inspect_images(str(root), found)
    images = report.images
    assert images is not None and labels == ["blue", "red"]
    assert images.splits_given == ["test", "train"]
    assert images.cross_split_exact == 1
    assert images.near_duplicates >= 1
    assert [u.image.split("/")[-1] for u in images.unreadable] == ["broken.jpg"]
    assert images.width.min == 48 and images.width.max == 96
    assert report.split_leakage > 0 and any("leak" in w for w in report.warnings)


def test_git_lfs_pointers_instead_of_images_get_a_clear_message(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", per_class=3, splits=())
    for path in root.rglob("*.*"):
        path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n")
    found = detect_image_source(str(root))
    assert found is not None
    with pytest.raises(UserInputError, match="git lfs pull"):
        inspect_images(str(root), found)


def test_perceptual_hash_survives_resizing_not_a_different_image() -> None:
    a = photo((200, 40, 40), 7, size=(64, 64))
    near = (dhash(a) ^ dhash(a.resize((128, 128)))).bit_count()
    far = (dhash(a) ^ dhash(photo((40, 60, 200), 99, size=(64, 64)))).bit_count()
    assert near <= 5 < far
