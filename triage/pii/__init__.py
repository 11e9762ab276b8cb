"""Personal-data detection and redaction (design.md invariant 3: nothing personal in public).

    detect_pii(text, profile=None) -> list[PiiSpan]   sorted, non-overlapping spans
    redact(text, spans) -> str                          each span replaced by "[TYPE]"

Detection is a registry of small recognizers (patterns + context words + validators, in the
style of presidio) plus gazetteers for names; see docs/pii.md for why and for measurements.
"""

from triage.pii.base import AnalysisContext, Pattern, PatternRecognizer, Recognizer
from triage.pii.detector import build_default_registry, default_registry, detect_pii
from triage.pii.redact import redact
from triage.pii.registry import RecognizerRegistry, resolve_overlaps

__all__ = [
    "AnalysisContext",
    "Pattern",
    "PatternRecognizer",
    "Recognizer",
    "RecognizerRegistry",
    "build_default_registry",
    "default_registry",
    "detect_pii",
    "redact",
    "resolve_overlaps",
]
