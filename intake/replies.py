"""Render customer replies from Jinja2 templates.

Templates are data: the package ships defaults in `intake/templates/`, and a profile can
override any of them from `config/templates/<profile>/` (or name a file in `templates`), so a
landlord changes wording without touching code. StrictUndefined makes a template that asks for
something we do not provide fail loudly in tests rather than send a blank to a customer.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from intake.profiles import config_dir
from models.policy import Period, PolicyProfile

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"

STAGE_LABELS = {"stage_1": "Stage 1 (investigation)", "stage_2": "Stage 2 (review)"}


@lru_cache(maxsize=16)
def _environment(profile_name: str, config_root: str) -> Environment:
    override = Path(config_root) / "templates" / profile_name
    loaders = [FileSystemLoader(str(override)), FileSystemLoader(str(PACKAGE_TEMPLATES))]
    return Environment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=False,
    )


def describe_period(period: Period) -> str:
    """'10 working days', '8 weeks', '28 days' for reply texts."""
    unit = period.unit.replace("_", " ")
    if period.amount == 1:
        unit = unit.rstrip("s")
    return f"{period.amount} {unit}"


def render(template: str, profile: PolicyProfile, **context: Any) -> str:
    """Render one reply; `template` is a key like 'acknowledgement'."""
    env = _environment(profile.name, str(config_dir()))
    filename = profile.templates.get(template, f"{template}.txt.j2")
    text = env.get_template(filename).render(profile=profile, **context)
    return text.strip() + "\n"
