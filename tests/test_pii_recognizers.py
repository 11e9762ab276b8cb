"""Each recognizer on real UK formats and on the near-misses that must not match."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from models import PiiType, PolicyProfile
from triage.pii import detect_pii

CONFIG = Path(__file__).resolve().parents[1] / "config"


@pytest.fixture
def profile_with_refs() -> PolicyProfile:
    """The default profile plus one landlord-specific reference format."""
    data = tomllib.loads((CONFIG / "hos-2024.toml").read_text(encoding="utf-8"))
    triage = dict(data.get("triage", {}))
    triage["account_ref_patterns"] = [r"\bHX\d-\d{2}-[A-Z]\b"]
    data["triage"] = triage
    return PolicyProfile.model_validate(data)


def found(text: str, kind: PiiType) -> list[str]:
    """The values of one type that detect_pii reports in text."""
    return [text[s.start : s.end] for s in detect_pii(text) if s.type == kind]


# -- postcodes -------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "OL9 6QA", "M1 1AE", "m11ae", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 1HQ", "EC1A 1BB",
    "ec1a1bb", "SW1A 2AA", "LS1 4AP", "ne6 2lp", "GIR 0AA",
])
def test_postcode_every_valid_shape(code: str) -> None:
    assert found(f"I live near {code} now.", PiiType.POSTCODE) == [code]


@pytest.mark.parametrize("text", [
    "We waited 3 weeks for a 2nd visit.",
    "The QV1 1AA code is not real (Q never starts a postcode).",
    "Flat 12 has had no heating since 2019.",
    "He said mp3 files and covid19 jabs.",
    "M1 1CI",  # C and I never appear in the inward code
])
def test_postcode_near_misses(text: str) -> None:
    assert found(text, PiiType.POSTCODE) == []


# -- phones ----------------------------------------------------------------------------------

@pytest.mark.parametrize("phone", [
    "07700 900218", "07700900218", "+44 7700 900123", "+447700900123", "0161 496 0999",
    "(0161) 496 0000", "0113-496-0123", "020 7946 0123", "+44 (0)20 7946 0123", "0117 496 0555",
    "0191 498 0111",
])
def test_phone_uk_formats(phone: str) -> None:
    assert found(f"Call me on {phone} please", PiiType.PHONE) == [phone]


def test_phone_followed_by_house_number_is_trimmed() -> None:
    text = "Joanne Pryce 07700 900944 17 Belvedere Road"
    assert found(text, PiiType.PHONE) == ["07700 900944"]


@pytest.mark.parametrize("text", [
    "It started in 2019 and again in 2024.",
    "The bill was £1,234.56 in total.",
    "Reported on 12/03/2024 at 14:30.",
    "My rent account 4412889 is in credit.",
    "Order 123456789 arrived.",
])
def test_phone_near_misses(text: str) -> None:
    assert found(text, PiiType.PHONE) == []


# -- email -----------------------------------------------------------------------------------

def test_email() -> None:
    text = "Write to priya.shah+housing@example.co.uk or j_o'neill@example.org."
    assert found(text, PiiType.EMAIL) == ["priya.shah+housing@example.co.uk",
                                          "j_o'neill@example.org"]


def test_email_near_miss_handle() -> None:
    assert found("@OakfieldHomes sort it out", PiiType.EMAIL) == []


# -- NI numbers ------------------------------------------------------------------------------

@pytest.mark.parametrize("ni", ["JH 47 82 19 A", "JH478219A", "AB 12 34 56 C", "ce123456d"])
def test_ni_number_valid(ni: str) -> None:
    assert found(f"My NI number is {ni}.", PiiType.NI_NUMBER) == [ni]


@pytest.mark.parametrize("ni", ["QQ 12 34 56 C", "DA123456A", "GB123456A", "JH 47 82 19 E",
                                "BO123456A", "ZZ123456A"])
def test_ni_number_invalid_prefix_or_suffix(ni: str) -> None:
    assert found(f"My NI number is {ni}.", PiiType.NI_NUMBER) == []


# -- bank details ----------------------------------------------------------------------------

def test_sort_code_and_account_with_context() -> None:
    text = "Refund to sort code 20-45-77, acc 41234567 please."
    assert found(text, PiiType.BANK_DETAILS) == ["20-45-77", "41234567"]


def test_bank_account_after_sort_code_at_sentence_end() -> None:
    text = "sort code 40-11-62, account 71234598."
    assert found(text, PiiType.BANK_DETAILS) == ["40-11-62", "71234598"]


@pytest.mark.parametrize("text", [
    "The repair cost £41234567 apparently.",
    "Between 12-03-24 and 15-03-24 nobody came.",
    "Rent account 41234567 shows arrears.",
])
def test_bank_near_misses(text: str) -> None:
    assert found(text, PiiType.BANK_DETAILS) == []


# -- account references ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "ref"), [
    ("Your letter about CMP-2026-01187 was wrong.", "CMP-2026-01187"),
    ("tenancy ref TEN-0042187", "TEN-0042187"),
    ("rent account 4412889", "4412889"),
    ("job no. R/558210 is still open", "R/558210"),
    ("My rent account number is RA 30118276.", "RA 30118276"),
    ("Possession claim J5QZ1187 - hearing soon", "J5QZ1187"),
    ("Ref: CMP/26/3318", "CMP/26/3318"),
    ("customer number: 88120045", "88120045"),
])
def test_account_ref_formats(text: str, ref: str) -> None:
    assert found(text, PiiType.ACCOUNT_REF) == [ref]


@pytest.mark.parametrize("text", [
    "CMP alone is not a reference.",
    "The rent went up to £450.00 a month.",
    "My account was charged £1250 twice.",
    "I've been a tenant since 2012.",
    "I was overcharged rent in 2023.",
    "Job 12 of 40 on the list.",
])
def test_account_ref_near_misses(text: str) -> None:
    assert found(text, PiiType.ACCOUNT_REF) == []


def test_account_ref_profile_patterns(profile_with_refs: PolicyProfile) -> None:
    text = "Quote HX9-77-A when you call."
    assert found(text, PiiType.ACCOUNT_REF) == []
    spans = detect_pii(text, profile_with_refs)
    assert [(text[s.start : s.end], s.type) for s in spans] == [("HX9-77-A", PiiType.ACCOUNT_REF)]


# -- dates of birth --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "dob"), [
    ("DOB 04/07/1961", "04/07/1961"),
    ("She was born 3rd March 1979 in Leeds.", "3rd March 1979"),
    ("date of birth 02/11/1958.", "02/11/1958"),
    ("Mr Leonard Pratt (02/11/1941) at Flat 4", "02/11/1941"),
])
def test_date_of_birth(text: str, dob: str) -> None:
    assert found(text, PiiType.DATE_OF_BIRTH) == [dob]


def test_recent_date_without_birth_context_is_not_a_dob() -> None:
    assert found("The leak started on 14/03/2025 and again on 2 May 2025.",
                 PiiType.DATE_OF_BIRTH) == []


# -- addresses -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "address"), [
    ("damp at 22 Tanner Row OL9 6QA", "22 Tanner Row"),
    ("I live at Flat 3, Marsh Court and", "Flat 3, Marsh Court"),
    ("my flat is flat 12b Kestrel House, Moor Road.", "flat 12b Kestrel House, Moor Road"),
    ("of 88 Kingsway, Burnley. As you", "88 Kingsway, Burnley"),
    ("at 9 maple close since may", "9 maple close"),
    ("the lift in Hollins Court again", "Hollins Court"),
])
def test_address(text: str, address: str) -> None:
    assert found(text, PiiType.ADDRESS) == [address]


@pytest.mark.parametrize("text", [
    "the lads in flat 12 are revving motorbikes",
    "3 close calls with the loose handrail",
    "waited 5 weeks for 2 days of work",
    "The claim is at the County Court now.",
    "We met at the Town Hall.",
])
def test_address_near_misses(text: str) -> None:
    assert found(text, PiiType.ADDRESS) == []


# -- people ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "name"), [
    ("We act for your tenant Mrs June Pike of 4 Mill Lane", "Mrs June Pike"),
    ("Thanks,\nPriya Shah\n07700 900218", "Priya Shah"),
    ("my son Jake has asthma", "Jake"),
    ("Dave the plumber never came back", "Dave"),
    ("I spoke to Mr D. Asante yesterday", "Mr D. Asante"),
    ("Kind regards\n\nOluwaseun Bankole", "Oluwaseun Bankole"),
    ("Yours sincerely\nA. Briggs", "A. Briggs"),
    ("My name is Amal Haddad. I'm writing again", "Amal Haddad"),
    ("On Fri, 5 Dec 2025 at 09:48, Grace Okonjo <g@example.com>", "Grace Okonjo"),
    ("Mr Hall rang again today", "Mr Hall"),
    ("hi mr wilkins, any news", "mr wilkins"),
])
def test_person(text: str, name: str) -> None:
    assert name in found(text, PiiType.PERSON)


@pytest.mark.parametrize("text", [
    "Don't feed me excuses.",
    "Will you please send someone? May I ask why?",
    "Customer Services never answer.",
    "Yours faithfully\nPemberton Lowe Solicitors",
    "I called Oakfield Homes twice.",
    "On Tue, 20 Jan 2026 at 14:31 the team replied.",
])
def test_person_near_misses(text: str) -> None:
    assert found(text, PiiType.PERSON) == []


def test_address_wins_over_first_name_street() -> None:
    spans = detect_pii("The boiler at 14 Victoria Road is broken.")
    assert [(s.type, s.recognizer) for s in spans] == [(PiiType.ADDRESS, "UkAddressRecognizer")]


@pytest.mark.parametrize(("text", "phone"), [
    ("my mum's number in Poland is +48 512 345 678", "+48 512 345 678"),
    ("call my brother on +1 415 555 2671", "+1 415 555 2671"),
])
def test_phone_valid_foreign_numbers_with_country_code(text: str, phone: str) -> None:
    assert found(text, PiiType.PHONE) == [phone]


def test_phone_invalid_foreign_shape_is_not_a_phone() -> None:
    assert found("the score was +12 345 678", PiiType.PHONE) == []


@pytest.mark.parametrize(("text", "name"), [
    ("my son jake has asthma", "jake"),
    ("the engineer dave was rude", "dave"),
])
def test_person_lower_case_relations(text: str, name: str) -> None:
    assert found(text, PiiType.PERSON) == [name]


def test_person_lower_case_relation_near_miss() -> None:
    assert found("my son will be home at six", PiiType.PERSON) == []
