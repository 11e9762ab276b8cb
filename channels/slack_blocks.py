"""Block Kit builders for the staff triage queue: the card, its modals, queue lists, App Home.

Pure functions of plain dicts (the card payload `intake.outgoing.card_payload` queued, and the
case's current state) so they are cheap to test and never touch Slack or the database. Customer
text is escaped (`&`, `<`, `>`) so nothing a customer writes can mention `@channel` or forge a
link, and long texts are cut with a "Show full text" button opening a modal.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from models import Route

LONDON = ZoneInfo("Europe/London")
CARD_TEXT_LIMIT = 1200
SECTION_LIMIT = 2900
URGENT = {"health_safety": "Health & safety", "safeguarding": "Safeguarding"}
FLAG_LABELS = {**URGENT, "abusive": "Abusive", "third_party": "Third party"}
OUTCOME_OPTIONS = (("upheld", "Upheld"), ("partly_upheld", "Partly upheld"),
                   ("not_upheld", "Not upheld"))

# action_id / callback_id values: the contract between these blocks and slack_handlers.
A_CONFIRM, A_ROUTE, A_ASSIGN = "intake_confirm", "intake_route", "intake_assign"
A_ESCALATE, A_EXTEND, A_CLOSE = "intake_escalate", "intake_extend", "intake_close"
A_FULL_TEXT = "intake_full_text"
V_EXTEND, V_CLOSE, V_FULL_TEXT = "intake_extend_view", "intake_close_view", "intake_text_view"
ACTIONS_BLOCK_PREFIX = "intake_case:"


def escape(text: str) -> str:
    """Slack mrkdwn escaping: the only three characters Slack asks apps to escape."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def label(value: str | None) -> str:
    return (value or "-").replace("_", " ")


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": True}


def _md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text[:SECTION_LIMIT] or " "}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _md(text)}


def _context(*parts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_md(p) for p in parts if p][:10] or [_md(" ")]}


def _day(value: str | date | None) -> str:
    if value is None:
        return "-"
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%a %d %b %Y")


def _when(value: str | None) -> str:
    if not value:
        return "-"
    instant = datetime.fromisoformat(value)
    return instant.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")


def on_call_mention(group: str) -> str:
    """A `<!subteam^ID>` profile value notifies the group; a plain `@name` is shown as text."""
    return group if group.startswith("<!") else escape(group)


def deadline_line(d: dict[str, Any]) -> str:
    """'respond due Mon 07 Dec 2026 (10 wd, +5 extended): 3 working days left'."""
    extended = f", +{d['extended_by']} extended" if d.get("extended_by") else ""
    head = f"{label(d.get('stage'))} {d['kind'].replace('_', ' ')}: {_day(d['due'])} " \
           f"({d['working_days']} wd{extended})"
    if d.get("met"):
        return f"{head} :white_check_mark: met"
    left = d.get("working_days_left")
    if left is None:
        return head
    if left < 0 or d.get("overdue"):
        return f"{head} :red_circle: *OVERDUE* by {abs(left)} working day(s)"
    return f"{head}: {left} working day(s) left"


def _route_options() -> list[dict[str, Any]]:
    return [{"text": _plain(label(r.value)), "value": r.value} for r in Route]


def cut_text(text: str, limit: int = CARD_TEXT_LIMIT) -> tuple[str, bool]:
    """The text for the card, cut at a word boundary when long."""
    if len(text) <= limit:
        return text, False
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …", True


