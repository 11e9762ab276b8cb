"""Generate labelled synthetic messages: faker en_GB values slotted into sentence frames.

Why: the NER experiment needs training text with PERSON and ADDRESS spans, and nothing from
shared/corpus may be trained on. The frames below were written for this project; the values
come from faker's en_GB providers (names, streets, towns, postcodes) and Ofcom's drama phone
ranges. Output is the labelled-line format of interfaces.md, so the same evaluation script can
score the rules on it. Deterministic: a fixed seed gives byte-identical output.

    python -m triage.pii.synth OUT.jsonl [--n 4000] [--seed 13]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faker import Faker

_SLOT = re.compile(r"\{([A-Z_]+)\}")

# Frames: {TYPE} slots are filled and labelled; {FIRST} is a bare first name (PERSON);
# {STAFF} is a title + surname (PERSON). Lower-case frames imitate phone-typed chat.
FRAMES: tuple[str, ...] = (
    "Hi, my name is {PERSON} and I live at {ADDRESS}, {POSTCODE}. The boiler has gone again.",
    "Dear Sir or Madam,\n\nI am writing about the damp in my bedroom at {ADDRESS}. "
    "It has been reported three times.\n\nYours faithfully\n{PERSON}",
    "@{HANDLE} third week with no hot water at {ADDRESS} {POSTCODE}. Sort it out.",
    "My neighbour {PERSON} at {ADDRESS} plays music until 3am every night.",
    "I spoke to {STAFF} on Monday and she said someone would call me on {PHONE}.",
    "Please ring me on {PHONE} or email {EMAIL}. Thanks, {FIRST}",
    "my son {FIRST} has asthma and the mould is getting worse, we are at {ADDRESS}",
    "Kind regards,\n{PERSON}\n{ADDRESS}\n{POSTCODE}\n{PHONE}",
    "The engineer {FIRST} came out to {ADDRESS} but did not have the part.",
    "Tenant: {PERSON}, {ADDRESS}. Tenancy ref {ACCOUNT_REF}. Reports a leak from the flat above.",
    "I am writing on behalf of my mother, {STAFF}, of {ADDRESS}, who is 84 and unwell.",
    "Complaint ref {ACCOUNT_REF} - still no reply. {PERSON}",
    "{FIRST} the caretaker at {BUILDING} has been brilliant, please pass on our thanks.",
    "Hello, this is {PERSON}. DOB {DOB}. I need to update my contact number to {PHONE}.",
    "hi its {FIRST} from {ADDRESS} the lift is broken again",
    "Good afternoon,\n\nCould {STAFF} call me back about the rent account {ACCOUNT_REF}? "
    "I am on {PHONE} after 5pm.\n\nMany thanks\n{PERSON}",
    "The family at {ADDRESS} have been dumping rubbish by the bins again.",
    "We act for our client {STAFF} of {ADDRESS}, {POSTCODE} in respect of disrepair.",
    "My partner {FIRST} and I moved into {ADDRESS} in March and the windows still don't shut.",
    "Can someone tell {STAFF} that the door at {BUILDING} is still broken",
    "cheers {FIRST}",
    "{PERSON}\n{ADDRESS}\n{POSTCODE}",
    "Re: {ADDRESS} - repair job {ACCOUNT_REF}\n\nNobody turned up again today.\n\n{PERSON}",
    "I have lived at {ADDRESS} for twelve years and never had a problem until now.",
    "Please send the form to {EMAIL}. My NI number is {NI_NUMBER}.",
    "Refund to sort code {SORT_CODE}, account {BANK_ACCOUNT} please. {PERSON}",
    "{STAFF} from the housing team visited today and was very helpful.",
    "Message from {PERSON} ({PHONE}): gas smell outside {ADDRESS}.",
    "There's a needle in the stairwell of {BUILDING}, near {ADDRESS}.",
    "my daughter {FIRST} is scared to use the stairs at {BUILDING}",
    "Thanks {FIRST}, that's sorted now.",
    "Is {STAFF} still dealing with my case? I haven't heard anything since June.",
    "Dear {STAFF},\n\nThank you for your letter. I would like to take this to stage 2.\n\n"
    "{PERSON}",
    "The contractor (I think his name was {FIRST}) left the kitchen in a mess at {ADDRESS}.",
    "Address: {ADDRESS}, {TOWN}, {POSTCODE}\nName: {PERSON}\nPhone: {PHONE}",
    "I'm the support worker for {PERSON} who lives at {ADDRESS}.",
    "{PERSON} here, flat above has had a leak for 2 weeks. {ADDRESS}",
    "Best wishes\n\n{PERSON}\nSent from my iPhone",
    "Spoke to {FIRST} on the phone, she said a surveyor would come to {ADDRESS} next week.",
    "Our councillor {STAFF} has been copied into this email.",
)
# Frames with no personal data, so the model also learns when to say nothing.
CLEAN_FRAMES: tuple[str, ...] = (
    "The lift has been broken for 3 weeks and nobody has come to fix it.",
    "Flat 12 has had a leak for ages, the whole block knows about it.",
    "Rent went up by £12.50 a week in April, why?",
    "Is the Community Centre open on Bank Holiday Monday?",
    "I reported it in 2023 and again on 14/03/2025 and still nothing.",
    "Great job by the grounds team this week, the estate looks lovely.",
    "Customer Services never answer the phone before 10am.",
    "The bins on the High Street were not emptied on Tuesday.",
    "We have waited 6 weeks for the Repairs Team to come back.",
    "Why does the Council keep sending letters to the wrong flat?",
)


# British thoroughfare words with rough frequencies (faker's en_GB street suffixes are American:
# "Creek", "Parkway", "Expressway"), tree/bird/field stems, and real towns in England.
_SUFFIXES = ("Road",) * 8 + ("Street",) * 6 + ("Lane",) * 4 + ("Close",) * 4 + ("Avenue",) * 3 + (
    "Drive", "Way", "Row", "Crescent", "Grove", "Gardens", "Terrace", "Place", "Walk", "Rise",
    "Mews", "Square", "Hill", "Green", "View", "Court", "Parade", "Vale", "Croft", "Fold")
_STEMS = ("Oak", "Ash", "Elm", "Birch", "Willow", "Hawthorn", "Rowan", "Hazel", "Beech", "Cedar",
          "Maple", "Holly", "Laurel", "Juniper", "Heather", "Kestrel", "Heron", "Wren", "Lark",
          "Swallow", "Mill", "Church", "Station", "Market", "Bridge", "Park", "Meadow", "Brook",
          "Moor", "Marsh", "Canal", "Victoria", "Albert", "Queen", "King", "Windsor", "Cavendish")
_TOWNS = ("Oldham", "Rochdale", "Bolton", "Wigan", "Salford", "Stockport", "Bury", "Burnley",
          "Blackburn", "Preston", "Leeds", "Bradford", "Wakefield", "Huddersfield", "Halifax",
          "Sheffield", "Rotherham", "Doncaster", "Barnsley", "Hull", "York", "Newcastle",
          "Gateshead", "Sunderland", "Durham", "Middlesbrough", "Liverpool", "Birkenhead",
          "Manchester", "Birmingham", "Wolverhampton", "Walsall", "Coventry", "Leicester",
          "Nottingham", "Derby", "Stoke-on-Trent", "Bristol", "Plymouth", "Exeter", "Luton",
          "Reading", "Slough", "Croydon", "Southampton", "Portsmouth", "Norwich", "Ipswich")


# Sentences with no personal data, full of capitalised words that are not names or addresses
# (days, months, teams, services, places in general), placed around the frames so a model
# learns what is NOT an entity in a realistic message.
FILLER: tuple[str, ...] = (
    "I reported this on Monday and again on Thursday.",
    "Nobody from the Repairs Team has been in touch.",
    "Customer Services told me to wait another week.",
    "This has been going on since January.",
    "The Housing Ombudsman says you have to respond within 10 working days.",
    "I have two young children and the damp is making them ill.",
    "Please can someone call me back?",
    "The Council said it was your responsibility, not theirs.",
    "I am really fed up now.",
    "It was meant to be fixed before Christmas.",
    "The contractor said the part was on order from Plumb Centre.",
    "Every time it rains the water comes through the ceiling.",
    "I have photos if you need them.",
    "My GP has written a letter about my asthma.",
    "The Neighbourhood Officer never turned up.",
    "We were promised new windows in the Spring.",
    "Your website says repairs are done in 20 working days.",
    "This is the third time I have had to email about this.",
    "The Anti-Social Behaviour team closed the case without telling me.",
    "I pay my rent on time every month.",
    "Since Easter the lift has been out of order twice a week.",
    "Is there any update on my complaint?",
    "I would like compensation for the damaged carpet.",
    "Universal Credit pays my rent directly to you.",
    "The Fire Brigade had to be called last night.",
    "The heating has not worked since October.",
    "Thank you for sorting the boiler so quickly.",
    "I work nights at the Royal Infirmary so mornings are difficult.",
    "The Community Centre was locked again on Saturday.",
    "Gas Safe engineers came but could not get in.",
    "Absolutely disgusting service.",
    "Can I have a Stage 2 review please?",
    "I have been on the Housing Register for six years.",
    "The mould is back in the Bathroom and the Kitchen.",
    "Please do not send anyone on Friday as I am at the Hospital.",
    "The Tenancy Agreement says you will keep the building safe.",
    "Legal Aid said I should complain first.",
    "The new Estate Manager has not replied to anyone.",
    "Happy New Year to all the staff.",
    "I rang at 9am and was on hold for 45 minutes.",
)
CLEAN_FRAMES = CLEAN_FRAMES + FILLER


def _phone(rng: random.Random) -> str:
    """A number from Ofcom's drama ranges, in one of the ways people write numbers."""
    shapes = ("07700 900{n3}", "07700900{n3}", "+44 7700 900{n3}", "0161 496 0{n3}",
              "0113 496 0{n3}", "020 7946 0{n3}", "(0117) 496 0{n3}", "0191 498 0{n3}",
              "07700-900-{n3}", "+447700900{n3}")
    return rng.choice(shapes).format(n3=f"{rng.randint(0, 999):03d}")


