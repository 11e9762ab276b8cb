"""Triage: text -> Triage(route, confidence, flags, pii spans, incident date, reasons).

Pure functions of (message, policy profile): no I/O beyond loading the shipped models once,
no database. `triage_message` is the one public entry point the pipeline calls.
"""

from triage.api import triage_message

__all__ = ["triage_message"]
