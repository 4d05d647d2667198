"""A labelled PII corpus generated with Faker, and span scoring against it.

The corpus is independent of the scrubber's word lists: names, companies
and places come from Faker's locale data (several English locales, plus real
German and Indian city names), the gazetteers from the US Census and GeoNames.
Scores are character-level: a labelled character counts as found when a
predicted span of the same type covers it (type-aware), or any predicted
span (type-agnostic, "masked": what matters for privacy).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from stillroom.components import Span

TEMPLATES = [
    "My name is {PERSON} and my card number is {CREDIT_CARD}.",
    "Hi, this is {PERSON}. Please call me back on {PHONE_NUMBER}.",
    "Can you send the statement to {EMAIL_ADDRESS}?",
    "I moved to {LOCATION} last month, how do I update my address?",
    "Transfer 200 pounds to {PERSON}, IBAN {IBAN_CODE}, today please.",
    "Why was my payment to {ORGANIZATION} declined?",
    "I logged in from {IP_ADDRESS} but the app says the device is unknown.",
    "My social security number is {US_SSN}.",
    "I was born on {DATE_TIME}, why does the form reject it?",
    "The refund from {ORGANIZATION} has not arrived since {DATE_TIME}.",
    "{PERSON} here, I lost my card {CREDIT_CARD} in {LOCATION}.",
    "Please update my email from {EMAIL_ADDRESS} to {EMAIL_ADDRESS}.",
    "Is {URL} a real page of yours? It asked for my PIN.",
    "I got a text from {PHONE_NUMBER} claiming to be the bank.",
    "My husband {PERSON} needs access to the joint account.",
    "Card {CREDIT_CARD} was charged twice by {ORGANIZATION} on {DATE_TIME}.",
    "I am travelling to {LOCATION} next week, will my card work there?",
    "Send the new card to {PERSON}, {LOCATION}.",
    "Contact {PERSON} at {EMAIL_ADDRESS} or {PHONE_NUMBER} about the dispute.",
    "The payee {PERSON} says the money never reached {IBAN_CODE}.",
    "Someone at {IP_ADDRESS} tried to reset my password on {DATE_TIME}.",
    "I work for {ORGANIZATION} and my salary goes into this account.",
    "Dear team, {PERSON} from {ORGANIZATION} asked me to confirm {US_SSN}.",
    "The link {URL} in your email looks suspicious.",
    "Why did {PERSON} receive my top up instead of me?",
    "{PERSON} and {PERSON} want to open an account together.",
    "I withdrew cash in {LOCATION} and was charged a fee.",
    "Please ring {PHONE_NUMBER} after {DATE_TIME}.",
    "My details: {PERSON}, {EMAIL_ADDRESS}, {PHONE_NUMBER}.",
    "The merchant {ORGANIZATION} in {LOCATION} charged me in euros.",
]

ENTITIES = ("PERSON", "LOCATION", "ORGANIZATION", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD",
            "IBAN_CODE", "IP_ADDRESS", "US_SSN", "DATE_TIME", "URL")
PATTERN_ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN", "DATE_TIME", "URL")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%B %d, %Y", "%d %B %Y", "%b %d, %Y", "%d.%m.%Y")


@dataclass
class Labelled:
    text: str
    spans: list[Span]


def labelled_corpus(n: int, seed: int = 0) -> list[Labelled]:
    """``n`` sentences with their true PII spans, the same for the same seed."""
    from faker import Faker

    rng = random.Random(seed)
    fakes = {loc: Faker(loc) for loc in ("en_US", "en_GB", "en_IE", "en_NZ", "de_DE", "en_IN", "fr_FR")}
    for i, fake in enumerate(fakes.values()):
        fake.seed_instance(seed * 1000 + i)
    makers = _makers(fakes, rng)
    corpus = []
    for _ in range(n):
        template = rng.choice(TEMPLATES)
        text, spans, rest = "", [], template
        while "{" in rest:
            before, _, after = rest.partition("{")
            entity, _, rest = after.partition("}")
            text += before
            value = makers[entity]()
            spans.append(Span(entity, len(text), len(text) + len(value), 1.0))
            text += value
        corpus.append(Labelled(text + rest, spans))
    return corpus


def _makers(fakes, rng: random.Random) -> dict[str, Callable[[], str]]:
    english = [fakes[k] for k in ("en_US", "en_GB", "en_IE", "en_NZ")]

    def person() -> str:
        fake = rng.choice(english)
        return rng.choice([fake.name, lambda: f"{fake.first_name()} {fake.last_name()}", fake.first_name,
                           lambda: f"{fake.prefix() or 'Mr'} {fake.last_name()}"])()

    def location() -> str:
        return rng.choice([fakes["en_US"].country, fakes["en_US"].state, fakes["en_US"].city, fakes["en_GB"].city,
                           fakes["de_DE"].city, fakes["en_IN"].city])()

    def card() -> str:
        number = fakes["en_US"].credit_card_number(rng.choice(["visa16", "mastercard", "amex", "discover"]))
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4)) if rng.random() < 0.4 else number

    return {
        "PERSON": person,
        "LOCATION": location,
        "ORGANIZATION": lambda: rng.choice(english[:2]).company(),
        "EMAIL_ADDRESS": lambda: rng.choice(english).email(),
        "PHONE_NUMBER": lambda: rng.choice(english[:2]).phone_number(),
        "CREDIT_CARD": card,
        "IBAN_CODE": lambda: fakes[rng.choice(["en_GB", "de_DE", "fr_FR"])].iban(),
        "IP_ADDRESS": lambda: fakes["en_US"].ipv4() if rng.random() < 0.7 else fakes["en_US"].ipv6(),
        "US_SSN": fakes["en_US"].ssn,
        "DATE_TIME": lambda: fakes["en_US"].date_object().strftime(rng.choice(DATE_FORMATS)),
        "URL": lambda: fakes["en_US"].url() + rng.choice(["", "login", "account/verify"]),
    }


def score(corpus: list[Labelled], predicted: list[list[Span]], beta: float = 2.0) -> dict:
    """Per-entity character precision, recall and F-beta, plus overall type-aware and masked recall."""
    truth_chars: dict[str, int] = {}
    hit_chars: dict[str, int] = {}
    pred_chars: dict[str, int] = {}
    correct_chars: dict[str, int] = {}
    masked = total = 0
    for item, spans in zip(corpus, predicted):
        truth = _char_types(item.spans, len(item.text), item.text)
        guess = _char_types(spans, len(item.text), item.text)
        for t, g in zip(truth, guess):
            if t:
                truth_chars[t] = truth_chars.get(t, 0) + 1
                hit_chars[t] = hit_chars.get(t, 0) + (g == t)
                total += 1
                masked += g is not None
            if g:
                pred_chars[g] = pred_chars.get(g, 0) + 1
                correct_chars[g] = correct_chars.get(g, 0) + (g == t)
    per_entity = {}
    for entity in sorted(set(truth_chars) | set(pred_chars)):
        p = correct_chars.get(entity, 0) / pred_chars[entity] if pred_chars.get(entity) else 0.0
        r = hit_chars.get(entity, 0) / truth_chars[entity] if truth_chars.get(entity) else 0.0
        per_entity[entity] = {"precision": round(p, 4), "recall": round(r, 4), "f2": round(_fbeta(p, r, beta), 4),
                              "support_chars": truth_chars.get(entity, 0)}
    all_true, all_hit = sum(truth_chars.values()), sum(hit_chars.values())
    all_pred, all_correct = sum(pred_chars.values()), sum(correct_chars.values())
    p = all_correct / all_pred if all_pred else 0.0
    r = all_hit / all_true if all_true else 0.0
    return {
        "per_entity": per_entity,
        "overall": {"precision": round(p, 4), "recall": round(r, 4), "f2": round(_fbeta(p, r, beta), 4),
                    "masked_recall": round(masked / total, 4) if total else 0.0},
    }


def _char_types(spans: list[Span], length: int, text: str) -> list[str | None]:
    """The entity type of each non-space character (spaces inside a span do not count)."""
    types: list[str | None] = [None] * length
    for span in spans:
        for k in range(span.start, min(span.end, length)):
            if not text[k].isspace():
                types[k] = span.type
    return types


def _fbeta(p: float, r: float, beta: float) -> float:
    return (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0
