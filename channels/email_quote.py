"""The customer's new words: quoted history, signatures and legal footers taken off a reply.

Triage must judge what the customer wrote now, not our own acknowledgement quoted under it (it
says "complaint" and "Housing Ombudsman" and would skew every reply) nor a company disclaimer.
Mail clients mark history in a handful of ways that have been stable for decades, so readable
rules work (mailgun/talon's rule set is the model; its fixtures measure these rules):
- Gmail, Apple Mail, Thunderbird: an attribution line "On <date>, <name> wrote:" (in many
  languages, sometimes wrapped over two or three lines) followed by `>` quoting;
- Outlook and Exchange: a "From: ... Sent: ... To: ... Subject:" block, often after a line of
  underscores, with the history unquoted below it;
- AOL, Yahoo, Lotus and older Outlook: "-----Original Message-----";
- plain `>` quoting anywhere, including inline answers between quoted lines.
Signatures go from the "-- " delimiter or a "Sent from my iPhone" line; a legal footer goes when
it is the last paragraph and reads like one. Nothing here ever returns an empty text for a
message that had text: when the rules would remove everything, the whole text is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WROTE_WORDS = (r"wrote|writes|a écrit|schrieb|escribió|ha scritto|schreef|skrev|napisał|"
                r"написал|написала|kirjoitti|escreveu|yazdı|υπέγραψε|napsal|írta|scrisse")
_ATTRIBUTION = re.compile(rf"^\s*(?:>\s*)*.{{0,300}}\b(?:{_WROTE_WORDS})\s*:\s*$",
                          re.IGNORECASE)
_ATTRIBUTION_START = re.compile(
    r"^\s*(?:>\s*)*(?:on|le|am|el|il|op|på|w dniu|em|\d{1,4}[./-]\d{1,2}[./-]\d{1,4})\b",
    re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:original message|original|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|messaggio originale|oorspronkelijk bericht|opprinnelig melding|"
    r"alkuperäinen viesti|mensagem original)\s*-{2,}\s*$", re.IGNORECASE)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|von|de|da|van|från|fra|od|от)\s*\*?\s*:\s*\S",
                          re.IGNORECASE)
_HEADER_OTHER = re.compile(
    r"^\s*\*?(?:sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|objet|à|enviado|"
    r"asunto|para|inviato|oggetto|verzonden|onderwerp|aan|skickat|ämne|till)\s*\*?\s*:",
    re.IGNORECASE)
_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:|-{2,}\s*weitergeleitete "
    r"nachricht\s*-{2,}|-{2,}\s*message transféré\s*-{2,})\s*$", re.IGNORECASE)
_SIGNATURE_DELIMITER = re.compile(r"^--\s?$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:sent from (?:my |the )?\S.{0,40}|sent with \S.{0,60}|get outlook for \S.{0,20}|"
    r"sent via \S.{0,40}|envoyé de mon \S.{0,30}|von meinem \S.{0,40} gesendet)\s*$",
    re.IGNORECASE)
_FOOTER = re.compile(
    r"intended (?:solely )?(?:only )?for the (?:use of the )?(?:addressee|intended recipient|"
    r"named recipient|individual)|intended recipient|received this (?:e-?mail|message|"
    r"communication) in error|(?:e-?mail|message|communication)(?: and any (?:files|attachments)"
    r"(?: transmitted with it)?)? (?:is|are|may be|may contain) (?:strictly )?(?:confidential|"
    r"privileged)|registered in england|registered office|company (?:registration )?(?:no|number)"
    r"|consider the environment before printing|^\s*disclaimer\b|views (?:or opinions )?expressed"
    r"|scanned for viruses|virus[- ]free|this (?:e-?mail|message) has been scanned",
    re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class ReplyParts:
    """A message body split into what the customer wrote now and what they carried along."""

    new_text: str
    quoted: str
    signature: str

    @property
    def stripped(self) -> bool:
        return bool(self.quoted or self.signature)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_at(lines: list[str], i: int) -> int:
    """How many lines starting at i form an "On ... wrote:" line (0 if none)."""
    for span in (1, 2, 3):
        if i + span > len(lines):
            break
        joined = " ".join(line.strip() for line in lines[i:i + span])
        if span > 1 and any(not line.strip() for line in lines[i:i + span]):
            break
        if _ATTRIBUTION.match(joined) and ((span == 1 and _looks_like_attribution(joined))
                                           or (span > 1 and _ATTRIBUTION_START.match(joined))):
            return span
    return 0


def _looks_like_attribution(line: str) -> bool:
    """'On ..., X wrote:' or a line with a date/address ending in 'wrote:'."""
    return bool(_ATTRIBUTION_START.match(line) or re.search(r"\d|@", line))


def _header_block_at(lines: list[str], i: int) -> bool:
    """An Outlook-style 'From: / Sent: / To: / Subject:' block starting at line i."""
    if not _HEADER_FROM.match(lines[i]):
        return False
    # Wrapped lines (long address lists) may sit between the fields, so look a few lines on.
    return sum(1 for line in lines[i + 1:i + 8] if _HEADER_OTHER.match(line)) >= 2


def _quote_follows(lines: list[str], start: int) -> bool:
    """Whether `>` quoting follows within three non-blank lines (so "On 3 May I wrote:" in a
    tenant's own sentence is not mistaken for the start of quoted history)."""
    following = [line for line in lines[start:start + 8] if line.strip()][:3]
    return any(_is_quoted(line) for line in following)


def _after_forward_marker(lines: list[str], i: int) -> bool:
    """A forwarded mail's headers: what follows is what the customer is sending us."""
    previous = [line for line in lines[max(0, i - 3):i] if line.strip()]
    return bool(previous) and bool(_FORWARD_MARKER.match(previous[-1]))


def _history_start(lines: list[str]) -> tuple[int, int]:
    """(index where unquoted history starts, lines to skip when nothing precedes it)."""
    for i, line in enumerate(lines):
        if _is_quoted(line):
            continue
        if _ORIGINAL_MESSAGE.match(line):
            return i, 0
        if _UNDERSCORES.match(line) and i + 1 < len(lines) and any(
                _header_block_at(lines, j) for j in range(i + 1, min(i + 3, len(lines)))):
            return i, 0
        if _header_block_at(lines, i) and not _after_forward_marker(lines, i):
            return i, 0
        span = _attribution_at(lines, i)
        if span and _quote_follows(lines, i + span):
            return i, span
    return len(lines), 0


def strip_quotes(text: str) -> tuple[str, str]:
    """(new text, quoted history) for one plain-text body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    quoted: list[str] = []
    while True:
        start, span = _history_start(lines)
        if start >= len(lines):
            break
        before = [line for line in lines[:start] if line.strip() and not _is_quoted(line)]
        if before or span == 0:
            quoted.extend(lines[start:])
            lines = lines[:start]
            break
        # Bottom-posting (Thunderbird, mailing lists): the attribution opens the message and
        # the new words follow the quote, so drop only the attribution line and go on.
        quoted.extend(lines[start:start + span])
        lines = lines[:start] + lines[start + span:]
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _is_quoted(line):
            quoted.append(line)
            continue
        if _attribution_at(lines, i) and any(_is_quoted(x) for x in lines[i + 1:i + 4]):
            quoted.append(line)
            continue
        kept.append(line)
    return "\n".join(kept).strip(), "\n".join(quoted).strip()


def strip_signature(text: str) -> tuple[str, str]:
    """(text, signature and legal footer) for text that is already free of quotes."""
    lines = text.split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        if i > 0 and _SIGNATURE_DELIMITER.match(line) and any(x.strip() for x in lines[:i]):
            cut = i
            break
    for i in range(cut - 1, 0, -1):
        if not lines[i].strip():
            continue
        if _MOBILE_SIGNATURE.match(lines[i]) and len(lines) - i <= 12:
            cut = i
        break
    body, signature = lines[:cut], lines[cut:]
    paragraphs = "\n".join(body).rstrip().split("\n\n")
    footer: list[str] = []
    while len(paragraphs) > 1 and _FOOTER.search(paragraphs[-1]):
        footer.insert(0, paragraphs.pop())
    kept = "\n\n".join(paragraphs).strip()
    removed = "\n\n".join([*footer, "\n".join(signature).strip()]).strip()
    return kept, removed


def split_reply(text: str) -> ReplyParts:
    """The customer's new words; falls back to the whole text rather than to nothing."""
    new_text, quoted = strip_quotes(text)
    if not "\n".join(x for x in new_text.split("\n") if not _FORWARD_MARKER.match(x)).strip():
        # Nothing but a forward: the forwarded mail is what the customer is sending us.
        return ReplyParts(text.strip(), "", "")
    without_signature, signature = strip_signature(new_text)
    if not without_signature.strip():
        return ReplyParts(new_text, quoted, "")
    return ReplyParts(without_signature, quoted, signature)
