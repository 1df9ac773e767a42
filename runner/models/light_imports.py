"""Load a delivered model without importing what it does not use (the cold start of `intern predict`).

`skops.io` builds its list of trusted types by walking every scikit-learn module, and one of them
(`sklearn.externals.array_api_compat.torch`) imports torch when it is installed: about 5 s and 250 MB before a
TF-IDF model can answer. `import_skops()` imports skops while a meta-path finder refuses torch, so that walk
skips the module (pkgutil ignores packages that fail to import) and torch stays unloaded; a
model that needs torch (an encoder, a fine-tuned transformer) imports it normally afterwards: this only decides
whether the skops walk pays for torch too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

HEAVY_ROOTS = ("torch",)
# Also refused during skops' walk: scikit-learn imports these only optionally there (pandas in `utils.fixes`, for
# an ARFF helper; pytest in `utils._testing`), and together they cost about 0.25 s of a TF-IDF model's cold start.
# Code that needs pandas later imports it normally.
SKOPS_WALK_REFUSED = ("torch", "pandas", "pytest", "_pytest")


class _Refuse(MetaPathFinder):
    def __init__(self, roots: Sequence[str]) -> None:
        self.roots = frozenset(roots)

    def find_spec(self, fullname: str, path: Any = None, target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname.split(".", 1)[0] in self.roots:
            raise ImportError(f"{fullname} is not imported while loading a model that does not use it")
        return None


@contextmanager
def refused_imports(roots: Sequence[str] = HEAVY_ROOTS) -> Iterator[None]:
    """Within the block, importing any of `roots` (not yet imported) raises ImportError."""
    if all(root in sys.modules for root in roots):
        yield
        return
    finder = _Refuse([root for root in roots if root not in sys.modules])
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def import_skops() -> None:
    """Import `skops.io` once, with torch refused while it walks scikit-learn (about 1 s less CPU even for a
    model that loads torch afterwards; scikit-learn's array-API support for torch is never used here)."""
    if "skops.io" in sys.modules:
        return
    with refused_imports(SKOPS_WALK_REFUSED):
        import skops.io  # noqa: F401


def needs_torch(info: dict[str, Any]) -> bool:
    """Whether the model described by `intern.json` needs torch: a fine-tuned transformer or an encoder."""
    if info.get("kind") != "linear":
        return True
    return "encoder" in [str(name) for name in info.get("features", [])]