def card_blocks(payload: dict[str, Any], state: dict[str, Any],
                outbox_id: int | None = None) -> list[dict[str, Any]]:
    """The staff card: message, triage and its reasons, flags, deadlines, and the actions.

    `payload` is what the pipeline queued when the message arrived; `state` is the case now
    (route, status, stage, officer, deadlines, last staff action), so an updated card shows
    what staff changed while keeping the original triage visible.
    """
    ref = payload["case_ref"]
    route = state.get("route") or payload.get("route")
    flags = list(payload.get("flags") or [])
    urgent = [URGENT[f] for f in flags if f in URGENT]
    title = (f"{':rotating_light: ' if urgent else ''}{ref} · {label(route)} · "
             f"{label(state.get('status'))}")
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(title)}]
    if urgent:
        blocks.append(_section(f":rotating_light: *{' and '.join(urgent)}* "
                               f"{on_call_mention(str(payload.get('on_call_group') or ''))} "
                               "please look at this now."))
    where = "public post" if payload.get("public") else "private message"
    blocks.append(_context(
        f"*{escape(label(payload.get('channel')))}* {where} · received "
        f"{_when(payload.get('received_at'))}",
        f"from {escape(str(payload.get('sender') or 'unknown'))}",
        f"messages on case: {payload.get('messages_on_case', 1)}",
    ))
    text, was_cut = cut_text(str(payload.get("text") or ""))
    subject = payload.get("subject")
    quoted = "\n".join(f">{escape(line)}" for line in (text or "(no text)").splitlines())
    blocks.append(_section((f"*{escape(str(subject))}*\n" if subject else "") + quoted))
    if was_cut:
        blocks.append({"type": "actions", "block_id": f"intake_text:{ref}", "elements": [
            {"type": "button", "action_id": A_FULL_TEXT, "text": _plain("Show full text"),
             "value": str(outbox_id or "")}]})
    confidence = float(payload.get("confidence") or 0.0)
    fields = [
        _md(f"*Triage*\n{label(payload.get('route'))} ({confidence:.0%})"
            f"{' · needs review' if payload.get('needs_review') else ''}"),
        _md(f"*Route now*\n{label(route)}"),
        _md(f"*Stage*\n{label(state.get('stage'))}"),
        _md(f"*Officer*\n{escape(state.get('officer') or 'not assigned')}"),
        _md(f"*Flags*\n{', '.join(FLAG_LABELS.get(f, f) for f in flags) or 'none'}"),
        _md(f"*Decision*\n{label(payload.get('decision'))}"),
    ]
    blocks.append({"type": "section", "fields": fields})
    reasons = [escape(str(r)) for r in (payload.get("reasons") or [])][:14]
    if reasons:
        why = "*Why*\n" + "\n".join(f"• {r}" for r in reasons)
        # A section's text is limited to 3,000 characters by Slack.
        blocks.append(_section(why if len(why) <= 2900 else why[:2899] + "…"))
    lines = [deadline_line(d) for d in state.get("deadlines") or []]
    if lines:
        blocks.append(_section("*Deadlines* (working days)\n" + "\n".join(lines)))
    if payload.get("suggested_public_reply"):
        blocks.append(_section("*Suggested public reply*\n"
                               + escape(str(payload["suggested_public_reply"]))))
    last = state.get("last_action")
    if last:
        blocks.append(_context(f"Last action: {escape(last)}"))
    blocks.append(actions_block(ref, route))
    return blocks


def actions_block(ref: str, route: str | None) -> dict[str, Any]:
    """Confirm, change route, assign, escalate, extend, close: one row of controls."""
    select: dict[str, Any] = {"type": "static_select", "action_id": A_ROUTE,
                              "placeholder": _plain("Change route"), "options": _route_options()}
    if route in Route._value2member_map_:
        select["initial_option"] = {"text": _plain(label(route)), "value": route}
    return {"type": "actions", "block_id": f"{ACTIONS_BLOCK_PREFIX}{ref}", "elements": [
        {"type": "button", "action_id": A_CONFIRM, "text": _plain("Confirm"), "style": "primary",
         "value": ref},
        select,
        {"type": "users_select", "action_id": A_ASSIGN, "placeholder": _plain("Assign")},
        {"type": "button", "action_id": A_ESCALATE, "text": _plain("Escalate to stage 2"),
         "value": ref, "confirm": {
             "title": _plain("Escalate?"), "confirm": _plain("Escalate"), "deny": _plain("Cancel"),
             "text": _md(f"Open stage 2 for {ref} and send the customer the escalation "
                         "acknowledgement?")}},
        {"type": "button", "action_id": A_EXTEND, "text": _plain("Extend deadline"), "value": ref},
        {"type": "button", "action_id": A_CLOSE, "text": _plain("Close"), "style": "danger",
         "value": ref},
    ]}


def card_fallback(payload: dict[str, Any], state: dict[str, Any]) -> str:
    """The notification text (no customer words: it shows in push notifications)."""
    flags = ", ".join(FLAG_LABELS.get(f, f) for f in payload.get("flags") or [])
    route = state.get("route") or payload.get("route")
    return f"{payload['case_ref']}: {label(route)}{f' ({flags})' if flags else ''}"


def _metadata(**values: Any) -> str:
    return json.dumps(values, separators=(",", ":"))[:3000]


def full_text_view(payload: dict[str, Any]) -> dict[str, Any]:
    """A modal with the whole message, in sections of Slack's maximum size."""
    text = escape(str(payload.get("text") or "(no text)"))
    chunks = [text[i:i + SECTION_LIMIT] for i in range(0, len(text), SECTION_LIMIT)][:98]
    blocks = [_section(chunk) for chunk in chunks]
    if payload.get("subject"):
        blocks.insert(0, _section(f"*{escape(str(payload['subject']))}*"))
    return {"type": "modal", "callback_id": V_FULL_TEXT, "title": _plain(payload["case_ref"], 24),
            "close": _plain("Close"), "blocks": blocks}


def extend_view(ref: str, left: int, cap: int, channel: str | None,
                ts: str | None) -> dict[str, Any]:
    """Ask how many working days and why (Code 6.4: an extension needs a reason)."""
    return {
        "type": "modal", "callback_id": V_EXTEND, "title": _plain("Extend deadline", 24),
        "submit": _plain("Extend"), "close": _plain("Cancel"),
        "private_metadata": _metadata(ref=ref, channel=channel, ts=ts),
        "blocks": [
            _section(f"Extend the response deadline of *{ref}*. The policy allows "
                     f"{cap} working days in all; {left} left. The customer is told the new "
                     "date and the reason."),
            {"type": "input", "block_id": "days", "label": _plain("Working days"),
             "element": {"type": "number_input", "action_id": "value",
                         "is_decimal_allowed": False, "min_value": "1",
                         "max_value": str(max(1, left))}},
            {"type": "input", "block_id": "reason",
             "label": _plain("Reason (sent to the customer)"),
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                         "max_length": 1500}},
        ],
    }


