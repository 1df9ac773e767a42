"""Reading images in the shapes people have them, decoding every format and mode, never crashing on a bad file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from runner.tasks.image_classification.portable_data import (
    UnreadableImage,
    iter_batches,
    load_image_splits,
    open_image,
    read_image_table,
    scan_folder,
)
from tests.unit.runner.tasks.image_classification.images import jpeg_bytes, make_folder, photo


def config(source: Path, fmt: str = "folder", **data: object) -> dict[str, object]:
    return {
        "data": {"source": str(source), "format": fmt, "image_column": "path", "label_column": "label", **data},
        "split": {"seed": 42, "test_size": 0.2, "validation_size": 0.2},
    }


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("grey.png", lambda: photo((90, 90, 90), 1).convert("L")),
        ("rgba.png", lambda: photo((200, 0, 0), 2).convert("RGBA")),
        ("palette.gif", lambda: photo((0, 200, 0), 3).convert("P")),
        ("cmyk.jpg", lambda: photo((0, 0, 200), 4).convert("CMYK")),
        ("photo.webp", lambda: photo((10, 100, 200), 5)),
        ("sixteen.png", lambda: Image.fromarray((np.arange(48 * 40).reshape(40, 48) * 20).astype(np.uint16))),
    ],
)
def test_every_format_and_colour_mode_decodes_to_rgb(tmp_path: Path, name: str, make: object) -> None:
    path = tmp_path / name
    make().save(path)  # type: ignore[operator]
    image = open_image(str(path))
    assert image.mode == "RGB"
    assert image.size == (48, 40)


def test_transparency_goes_over_white(tmp_path: Path) -> None:
    clear = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    clear.save(tmp_path / "clear.png")
    assert open_image(str(tmp_path / "clear.png")).getpixel((0, 0)) == (255, 255, 255)


def test_exif_rotation_is_applied(tmp_path: Path) -> None:
    image = photo((200, 40, 40), 1, size=(60, 30))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees when displayed
    (tmp_path / "rotated.jpg").write_bytes(jpeg_bytes(image, exif=exif))
    assert open_image(str(tmp_path / "rotated.jpg")).size == (30, 60)


def test_first_frame_of_an_animation(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (8, 8), (255, 0, 0)), Image.new("RGB", (8, 8), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    red, _green, blue = open_image(str(tmp_path / "anim.gif")).getpixel((4, 4))  # type: ignore[misc]
    assert red > 200 and blue < 50


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n", "git lfs pull"),
        (b"", "empty"),
        (b"this is not an image", "not a decodable image"),
    ],
)
def test_bad_files_raise_unreadable_with_the_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    (tmp_path / "bad.jpg").write_bytes(content)
    with pytest.raises(UnreadableImage, match=reason):
        open_image(str(tmp_path / "bad.jpg"))


def test_a_truncated_jpeg_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    data = jpeg_bytes(photo((1, 2, 3), 1, size=(200, 200)))
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    rows = list(iter_batches([str(tmp_path / "cut.jpg"), str(tmp_path / "missing.jpg")], 16, 20, batch_size=4))
    assert rows[0][0] == [] and set(rows[0][2]) == {0, 1}


def test_batches_are_lazy_and_keep_row_numbers(tmp_path: Path) -> None:
    paths = []
    for i in range(5):
        photo((100, 100, 100), i).save(tmp_path / f"{i}.png")
        paths.append(str(tmp_path / f"{i}.png"))
    paths.insert(2, str(tmp_path / "missing.png"))
    batches = iter_batches(paths, 16, 20, batch_size=2)
    first = next(batches)
    assert first[0] == [0, 1] and first[1].shape == (2, 16, 16, 3) and first[1].dtype == np.uint8
    rest = list(batches)
    assert rest[0][0] == [3] and list(rest[0][2]) == [2]  # the missing file: listed under its row, not a crash
    assert sum(len(rows) for rows, _, _ in [first, *rest]) == 5


def test_split_folders_are_used_and_validation_carved_from_train(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "data", per_class=10, splits=("train", "test"))
    items, layout = scan_folder(str(root))
    assert set(items) == {"train", "test"} and "split folders" in layout
    splits = load_image_splits(config(root))
    assert len(splits["test"][0]) == 6  # the given test split, untouched
    assert len(splits["validation"][0]) == 4 and len(splits["train"][0]) == 16
    assert set(splits["validation"][1]) == {"red", "blue"}
    assert not set(splits["train"][0]) & set(splits["validation"][0])


def test_identical_files_stay_on_one_side_of_a_carved_split(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "data", per_class=10, splits=())
    for i in range(4):  # four copies of one image
        (root / "red" / f"copy{i}.jpg").write_bytes((root / "red" / "red0.jpg").read_bytes())
    splits = load_image_splits(config(root))
    sides = {name for name, (refs, _) in splits.items() for ref in refs if "copy" in ref or ref.endswith("red0.jpg")}
    assert len(sides) == 1


def test_a_csv_of_paths_relative_to_the_file_with_a_split_column(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "data", per_class=4, splits=())
    rows = ["file,label,split"] + [
        f"{p.relative_to(root)},{p.parent.name},{'test' if i % 4 == 0 else 'train'}"
        for i, p in enumerate(sorted(root.rglob("*.*")))
    ]
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    items = read_image_table(str(root / "labels.csv"), "csv", "file", "label", "split")
    assert set(items) == {"train", "test"}
    assert all(Path(ref).is_file() for ref, _ in items["train"])
