"""The vocabulary of name-finding: how a name word, a title, a sign-off and a relation look.

Kept apart from `person.py` (which decides what is a name) so the patterns can be read and
tested on their own, and so the recognizer module is only about decisions.
"""

from __future__ import annotations

import re

from triage.pii.gazetteer import BUILDING_SUFFIXES, STREET_SUFFIXES, first_names, surnames
from triage.pii.lexicon import COMMON_WORDS, NON_NAME_WORDS, ORG_WORDS

UP = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017e"
LO = "a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u017f"
# One capitalised name word: "Shah", "McGrath", "O'Neill", "Smith-Jones", "Łukasz".
WORD = rf"(?:(?:O|D)['’])?(?:Mc|Mac)?[{UP}][{LO}]+(?:[{UP}][{LO}]+)?(?:-[{UP}][{LO}]+)?"
# ...not glued to other word characters, handles or contractions ("Don't").
NAME = rf"(?<![\w'’@#/-]){WORD}(?![\w@])(?!['’](?:t|ll|ve|re|d|m)\b)"
NAME_RE = re.compile(NAME)
INITIALS = r"(?:[A-Z]\.?[ \t]?){1,2}"
TITLE = (r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Lady|Lord|Cllr|Councillor|Rev|Revd|Father"
          r"|Sister|Judge|PC|PCSO|DC|DS|Sgt|Insp)")
TITLE_RE = re.compile(
    rf"(?<![\w])(?:{TITLE})\.?[ \t]+(?:(?:{INITIALS}[ \t]*)?{NAME}(?:[ \t]+{NAME}){{0,2}}"
    rf"|[A-Z]\b\.?)"
)
INITIAL_RE = re.compile(
    rf"(?<![\w.'’])(?P<init>[A-Z]\.?[ \t]?(?:[A-Z]\.?[ \t]?)?)(?P<name>{NAME})"
)
ANY = rf"[A-Za-z{UP}{LO}][A-Za-z{UP}{LO}'’-]*"
SIGNOFF_RE = re.compile(
    r"(?im)(?:^|(?<=[.!?])[ \t]+)[ \t]*(?:many thanks|thanks again|thanks|thank you|thankyou|thx|ta"
    r"|regards|kind regards|best regards|warm regards|warmest regards|with thanks|best wishes"
    r"|all the best|best|cheers|yours sincerely|yours faithfully|yours truly|sincerely|love|from"
    r"|sent by|signed)"
    r"[ \t]*[,.!:-]*[ \t]*\n?[ \t]*"
    rf"(?P<name>{ANY}(?:[ \t]+{ANY}){{0,3}})"
)
DASH_SIGN_RE = re.compile(
    rf"(?m)^[ \t]*[-–—~][ \t]*(?P<name>{ANY}(?:[ \t]+{ANY}){{0,2}})[ \t]*$"
)
RELATIONS = (
    r"son|daughter|husband|wife|partner|boyfriend|girlfriend|fiance|fiancee|mum|mam|mother|dad"
    r"|father|brother|sister|grandson|granddaughter|grandma|grandad|nan|nana|gran|grandmother"
    r"|grandfather|baby|child|kid|lad|boy|girl|friend|neighbour|neighbor|carer|uncle|aunt|auntie"
    r"|niece|nephew|cousin|stepson|stepdaughter|landlord|lodger|flatmate|colleague|mp|councillor"
    r"|advocate|support worker|social worker|caseworker|case worker|officer|engineer|plumber"
    r"|electrician|surveyor|manager|contractor|inspector|caretaker|cleaner|handyman|worker|tenant"
    r"|client|resident|customer|occupant"
)
RELATION_RE = re.compile(
    rf"(?i:\b(?:my|our|his|her|their|the|your|a|new|housing|repairs|neighbourhood|estate|tenancy"
    rf"|elderly|disabled|vulnerable|late)[ \t]+(?:{RELATIONS})(?:'s)?,?)[ \t]+"
    rf"(?P<name>{NAME}(?:[ \t]+{NAME})?)"
)
CALLED_RE = re.compile(
    r"(?i:\b(?:named|spoke to|spoke with|speaking to|speaking with"
    r"|talked to|talking to|spoken to|speak to|speak with|ask for|asked for|asking for|hi|hello"
    r"|hey|dear|morning|afternoon|evening|thanks|thank you|cheers|with|from|by|sent|told|emailed"
    r"|rang|phoned|contacted|saw|met|and|to|cc|attn|fao|c/o|care of|behalf of|supporting"
    r"|representing|for))[ \t,]+"
    rf"(?P<name>{NAME}(?:[ \t]+{NAME})?)"
)
IAM_RE = re.compile(
    rf"(?i:\b(?:i am|i'm|im|this is|it's|its))[ \t]+(?P<name>{NAME}(?:[ \t]+{NAME})?)"
)
NAME_IS_RE = re.compile(
    rf"(?i:\b(?:my name is|my name's|name is|full name|name:|names are|called))[ \t]+"
    rf"(?P<name>{NAME}(?:[ \t]+{NAME}){{0,2}})"
)
THE_JOB_RE = re.compile(
    rf"(?P<name>{NAME})[ \t]+(?:the|our|from)[ \t]+(?i:{RELATIONS}|repairs|housing|council)\b"
)
LOWER_TITLE_RE = re.compile(
    r"(?<![\w])(?:mr|mrs|ms|miss|mx|cllr)\.?[ \t]+(?P<name>[a-z][a-z'’-]+)"
)
LOWER_PAIR_RE = re.compile(
    r"(?<![\w'’@#/-])(?P<first>[a-z]+)[ \t]+(?P<last>[a-z][a-z'’-]+)(?![\w@])"
)
LOWER_RELATION_RE = re.compile(
    rf"\b(?:my|our|his|her|their|the)[ \t]+(?:{RELATIONS})(?:'s)?,?[ \t]+(?P<name>[a-z][a-z'’-]+)"
)
SENTENCE_END = re.compile(r"(?:^|[.!?:;\n\"“(]|\s-)\s*$")


def common(word: str) -> bool:
    """An ordinary English word (or greeting, weekday, month): not a name on its own."""
    low = word.lower()
    return low in COMMON_WORDS or low in NON_NAME_WORDS


def is_stop(word: str) -> bool:
    """A word that ends a name run: organisation, street or building words."""
    low = word.lower()
    return (low in ORG_WORDS or low in STREET_SUFFIXES or low in BUILDING_SUFFIXES
            or low in NON_NAME_WORDS)


def known(word: str) -> bool:
    """In either name gazetteer."""
    return word in first_names() or word in surnames()


