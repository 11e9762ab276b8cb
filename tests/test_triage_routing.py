"""Route choice from the model's probabilities: the complaint margin and readable reasons."""

from __future__ import annotations

import pytest

from models.vocabulary import Route
from triage.routing import from_model


def probabilities(top: Route, top_p: float, complaint_p: float) -> dict[Route, float]:
    rest = max(0.0, 1.0 - top_p - complaint_p)
    return {top: top_p, Route.COMPLAINT: complaint_p, Route.OTHER: rest}


@pytest.mark.parametrize("other", [Route.SERVICE_REQUEST, Route.DISSATISFACTION, Route.ASB,
                                   Route.LEGAL, Route.ESCALATION, Route.COMMENT])
def test_a_close_complaint_wins_over_any_other_route(other: Route) -> None:
    choice = from_model(probabilities(other, 0.50, 0.32), (), [], "svm-x", 0.6)
    assert choice.route is Route.COMPLAINT
    assert choice.confidence == pytest.approx(0.32)
    assert any(r.startswith("close call: ") for r in choice.reasons)


def test_a_clear_winner_keeps_its_route_and_margin_zero_switches_it_off() -> None:
    assert from_model(probabilities(Route.ASB, 0.60, 0.30), (), [], "svm-x", 0.6).route \
        is Route.ASB
    assert from_model(probabilities(Route.ASB, 0.50, 0.45), (), [], "svm-x", 0.0).route \
        is Route.ASB


def test_reasons_quote_telling_words_only() -> None:
    words = ["I", "third time", "time", "rule_formal", "age_over_year cue_ongoing", "the",
             "been broken", "<num>", "nobody came", "I want", "extra"]
    choice = from_model({Route.COMPLAINT: 0.9, Route.OTHER: 0.1}, (), words, "svm-x", 0.6)
    line = next(r for r in choice.reasons if r.startswith("words that point to complaint"))
    assert line == ("words that point to complaint: 'third time', 'been broken', "
                    "'nobody came', 'I want'")
