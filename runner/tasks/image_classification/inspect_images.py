"""The data report for images: images per class and split, sizes and aspect ratios, colour modes and formats,
unreadable files, exact duplicates (same bytes) and near-duplicates (a perceptual hash) within and across splits,
and how much a naive random split would leak. Images are read one at a time (headers, and a small decode for the
hash), so inspection never holds the set in memory."""

from __future__ import annotations

import hashlib
import io
import random
import warnings
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from PIL import Image, ImageOps

from runner.errors import UserInputError
from runner.schemas import (
    DuplicateImages,
    ImageInspection,
    ImageIssue,
    InspectReport,
    LabelCount,
    LengthStats,
    SizeStats,
    SplitSizes,
)
from runner.tasks.image_classification.detect import ImageSource
from runner.tasks.image_classification.portable_data import (
    LFS_POINTER,
    UnreadableImage,
    image_items,
    load_image_splits,
    read_image_bytes,
)

HASH_SIDE = 8
NEAR_BITS = 5  # perceptual hashes this many bits apart or fewer are near-duplicates (of 64)
MAX_EXAMPLES = 10


@dataclass
class ImageFacts:
    reference: str
    label: str
    split: str
    sha1: str = ""
    dhash: int | None = None
    width: int = 0
    height: int = 0
    mode: str = ""
    format: str = ""
    problem: str | None = None
    lfs: bool = False


def dhash(image: Image.Image) -> int:
    """A 64-bit difference hash: brightness gradients of a 9x8 grayscale thumbnail (robust to resizing and
    re-encoding)."""
    small = image.convert("L").resize((HASH_SIDE + 1, HASH_SIDE), Image.Resampling.BILINEAR)
    pixels = list(small.getdata())
    bits = 0
    for row in range(HASH_SIDE):
        for col in range(HASH_SIDE):
            left = pixels[row * (HASH_SIDE + 1) + col]
            bits = (bits << 1) | int(left > pixels[row * (HASH_SIDE + 1) + col + 1])
    return bits


def examine(facts: ImageFacts) -> ImageFacts:
    try:
        raw = read_image_bytes(facts.reference)
    except UnreadableImage as exc:
        facts.problem = str(exc)
        return facts
    facts.sha1 = hashlib.sha1(raw).hexdigest()
    if raw.startswith(LFS_POINTER):
        facts.problem, facts.lfs = "a Git LFS pointer file, not the image: run `git lfs pull`", True
        return facts
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image: Image.Image = Image.open(io.BytesIO(raw))
            facts.format, facts.mode = image.format or "?", image.mode
            image.draft("RGB", (64, 64))
            image.load()
            image = ImageOps.exif_transpose(image) or image
            facts.width, facts.height = _upright_size(raw)
            facts.dhash = dhash(image)
    except Exception as exc:  # truncated, not an image: listed, never a crash
        facts.problem = f"not a decodable image ({type(exc).__name__}: {str(exc)[:100]})"
    return facts


