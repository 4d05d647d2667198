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

from stillroom.errors import ConfigError

PACKAGE = "spacy_lookups_data"
TABLE = "data/en_lexeme_prob.json.gz"
# A word counts as one people capitalise when its capitalised form is at least e (2.7) times as frequent as its
# lower-case form: "london" (15x), "lagos" (13x), "soweto" (lower case unseen) but not "reading" (1/15), "derby".
MARGIN = 1.0


def capitalised_more_often(word: str, unseen: bool = True) -> bool:
    """Whether ``word`` (lower case) is written capitalised at least ``e`` times as often as in lower case.

    A word the table has in neither form is no English word either: ``unseen`` says whether it counts (a rare
    place name) or not (in a record in another language most words are unseen).
    """
    table = log_probabilities()
    lower, capital = table.get(word), table.get(word[:1].upper() + word[1:])
    if lower is None and capital is None:
        return unseen
    floor = table_floor()
    return (floor if capital is None else capital) - (floor if lower is None else lower) >= MARGIN


def lower_case_more_often(word: str) -> bool:
    """Whether ``word`` (lower case) is written in lower case at least ``e`` times as often as capitalised."""
    table = log_probabilities()
    lower, capital = table.get(word), table.get(word[:1].upper() + word[1:])
    return lower is not None and lower - (table_floor() if capital is None else capital) >= MARGIN


def check_installed() -> None:
    """Refuse, before any record is read, a scrubber whose casing table is missing (it loads on first use)."""
    _table()


@cache
def log_probabilities() -> dict[str, float]:
    """The table, loaded once per process (about 1.5 s, on first use)."""
    return json.loads(gzip.decompress(_table().read_bytes()))


def _table():
    try:
        table = resources.files(PACKAGE).joinpath(TABLE)
    except ModuleNotFoundError:
        table = None
    if table is None or not table.is_file():
        raise ConfigError("scrubber presidio: the accurate profile reads word casing from the spacy-lookups-data "
                          "package, which is not installed; run make setup")
    return table


@cache
def table_floor() -> float:
    """The lowest log-probability in the table: what an unseen form is given."""
    return min(log_probabilities().values())
