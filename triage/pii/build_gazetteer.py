"""Build the name gazetteers shipped in `triage/pii/data/` from faker's person providers.

Why a build step: faker is a development dependency only, so the service must not import it at
run time; the lists are written once (deterministically: sorted, de-duplicated) and committed.
Run `python -m triage.pii.build_gazetteer` after upgrading faker.

The locales cover the names that social-housing residents in England actually have (British,
Irish, South Asian, West and East African, Polish, Romanian, Lithuanian, Portuguese, Turkish,
Somali-adjacent Arabic transliterations appear in en_PK/en_IN/en_NG lists), not only en_GB's
few hundred. Only Latin-script names are kept; accented forms are also stored unaccented
because people type without accents.
"""

from __future__ import annotations

import importlib
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

LOCALES = (
    "en_GB", "en_US", "en_IE", "en_IN", "en_PK", "en_NG", "en_KE", "en_NZ", "ga_IE", "yo_NG",
    "ig_NG", "ha_NG", "tw_GH", "zu_ZA", "sw", "pl_PL", "ro_RO", "lt_LT", "lv_LV", "pt_PT",
    "pt_BR", "tr_TR", "it_IT", "es_ES", "fr_FR", "de_DE", "cs_CZ", "sk_SK", "hu_HU", "hr_HR",
    "sl_SI", "nl_NL", "sv_SE", "da_DK", "no_NO", "fi_FI", "et_EE", "id_ID", "vi_VN", "az_AZ",
    "uz_UZ", "sq_AL",
)

def _fold(name: str) -> str:
    """Strip accents: "Zoë" -> "Zoe", "Łukasz" stays "Łukasz" minus combining marks only."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ł", "l").replace(
        "Ł", "L")


def _latin(name: str) -> bool:
    """Only Latin letters: the lists must match what is typed in English-language messages."""
    return all(c.isascii() or "LATIN" in unicodedata.name(c, "") for c in name if c.isalpha())


# English-speaking locales: a name from these alone at the start of a sentence is trusted.
CORE_LOCALES = ("en_GB", "en_US", "en_IE", "en_NZ")


def _names(attr_groups: tuple[str, ...], locales: tuple[str, ...] = LOCALES) -> set[str]:
    """Every single-word, Latin-script, capitalised name in those provider attributes."""
    found: set[str] = set()
    for locale in locales:
        try:
            module = importlib.import_module(f"faker.providers.person.{locale}")
        except ImportError:
            continue
        provider = module.Provider
        for attr in attr_groups:
            values = getattr(provider, attr, None)
            if not values:
                continue
            for raw in values:
                for part in str(raw).replace("-", " ").split():
                    if len(part) < 2 or not part[0].isupper() or not _latin(part):
                        continue
                    if not part.replace("'", "").isalpha():
                        continue
                    found.add(part)
                    found.add(_fold(part))
    return found


def build() -> dict[str, int]:
    """Write first_names(_core).txt and surnames.txt; return their sizes.

    Ordinary words that are also names ("Grace", "Will", "Brown") stay in the lists: whether
    such a word is a name depends on its position, which the recognizer judges at run time.
    """
    firsts = {n for n in _names(("first_names", "first_names_male", "first_names_female",
                                 "first_names_nonbinary"))}
    lasts = {n for n in _names(("last_names", "last_names_male", "last_names_female"))}
    core = _names(("first_names", "first_names_male", "first_names_female"), CORE_LOCALES)
    DATA.mkdir(exist_ok=True)
    (DATA / "first_names_core.txt").write_text("\n".join(sorted(core)) + "\n", encoding="utf-8")
    (DATA / "first_names.txt").write_text("\n".join(sorted(firsts)) + "\n", encoding="utf-8")
    (DATA / "surnames.txt").write_text("\n".join(sorted(lasts)) + "\n", encoding="utf-8")
    return {"first_names": len(firsts), "core_first_names": len(core), "surnames": len(lasts)}


if __name__ == "__main__":
    print(build())
