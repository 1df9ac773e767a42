"""Refuse a model file that would run code when loaded: the same check in the runner, in train.py and in app.py.

A `.skops` file names the types skops rebuilds, and skops calls them with arguments taken from the file; a file
naming `builtins.eval` would run code on load. Every head and feature file of ours (text and image) loads through
`safe_skops_load`. The block between the markers is pasted into the generated scripts before the text and image
model blocks that call it: keep it free of imports from `runner`.
"""

# --- BEGIN PORTABLE: safe loading (pasted into train.py and app.py; edit the runner's models/portable_safe_load.py) ---
from pathlib import Path
from typing import Any

# The types a .skops file of ours may hold beyond the ones skops itself trusts (scikit-learn's estimators, numpy and
# scipy containers): exactly what the train.py scripts save, and no `builtins` (a file naming `builtins.eval` or any
# other callable would have skops call it with arguments taken from the file). Anything else is refused before
# anything in the file runs.
SKOPS_ALLOWED_TYPES = frozenset(
    {
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._TemperatureScaling",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.frozen._frozen.FrozenEstimator",
    }
)


class UnsafeModelFile(ValueError):
    """A model file names a type that ML Intern never saves: it is refused, nothing in it has run."""


def safe_skops_load(path: Path) -> Any:
    """Load a .skops file only when every type skops does not trust by itself is in SKOPS_ALLOWED_TYPES."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:  # one pass: skops audits every type against the list before it constructs anything
        return sio.load(path, trusted=sorted(SKOPS_ALLOWED_TYPES))
    except UntrustedTypesFoundException:
        refused = sorted(name for name in sio.get_untrusted_types(file=path) if name not in SKOPS_ALLOWED_TYPES)
    raise UnsafeModelFile(
        f"refusing to load {path}: it holds {', '.join(refused)}, a type ML Intern never saves "
        f"(allowed beyond scikit-learn, numpy and scipy's own: {', '.join(sorted(SKOPS_ALLOWED_TYPES))}); "
        "nothing in the file was run. Load models only from a source you trust, or retrain with `intern train`"
    )


# --- END PORTABLE ---