def close_view(ref: str, stage: str | None, channel: str | None,
               ts: str | None) -> dict[str, Any]:
    """Outcome, reasons, remedy and learning: what a stage response must state."""
    def text_input(block_id: str, title: str, optional: bool) -> dict[str, Any]:
        return {"type": "input", "block_id": block_id, "optional": optional,
                "label": _plain(title),
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                            "max_length": 3000}}

    return {
        "type": "modal", "callback_id": V_CLOSE, "title": _plain(f"Close {label(stage)}", 24),
        "submit": _plain("Close stage"), "close": _plain("Cancel"),
        "private_metadata": _metadata(ref=ref, channel=channel, ts=ts),
        "blocks": [
            _section(f"Close *{label(stage)}* of *{ref}* and send the customer the response."),
            {"type": "input", "block_id": "outcome", "label": _plain("Outcome"),
             "element": {"type": "static_select", "action_id": "value",
                         "options": [{"text": _plain(t), "value": v}
                                     for v, t in OUTCOME_OPTIONS]}},
            text_input("reasons", "Reasons for the decision", False),
            text_input("remedy", "Remedy (what we will do to put it right)", True),
            text_input("learning", "Learning (what we will change)", True),
        ],
    }


def queue_lines(items: list[dict[str, Any]]) -> list[str]:
    """One mrkdwn line per queue item, overdue ones marked."""
    lines = []
    for item in items:
        due = item.get("due")
        left = item.get("working_days_left")
        if item.get("overdue"):
            when = f":red_circle: *OVERDUE* {_day(due)} ({abs(left or 0)} wd late)"
        elif due:
            when = f"due {_day(due)} ({left} wd)"
        else:
            when = "no deadline"
        flags = "".join(" :rotating_light:" for f in item.get("flags") or [] if f in URGENT)
        lines.append(f"*{item['ref']}*{flags} · {label(item['route'])} · "
                     f"{label(item.get('stage'))} · {when}"
                     f"{' · ' + escape(item['officer']) if item.get('officer') else ''}")
    return lines


def list_blocks(title: str, items: list[dict[str, Any]], empty: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [_section(f"*{title}*")]
    lines = queue_lines(items)
    if not lines:
        blocks.append(_context(empty))
    for start in range(0, len(lines), 15):  # 15 lines stay under a section's 3000 chars
        blocks.append(_section("\n".join(lines[start:start + 15])))
    return blocks


def home_view(mine: list[dict[str, Any]], team: list[dict[str, Any]]) -> dict[str, Any]:
    """App Home: the officer's own open cases by due date, then the team queue."""
    blocks = [{"type": "header", "text": _plain("Complaints queue")}]
    blocks += list_blocks("Your open cases", mine, "No open cases are assigned to you.")
    blocks.append({"type": "divider"})
    blocks += list_blocks("Team queue", team, "Nothing is waiting.")
    return {"type": "home", "blocks": blocks[:100]}


def digest_blocks(digest: dict[str, Any]) -> list[dict[str, Any]]:
    """The morning message: overdue cases and those due within N working days."""
    within = digest.get("within_working_days", 2)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"Complaints due · {_day(digest['date'])}")}]
    blocks += list_blocks("Overdue", digest.get("overdue") or [], "Nothing overdue.")
    blocks += list_blocks(f"Due within {within} working days", digest.get("due_soon") or [],
                          "Nothing due.")
    return blocks[:50]


def digest_fallback(digest: dict[str, Any]) -> str:
    return (f"Complaints due {digest['date']}: {len(digest.get('overdue') or [])} overdue, "
            f"{len(digest.get('due_soon') or [])} due soon")


def case_blocks(detail: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    """`/intake case REF`: the case, its deadlines and latest events (no message text)."""
    lines = [deadline_line(d) for d in state.get("deadlines") or []]
    events = [f"{_when(e['at'])} {escape(e['actor'])}: {label(e['action'])}"
              for e in (detail.get("events") or [])[-8:]]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"{detail['ref']} · {label(detail['route'])}")},
        {"type": "section", "fields": [
            _md(f"*Status*\n{label(detail['status'])}"),
            _md(f"*Stage*\n{label(detail.get('stage'))}"),
            _md(f"*Channel*\n{label(detail['channel'])}"),
            _md(f"*Officer*\n{escape(state.get('officer') or 'not assigned')}"),
        ]},
    ]
    if lines:
        blocks.append(_section("*Deadlines*\n" + "\n".join(lines)))
    if events:
        blocks.append(_section("*Latest events*\n" + "\n".join(events)))
    blocks.append(actions_block(detail["ref"], detail["route"]))
    return blocks


HELP = ("Usage: `/intake queue` lists open cases by due date; `/intake case REF` shows one "
        "case. Cards in the triage channel carry the actions.")
