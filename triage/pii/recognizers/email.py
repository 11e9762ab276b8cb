"""Email addresses: the format alone is decisive, so no context is needed."""

from __future__ import annotations

from models import PiiType
from triage.pii.base import Pattern, PatternRecognizer


class EmailRecognizer(PatternRecognizer):
    """RFC-5322-ish local part @ dotted domain with a 2+ letter top-level domain."""

    name = "EmailRecognizer"
    entity = PiiType.EMAIL
    patterns = (
        Pattern("email",
                r"(?<![\w.+-])[a-z0-9][a-z0-9._%+'-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}"
                r"(?![\w-])",
                0.95),
    )