def _upright_size(raw: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(raw))
    width, height = image.size
    orientation = image.getexif().get(0x0112, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _near_pairs(hashes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pairs of (index) whose hashes differ in at most NEAR_BITS bits. Banding: with 8 bands of 8 bits, two hashes
    that close share at least one band exactly, so only images sharing a band are compared."""
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for position, (_, value) in enumerate(hashes):
        for band in range(8):
            buckets[(band, (value >> (8 * band)) & 0xFF)].append(position)
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) > 2000:  # a degenerate band value (flat images): compare within a capped sample
            members = members[:2000]
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                if (hashes[a][1] ^ hashes[b][1]).bit_count() <= NEAR_BITS:
                    pairs.add((hashes[a][0], hashes[b][0]))
    return sorted(pairs)


def _stats(values: list[float]) -> SizeStats:
    if not values:
        return SizeStats(min=0, median=0, max=0)
    return SizeStats(min=round(min(values), 3), median=round(float(median(values)), 3), max=round(max(values), 3))


def source_config(source: str, found: ImageSource, hub_split: str = "train") -> dict[str, object]:
    """The intern.yaml pieces the portable data code reads, for a dataset found at `source`."""
    return {
        "data": {
            "source": source,
            "format": found.fmt,
            "image_column": found.image_column,
            "label_column": found.label_column,
            "split_column": found.split_column,
            "hub_split": hub_split,
        },
        "split": {"seed": 42, "test_size": 0.1, "validation_size": 0.1},
    }


def inspect_images(source: str, found: ImageSource, hub_split: str = "train") -> tuple[InspectReport, list[str]]:
    """The data report, and the labels in order."""
    config = source_config(source, found, hub_split)
    given, layout = image_items(config)
    splits = load_image_splits(config)
    facts = [
        ImageFacts(ref, label, name)
        for name, (refs, labels) in splits.items()
        for ref, label in zip(refs, labels, strict=True)
    ]
    if not facts:
        raise UserInputError(f"no labelled images found in {source}: put them in one sub-folder per class")
    with ThreadPoolExecutor(max_workers=4) as pool:
        facts = list(pool.map(examine, facts))
    lfs = [f for f in facts if f.lfs]
    if lfs and len(lfs) >= len(facts) // 2:
        raise UserInputError(
            f"{len(lfs)} of {len(facts)} images in {source} are Git LFS pointer files, not images: the repository "
            "stores them with Git LFS and they were not fetched. Run `git lfs pull` (or check out with LFS), then retry"
        )
    labels = sorted({f.label for f in facts})
    if len(labels) < 2:
        raise UserInputError(f"{source} has one class ({labels[0] if labels else 'none'}): at least two are needed")
    readable = [f for f in facts if f.problem is None]
    counts = Counter(f.label for f in facts)
    report_labels = [LabelCount(name=k, count=v, share=round(v / len(facts), 4)) for k, v in sorted(counts.items())]

    # Duplicates: exact (same bytes) and near (perceptual hash), and which cross from train to validation/test.
    by_sha: dict[str, list[int]] = defaultdict(list)
    for index, fact in enumerate(facts):
        if fact.sha1:
            by_sha[fact.sha1].append(index)
    exact_groups = [members for members in by_sha.values() if len(members) > 1]
    near = _near_pairs([(i, f.dhash) for i, f in enumerate(facts) if f.dhash is not None])
    near = [(a, b) for a, b in near if facts[a].sha1 != facts[b].sha1]
    near_later = {max(a, b) for a, b in near}
    train_sha = {facts[i].sha1 for i in range(len(facts)) if facts[i].split == "train"}
    near_partner: dict[int, set[int]] = defaultdict(set)
    for a, b in near:
        near_partner[a].add(b)
        near_partner[b].add(a)
    held_out = [i for i, f in enumerate(facts) if f.split != "train"]
    cross_exact = sum(1 for i in held_out if facts[i].sha1 and facts[i].sha1 in train_sha)
    cross_near = sum(1 for i in held_out if any(facts[j].split == "train" for j in near_partner[i]))
    leaked = {
        i
        for i in held_out
        if (facts[i].sha1 and facts[i].sha1 in train_sha) or any(facts[j].split == "train" for j in near_partner[i])
    }
    test_rows = [i for i in held_out if facts[i].split == "test"]
    examples = [
        DuplicateImages(
            kind="exact",
            images=[_short(facts[i].reference) for i in g],
            labels=[facts[i].label for i in g],
            splits=[facts[i].split for i in g],
        )
        for g in exact_groups[:MAX_EXAMPLES]
    ] + [
        DuplicateImages(
            kind="near",
            images=[_short(facts[a].reference), _short(facts[b].reference)],
            labels=[facts[a].label, facts[b].label],
            splits=[facts[a].split, facts[b].split],
        )
        for a, b in near[:MAX_EXAMPLES]
    ]
    conflicting = sum(1 for g in exact_groups if len({facts[i].label for i in g}) > 1)
    conflicting += sum(1 for a, b in near if facts[a].label != facts[b].label)

    # A naive random 10% test split, for comparison: how much of it would have a (near-)duplicate in the rest.
    rng = random.Random(0)
    order = list(range(len(facts)))
    rng.shuffle(order)
    naive_test = set(order[: max(1, len(facts) // 10)])
    naive_rest_sha = {facts[i].sha1 for i in range(len(facts)) if i not in naive_test}
    naive_leaks = sum(
        1 for i in naive_test if (facts[i].sha1 in naive_rest_sha) or any(j not in naive_test for j in near_partner[i])
    )

    per_split: dict[str, dict[str, int]] = {}
    for fact in facts:
        per_split.setdefault(fact.split, {}).setdefault(fact.label, 0)
        per_split[fact.split][fact.label] += 1
    unreadable = [
        ImageIssue(image=_short(f.reference), split=f.split, reason=f.problem or "") for f in facts if f.problem
    ]
    images = ImageInspection(
        layout=layout,
        splits_given=sorted(k for k in given if k != "all"),
        per_split={k: dict(sorted(v.items())) for k, v in sorted(per_split.items())},
        width=_stats([f.width for f in readable]),
        height=_stats([f.height for f in readable]),
        aspect=_stats([f.width / f.height for f in readable if f.height]),
        colour_modes=dict(Counter(f.mode for f in readable).most_common()),
        formats=dict(Counter(f.format for f in readable).most_common()),
        unreadable=unreadable[:200],
        lfs_pointers=len(lfs),
        exact_duplicates=sum(len(g) - 1 for g in exact_groups),
        near_duplicates=len(near_later),
        cross_split_exact=cross_exact,
        cross_split_near=cross_near,
        duplicate_examples=examples,
    )
    warnings_out = _warnings(images, counts, len(facts))
    zero = LengthStats(min=0, mean=0.0, p50=0, p95=0, p99=0, max=0)
    sizes = {name: len(refs) for name, (refs, _) in splits.items()}
    report = InspectReport(
        source=source,
        rows=len(facts),
        columns=[found.image_column, found.label_column] + ([found.split_column] if found.split_column else []),
        text_column=found.image_column,
        label_column=found.label_column,
        column_reason=found.reason,
        labels=report_labels,
        imbalance_ratio=round(max(counts.values()) / min(counts.values()), 3),
        chars=zero,
        words=zero,
        empty_rows=len(unreadable),
        exact_duplicates=images.exact_duplicates,
        normalised_duplicates=images.near_duplicates,
        conflicting_groups=conflicting,
        random_split_leakage=round(naive_leaks / max(1, len(naive_test)), 4),
        split=SplitSizes(**sizes),
        split_leakage=round(sum(1 for i in test_rows if i in leaked) / max(1, len(test_rows)), 4),
        given_test="test" in given,
        warnings=warnings_out,
        images=images,
    )
    return report, labels


def _short(reference: str) -> str:
    if reference.startswith("ds:"):
        return reference
    path = Path(reference)
    return "/".join(path.parts[-3:])


def _warnings(images: ImageInspection, counts: Counter[str], total: int) -> list[str]:
    out = []
    if images.unreadable:
        out.append(f"{len(images.unreadable)} unreadable image(s) will be skipped (listed in the report)")
    if images.lfs_pointers:
        out.append(f"{images.lfs_pointers} Git LFS pointer file(s) instead of images: run `git lfs pull`")
    rare = sorted(label for label, n in counts.items() if n < 10)
    if rare:
        out.append(f"classes with fewer than 10 images (hard to learn and to evaluate): {', '.join(rare)}")
    if images.cross_split_exact or images.cross_split_near:
        out.append(
            f"{images.cross_split_exact} validation/test image(s) are identical to a training image and "
            f"{images.cross_split_near} nearly so: the given splits leak, test scores may be optimistic"
        )
    if images.width.min and images.width.min < 32:
        out.append(f"some images are tiny (smallest width {images.width.min:.0f} px)")
    return out
