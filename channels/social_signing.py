"""HMAC-SHA256 webhook signatures: Facebook's `X-Hub-Signature-256` and our feed's header.

Both sign the raw request body, so verification must run on the bytes exactly as received,
before any JSON parsing, and compare in constant time (`hmac.compare_digest`) so response
timing reveals nothing about the expected value.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import Enum


class Verdict(Enum):
    """Why a request is accepted or refused: missing (401) differs from wrong (403)."""

    OK = "ok"
    MISSING = "missing"
    INVALID = "invalid"


def sign(secret: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of `body` under `secret`."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None, *, prefix_required: bool) -> Verdict:
    """Check a `sha256=<hex>` header (or bare hex when `prefix_required` is False)."""
    if header is None or not header.strip():
        return Verdict.MISSING
    value = header.strip()
    if value.lower().startswith("sha256="):
        value = value[len("sha256="):]
    elif prefix_required:
        return Verdict.INVALID
    expected = sign(secret, body)
    if hmac.compare_digest(expected.encode("ascii"), value.lower().encode("ascii", "replace")):
        return Verdict.OK
    return Verdict.INVALID