def _ref(rng: random.Random) -> str:
    """A reference in one of the shapes landlords use."""
    shapes = ("CMP-{y}-{n5}", "TEN-00{n5}", "R/{n6}", "RA{n7}", "{n7}", "JOB-{n6}",
              "CUS{n6}", "HB/{n6}")
    return rng.choice(shapes).format(y=rng.randint(2023, 2026), n5=f"{rng.randint(0, 99999):05d}",
                                     n6=f"{rng.randint(100000, 999999)}",
                                     n7=f"{rng.randint(1000000, 9999999)}")


def _ni(rng: random.Random) -> str:
    """A National Insurance number with a prefix HMRC could issue."""
    first, second = "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
    digits = f"{rng.randint(0, 999999):06d}"
    body = f"{rng.choice(first)}{rng.choice(second)}"
    if body in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
        body = "JH"
    spaced = rng.random() < 0.5
    sep = " " if spaced else ""
    return sep.join((body, digits[:2], digits[2:4], digits[4:], rng.choice("ABCD")))


class MessageFactory:
    """Fill frames with faker en_GB values; returns text plus gold spans."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.fillers: dict[str, tuple[str, Callable[[], str]]] = {
            "PERSON": ("PERSON", self._person),
            "FIRST": ("PERSON", self.fake.first_name),
            "STAFF": ("PERSON", self._title_name),
            "ADDRESS": ("ADDRESS", self._address),
            "BUILDING": ("ADDRESS", self._building),
            "POSTCODE": ("POSTCODE", self._postcode),
            "PHONE": ("PHONE", lambda: _phone(self.rng)),
            "EMAIL": ("EMAIL", self._email),
            "DOB": ("DATE_OF_BIRTH", self._dob),
            "ACCOUNT_REF": ("ACCOUNT_REF", lambda: _ref(self.rng)),
            "NI_NUMBER": ("NI_NUMBER", lambda: _ni(self.rng)),
            "SORT_CODE": ("BANK_DETAILS", lambda: "-".join(
                f"{self.rng.randint(0, 99):02d}" for _ in range(3))),
            "BANK_ACCOUNT": ("BANK_DETAILS", lambda: f"{self.rng.randint(10000000, 99999999)}"),
            "TOWN": ("ADDRESS", lambda: self.rng.choice(_TOWNS)),
            "HANDLE": ("", lambda: self.rng.choice(("OakfieldHomes", "MarshHousing", "Landlord"))),
        }

    def _person(self) -> str:
        return f"{self.fake.first_name()} {self.fake.last_name()}"

    def _title_name(self) -> str:
        title = self.rng.choice(("Mr", "Mrs", "Ms", "Miss", "Dr", "Cllr"))
        return f"{title} {self.fake.last_name()}"

    def _stem(self) -> str:
        return self.fake.last_name() if self.rng.random() < 0.5 else self.rng.choice(_STEMS)

    def _street(self) -> str:
        return f"{self._stem()} {self.rng.choice(_SUFFIXES)}"

    def _building(self) -> str:
        kinds = ("House", "Court", "Tower", "Lodge", "Heights", "Point")
        return f"{self._stem()} {self.rng.choice(kinds)}"

    def _address(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return f"{self.fake.building_number()} {self._street()}"
        if roll < 0.75:
            return f"Flat {self.rng.randint(1, 120)}, {self._building()}"
        if roll < 0.9:
            return (f"flat {self.rng.randint(1, 40)}{self.rng.choice(('', 'a', 'b'))} "
                    f"{self._building()}, {self._street()}")
        return f"{self.fake.building_number()} {self._street()}".lower()

    def _postcode(self) -> str:
        code = self.fake.postcode()
        roll = self.rng.random()
        if roll < 0.15:
            return code.replace(" ", "")
        if roll < 0.3:
            return code.lower()
        return code

    def _email(self) -> str:
        user = f"{self.fake.first_name()}.{self.fake.last_name()}".lower()
        return f"{user}@{self.rng.choice(('example.com', 'example.org', 'example.net'))}"

    def _dob(self) -> str:
        born = self.fake.date_of_birth(minimum_age=18, maximum_age=90)
        return self.rng.choice((born.strftime("%d/%m/%Y"), born.strftime("%-d %B %Y")))

    def message(self, index: int) -> dict[str, Any]:
        """One labelled line."""
        spans: list[dict[str, Any]]
        if self.rng.random() < 0.12:
            text, spans = self.rng.choice(CLEAN_FRAMES), []
        else:
            text, spans = self._fill(self.rng.choice(FRAMES))
        before = " ".join(self.rng.sample(FILLER, self.rng.randint(0, 2)))
        after = " ".join(self.rng.sample(FILLER, self.rng.randint(0, 2)))
        if before:
            shift = len(before) + 1
            text = f"{before} {text}"
            spans = [{**sp, "start": sp["start"] + shift, "end": sp["end"] + shift} for sp in spans]
        if after:
            text = f"{text} {after}"
        if self.rng.random() < 0.15:
            text, spans = self._lower(text, spans)
        return {"id": f"synth-{index}", "channel": self.rng.choice(("email", "social", "telegram")),
                "public": self.rng.random() < 0.3, "received_at": "2026-11-01T09:00:00Z",
                "subject": None, "sender": None, "text": text,
                "gold": {"route": "other", "flags": [], "pii": spans}}

    def _fill(self, frame: str) -> tuple[str, list[dict[str, Any]]]:
        out: list[str] = []
        spans: list[dict[str, Any]] = []
        pos = 0
        length = 0
        for match in _SLOT.finditer(frame):
            literal = frame[pos : match.start()]
            out.append(literal)
            length += len(literal)
            kind, make = self.fillers[match.group(1)]
            value = make()
            if kind:
                spans.append({"start": length, "end": length + len(value), "type": kind})
            out.append(value)
            length += len(value)
            pos = match.end()
        out.append(frame[pos:])
        return "".join(out), spans

    @staticmethod
    def _lower(text: str, spans: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        """Phone-typed variant: lower case, same offsets (lower() keeps lengths for ASCII)."""
        lowered = text.lower()
        return (lowered, spans) if len(lowered) == len(text) else (text, spans)


def generate(n: int, seed: int) -> list[dict[str, Any]]:
    """`n` labelled lines from `seed`."""
    factory = MessageFactory(seed)
    return [factory.message(i) for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    with args.out.open("w", encoding="utf-8") as fh:
        for line in generate(args.n, args.seed):
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{args.n} lines written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
