"""Per-locale PII values, each returned as labelled segments.

A maker returns a list of ``(text, label)`` segments: ``label`` is a canonical
entity type for the PII itself and ``None`` for glue around it (a title, a line
break, "PO Box" wording stays labelled with the box number). The generator
concatenates segments, so a gold span is exactly the inserted value.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date

import phonenumbers
from faker import Faker

Segment = tuple[str, "str | None"]

# Locales drawn from, with the phone region and the template language of each.
LOCALES: dict[str, tuple[str, str]] = {
    "en_US": ("US", "en"), "en_GB": ("GB", "en"), "en_IN": ("IN", "en"), "en_AU": ("AU", "en"),
    "en_CA": ("CA", "en"), "en_IE": ("IE", "en"), "de_DE": ("DE", "de"), "de_AT": ("AT", "de"),
    "de_CH": ("CH", "de"), "fr_FR": ("FR", "fr"), "es_ES": ("ES", "es"), "es_MX": ("MX", "es"),
    "it_IT": ("IT", "it"), "pt_BR": ("BR", "pt"), "pt_PT": ("PT", "pt"), "nl_NL": ("NL", "nl"),
    "pl_PL": ("PL", "pl"), "tr_TR": ("TR", "en"), "vi_VN": ("VN", "en"), "ja_JP": ("JP", "en"),
    "zh_CN": ("CN", "en"), "ar_AA": ("AE", "en"), "ru_RU": ("RU", "en"), "sv_SE": ("SE", "en"),
    "fi_FI": ("FI", "en"), "cs_CZ": ("CZ", "en"), "el_GR": ("GR", "en"), "ko_KR": ("KR", "en"),
    "id_ID": ("ID", "en"), "ro_RO": ("RO", "en"), "hu_HU": ("HU", "en"), "da_DK": ("DK", "en"),
    "no_NO": ("NO", "en"), "uk_UA": ("UA", "en"), "he_IL": ("IL", "en"), "hi_IN": ("IN", "en"),
    "th_TH": ("TH", "en"),
}

# The national identifier each locale's Faker provides natively (method, label);
# locales whose Faker falls back to a US-style number have none here.
NATIONAL_IDS: dict[str, str] = {
    "en_US": "ssn", "en_GB": "ssn", "fr_FR": "ssn", "it_IT": "ssn", "pt_BR": "cpf", "nl_NL": "ssn",
    "pl_PL": "ssn", "tr_TR": "ssn", "zh_CN": "ssn", "ru_RU": "ssn", "sv_SE": "ssn", "fi_FI": "ssn",
    "ko_KR": "ssn", "ro_RO": "ssn", "de_CH": "ssn", "en_CA": "ssn", "de_AT": "ssn", "no_NO": "ssn",
    "el_GR": "ssn", "th_TH": "ssn", "uk_UA": "ssn", "hu_HU": "ssn", "es_ES": "nif", "es_MX": "curp",
    "en_IN": "aadhaar_id", "he_IL": "ssn",
}

TITLES = {
    "en": ["Mr ", "Mrs ", "Ms ", "Dr. ", "Mr. ", "Prof. "], "de": ["Herr ", "Frau ", "Dr. "],
    "fr": ["M. ", "Mme ", "Dr "], "es": ["Sr. ", "Sra. ", "Dra. "], "it": ["Sig. ", "Sig.ra ", "Dott. "],
    "pt": ["Sr. ", "Sra. ", "Dr. "], "nl": ["dhr. ", "mevr. ", "Dr. "], "pl": ["Pan ", "Pani ", "dr "],
}

PO_BOX = {
    "en": ["PO Box {n}", "P.O. Box {n}", "Locked Bag {n}"], "de": ["Postfach {n}"], "fr": ["BP {n}", "Boîte postale {n}"],
    "es": ["Apartado de Correos {n}", "Apdo. {n}"], "it": ["Casella Postale {n}", "C.P. {n}"],
    "pt": ["Caixa Postal {n}", "Apartado {n}"], "nl": ["Postbus {n}"], "pl": ["Skrytka pocztowa {n}"],
}

BANKS = ["Barclays", "Deutsche Bank", "BNP Paribas", "Santander", "ING", "Intesa Sanpaolo", "Itaú Unibanco",
         "Nubank", "HDFC Bank", "Crédit Agricole", "Commerzbank", "mBank", "Ziraat Bankası", "Vietcombank",
         "MUFG Bank", "ICBC", "Handelsbanken", "Monzo", "Revolut", "Rabobank", "Nordea", "BBVA", "UniCredit",
         "Raiffeisen Bank", "Erste Bank", "Lloyds Bank", "Wells Fargo", "Banco do Brasil", "Emirates NBD"]

PRODUCTS = ["Apple Pay", "Google Pay", "Samsung Pay", "PayPal", "Visa Debit", "Mastercard Gold", "Amazon Prime",
            "iPhone 15", "Galaxy S23", "Kindle Paperwhite", "Windows 11", "Office 365", "Netflix", "Spotify Premium",
            "the mobile app", "Online Banking", "the Premium Savings account", "contactless payments"]

CURRENCIES = {"en_US": "USD", "en_GB": "GBP", "en_IN": "INR", "en_AU": "AUD", "en_CA": "CAD", "ja_JP": "JPY",
              "zh_CN": "CNY", "pt_BR": "BRL", "es_MX": "MXN", "pl_PL": "PLN", "tr_TR": "TRY", "sv_SE": "SEK",
              "ru_RU": "RUB", "de_CH": "CHF", "ko_KR": "KRW", "hu_HU": "HUF", "cs_CZ": "CZK", "da_DK": "DKK",
              "no_NO": "NOK", "uk_UA": "UAH", "he_IL": "ILS", "hi_IN": "INR", "th_TH": "THB", "vi_VN": "VND",
              "id_ID": "IDR", "ro_RO": "RON", "ar_AA": "AED"}

ENGLISH_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December"]


class Unavailable(Exception):
    """This locale has no such value (the generator picks another template)."""


@dataclass
class Ctx:
    fake: Faker
    locale: str
    lang: str
    rng: random.Random

    @property
    def region(self) -> str:
        return LOCALES[self.locale][0]


def _latin(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _names(c: Ctx) -> tuple[str, str]:
    if c.locale in ("ja_JP", "zh_CN"):
        return c.fake.first_romanized_name(), c.fake.last_romanized_name()
    return c.fake.first_name(), c.fake.last_name()


def person(c: Ctx) -> list[Segment]:
    rng = c.rng
    if c.locale in ("ja_JP", "zh_CN") and rng.random() < 0.5:  # native script: family name first, no space
        return [(c.fake.last_name() + c.fake.first_name(), "PERSON")]
    first, last = _names(c)
    form = rng.choices(["full", "lower", "title", "initial", "last_first", "upper_last", "middle", "surname"],
                       weights=[34, 8, 16, 10, 8, 6, 12, 6])[0]
    if form == "lower":
        return [(f"{first} {last}".lower(), "PERSON")]
    if form == "title":
        return [(rng.choice(TITLES.get(c.lang, TITLES["en"])), None), (last, "PERSON")]
    if form == "initial":
        initials = first[0] + "." if rng.random() < 0.7 else f"{first[0]}.{c.fake.first_name()[0]}."
        return [(f"{initials} {last}", "PERSON")]
    if form == "last_first":
        return [(f"{last}, {first}", "PERSON")]
    if form == "upper_last":
        return [(f"{last.upper()} {first}", "PERSON")]
    if form == "middle":
        middle = c.fake.middle_name() if c.locale == "ru_RU" else _names(c)[0]
        return [(f"{first} {middle} {last}", "PERSON")]
    if form == "surname":
        return [(last, "PERSON")]
    return [(f"{first} {last}", "PERSON")]


def first_name(c: Ctx) -> list[Segment]:
    return [(_names(c)[0], "PERSON")]


def _street(c: Ctx) -> str:
    street = c.fake.street_address()
    if c.locale in ("en_US", "en_CA", "en_AU") and c.rng.random() < 0.25:
        street += "\n" + c.fake.secondary_address() if c.rng.random() < 0.5 else ", " + c.fake.secondary_address()
    return street


def address(c: Ctx, sep: str = "\n") -> list[Segment]:
    """A street, postal code and city in the locale's order; ``sep`` between lines."""
    street, code, city = _street(c), c.fake.postcode(), c.fake.city()
    if sep != "\n":
        street = street.replace("\n", ", ")
    s, p, t = (street, "STREET_ADDRESS"), (code, "POSTAL_CODE"), (city, "LOCATION")
    if c.locale in ("en_GB", "en_IE"):
        return [s, (sep, None), t, (sep, None), p]
    if c.locale in ("en_US", "en_CA", "en_AU", "en_IN", "hi_IN", "id_ID", "vi_VN", "th_TH", "ar_AA", "he_IL"):
        return [s, (sep, None), t, (" ", None), p]
    if c.locale in ("ja_JP", "zh_CN", "ko_KR"):
        return [p, (sep, None), t, (" ", None), s]
    if c.locale in ("ru_RU", "uk_UA"):
        return [t, (", ", None), s, (sep, None), p]
    if c.locale == "pt_BR":
        return [s, (sep, None), t, (" - CEP ", None), p]
    return [s, (sep, None), p, (" ", None), t]


