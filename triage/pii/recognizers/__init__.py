"""The built-in recognizers, one module per kind of personal data."""

from triage.pii.recognizers.account_ref import AccountRefRecognizer
from triage.pii.recognizers.address import UkAddressRecognizer, UkPlaceNameRecognizer
from triage.pii.recognizers.bank import BankAccountRecognizer, SortCodeRecognizer
from triage.pii.recognizers.dob import DateOfBirthRecognizer
from triage.pii.recognizers.email import EmailRecognizer
from triage.pii.recognizers.ni_number import NiNumberRecognizer
from triage.pii.recognizers.person import PersonRecognizer
from triage.pii.recognizers.phone import UkPhoneRecognizer
from triage.pii.recognizers.postcode import UkPostcodeRecognizer

__all__ = [
    "AccountRefRecognizer",
    "BankAccountRecognizer",
    "DateOfBirthRecognizer",
    "EmailRecognizer",
    "NiNumberRecognizer",
    "PersonRecognizer",
    "SortCodeRecognizer",
    "UkAddressRecognizer",
    "UkPhoneRecognizer",
    "UkPlaceNameRecognizer",
    "UkPostcodeRecognizer",
]
