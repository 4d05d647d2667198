"""Names by the cue before them (titles, salutations, naming phrases, sign-offs), by shape (an initial and a
name, a romanised Korean name) and by script (other-script words in a Latin-script record): hand-written cases, not the benchmark's."""

import re

import pytest

from stillroom.artifacts import ArtifactStore
from stillroom.components import Context
from stillroom.plugins.scrubbers.name_cues import cue_names, foreign_runs
from stillroom.plugins.scrubbers.presidio import PresidioScrubber


def names(text):
    return [text[a:b] for a, b in cue_names(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Dear Ms Ó Súilleabháin, thank you", ["Ó Súilleabháin"]),
    ("Bonjour Mme Lefèvre-Dubois, votre dossier", ["Lefèvre-Dubois"]),
    ("Sehr geehrter Herr van der Berg, wir", ["van der Berg"]),
    ("Prezado(a) DA SILVA Joana, o seu cartão", ["DA SILVA Joana"]),
    ("my name is ana lucía de la cruz and I need help", ["ana lucía de la cruz"]),
    ("Name: kwame mensah\nDOB: 1990", ["kwame mensah"]),
    ("Thanks for your help.\nBest,\nWojciech", ["Wojciech"]),
    ("Kind regards,\n  Þórunn Guðmundsdóttir", ["Þórunn Guðmundsdóttir"]),
    ("account holder: Олена Петренко", ["Олена Петренко"]),
    ("Hello Σωτήρης, your order shipped", ["Σωτήρης"]),
    ("Dear ليلى حداد, your card", ["ليلى حداد"]),
    ("patient राजेश कुमार was admitted", ["राजेश कुमार"]),
    ("the refund went to K. Nakamura yesterday", ["K. Nakamura"]),
    ("cardholder Ж.Б. Ахметова notified", ["Ж.Б. Ахметова"]),
    ("-- Ngozi Okonkwo-Adeyemi\nSent from my phone", ["Ngozi Okonkwo-Adeyemi"]),
])
def test_a_name_after_a_cue_or_with_an_initial_is_found_in_any_script(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Kim Min-jun beat Kim Tae-Hyun 21-18 in Jakarta.", ["Kim Min-jun", "Kim Tae-Hyun"]),
    ("Son Heung-min's goal came late.", ["Son Heung-min"]),
    ("President Park Geun-hye met Coach Park Hang-seo.", ["Park Geun-hye", "Park Hang-seo"]),
    # a listed surname inside a longer word, or no listed surname before the hyphenated word
    ("McKim Tae-hyun; Kimberly Ji-won; He Re-ran it; An Ex-con returns.", []),
    # listed surnames before halves no Korean syllable makes, and "Park" after a place's first word
    ("Kim Co-operative; the Hong Kong-based lender; Yu Gi-oh cards; Ko Pha-ngan; Son Walk-in; Lee Drop-off; "
     "our Menlo Park Pop-up; the Car Park Set-up.", []),
])
def test_a_korean_name_in_its_own_order_is_found_by_its_shape(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize("text", [
    "Dear customer, your statement is ready",
    "Hi there, the app crashed again",
    "Dear valued member, we have news",
    "Thanks for the quick reply",
    "We moved to the U.S. Army base",
    "Take vitamin D. The dose is small",
    "my name is",
    "Regards,\nthe support team",
    "i checked and my name still isnt on the list",  # a lower-case function word is no name after a cue
    "Hello, I've just noticed two payments",  # a pronoun's contraction is none either
    "Hi, I'm moving on the 30th",
    "Sehr geehrte Damen und Herren, anbei die Rechnung",  # a letter's plural salutation
])
def test_words_after_a_cue_that_are_not_names_are_left(text):
    assert names(text) == []


def test_other_script_runs_count_only_in_a_mostly_latin_record():
    text = "Transfer to Дмитро Коваль approved; ref 22"
    assert [text[a:b] for a, b in foreign_runs(text)] == ["Дмитро Коваль"]
    assert foreign_runs("Перевод для Дмитро Коваль одобрен") == []
    assert foreign_runs("no other script here") == []


@pytest.fixture(scope="module")
def accurate(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    scrubber = PresidioScrubber({"workers": 1}, Context(workspace=root, artifacts=ArtifactStore(root / "artifacts")))
    yield scrubber
    scrubber.close()


@pytest.mark.parametrize(("text", "name"), [
    ("Hello Ярослава Мельник, your card ending 1881 was blocked", "Ярослава Мельник"),
    ("Referral for Ζωή Παπαδάκη, seen on Monday", "Ζωή Παπαδάκη"),
    ("Patient: thandiwe dlamini, ward 4", "thandiwe dlamini"),
    ("Call back: Sr. Quispe Mamani on Tuesday", "Quispe Mamani"),
])
def test_the_accurate_profile_replaces_names_the_model_alone_misses(accurate, text, name):
    scrubbed, _ = accurate.scrub([{"text": text}])
    assert name not in scrubbed[0]["text"] and "<PERSON>" in scrubbed[0]["text"]


def test_the_fast_profile_and_the_residual_scan_do_not_use_the_cues(accurate, tmp_path):
    fast = PresidioScrubber({"workers": 1, "profile": "fast"}, Context(workspace=tmp_path, artifacts=None))
    assert "name cues" not in fast.entities().get("PERSON", "")
    assert "name cues" in accurate.entities()["PERSON"]
    residual = accurate.residual_detector._detector
    assert not any(type(r).__name__ == "CueNameRecognizer" for r in residual.analyzer.registry.recognizers)


@pytest.mark.parametrize(("text", "expected"), [
    ("Tomasz Wiśniewski restores old clocks in his workshop.", ["Tomasz Wiśniewski"]),
    ("The bridge closed. Leilani Kahananui said the ferry was full.", ["Leilani Kahananui"]),
    ('"Rangi Parata was right," she said.', ["Rangi Parata"]),
    ("Seán Ó Briain was elected on Friday.", ["Seán Ó Briain"]),
    ("Kirsty Munro, 34, runs a food bank.", ["Kirsty Munro"]),  # an age or a role after a comma
    ("The winner was Kwesi Appiah. Ishiguro Kenta, the potter, has died.", ["Ishiguro Kenta"]),
    ("Tomasz Wiśniewski, 1987.", []),
    # Not names: common words, a listed place, an organisation's last word, no lower-case word after.
    ("Heavy Rain fell all night.", []),
    ("Porto Alegre flooded again.", []),
    ("Tamborine Holdings reported a loss.", []),
    ("Tomasz Wiśniewski.", []),
    ("Tomasz restores clocks.", []),
    ("Dear Sir or Madam, I am writing to complain.", []),  # a letter's greeting and titles alone
])
def test_a_name_that_opens_a_sentence(text, expected):
    from stillroom.plugins.scrubbers.gazetteer import Gazetteers, place_key
    from stillroom.plugins.scrubbers.name_cues import opening_names

    lists = Gazetteers(first_names=frozenset(), surnames=frozenset(), places={place_key("Porto Alegre"): 0.7},
                       common=frozenset({"heavy", "rain", "the", "she"}))
    assert [text[s[1]:s[2]] for s in opening_names(text, [], lists)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a listed given name first, a listed place beside it; a listed surname that is also a town
    ("Bill Mwansa, an opposition MP, said no.", ["Bill Mwansa"]),
    ("Ishikawa Takeshi, the potter, has died.", ["Ishikawa Takeshi"]),
    ("Kano Adeyemi, 41, was charged.", ["Kano Adeyemi"]),
    # without the apposition, a common word or a listed place still stops the run
    ("Bill Mwansa said no.", []),
    ("Ishikawa Takeshi has died.", []),
    # an apposition does not make a place a name: a country or state, a common word not first, a whole place
    ("Kenya Mwansa, the new coach, arrived.", []),
    ("Bill Heavy, the drummer, left.", []),
    ("Porto Alegre, the state capital, flooded.", []),
    ("Mwansa Kano, a trader, spoke.", []),
])
def test_a_role_after_the_opening_words_vouches_for_a_name_with_a_place_or_common_word_in_it(text, expected):
    from stillroom.plugins.scrubbers.gazetteer import Gazetteers, place_key
    from stillroom.plugins.scrubbers.name_cues import opening_names

    lists = Gazetteers(first_names=frozenset(), surnames=frozenset({"ishikawa", "kano"}),
                       places={place_key("Porto Alegre"): 0.7, ("kenya",): 0.7, ("mwansa",): 0.45,
                               ("ishikawa",): 0.6, ("kano",): 0.6},
                       common=frozenset({"heavy", "bill"}), common_given_names=frozenset({"bill"}))
    assert [text[s[1]:s[2]] for s in opening_names(text, [], lists)] == expected


def test_a_name_that_opens_a_sentence_gives_way_to_a_span_already_there():
    from stillroom.plugins.scrubbers.gazetteer import Gazetteers
    from stillroom.plugins.scrubbers.name_cues import opening_names

    lists = Gazetteers(first_names=frozenset(), surnames=frozenset(), places={}, common=frozenset())
    text = "Kahu Ngata scored twice."
    there = [("ORGANIZATION", 0, 10, 0.9)]
    assert opening_names(text, there, lists) == there


def person(text, name, at=0):
    start = text.index(name, at)
    return ("PERSON", start, start + len(name), 0.9)


@pytest.mark.parametrize(("text", "full", "expected"), [
    ("Ngozi Eze-Okafor was sworn in. Eze-Okafor said the wards come first.", "Ngozi Eze-Okafor", ["Eze-Okafor"]),
    ("Okonkwo Loses Appeal\nDaniel Okonkwo lost his appeal on Friday.", "Daniel Okonkwo", ["Okonkwo"]),
    ("Seán O'Neill won. O'Neill's running mate took the second seat.", "Seán O'Neill", ["O'Neill"]),
    ("Zhao Yifan beat Chen Haoran. Zhao said the wind helped; Yifan's coach agreed.", "Zhao Yifan",
     ["Zhao", "Yifan"]),
    ("Kirsty McAteer won. McAteer runs a food bank.", "Kirsty McAteer", ["McAteer"]),
    # a word that is also a place, only where a person stands: opening a sentence or an attribution, then a verb
    ('Jordan Ellis flew to Jordan. "Jordan never rests," a friend said. Jordan said no.', "Jordan Ellis",
     ["Jordan", "Jordan"]),
    ('Renata Jordan arrived in Jordan. "It is a coincidence," Jordan said. Jordan\'s king met her.', "Renata Jordan",
     ["Jordan"]),
    # opening a sentence before a possessive and a noun no place owns ("king", "capital" are a place's)
    ("Jordan Ellis won. Jordan's tea bowls sold. Jordan's king came. Jordan's foreign minister spoke. "
     "Jordan's been hit.", "Jordan Ellis", ["Jordan"]),
    # Not repeated: a common word, a listed place elsewhere, a title, a particle, a part of a longer word or name
    ("Hope Mensah spoke. Hope is fading, she said.", "Hope Mensah", []),
    ("Jordan Ellis flew to Jordan on Monday.", "Jordan Ellis", []),
    ("Dr Amara Diallo, then Dr Bah, spoke.", "Dr Amara Diallo", []),
    ("Pieter van der Berg and van Dijk met.", "Pieter van der Berg", []),
    ("Kofi Mensah met Mensah-Bonsu and Mensahs.", "Kofi Mensah", []),
    # a name alone is no evidence that its word, elsewhere, is a name
    ("Okonkwo said Okonkwo.", "Okonkwo", []),
])
def test_a_word_of_a_full_name_is_a_name_wherever_else_it_stands(text, full, expected):
    from stillroom.plugins.scrubbers.gazetteer import Gazetteers, place_key
    from stillroom.plugins.scrubbers.name_cues import repeated_names

    lists = Gazetteers(first_names=frozenset(), surnames=frozenset(), places={place_key("Jordan"): 0.8},
                       common=frozenset({"hope", "the", "she"}))
    there = [person(text, full)]
    added = [text[s[1]:s[2]] for s in repeated_names(text, there, lists) if s not in there]
    assert added == expected


def test_a_street_address_that_is_only_a_word_of_a_full_name_is_that_person():
    from stillroom.plugins.scrubbers.gazetteer import Gazetteers
    from stillroom.plugins.scrubbers.name_cues import repeated_names

    lists = Gazetteers(first_names=frozenset(), surnames=frozenset(), places={}, common=frozenset())
    text = "Camille Ferrand-Leroux was named chief executive. Ferrand-Leroux, 52, joins in May. 12 Rue Leroux."
    second, street = text.index("Ferrand-Leroux,"), text.index("12 Rue")
    there = [person(text, "Camille Ferrand-Leroux"), ("STREET_ADDRESS", second, second + 14, 0.7),
             ("STREET_ADDRESS", street, len(text) - 1, 0.9)]
    assert repeated_names(text, there, lists) == [there[0], ("PERSON", second, second + 14, 0.7), there[2]]


@pytest.mark.parametrize(("address", "expected"), [
    # the model runs an address across a headline's line break or a sentence's end: the name is the person
    ("84\nAdaeze Nwankwo", "Adaeze Nwankwo"),
    ("van. Nwankwo", "Nwankwo"),
    ("Adaeze Nwankwo, 9", "Adaeze Nwankwo"),
    # an address's own words or numbers stay an address: a capitalised word, a longer number, a listed place
    ("12 Nwankwo Street", None),
    ("Nwankwo 1204", None),
    ("Adaeze Road, Lagos", None),
    ("84\nAdaeze Okafor", None),
    ("Dies At 84\nAdaeze Nwankwo", None),
])
def test_a_street_address_holding_a_repeated_name_and_only_leftover_prose_is_that_person(address, expected):
    from stillroom.plugins.scrubbers.gazetteer import Gazetteers, place_key
    from stillroom.plugins.scrubbers.name_cues import repeated_names

    lists = Gazetteers(first_names=frozenset(), surnames=frozenset(), places={place_key("Lagos"): 0.8},
                       common=frozenset())
    text = f"Adaeze Nwankwo founded the hospice. {address} was there."
    start = text.index(address)
    there = [person(text, "Adaeze Nwankwo"), ("STREET_ADDRESS", start, start + len(address), 0.9)]
    found = repeated_names(text, there, lists)
    if expected is None:
        assert there[1] in found
    else:
        name = text.index(expected, start)
        assert ("PERSON", name, name + len(expected), 0.9) in found and there[1] not in found


def test_a_location_that_is_a_word_of_a_full_name_is_that_person_only_where_a_person_stands():
    from stillroom.plugins.scrubbers.gazetteer import Gazetteers, place_key
    from stillroom.plugins.scrubbers.name_cues import repeated_names

    lists = Gazetteers(first_names=frozenset(), surnames=frozenset(), places={place_key("Oliveira"): 0.45},
                       common=frozenset())
    text = "Ana de Oliveira won. Oliveira will take office. She moved to Oliveira in May."
    subject, place = text.index("Oliveira will"), text.rindex("Oliveira")
    there = [person(text, "Ana de Oliveira"), ("LOCATION", subject, subject + 8, 0.9),
             ("LOCATION", place, place + 8, 0.9)]
    assert repeated_names(text, there, lists) == [there[0], ("PERSON", subject, subject + 8, 0.9), there[2]]


@pytest.mark.parametrize(("sentence", "is_person"), [
    # the model types a surname it does not know a place: wherever it stands, it is the person's
    ("Judges found that Achterberg had misled the council.", True),
    ("Achterberg Loses Appeal", True),
    # after a preposition that takes a place, it stays a place
    ("The plot lies in Achterberg near the river.", False),
    ("Trains from the Achterberg junction were late.", False),
    ("Farms in north Achterberg flooded.", False),
    # beside another place it is a place: a list or a pair of places
    ("The road runs between Utrecht and Achterberg.", False),
    ("Achterberg, Utrecht and Arnhem voted.", False),
])
def test_a_location_that_is_an_unlisted_word_of_a_full_name_is_that_person_unless_a_place_word_leads(
        sentence, is_person):
    from stillroom.plugins.scrubbers.gazetteer import Gazetteers
    from stillroom.plugins.scrubbers.name_cues import repeated_names

    lists = Gazetteers(first_names=frozenset(), surnames=frozenset(), places={}, common=frozenset())
    text = f"Willem Achterberg lost his appeal. {sentence}"
    at = text.index("Achterberg", 20)
    places = [("LOCATION", m.start(), m.end(), 0.9) for m in re.finditer("Utrecht|Arnhem", text)]
    there = [person(text, "Willem Achterberg"), ("LOCATION", at, at + 10, 0.9)]
    expected = ("PERSON", at, at + 10, 0.9) if is_person else there[1]
    assert repeated_names(text, there + places, lists) == sorted([there[0], expected, *places], key=lambda s: s[1])


def test_a_repeated_name_gives_way_to_a_span_already_there():
    from stillroom.plugins.scrubbers.gazetteer import Gazetteers
    from stillroom.plugins.scrubbers.name_cues import repeated_names

    lists = Gazetteers(first_names=frozenset(), surnames=frozenset(), places={}, common=frozenset())
    text = "Nelson Mandela died. The Mandela Foundation said so."
    there = [person(text, "Nelson Mandela"), ("ORGANIZATION", 25, 43, 0.8)]
    assert repeated_names(text, there, lists) == there


@pytest.mark.parametrize(("text", "secret"), [
    # a business reference's name before personal data never unmasks it (ordinary_words._a_reference)
    ("Order 07700900123", "07700900123"),  # a phone number written without spaces
    ("ref: jane.smith@example.com", "jane.smith@example.com"),
    ("Invoice GB82WEST12345698765432", "GB82WEST12345698765432"),
    ("Tracking 4111 1111 1111 1111", "4111 1111 1111 1111"),
    ("case 536-22-8745", "536-22-8745"),
    ("order ref: call me on +44 7700 900123", "+44 7700 900123"),
])
def test_the_accurate_profile_masks_personal_data_after_a_business_references_name(accurate, text, secret):
    scrubbed, _ = accurate.scrub([{"text": text}])
    assert secret not in scrubbed[0]["text"], scrubbed[0]["text"]


def test_the_accurate_profile_replaces_a_surname_repeated_alone(accurate):
    text = "Mikko Virtanen won the sprint in Lahti. Virtanen Takes Gold, the local paper wrote."
    scrubbed, _ = accurate.scrub([{"text": text}])
    assert "Virtanen" not in scrubbed[0]["text"], scrubbed[0]["text"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Blessing Chukwu and Memory Phiri set up the cooperative.", ["Memory Phiri"]),
    ("Blessing Chukwu & Ama Owusu-Ansah, his deputy, resigned.", ["Ama Owusu-Ansah"]),
    ("Blessing Chukwu or van Dijk.", []),  # a particle does not start a name
    # Not a second person: a listed place, an organisation's last word, a common last word, a longer run
    ("Blessing Chukwu and Porto Alegre agreed.", []),
    ("Blessing Chukwu and Partners won.", []),
    ("Blessing Chukwu and Tamborine Holdings signed.", []),
    ("Blessing Chukwu and Heavy Rain arrived.", []),
    ("Blessing Chukwu and Ama Kofi Owusu Mensah met.", []),
])
def test_a_name_joined_to_a_persons_name_is_a_person(text, expected):
    from stillroom.plugins.scrubbers.gazetteer import Gazetteers, place_key
    from stillroom.plugins.scrubbers.name_cues import coordinated_names

    lists = Gazetteers(first_names=frozenset(), surnames=frozenset(), places={place_key("Porto Alegre"): 0.7},
                       common=frozenset({"heavy", "rain", "partners"}))
    there = [person(text, "Blessing Chukwu")]
    assert [text[s[1]:s[2]] for s in coordinated_names(text, there, lists) if s not in there] == expected