def address_inline(c: Ctx) -> list[Segment]:
    return address(c, ", ")


def po_box(c: Ctx) -> list[Segment]:
    box = c.rng.choice(PO_BOX.get(c.lang, PO_BOX["en"])).format(n=c.rng.randint(10, 99999))
    return [(box, "STREET_ADDRESS"), ("\n", None), (c.fake.postcode(), "POSTAL_CODE"), (" ", None),
            (c.fake.city(), "LOCATION")]


def street(c: Ctx) -> list[Segment]:
    return [(_street(c).replace("\n", ", "), "STREET_ADDRESS")]


def city(c: Ctx) -> list[Segment]:
    return [(c.fake.city(), "LOCATION")]


def postcode(c: Ctx) -> list[Segment]:
    return [(c.fake.postcode(), "POSTAL_CODE")]


def _valid_phone(c: Ctx) -> str:
    kind = c.rng.choice([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE])
    example = phonenumbers.example_number_for_type(c.region, kind) or phonenumbers.example_number(c.region)
    digits = str(example.national_number)
    number = example
    for _ in range(30):
        keep = max(2, len(digits) - 5)
        candidate = digits[:keep] + "".join(str(c.rng.randint(0, 9)) for _ in range(len(digits) - keep))
        parsed = phonenumbers.parse("+" + str(example.country_code) + candidate)
        if phonenumbers.is_valid_number(parsed):
            number = parsed
            break
    style = c.rng.choice(["intl", "intl", "national", "e164", "00", "dots"])
    if style == "intl":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if style == "national":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if style == "e164":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if style == "00":
        return "00" + intl[1:]
    return intl.replace(" ", ".").replace("-", ".")


