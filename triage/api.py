"""The public entry point of the triage layer.

`triage_message` is a pure function of (message, profile): it reads the shipped model once per
process (cached by `triage.store`) and touches nothing else. `triage_batch` does the same for
many messages at once, parsing them with `nlp.pipe` and scoring them as one matrix, which is
several times faster for `intake triage` and the benchmark; both give identical results.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from models import InboundMessage, PiiSpan, PolicyProfile, Triage
from models.vocabulary import Flag, Route
from triage.analysis import Analysis, MessageInput, analyse_many
from triage.evidence import sentence_at
from triage.features import surfaces
from triage.flags import FLAG_GROUPS, decide_flags, possible_flags
from triage.pii import detect_pii
from triage.policy import apply_policy
from triage.routing import (
    ROUTE_EVIDENCE,
    RouteChoice,
    from_model,
    label,
    rules_only,
    telling,
)
from triage.scorer import LinearModel
from triage.store import load_model


def message_input(message: InboundMessage) -> MessageInput:
    """The parts of an InboundMessage that triage reads; `received_at` is taken in UTC."""
    received = message.received_at
    if received.tzinfo is not None:
        received = received.astimezone(UTC)
    return MessageInput(
        text=message.text or "",
        received=received.date(),
        channel=message.channel.value,
        public=message.public,
        subject=message.subject,
    )


def _date_reasons(analysis: Analysis) -> list[str]:
    reasons: list[str] = []
    if analysis.incident is not None:
        reasons.append(f"incident date: '{analysis.incident.text}' read as "
                       f"{analysis.incident.value.isoformat()}")
    if analysis.recurrence.recurring:
        cues = ", ".join(f"'{c}'" for c in analysis.recurrence.ongoing_cues[:3])
        reasons.append(f"still going on or recurring: {cues}")
    return reasons


def _quotable(analysis: Analysis, top_features: Sequence[str],
              pii: Sequence[PiiSpan]) -> list[str]:
    """The customer's words behind the model's top features, minus markers, stop words and
    anything that overlaps personal data (reasons reach Slack and the case record)."""
    wanted = [f for f in top_features if telling(f)]
    if analysis.doc is None:
        return wanted
    return [text for text, start, end in filter(None, surfaces(analysis.doc, wanted))
            if not any(p.start < end and start < p.end for p in pii)]


def _in_their_words(analysis: Analysis, groups: Sequence[str], what: str,
                    pii: Sequence[PiiSpan], quoted: set[str]) -> list[str]:
    """'<what> in their words: "<sentence>"' for the first rule phrase of `groups` whose
    sentence has not been quoted yet."""
    if analysis.doc is None:
        return []
    for hit in analysis.hits:
        if hit.group not in groups:
            continue
        sentence = sentence_at(analysis.doc, hit.start, hit.end, pii)
        if sentence and sentence not in quoted:
            quoted.add(sentence)
            return [f'{what} in their words: "{sentence}"']
    return []


def _assemble(
    item: MessageInput,
    analysis: Analysis,
    choice: RouteChoice,
    flag_scores: dict[Flag, float] | None,
    model: LinearModel | None,
    profile: PolicyProfile,
    pii: tuple[PiiSpan, ...],
) -> Triage:
    thresholds = model.flag_thresholds if model else None
    flag_decisions = decide_flags(analysis.hits, flag_scores, thresholds)
    flags = frozenset(d.flag for d in flag_decisions)
    outcome = apply_policy(choice.route, analysis.incident, analysis.recurrence, flags,
                           item.received, profile,
                           possible_flags(flag_scores, thresholds))
    threshold = profile.triage.review_threshold
    needs_review = model is None or choice.confidence < threshold
    quoted: set[str] = set()
    reasons = [*outcome.reasons, *choice.reasons,
               *_in_their_words(analysis, ROUTE_EVIDENCE[choice.route], label(choice.route), pii,
                                quoted)]
    for decision in flag_decisions:
        reasons.append(decision.reason)
        reasons.extend(_in_their_words(analysis, (FLAG_GROUPS[decision.flag].name,),
                                       decision.flag.value, pii, quoted))
    reasons.extend(_date_reasons(analysis))
    if needs_review:
        reasons.append(f"needs review: confidence {choice.confidence:.2f} is below "
                       f"{threshold:.2f}" if model else "needs review: rules only")
    if outcome.route is not choice.route and not outcome.reasons:
        reasons.append(f"route changed from {label(choice.route)} by policy")
    return Triage(
        route=outcome.route,
        confidence=round(choice.confidence, 4),
        flags=flags,
        pii=pii,
        incident_date=analysis.incident.value if analysis.incident else None,
        recurring=analysis.recurrence.recurring,
        needs_review=needs_review,
        reasons=tuple(reasons),
        model_version=model.version if model else "rules",
        scores=dict(choice.scores),
    )


def triage_inputs(items: Sequence[MessageInput], profile: PolicyProfile) -> list[Triage]:
    """Triage parsed inputs in one batch with the shipped model (commands, evaluation)."""
    return triage_with(items, profile, load_model())


def triage_with(
    items: Sequence[MessageInput],
    profile: PolicyProfile,
    model: LinearModel | None,
    analyses: Sequence[Analysis] | None = None,
) -> list[Triage]:
    """Triage with a given model (None: rules only); `analyses` may be precomputed."""
    if not items:
        return []
    if analyses is None:
        analyses = analyse_many(items)
    if model is None:
        return [_assemble(item, analysis, rules_only(analysis.hits), None, None, profile,
                          tuple(detect_pii(item.text, profile)))
                for item, analysis in zip(items, analyses, strict=True)]
    features = model.transform([a.model_text for a in analyses])
    route_proba, flag_proba = model.probabilities(features)
    results: list[Triage] = []
    for row, (item, analysis) in enumerate(zip(items, analyses, strict=True)):
        probabilities = {r: float(route_proba[row, i]) for i, r in enumerate(model.route_labels)}
        best = max(probabilities, key=lambda r: probabilities[r])
        pii = tuple(detect_pii(item.text, profile))
        top = _quotable(analysis, model.top_route_features(features[row], best, k=12), pii)
        choice = from_model(probabilities, analysis.hits, top, model.version,
                            profile.triage.complaint_margin)
        flag_scores = {flag: float(scores[row]) for flag, scores in flag_proba.items()}
        results.append(_assemble(item, analysis, choice, flag_scores, model, profile, pii))
    return results


def triage_batch(messages: Sequence[InboundMessage], profile: PolicyProfile) -> list[Triage]:
    """Triage many messages; the same results as `triage_message` on each, in order."""
    return triage_inputs([message_input(m) for m in messages], profile)


def triage_message(message: InboundMessage, profile: PolicyProfile) -> Triage:
    """Triage one message under one landlord's profile."""
    return triage_inputs([message_input(message)], profile)[0]


__all__ = ["Route", "triage_batch", "triage_inputs", "triage_message", "triage_with"]
