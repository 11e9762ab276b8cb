"""Load and validate landlord policy profiles from `config/<name>.toml`.

A bad profile must stop start-up with the file, the key and the problem named, so validation
errors from pydantic are rewritten into one line per problem with a dotted key path.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from intake.errors import ConfigError
from models.policy import PolicyProfile

DEFAULT_PROFILE = "hos-2024"


def config_dir() -> Path:
    """Where profiles live: `INTAKE_CONFIG_DIR`, else `config/` beside the installed packages."""
    override = os.environ.get("INTAKE_CONFIG_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "config"


def available_profiles(directory: Path | None = None) -> list[str]:
    """Names of the profiles present, for help texts and error messages."""
    base = directory or config_dir()
    return sorted(p.stem for p in base.glob("*.toml") if not p.stem.startswith("settings"))


def load_profile_file(path: Path) -> PolicyProfile:
    """Parse and validate one profile file; every problem is named with its key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: policy profile not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        profile = PolicyProfile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"{path}: key '{key}': {error['msg']}")
        raise ConfigError("invalid policy profile\n" + "\n".join(problems)) from exc
    if profile.name != path.stem:
        raise ConfigError(
            f"{path}: key 'name': is {profile.name!r} but the file is named {path.stem!r}"
        )
    return profile


@lru_cache(maxsize=32)
def load_profile(name: str = DEFAULT_PROFILE, directory: str | None = None) -> PolicyProfile:
    """The validated profile called `name` (cached: profiles are immutable at run time)."""
    base = Path(directory) if directory else config_dir()
    path = base / f"{name}.toml"
    if not path.exists():
        known = ", ".join(available_profiles(base)) or "none"
        raise ConfigError(f"{path}: no policy profile named {name!r} (available: {known})")
    return load_profile_file(path)