def _possible(value: str, region: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(value, region))
    except phonenumbers.NumberParseException:
        return False


def phone(c: Ctx) -> list[Segment]:
    """Faker's locale formats where the number could exist (length); otherwise a valid number in a common style."""
    value = c.fake.phone_number().strip() if c.rng.random() < 0.4 else ""
    if not value or not _possible(value, c.region):
        value = _valid_phone(c)
    return [(value, "PHONE_NUMBER")]


def email(c: Ctx) -> list[Segment]:
    roll = c.rng.random()
    first, last = _names(c)
    handle = f"{_latin(first)}.{_latin(last)}"
    if roll < 0.35 and len(handle) > 3:
        value = f"{handle}{c.rng.choice(['', str(c.rng.randint(1, 99))])}@{c.fake.free_email_domain()}"
    elif roll < 0.7:
        value = c.fake.free_email()
    else:
        value = c.fake.company_email()
    return [(value, "EMAIL_ADDRESS")]


_FALLBACK_FAKERS: dict[str, Faker] = {}


def card(c: Ctx) -> list[Segment]:
    # Issuer ranges and lengths as cards are issued today (12-digit Maestro left out).
    kind = c.rng.choice(["visa16", "visa16", "mastercard", "mastercard", "amex", "discover", "jcb16", "diners"])
    try:
        digits = c.fake.credit_card_number(card_type=kind)
    except KeyError:  # this locale's provider names its card types differently: the same brands from en_US
        fake = _FALLBACK_FAKERS.setdefault("en_US", Faker("en_US"))
        fake.seed_instance(c.rng.randint(0, 2**31))
        digits = fake.credit_card_number(card_type=kind)
    style = c.rng.choice(["plain", "spaces", "spaces", "dashes"])
    if style != "plain":
        sep = " " if style == "spaces" else "-"
        if len(digits) == 15:
            groups = [digits[:4], digits[4:10], digits[10:]]
        elif len(digits) == 14:
            groups = [digits[:4], digits[4:10], digits[10:]]
        else:
            groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
        digits = sep.join(groups)
    return [(digits, "CREDIT_CARD")]


# IBAN length per country (ISO 13616 registry) for the countries drawn from; Faker
# falls back to malformed GB numbers, or invents TH ones, for locales without IBANs.
IBAN_LENGTH = {"DE": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "PL": 28, "PT": 25, "BE": 16, "AT": 20, "CH": 21,
               "GB": 22, "IE": 22, "SE": 24, "FI": 18, "DK": 18, "NO": 15, "CZ": 24, "GR": 27, "RO": 24, "HU": 28,
               "TR": 26, "BR": 29, "UA": 29, "RU": 33, "IL": 23, "AE": 23, "SA": 24}
