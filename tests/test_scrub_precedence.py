"""A validated pattern span (IP, SSN, card with Luhn, IBAN mod-97, e-mail, parsed phone) wins the
text it covers from a model's or gazetteer's span of another type. Hand-built cases only."""

import pytest

from stillroom.artifacts import ArtifactStore
from stillroom.components import Context
from stillroom.plugins.scrubbers.precedence import apply
from stillroom.plugins.scrubbers.presidio import PresidioScrubber


def cut(text, validated, guesses):
    return sorted((entity, text[start:end]) for entity, start, end, _ in apply(text, validated, guesses))


def at(text, entity, value, score):
    start = text.index(value)
    return (entity, start, start + len(value), score)


def test_a_model_guess_of_another_type_gives_way_to_a_validated_ip_whatever_its_score():
    text = "failed logins from 172.26.156.135 today"
    assert cut(text, [at(text, "IP_ADDRESS", "172.26.156.135", 0.6)],
               [at(text, "NATIONAL_ID", "172.26.156.135", 0.99)]) == [("IP_ADDRESS", "172.26.156.135")]


def test_a_longer_guess_keeps_what_lies_outside_the_validated_span():
    text = "Ship to 12 Rue Cler, tél 01 42 68 53 00, Paris"
    guess = at(text, "STREET_ADDRESS", "12 Rue Cler, tél 01 42 68 53 00, Paris", 0.9)
    assert cut(text, [at(text, "PHONE_NUMBER", "01 42 68 53 00", 0.6)], [guess]) == [
        ("PHONE_NUMBER", "01 42 68 53 00"), ("STREET_ADDRESS", "12 Rue Cler, tél"), ("STREET_ADDRESS", "Paris")]


def test_a_piece_with_no_letter_or_digit_left_is_dropped():
    text = "card: 4111 1111 1111 1111."
    assert cut(text, [at(text, "CREDIT_CARD", "4111 1111 1111 1111", 0.5)],
               [at(text, "PHONE_NUMBER", "4111 1111 1111 1111.", 0.95)]) == [("CREDIT_CARD", "4111 1111 1111 1111")]


def test_a_guess_of_the_same_type_is_left_for_combine_to_unite():
    text = "call +44 20 7946 0958 ext 12"
    same = at(text, "PHONE_NUMBER", "+44 20 7946 0958 ext 12", 0.9)
    assert cut(text, [at(text, "PHONE_NUMBER", "+44 20 7946 0958", 0.6)], [same]) == [
        ("PHONE_NUMBER", "+44 20 7946 0958"), ("PHONE_NUMBER", "+44 20 7946 0958 ext 12")]


@pytest.mark.parametrize(("stronger", "weaker"), [
    ("IP_ADDRESS", "PHONE_NUMBER"), ("IBAN_CODE", "PHONE_NUMBER"), ("CREDIT_CARD", "PHONE_NUMBER"),
    ("EMAIL_ADDRESS", "IP_ADDRESS"), ("US_SSN", "PHONE_NUMBER"),
])
def test_of_two_validated_types_the_stronger_wins_in_either_order(stronger, weaker):
    text = "value 10.208.121.79 end"
    a, b = at(text, stronger, "10.208.121.79", 0.5), at(text, weaker, "10.208.121.79", 0.9)
    assert cut(text, [a, b], []) == cut(text, [b, a], []) == [(stronger, "10.208.121.79")]


def test_guesses_that_touch_no_validated_span_are_untouched():
    text = "Dear Ana Souza, your IBAN DE89 3704 0044 0532 0130 00"
    person = at(text, "PERSON", "Ana Souza", 0.7)
    iban = at(text, "IBAN_CODE", "DE89 3704 0044 0532 0130 00", 0.5)
    assert cut(text, [iban], [person]) == [("IBAN_CODE", "DE89 3704 0044 0532 0130 00"), ("PERSON", "Ana Souza")]


# -- through the scrubber -------------------------------------------------------------------


@pytest.fixture(scope="module", params=["accurate", "fast"])
def scrubber(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("ws")
    ctx = Context(workspace=root, artifacts=ArtifactStore(root / "artifacts"), secret=b"k" * 32)
    component = PresidioScrubber({"workers": 1, "profile": request.param}, ctx)
    yield component
    component.close()


@pytest.mark.parametrize(("text", "value", "entity"), [
    ("COOKE Katy: repeated failed logins from 195.137.2.91 and 10.208.121.79 against the account",
     "10.208.121.79", "IP_ADDRESS"),
    ("la banque signale une connexion suspecte depuis 172.26.36.188, merci", "172.26.36.188", "IP_ADDRESS"),
    ("Transaction with 4001-4292-0566-9908 from IP 192.168.128.37; cardholder notified", "192.168.128.37",
     "IP_ADDRESS"),
    ("Patient SSN 536-22-8114 on file", "536-22-8114", "US_SSN"),
    ("Refund to NL91 ABNA 0417 1643 00 please", "NL91 ABNA 0417 1643 00", "IBAN_CODE"),
])
def test_the_scrubber_types_a_validated_value_by_its_validator(scrubber, text, value, entity):
    spans = scrubber.find([text])[0]
    covering = [s for s in spans if s.start < text.index(value) + len(value) and s.end > text.index(value)]
    assert [(s.type, text[s.start:s.end]) for s in covering] == [(entity, value)]
