"""The few fixed answers the Telegram adapter gives itself, without the pipeline.

These are wire-level answers, the chat equivalent of an SMTP 5xx with a reason: what the bot is,
how to use a command, why a sticker or an oversized file was not taken. Anything that depends on
a decision (acknowledgements, declines, offers) comes from the outbox and the profile's
templates, never from here. The landlord's name and privacy notice come from the profile.
"""

from __future__ import annotations

from datetime import date

from intake.replies import STAGE_LABELS
from models import PolicyProfile

FORMAL_BUTTON = "Make it a formal complaint"
ESCALATE_BUTTON = "Ask for a stage 2 review"

USAGE = ("You can write to us here in your own words: tell us what happened and what you would "
         "like us to do, and send photos or documents if they help.\n"
         "Commands:\n"
         "/status REF - where your case is and when you will hear from us\n"
         "/escalate REF - ask for your complaint to be reviewed at stage 2")


def welcome(profile: PolicyProfile) -> str:
    """/start and /help: what the bot does and how personal data is used."""
    return (f"Hello. This is the complaints and feedback service of "
            f"{profile.contact.landlord_name}.\n\n"
            "Tell us about a problem, a complaint or a compliment and we will record it, give "
            "you a reference and reply here. Several messages sent together are read as one.\n\n"
            f"{USAGE}\n\n"
            f"How we use your information: {profile.privacy_notice}\n\n"
            f"You can also contact us by email at {profile.contact.complaints_email} or by phone "
            f"on {profile.contact.complaints_phone}.")


def unknown_command(command: str) -> str:
    return (f"Sorry, we do not recognise the command {command[:40]}. Nothing has been "
            f"recorded.\n\n{USAGE}")


def sticker() -> str:
    return ("Thank you. We cannot read stickers, so nothing has been recorded. Please tell us in "
            "words what has happened and what you would like us to do.")


def unsupported() -> str:
    return ("Sorry, we cannot read this kind of message, so nothing has been recorded. Please "
            "write to us in words, and send photos or documents (PDF, Word) if they help.")


def empty_message() -> str:
    return ("Your message was empty, so nothing has been recorded. Please tell us in words what "
            "has happened and what you would like us to do.")


def oversized(limit_bytes: int) -> str:
    megabytes = limit_bytes / (1024 * 1024)
    limit = f"{megabytes:.0f} MB" if megabytes >= 1 else f"{max(1, limit_bytes // 1024)} KB"
    return (f"Sorry, that file is too large for us to receive here (the limit is {limit}), so "
            "this message has not been recorded, including any text sent with it. Please send "
            "a smaller file, or send your message again without it.")


def usage_for(command: str, example_ref: str) -> str:
    return (f"Please add your case reference, for example: /{command} {example_ref}. You will "
            "find it in the message we sent when we recorded your case.")


def not_found(ref: str) -> str:
    """The same answer for a reference that does not exist and for one owned by someone else."""
    return (f"We could not find a case with the reference {ref[:40]} for this chat. Please check "
            "the reference in the message we sent you. If you contacted us another way, please "
            "ask about it the same way.")


def escalate_received(ref: str) -> str:
    return (f"Thank you. We have recorded your request to escalate {ref}. We will confirm what "
            "happens next in this chat. You do not have to give reasons.")


def status(ref: str, route: str, status_name: str, stage: str | None,
           next_due: tuple[str, date] | None) -> str:
    """/status REF for the chat that owns the case."""
    lines = [f"Case {ref}"]
    kind = "formal complaint" if route == "complaint" else route.replace("_", " ")
    lines.append(f"Recorded as: {kind}")
    if stage:
        lines.append(f"Stage: {STAGE_LABELS.get(stage, stage)}")
    lines.append(f"Status: {status_name}")
    if next_due is not None:
        what, due = next_due
        action = {"acknowledge": "We will acknowledge it by",
                  "respond": "We will send our response by"}.get(what, f"Next step ({what}) by")
        lines.append(f"{action} {due.strftime('%A %d %B %Y')}.")
    else:
        lines.append("There is no deadline open on this case at the moment.")
    return "\n".join(lines)


def button_thanks(action: str) -> str:
    if action == "formal_complaint":
        return "Thank you. We are recording this as a formal complaint and will confirm here."
    return "Thank you. We have your request for a stage 2 review and will confirm here."


def button_stale() -> str:
    return "This button no longer applies. Please send us a message instead."


def try_again_later() -> str:
    return ("Sorry, we could not record your message just now. Please try again in a few "
            "minutes.")