IBAN_FALLBACK = ("de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "en_GB")


def is_iban(value: str) -> bool:
    compact = value.replace(" ", "")
    if IBAN_LENGTH.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def iban(c: Ctx) -> list[Segment]:
    value = c.fake.iban()
    if not is_iban(value):  # a customer abroad: an account in a country that has IBANs
        locale = c.rng.choice(IBAN_FALLBACK)
        fake = _FALLBACK_FAKERS.setdefault(locale, Faker(locale))
        fake.seed_instance(c.rng.randint(0, 2**31))
        value = fake.iban()
    if c.rng.random() < 0.5:
        value = " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    return [(value, "IBAN_CODE")]


def ip(c: Ctx) -> list[Segment]:
    roll = c.rng.random()
    value = c.fake.ipv4_public() if roll < 0.6 else c.fake.ipv4_private() if roll < 0.8 else c.fake.ipv6()
    return [(value, "IP_ADDRESS")]


def national_id(c: Ctx) -> list[Segment]:
    method = NATIONAL_IDS.get(c.locale)
    if method is None:
        raise Unavailable(c.locale)
    value = str(getattr(c.fake, method)()).strip()
    if c.locale == "en_US":
        style = c.rng.choice(["dash", "dash", "space", "plain"])
        if style == "space":
            value = value.replace("-", " ")
        elif style == "plain":
            value = value.replace("-", "")
        return [(value, "US_SSN")]
    return [(value, "NATIONAL_ID")]


def dob(c: Ctx) -> list[Segment]:
    born: date = c.fake.date_of_birth(minimum_age=18, maximum_age=92)
    return [(format_date(born, c), "DATE_OF_BIRTH")]


def format_date(day: date, c: Ctx) -> str:
    if c.lang == "en" and c.locale == "en_US":
        styles = ["%m/%d/%Y", "{month} {d}, %Y", "%Y-%m-%d"]
    elif c.lang == "en":
        styles = ["%d/%m/%Y", "{d} {month} %Y", "%Y-%m-%d", "%d.%m.%Y"]
    elif c.lang in ("de", "pl"):
        styles = ["%d.%m.%Y", "%Y-%m-%d"]
    else:
        styles = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]
    style = c.rng.choice(styles)
    return day.strftime(style.replace("{month}", ENGLISH_MONTHS[day.month - 1]).replace("{d}", str(day.day)))


def company(c: Ctx) -> list[Segment]:
    return [(c.fake.company(), "ORGANIZATION")]


def bank(c: Ctx) -> list[Segment]:
    return [(c.rng.choice(BANKS), "ORGANIZATION")]


# -- glue that is not PII (unlabelled) ------------------------------------------------


def amount(c: Ctx) -> list[Segment]:
    value = f"{c.rng.randint(3, 9999)}.{c.rng.randint(0, 99):02d}"
    cur = CURRENCIES.get(c.locale, "EUR")
    return [(c.rng.choice([f"{value} {cur}", f"{cur} {value}"]), None)]


def event_date(c: Ctx) -> list[Segment]:
    day = date(2026, 1, 1).fromordinal(date(2025, 1, 1).toordinal() + c.rng.randint(0, 700))
    if c.lang == "en" and c.rng.random() < 0.5:
        return [(f"{day.day} {ENGLISH_MONTHS[day.month - 1]}", None)]
    return [(format_date(day, c), None)]


def product(c: Ctx) -> list[Segment]:
    return [(c.rng.choice(PRODUCTS), None)]


def order(c: Ctx) -> list[Segment]:
    return [(c.rng.choice(["#", "ORD-", "case ", "REF-"]) + str(c.rng.randint(1000, 999999)), None)]


def time_of_day(c: Ctx) -> list[Segment]:
    return [(f"{c.rng.randint(0, 23):02d}:{c.rng.choice(['00', '15', '30', '45', '07', '52'])}", None)]


MAKERS = {
    "PERSON": person, "FIRST": first_name, "ADDRESS": address, "ADDRESS_INLINE": address_inline, "POBOX": po_box,
    "STREET": street, "CITY": city, "POSTCODE": postcode, "PHONE": phone, "EMAIL": email, "CARD": card,
    "IBAN": iban, "IP": ip, "NATID": national_id, "DOB": dob, "COMPANY": company, "BANK": bank,
    "AMOUNT": amount, "DATE": event_date, "PRODUCT": product, "ORDER": order, "TIME": time_of_day,
}
