"""The rule vocabularies: phrases a complaints officer would recognise, grouped by what they signal.

Each group has an explanation written for staff (shown in the triage reasons) and a list of
phrases. Phrases are matched on lemmas (see `triage.nlp`), so "leaking", "leaked" and "leaks"
all meet "leak". Groups signal a route cue or a flag; the statistical model weighs route cues
together with the words of the message, while flag groups feed the flag detector.

Keep phrases general (words any resident might use), never copied from individual training
lines: the acceptance messages are written by other people.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleGroup:
    """A named vocabulary: what it means (for staff) and the phrases that express it."""

    name: str
    meaning: str
    phrases: tuple[str, ...]


LEGAL_CLAIM = RuleGroup(
    "legal_claim",
    "says a legal claim is already under way (letter of claim, protocol, court or insurers)",
    (
        "letter of claim", "letter before claim", "letter before action", "pre-action protocol",
        "pre action protocol", "preaction protocol", "particulars of claim", "claim form",
        "issued proceedings", "proceedings have been issued", "issued a claim",
        "claim has been issued", "claim was issued", "court claim", "claim at court",
        "claim in the county court", "county court", "sealed claim", "small claims court",
        "small claims", "disrepair claim", "housing conditions claim", "housing disrepair claim",
        "we act for", "we are instructed", "we have been instructed", "we represent",
        "our client", "our clients", "on behalf of our client", "instructed by",
        "insurance claim", "claim on your insurance", "claim with your insurer",
        "your insurers", "your insurer", "passed to your insurers", "passed to insurers",
        "public liability claim", "public liability", "personal injury claim",
        "claim reference", "our reference", "without prejudice", "fitness for human habitation",
        "landlord and tenant act", "section 11", "expert surveyor", "single joint expert",
        "no win no fee", "claims management", "legal proceedings", "court proceedings",
        "court hearing", "hearing date", "tribunal", "my solicitor has sent",
        "my solicitors have sent", "solicitor has written", "solicitors have written",
    ),
)

LEGAL_THREAT = RuleGroup(
    "legal_threat",
    "mentions solicitors, court or the Ombudsman (a threat alone is still a complaint)",
    (
        "solicitor", "solicitors", "lawyer", "legal action", "legal advice", "take you to court",
        "sue", "ombudsman", "housing ombudsman", "my mp", "local mp", "councillor",
        "environmental health", "trading standards", "the press", "the papers", "bbc",
        "go public", "local paper",
    ),
)

ASB = RuleGroup(
    "asb",
    "reports anti-social behaviour by a neighbour or visitor",
    (
        "anti-social", "antisocial", "anti social", "asb", "loud music", "music blaring",
        "thumping music", "party", "parties", "shouting", "screaming", "banging", "noise",
        "noisy", "stamping", "drug", "drugs", "dealing", "dealer", "dealers", "cannabis", "weed",
        "skunk", "smell of weed", "dog fouling", "dog mess", "dog poo", "barking",
        "harass", "harassment", "harassing", "intimidate", "intimidating", "threaten",
        "threatened me", "abuse me", "abused me", "verbal abuse", "racial abuse", "vandal",
        "vandalism", "vandalised", "graffiti", "smashed", "fly-tipping", "fly tipping",
        "flytipping", "dumped", "revving", "motorbike", "motorbikes", "fighting", "fight",
        "drunk", "drinking", "youths", "gang", "kids hanging around", "hanging around",
        "loitering", "urinating", "peeing", "nuisance", "the neighbour", "my neighbour",
        "next door", "upstairs", "downstairs", "the flat above", "the flat below",
        "other residents", "another resident", "their visitors", "cctv", "diary sheets",
    ),
)

ESCALATION = RuleGroup(
    "escalation",
    "asks for a complaint response to be reviewed at stage 2",
    (
        "stage 2", "stage two", "stage ii", "second stage", "next stage", "escalate",
        "escalation", "escalated", "review of my complaint", "review my complaint",
        "complaint reviewed", "review the decision", "review of the decision",
        "review the outcome", "stage 1 response", "stage one response", "stage 1 letter",
        "stage 1 outcome", "stage one outcome", "stage 1 decision", "first stage response",
        "complaint response", "your response to my complaint", "response to my complaint",
        "outcome of my complaint", "your decision", "the outcome", "take it further",
        "take this further", "taken further", "review panel", "appeal",
        "not satisfied with the response", "not happy with the response",
        "unhappy with the response", "not happy with your response",
        "unhappy with your response", "not satisfied with your response", "peer review",
    ),
)

COMPLIMENT = RuleGroup(
    "compliment",
    "praises the landlord or its staff",
    (
        "thank you", "thanks so much", "thank you so much", "many thanks", "big thanks",
        "huge thanks", "brilliant", "excellent", "fantastic", "amazing", "well done",
        "great job", "lovely job", "good job", "credit to", "a credit", "impressed",
        "grateful", "above and beyond", "pleasure", "superb", "spotless", "so helpful",
        "really helpful", "very helpful", "polite", "friendly", "kind", "shout out",
        "shoutout", "praise", "compliment", "happy with the work", "pleased with",
        "delighted", "five stars", "5 stars", "top notch", "professional",
    ),
)

OTHER = RuleGroup(
    "other",
    "looks like spam, another organisation's business or an employment matter",
    (
        "council tax", "parking fine", "parking ticket", "pcn", "penalty charge", "gp",
        "doctor's surgery", "job application", "apply for the job", "apply for the role",
        "vacancy", "vacancies", "my cv", "cv attached", "interview", "payslip", "my manager",
        "line manager", "my grievance", "grievance", "disciplinary", "annual leave",
        "sick pay", "holiday pay", "my contract of employment", "unsubscribe", "click here",
        "click the link", "verify your account", "crypto", "bitcoin", "investment opportunity",
        "seo", "marketing services", "web design", "backlinks", "prize", "you have won",
        "lottery", "gift card", "viagra", "casino", "loan offer", "wrong organisation",
        "wrong company", "wrong email", "wrong landlord", "not your tenant", "private landlord",
        "letting agent", "universal credit", "dwp", "benefits office", "tv licence",
        "dvla", "hmrc", "bin collection", "recycling centre", "pothole", "street light",
        "streetlight", "school admissions", "bus", "train",
    ),
)

MINOR = RuleGroup(
    "minor",
    "describes a minor grievance without asking for a formal complaint",
    (
        "not a formal complaint", "not a complaint", "don't want to complain",
        "do not want to complain", "don't want to make a complaint",
        "do not want to make a complaint", "not making a complaint", "no need to log",
        "no need to make a complaint", "no need for a complaint", "just letting you know",
        "just to let you know", "just a heads up", "heads up", "bit annoying",
        "a bit annoyed", "slightly annoyed", "not the end of the world", "would have been nice",
        "would be nice", "bit disappointed", "a little disappointed", "minor", "small thing",
        "only a small", "can someone sort", "can you sort", "sort it out", "no big deal",
        "just wanted to mention", "just flagging", "for your info", "fyi",
        "bit of a pain", "a bit late", "bit late", "running late", "slightly late",
        "missed this week", "forgot", "left a mess", "didn't tidy", "didn't clean up",
    ),
)

FORMAL = RuleGroup(
    "formal",
    "asks for a formal response, investigation, compensation or names an impact",
    (
        "formal", "formally", "investigate", "investigation", "look into", "compensation",
        "compensate", "refund", "reimburse", "reimbursement", "goodwill", "unacceptable",
        "disgusting", "disgraceful", "appalling", "shocking", "ridiculous", "a joke",
        "fed up", "sick of", "sick and tired", "had enough", "let down", "ignored", "ignore",
        "nobody", "no one", "no-one", "never", "still", "again", "chased", "chasing",
        "third time", "fourth time", "several times", "many times", "numerous", "repeatedly",
        "weeks", "months", "no show", "no-show", "didn't turn up", "did not turn up",
        "never turned up", "never came", "missed appointment", "missed appointments",
        "cancelled", "rude", "attitude", "hung up", "put the phone down", "lied",
        "not good enough", "poor service", "terrible", "useless", "want answers",
        "want an explanation", "explain why", "apology", "apologise", "accountable",
    ),
)

REQUEST = RuleGroup(
    "request",
    "asks for a repair, visit, information or a form",
    (
        "could you", "can you", "can someone", "please could", "would you", "book",
        "booking", "appointment", "arrange", "send someone", "come and look", "come out",
        "repair", "fix", "report", "reporting", "how do i", "how can i", "where can i",
        "what do i", "is it possible", "i would like to", "i'd like to", "request",
        "apply", "form", "transfer", "mutual exchange", "rent statement", "direct debit",
        "pay my rent", "rent account", "balance", "quote", "permission", "information",
        "let me know", "when will", "what time", "any update", "update on",
    ),
)

HEALTH_SAFETY = RuleGroup(
    "health_safety",
    "describes a risk to health or safety",
    (
        "gas smell", "smell of gas", "smell gas", "smells of gas", "gas leak", "leaking gas",
        "carbon monoxide", "co alarm", "co detector", "exposed wire", "exposed wires",
        "bare wires", "live wire", "sparking", "sparks", "electric shock", "shock",
        "electrics", "electrical fault", "burning smell", "smell of burning", "fuse box",
        "fuse keeps tripping", "tripping", "water through the light", "light fitting",
        "light fittings", "water in the light", "no heating", "no heat", "heating not working",
        "heating has broken", "heating broken", "boiler broken", "no hot water", "freezing",
        "damp", "mould", "mouldy", "black mould", "condensation", "asthma", "breathing",
        "chest infection", "chesty", "wheezing", "respiratory", "lungs", "fire door",
        "fire doors", "smoke alarm", "smoke alarms", "fire alarm", "fire alarms",
        "fire escape", "fire exit", "fire risk", "fire hazard", "asbestos", "collapse",
        "collapsed", "collapsing", "ceiling fell", "ceiling came down", "ceiling has come down",
        "ceiling is bowing", "bowing", "structural", "subsidence", "crumbling", "falling down",
        "handrail", "banister", "broken stair", "broken step", "loose step", "trip hazard",
        "tripped", "fell down", "fell over", "had a fall", "slipped", "injured", "injury",
        "hurt", "a&e", "hospital", "lift broken", "lift not working", "lift is broken",
        "wheelchair", "oxygen", "rat", "rats", "mice", "mouse", "vermin", "cockroach",
        "cockroaches", "bed bugs", "infestation", "droppings", "sewage", "raw sewage",
        "legionella", "unsafe", "dangerous", "danger", "hazard", "hazardous", "risk to life",
        "broken window", "window won't lock", "door won't lock", "can't lock", "security",
        "glass", "smashed window", "flooding", "flooded", "ceiling leaking", "leaking through",
        "pregnant", "newborn", "baby", "elderly", "disabled", "ill", "illness", "sick",
        "poorly", "health", "unwell",
        # The 29 hazards of the Housing Health and Safety Rating System, in residents' words.
        "excess cold", "cold", "freezing cold", "storage heater", "storage heaters",
        "no electric", "no electricity", "no power", "power cut", "consumer unit",
        "fumes", "exhaust fumes", "smoke", "overheating", "too hot", "lead pipes",
        "radon", "needles", "syringe", "hole", "open hole", "uncovered", "leaning",
        "unstable", "loose", "crack", "cracks", "cracking", "getting wider", "bulging",
        "no lighting", "lights out", "pitch black", "pitch dark", "in the dark", "dark",
        "slippery", "slippy", "icy", "ice", "no water", "water supply", "contaminated",
        "brown water", "drinking water", "no toilet", "toilet not working", "blocked toilet",
        "overflowing", "buckets", "bucket", "pouring in", "burst pipe", "pipe burst",
        "front door lock", "no lock", "unsecured", "insecure", "intruder", "burglar",
        "break in", "broken into", "scald", "scalding", "burn", "burns", "hot surface",
        "trapped", "stuck", "stuck inside", "housebound", "can't get out", "fall", "falls",
        "nearly fell", "could fall", "someone will get hurt", "going to get hurt",
        "accident waiting to happen", "ramp", "stairlift", "grab rail", "mobility",
        "oxygen tank", "copd", "heart condition", "cancer", "chemo", "dialysis", "frail",
    ),
)

SAFEGUARDING = RuleGroup(
    "safeguarding",
    "suggests someone may be at risk of harm, abuse or neglect",
    (
        "domestic abuse", "domestic violence", "my partner hit", "he hit me", "she hit me",
        "hits me", "beat me", "beats me", "controlling", "coercive", "ex partner",
        "ex-partner", "my ex", "scared of him", "scared of her", "afraid of him",
        "afraid for my life", "fear for my safety", "fear for my life", "not safe at home",
        "self-harm", "self harm", "harm myself", "hurt myself", "suicidal", "suicide",
        "kill myself", "end it all", "end my life", "don't want to be here",
        "do not want to be here", "no point going on", "can't go on", "cannot go on",
        "can't cope", "cannot cope", "not coping", "struggling to cope", "breaking down",
        "mental health", "crisis", "cuckooing", "cuckoo", "taken over my flat",
        "taking over his flat", "taking over her flat", "exploited", "exploiting",
        "exploitation", "groomed", "grooming", "county lines", "neglect", "neglected",
        "left alone", "kids left", "children left", "child left", "no food", "not eating",
        "hasn't eaten", "dementia", "confused", "vulnerable", "vulnerable adult",
        "safeguarding", "social services", "social worker", "at risk", "financial abuse",
        "taking his money", "taking her money", "taking my money", "hoarding", "abuse",
        "abused", "abusive partner", "bruises", "bruised", "screaming child", "child crying",
    ),
)

ABUSIVE = RuleGroup(
    "abusive",
    "contains abusive, threatening or obscene language aimed at staff",
    (
        "fuck", "fucking", "f***", "f****", "f***ing", "fking", "fkn", "effing", "shit",
        "shite", "bullshit", "bastard", "bastards", "wanker", "wankers", "twat", "twats",
        "cunt", "cunts", "dickhead", "dickheads", "arsehole", "arseholes", "asshole", "prick",
        "pricks", "scum", "scumbag", "scumbags", "bitch", "moron", "morons", "idiot", "idiots",
        "clown", "clowns", "muppet", "muppets", "parasite", "parasites", "vermin", "pathetic",
        "useless", "incompetent", "brain dead", "thick", "retard", "retarded",
        "i know where you live", "watch your back", "you'll regret", "you will regret",
        "i'll find you", "i will find you", "come down there", "i'll come down",
        "sort you out", "smash your", "burn", "kill", "punch", "deserve to die",
        "go to hell", "rot in hell", "shut up", "piss off", "get lost", "disgrace",
    ),
)

THIRD_PARTY = RuleGroup(
    "third_party",
    "written for the customer by someone else (MP, councillor, advocate, relative, carer)",
    (
        "on behalf of", "on her behalf", "on his behalf", "on their behalf", "behalf",
        "my constituent", "constituent", "constituents", "councillor", "cllr", "mp",
        "member of parliament", "caseworker", "case worker", "advocate", "advocacy",
        "support worker", "key worker", "social worker", "carer", "care worker", "i care for",
        "i look after", "we act for", "our client", "my client", "with her permission",
        "with his permission", "with their consent", "her consent", "his consent",
        "my mum", "my mother", "my mam", "my dad", "my father", "my nan", "my gran",
        "my grandmother", "my grandad", "my grandfather", "my aunt", "my uncle",
        "my sister", "my brother", "my daughter", "my son", "my elderly", "my friend",
        "my neighbour", "the tenant", "your tenant", "her flat", "his flat", "her home",
        "his home", "their flat", "their home", "she is", "he is", "she has", "he has",
        "she can't", "he can't", "writing for", "writing about my", "she asked me",
        "he asked me", "asked me to write", "asked me to contact",
    ),
)

ROUTE_GROUPS: tuple[RuleGroup, ...] = (
    LEGAL_CLAIM, LEGAL_THREAT, ASB, ESCALATION, COMPLIMENT, OTHER, MINOR, FORMAL, REQUEST,
)
FLAG_GROUPS: tuple[RuleGroup, ...] = (HEALTH_SAFETY, SAFEGUARDING, ABUSIVE, THIRD_PARTY)
ALL_GROUPS: tuple[RuleGroup, ...] = ROUTE_GROUPS + FLAG_GROUPS
