"""The hand-written development sets parse, their labels are the scorer's, and their pattern values are valid."""
import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

SETS = ["pii_dev_prose", "pii_dev_context", "pii_dev_people", "pii_dev_articles", "pii_dev_social",
        "pii_dev_support"]


@pytest.mark.parametrize("name", SETS)
def test_each_development_set_parses_into_labelled_records_with_the_scorers_labels(name):
    from pii_heldout import metrics

    module = importlib.import_module(name)
    parse = importlib.import_module("pii_dev_prose").parse
    tune, check = parse(module.TUNE), parse(module.CHECK)
    assert tune and check
    for record in tune + check:
        for span in record["spans"]:
            value = record["text"][span["start"]:span["end"]]
            assert span["type"] in metrics.LABELS and value.strip() == value and value, (name, value)
    assert not {r["text"] for r in tune} & {r["text"] for r in check}, "a record in both parts"


def test_the_markup_takes_short_and_full_labels_and_refuses_what_it_cannot_read():
    from pii_dev_prose import parse

    [record] = parse("Call {Ana Lima|P} on {+44 20 7946 0321|PHONE_NUMBER} in {Leeds|L}.")
    assert record["text"] == "Call Ana Lima on +44 20 7946 0321 in Leeds."
    assert [(s["type"], record["text"][s["start"]:s["end"]]) for s in record["spans"]] == [
        ("PERSON", "Ana Lima"), ("PHONE_NUMBER", "+44 20 7946 0321"), ("LOCATION", "Leeds")]
    with pytest.raises(ValueError, match="unbalanced markup"):
        parse("Call {Ana Lima|NAME} today")  # not a label the scorer knows


def test_the_support_sets_card_numbers_pass_luhn_and_its_ibans_mod_97():
    from pii_dev_prose import parse
    from pii_dev_support import CHECK, TUNE

    def luhn(digits: str) -> bool:
        total = sum(int(d) if k % 2 == 0 else sum(divmod(int(d) * 2, 10)) for k, d in enumerate(reversed(digits)))
        return total % 10 == 0

    def mod97(iban: str) -> bool:
        moved = iban[4:] + iban[:4]
        return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1

    values = {"CREDIT_CARD": [], "IBAN_CODE": []}
    for record in parse(TUNE) + parse(CHECK):
        for span in record["spans"]:
            if span["type"] in values:
                values[span["type"]].append("".join(ch for ch in record["text"][span["start"]:span["end"]]
                                                    if ch.isalnum()).upper())
    assert values["CREDIT_CARD"] and all(luhn(v) for v in values["CREDIT_CARD"])
    assert values["IBAN_CODE"] and all(mod97(v) for v in values["IBAN_CODE"])
