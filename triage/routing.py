"""Choose the content route from the model's probabilities, or from the rules alone.

The model's calibrated probability is the confidence. Reasons name the model's score, the
runner-up, the words that pushed hardest towards the chosen route, and the rule phrases of
that route's vocabulary, in words a complaints officer reads at a glance. When no model is
shipped the rules decide with a fixed order of precedence and a modest confidence, so staff
review everything until a model is trained.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from spacy.lang.en.stop_words import STOP_WORDS

from models.vocabulary import Route
from triage.rules import RuleHit, phrases_of
from triage.vocab import ALL_GROUPS

_GROUP_MEANING = {group.name: group.meaning for group in ALL_GROUPS}
# Which rule vocabularies support which route, for the reasons.
ROUTE_EVIDENCE: dict[Route, tuple[str, ...]] = {
    Route.COMPLAINT: ("formal", "legal_threat"),
    Route.DISSATISFACTION: ("minor",),
    Route.SERVICE_REQUEST: ("request",),
    Route.ASB: ("asb",),
    Route.LEGAL: ("legal_claim",),
    Route.ESCALATION: ("escalation",),
    Route.COMPLIMENT: ("compliment",),
    Route.COMMENT: (),
    Route.OTHER: ("other",),
    Route.OUT_OF_TIME: (),
}


def telling(feature: str) -> bool:
    """A model feature worth showing staff: a word or phrase, not a marker token, and not
    made only of words like 'i' or 'the' (they carry weight but explain nothing)."""
    if any(word.startswith(("rule_", "channel_", "age_", "cue_", "<"))
           for word in feature.split()):
        return False
    return not all(word in STOP_WORDS for word in feature.lower().split())


@dataclass(frozen=True, slots=True)
class RouteChoice:
    """The content route, its confidence, all scores and the reasons."""

    route: Route
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()


def label(route: Route) -> str:
    """A route as staff say it ("service request", not "service_request")."""
    return route.value.replace("_", " ")


def rule_reasons(route: Route, hits: tuple[RuleHit, ...]) -> list[str]:
    """'rule fired: <meaning> ('phrase', 'phrase')' for each vocabulary backing `route`."""
    out: list[str] = []
    for group in ROUTE_EVIDENCE[route]:
        quoted = phrases_of(list(hits), group)
        if quoted:
            phrases = ", ".join(f"'{p}'" for p in quoted)
            out.append(f"rule fired: {_GROUP_MEANING[group]} ({phrases})")
    return out


def rules_only(hits: tuple[RuleHit, ...]) -> RouteChoice:
    """Fallback without a model: precedence legal > escalation > other > ASB > compliment >
    dissatisfaction > complaint > service request > comment."""
    count = Counter(hit.group for hit in hits)
    if count["legal_claim"]:
        route = Route.LEGAL
    elif count["escalation"] >= 2:
        route = Route.ESCALATION
    elif count["other"] and not (count["request"] or count["formal"]):
        route = Route.OTHER
    elif count["asb"] >= 2 and count["formal"] < 2:
        route = Route.ASB
    elif count["compliment"] and not count["formal"]:
        route = Route.COMPLIMENT
    elif count["minor"]:
        route = Route.DISSATISFACTION
    elif count["formal"] >= 2 or count["legal_threat"]:
        route = Route.COMPLAINT
    elif count["request"]:
        route = Route.SERVICE_REQUEST
    else:
        route = Route.COMMENT
    reasons = [f"{label(route)}: no trained model installed, decided by rules only"]
    reasons.extend(rule_reasons(route, hits))
    return RouteChoice(route, 0.5, {route.value: 0.5}, tuple(reasons))


def from_model(
    probabilities: dict[Route, float],
    hits: tuple[RuleHit, ...],
    top_words: list[str],
    version: str,
    complaint_margin: float = 0.0,
) -> RouteChoice:
    """The most probable route, with the model's evidence and the supporting rules.

    With `complaint_margin` m > 0, another route wins over complaint only when complaint's
    probability is below m times its own. Choosing anything else over a close "complaint"
    risks the Ombudsman's most common finding, a complaint not recognised (Code 1.2/1.3),
    whether the other route is a service request or an exclusion such as ASB or legal; a
    wrong complaint costs a review. docs/triage.md has the measurements behind the default.
    """
    ranked = sorted(probabilities.items(), key=lambda kv: -kv[1])
    route, score = ranked[0]
    close_call = ""
    complaint = probabilities.get(Route.COMPLAINT, 0.0)
    if (complaint_margin > 0 and route is not Route.COMPLAINT
            and complaint >= complaint_margin * score):
        close_call = (f"close call: {label(route)} {score:.2f} vs complaint {complaint:.2f}; "
                      "treated as a complaint because a missed complaint costs more")
        ranked = [(Route.COMPLAINT, complaint)] + [kv for kv in ranked if kv[0] != Route.COMPLAINT]
        route, score = ranked[0]
    reasons = [f"{label(route)}: model {version} score {score:.2f}"
               + (f" (next: {label(ranked[1][0])} {ranked[1][1]:.2f})" if len(ranked) > 1 else "")]
    if close_call:
        reasons.append(close_call)
    words: list[str] = []
    for word in top_words:
        if telling(word) and not any(word.lower() in w.lower() for w in words):
            words.append(word)
    words = words[:4]
    if words:
        reasons.append("words that point to " + label(route) + ": "
                       + ", ".join(f"'{w}'" for w in words))
    reasons.extend(rule_reasons(route, hits))
    scores = {r.value: round(float(p), 4) for r, p in ranked}
    return RouteChoice(route, float(score), scores, tuple(reasons))
