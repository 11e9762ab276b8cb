"""The rule vocabularies, lemmatiser, recurrence cues and rules-only flags."""

from __future__ import annotations

import pytest

from models.vocabulary import Flag, Route
from triage.features import model_text
from triage.flags import decide_flags
from triage.nlp import get_nlp, lemmatise
from triage.recurrence import get_recurrence
from triage.routing import rules_only
from triage.rules import RuleHit, get_rules


def hits(text: str) -> tuple[RuleHit, ...]:
    return tuple(get_rules().hits(get_nlp()(text)))


def groups(text: str) -> set[str]:
    return {hit.group for hit in hits(text)}


def test_lemmatiser_meets_inflections() -> None:
    assert lemmatise("leaking") == lemmatise("leaked") == lemmatise("leaks") == lemmatise("leak")
    assert lemmatise("neighbours") == "neighbour"
    assert lemmatise("was") == "be"


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("We enclose our Letter of Claim under the Pre-Action Protocol.", "legal_claim"),
        ("I have passed this to your insurers.", "legal_claim"),
        ("If this isn't fixed I will be contacting a solicitor.", "legal_threat"),
        ("The lads upstairs are dealing drugs and revving motorbikes.", "asb"),
        ("I want my complaint escalated to stage 2.", "escalation"),
        ("Not the end of the world but a text would have been nice.", "minor"),
        ("Thank you so much, the plumber was brilliant.", "compliment"),
        ("This is about my council tax bill.", "other"),
    ],
)
def test_vocabularies_fire_on_their_phrases(text: str, group: str) -> None:
    assert group in groups(text)


def test_hits_quote_the_customers_words_with_offsets() -> None:
    text = "There is a GAS SMELL in the kitchen"
    found = [h for h in hits(text) if h.group == "health_safety"]
    assert found and text[found[0].start:found[0].end] == "GAS SMELL"


def test_threat_of_a_solicitor_is_not_a_claim_under_way() -> None:
    found = groups("Fix my boiler this week or I'm going to get a solicitor involved.")
    assert "legal_threat" in found
    assert "legal_claim" not in found


def test_rules_only_routing_without_a_model() -> None:
    assert rules_only(hits("We act for your tenant and enclose a letter of claim.")).route \
        is Route.LEGAL
    assert rules_only(hits("Thanks so much, brilliant job by the gas engineer!")).route \
        is Route.COMPLIMENT
    choice = rules_only(hits("Loud music and shouting from next door until 3am, and drugs."))
    assert choice.route is Route.ASB
    assert any("anti-social" in reason for reason in choice.reasons)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("There is a strong smell of gas in the hallway.", Flag.HEALTH_SAFETY),
        ("Water is coming through the light fitting and there are exposed wires.",
         Flag.HEALTH_SAFETY),
        ("My partner hits me and I am scared of him. This is domestic abuse.", Flag.SAFEGUARDING),
        ("Honestly some days I feel suicidal living like this.", Flag.SAFEGUARDING),
        ("I know where you live, watch your back.", Flag.ABUSIVE),
        ("I am writing on behalf of my constituent, Mrs Jones.", Flag.THIRD_PARTY),
    ],
)
def test_strong_phrases_raise_flags_even_against_the_model(text: str, flag: Flag) -> None:
    decisions = decide_flags(hits(text), {f: 0.0 for f in Flag})
    assert flag in {d.flag for d in decisions}
    assert any("rule fired" in d.reason for d in decisions if d.flag is flag)


def test_model_decides_flags_without_strong_phrases() -> None:
    text = "The mould is getting worse."
    assert not decide_flags(hits(text), {f: 0.1 for f in Flag})
    raised = decide_flags(hits(text), {Flag.HEALTH_SAFETY: 0.9, Flag.SAFEGUARDING: 0.0,
                                       Flag.ABUSIVE: 0.0, Flag.THIRD_PARTY: 0.0})
    assert [d.flag for d in raised] == [Flag.HEALTH_SAFETY]
    assert "0.90" in raised[0].reason


@pytest.mark.parametrize(
    ("text", "recurring"),
    [
        ("The roof is still leaking.", True),
        ("The gas smell is back again.", True),
        ("Every time it rains water comes in.", True),
        ("This is an ongoing problem.", True),
        ("It was fixed in 2024 and has been fine ever since.", False),
        ("Please could you book a plumber for my tap.", False),
    ],
)
def test_recurrence(text: str, recurring: bool) -> None:
    assert get_recurrence()(get_nlp()(text)).recurring is recurring


def test_the_word_complaint_never_reaches_the_model() -> None:
    doc = get_nlp()("I want to make a complaint. I am complaining about complaints.")
    text = model_text(doc, [], "email", False, "Complaint about repairs")
    assert "complain" not in text
