"""Bank details: sort codes and account numbers.

Both are bare digit groups that collide with phone fragments, prices and rent account numbers,
so banking context (sort code, bank, IBAN, direct debit) is required, not just a boost. A plain
"account number" in a housing message is usually the rent account (ACCOUNT_REF).
"""

from __future__ import annotations

from models import PiiType
from triage.pii.base import Pattern, PatternRecognizer

_BANK_CONTEXT = ("sort code", "sortcode", "sort", "s/c", "bank", "iban", "bacs", "direct debit",
                 "standing order", "building society", "nationwide", "barclays", "lloyds",
                 "natwest", "hsbc", "santander", "monzo", "halifax", "refund to", "pay into")


class SortCodeRecognizer(PatternRecognizer):
    """12-34-56 / 12 34 56 / 123456 with banking context."""

    name = "SortCodeRecognizer"
    entity = PiiType.BANK_DETAILS
    patterns = (
        Pattern("sort_code_sep", r"(?<![\d-])\d{2}[- ]\d{2}[- ]\d{2}(?![\d-])", 0.3),
        Pattern("sort_code_compact", r"(?<![\d-])\d{6}(?![\d-])", 0.1),
    )
    context = ("sort code", "sortcode", "sort", "s/c", "bank")
    context_window = 25
    context_boost = 0.55


class BankAccountRecognizer(PatternRecognizer):
    """A 7-10 digit account number, only with banking context nearby."""

    name = "BankAccountRecognizer"
    entity = PiiType.BANK_DETAILS
    patterns = (Pattern("account_number", r"(?<![\d.£$-])\d{7,10}(?!\d|\.\d)", 0.3),
                Pattern("account_number_spaced", r"(?<![\d.£$-])\d{4} \d{4}(?!\d|\.\d)", 0.2))
    context = _BANK_CONTEXT
    context_window = 45
    context_boost = 0.55
