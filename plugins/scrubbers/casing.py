"""How people write a word: capitalised, or in lower case.

A listed place in lower case ("landed in lagos") is a place when people write
the word capitalised far more often than not, and an ordinary word when they
do not ("reading", "bath", "split", "nice", "mobile"). The evidence is the
log-probability spaCy v2 kept for each cased word form, the ``en_lexeme_prob``
table of ``spacy-lookups-data`` 1.0.5 (MIT; installed by ``make setup`` with
its sha256 pinned, ``requirements/pii-model.txt``): one million word forms,
"London" and "london" counted apart. Only its data file is read; spaCy is not
asked to load it.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from stillroom.errors import ConfigError

PACKAGE = "spacy_lookups_data"
TABLE = "data/en_lexeme_prob.json.gz"
# A word counts as one people capitalise when its capitalised form is at least e (2.7) times as frequent as its
# lower-case form: "london" (15x), "lagos" (13x), "soweto" (lower case unseen) but not "reading" (1/15), "derby".
MARGIN = 1.0
CAPITALISED, EITHER, LOWER_CASE = 1, 0, -1  # how people write a word, as casings() keeps it


def capitalised_more_often(word: str, unseen: bool = True) -> bool:
    """Whether ``word`` (lower case) is written capitalised at least ``e`` times as often as in lower case.

    A word the table has in neither form is no English word either: ``unseen`` says whether it counts (a rare
    place name) or not (in a record in another language most words are unseen).
    """
    how = casings().get(word)
    return unseen if how is None else how == CAPITALISED


def lower_case_more_often(word: str) -> bool:
    """Whether ``word`` (lower case) is written in lower case at least ``e`` times as often as capitalised."""
    return casings().get(word) == LOWER_CASE


def check_installed() -> None:
    """Refuse, before any record is read, a scrubber whose casing table is missing (it loads on first use)."""
    _table()


@cache
def casings() -> dict[str, int]:
    """Each word of letters the table has in lower case or capitalised -> how people write it, once per process.

    Kept as one small number per word (about 380,000 words, 40 MB) rather than the table's million cased
    forms (about 200 MB); loading takes a few seconds, on first use.
    """
    table: dict[str, float] = json.loads(gzip.decompress(_table().read_bytes()))
    floor = min(table.values())  # what an unseen form is given
    forms: dict[str, list[float]] = {}
    for form, logprob in table.items():
        if form.isalpha() and (form.islower() or form.istitle()):
            forms.setdefault(form.lower(), [floor, floor])[form.istitle()] = logprob
    return {word: CAPITALISED if capital - lower >= MARGIN else LOWER_CASE if lower - capital >= MARGIN else EITHER
            for word, (lower, capital) in forms.items()}


def _table() -> Traversable:
    try:
        table = resources.files(PACKAGE).joinpath(TABLE)
    except ModuleNotFoundError:
        table = None
    if table is None or not table.is_file():
        raise ConfigError("scrubber presidio: the accurate profile reads word casing from the spacy-lookups-data "
                          "package, which is not installed; run make setup")
    return table
