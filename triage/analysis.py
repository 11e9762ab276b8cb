"""Parse a message once and collect everything the rules find in it.

Both the live path (`triage.api`) and training read messages through here, so the model is
trained on exactly the features it will see in production.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from spacy.tokens import Doc

from triage.dates import DateMention, find_dates, incident_date
from triage.features import model_text
from triage.nlp import get_nlp
from triage.recurrence import Recurrence, get_recurrence
from triage.rules import RuleHit, get_rules


@dataclass(frozen=True, slots=True)
class MessageInput:
    """The parts of a message triage reads (an InboundMessage or a labelled line)."""

    text: str
    received: date
    channel: str = "email"
    public: bool = False
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """Rules, dates and recurrence for one message, plus the model's input string."""

    doc: Doc
    hits: tuple[RuleHit, ...]
    dates: tuple[DateMention, ...]
    incident: DateMention | None
    recurrence: Recurrence
    model_text: str


def age_bucket(incident: DateMention | None, received: date) -> str:
    """How long the problem has been going on, as a coarse token the model can weigh.

    "Chasing within the target time" (a service request) and "months of failure" (a
    complaint) differ mostly in this, so the model sees it directly.
    """
    if incident is None:
        return "age_unknown"
    days = (received - incident.value).days
    for limit, name in ((1, "today"), (8, "week"), (32, "month"), (92, "quarter"),
                        (366, "year")):
        if days < limit:
            return f"age_{name}"
    return "age_over_year"


def _analyse_doc(doc: Doc, item: MessageInput) -> Analysis:
    hits = get_rules().hits(doc)
    dates = find_dates(item.text, item.received)
    incident = incident_date(dates)
    recurrence = get_recurrence()(doc)
    if incident is not None and incident.kind == "ongoing" and not recurrence.recurring:
        # "for 18 months", "been 9 years": a duration up to now means it is still going on.
        recurrence = Recurrence(True, (*recurrence.ongoing_cues, incident.text),
                                recurrence.ended_cues)
    extra = [age_bucket(incident, item.received)]
    extra += ["cue_ongoing"] * min(3, len(recurrence.ongoing_cues))
    extra += ["cue_ended"] * min(3, len(recurrence.ended_cues))
    return Analysis(
        doc=doc,
        hits=tuple(hits),
        dates=tuple(dates),
        incident=incident,
        recurrence=recurrence,
        model_text=model_text(doc, hits, item.channel, item.public, item.subject, extra),
    )


def analyse(item: MessageInput) -> Analysis:
    """Analyse one message."""
    return _analyse_doc(get_nlp()(item.text), item)


def analyse_many(items: Iterable[MessageInput], batch_size: int = 256) -> list[Analysis]:
    """Analyse many messages with `nlp.pipe` (faster than one call per message)."""
    materialised = list(items)
    docs = get_nlp().pipe((item.text for item in materialised), batch_size=batch_size)
    return [_analyse_doc(doc, item) for doc, item in zip(docs, materialised, strict=True)]
