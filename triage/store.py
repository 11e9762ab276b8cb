"""Where the shipped model lives, and loading it once per process.

`intake train` writes to the same place `intake triage` and `intake serve` read from: the
directory in `INTAKE_MODEL_DIR` if set, else `triage/model/` inside the package (shipped in the
repository so a fresh checkout triages without training first).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from triage.scorer import WEIGHTS_FILE, LinearModel

_LOCK = threading.Lock()
_CACHE: dict[Path, LinearModel | None] = {}


def model_dir() -> Path:
    """`INTAKE_MODEL_DIR`, else the package's own `triage/model/`."""
    override = os.environ.get("INTAKE_MODEL_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "model"


def load_model(directory: Path | None = None) -> LinearModel | None:
    """The model in `directory` (default `model_dir()`), loaded once; None if none is there.

    Without a model, triage still works from the rules alone (and says so in its reasons).
    """
    path = (directory or model_dir()).resolve()
    with _LOCK:
        if path not in _CACHE:
            _CACHE[path] = LinearModel.load(path) if (path / WEIGHTS_FILE).exists() else None
        return _CACHE[path]


def forget_models() -> None:
    """Drop cached models (after `intake train` writes a new one in the same process)."""
    with _LOCK:
        _CACHE.clear()
