"""Places in running prose: the model's names that are places, place spans' edges, organisations named
after places, and the place gazetteer's cues (prepositions, natural features, sentence starts)."""

import pytest

from stillroom.artifacts import ArtifactStore
from stillroom.components import Context
from stillroom.plugins.scrubbers.gazetteer import Gazetteers, gazetteers, place_key
from stillroom.plugins.scrubbers.lower_case import lower_case_names, lower_case_places
from stillroom.plugins.scrubbers.places import people_who_are_places, tidy_places
from stillroom.plugins.scrubbers.presidio import PresidioScrubber

LISTS = Gazetteers(
    first_names=frozenset({"georgia", "maria", "hong", "paris", "michael", "john"}),
    surnames=frozenset({"smith", "kong", "hilton", "jordan", "legend", "rachunek", "michael"}),
    places={**{place_key(p): 0.6 for p in ("Derna", "Georgia", "Hong Kong", "Fukushima", "London", "Tokyo",
                                           "France", "England", "Rio Grande do Sul", "Tbilisi", "Lagos", "Reading",
                                           "Nice", "Cape Town", "New York", "America", "Madrid")},
            place_key("Soest"): 0.45},
    common=frozenset({"the", "in", "max"}),
    common_given_names=frozenset({"max"}),
)


def model_people(text, *names, guesses=()):
    """The model's PERSON span over each name, settled against ``guesses``; (type, text) pairs back."""
    spans = [("PERSON", text.index(n), text.index(n) + len(n), 0.9) for n in names]
    settled, others = people_who_are_places(text, spans, list(guesses), LISTS)
    return [(s[0], text[s[1]:s[2]]) for s in settled], [(s[0], text[s[1]:s[2]]) for s in others]


def test_a_listed_place_the_model_calls_a_person_is_a_location():
    assert model_people("Rescue teams reached Derna on Tuesday.", "Derna")[0] == [("LOCATION", "Derna")]
    # Its possessive and the lower-case words the model took with it stay outside the place.
    assert model_people("Fukushima fishermen fear the release.", "Fukushima fishermen")[0] == [("LOCATION", "Fukushima")]
    assert model_people("Derna's port was closed.", "Derna's")[0] == [("LOCATION", "Derna")]


def test_a_place_that_is_also_a_given_name_needs_a_place_word_before_it():
    assert model_people("Georgia will chair the meeting.", "Georgia")[0] == [("PERSON", "Georgia")]
    assert model_people("We moved to Georgia last year.", "Georgia")[0] == [("LOCATION", "Georgia")]


def test_another_recognizers_person_keeps_a_listed_place_a_person():
    text = "Dear Derna, thanks for the call."
    cue = ("PERSON", 5, 10, 0.8)  # the name-cue recognizer's "Derna" after "Dear"
    assert model_people(text, "Derna", guesses=[cue])[0] == [("PERSON", "Derna")]


def test_a_listed_place_of_several_words_is_a_place_whoever_called_it_a_name():
    text = "Rents in Hong Kong are high."
    gazetteer_name = ("PERSON", 9, 18, 0.85)  # a listed given name and a listed surname
    settled, others = model_people(text, "Hong Kong", guesses=[gazetteer_name])
    assert settled == [("LOCATION", "Hong Kong")] and others == [("LOCATION", "Hong Kong")]


def test_an_unlisted_name_is_a_place_only_after_a_preposition_that_takes_places():
    assert model_people("The power failed in Mekelle again.", "Mekelle")[0] == [("LOCATION", "Mekelle")]
    assert model_people("A convoy left Mekelle early.", "Mekelle")[0] == [("PERSON", "Mekelle")]
    assert model_people("A letter from Mekelle arrived.", "Mekelle")[0] == [("PERSON", "Mekelle")]
    assert model_people("In Okonkwo's view the deal is off.", "Okonkwo")[0] == [("PERSON", "Okonkwo")]
    assert model_people("She works in Smith and sons.", "Smith")[0] == [("PERSON", "Smith")]  # a listed surname


def test_an_unlisted_word_the_model_calls_a_place_right_after_its_person_is_that_persons_surname():
    text = "Willem Achterberg, a developer, left London."
    found = [("PERSON", 0, 6, 0.95), ("LOCATION", 7, 17, 0.52), ("LOCATION", text.index("London"), len(text) - 1, 0.9)]
    settled, _ = people_who_are_places(text, found, [], LISTS)
    assert [(s[0], text[s[1]:s[2]], s[3]) for s in settled] == [("PERSON", "Willem Achterberg", 0.95),
                                                                 ("LOCATION", "London", 0.9)]
    # a listed place, or one not right after the name, stays a place
    for text, place in [("Maria London", "London"), ("Maria, Mekelle", "Mekelle")]:
        found = [("PERSON", 0, 5, 0.9), ("LOCATION", text.index(place), len(text), 0.9)]
        assert [s[0] for s in people_who_are_places(text, found, [], LISTS)[0]] == ["PERSON", "LOCATION"]


def tidy(text, *spans):
    found = [(entity, text.index(part), text.index(part) + len(part), 0.7) for entity, part in spans]
    return [(s[0], text[s[1]:s[2]]) for s in tidy_places(text, found, LISTS)]


def test_a_place_span_loses_lower_case_words_at_its_edges_but_not_inside():
    assert tidy("Protesters gathered in central Tbilisi again.", ("LOCATION", "central Tbilisi")) == [
        ("LOCATION", "Tbilisi")]
    assert tidy("Demonstrators in Caracas clashed with police.", ("LOCATION", "Caracas clashed")) == [
        ("LOCATION", "Caracas")]
    assert tidy("Rain fell across Rio Grande do Sul.", ("LOCATION", "Rio Grande do Sul")) == [
        ("LOCATION", "Rio Grande do Sul")]


def test_words_that_are_no_place_are_dropped_and_a_listed_place_in_lower_case_stays():
    assert tidy("Voters go to the polls in October.", ("LOCATION", "October")) == []
    assert tidy("It fell to its lowest level.", ("LOCATION", "lowest")) == []
    assert tidy("im moving to london next week", ("LOCATION", "london")) == [("LOCATION", "london")]
    assert tidy("Call Maria today.", ("PERSON", "Maria")) == [("PERSON", "Maria")]


@pytest.mark.parametrize("text, place", [
    ("The Tokyo Stock Exchange closed higher.", "Tokyo"),
    ("Air France cancelled 200 flights.", "France"),
    ("The Bank of England held rates.", "England"),
    ("The London Philharmonic played.", "London"),
])
def test_a_place_inside_an_organisations_name_is_no_place(text, place):
    assert tidy(text, ("LOCATION", place)) == []


def test_a_place_beside_an_organisation_stays_a_place():
    assert tidy("Shares in Tokyo rose while the Bank cut rates.", ("LOCATION", "Tokyo")) == [("LOCATION", "Tokyo")]
    assert tidy("The flight from France landed.", ("LOCATION", "France")) == [("LOCATION", "France")]


def test_the_place_lists_hold_regions_other_names_and_short_country_names():
    places = gazetteers().places
    # libphonenumber's regions, GeoNames' other names of large cities, and "Congo" for "Republic of the Congo".
    for name in ("Kerala", "Sichuan", "Kiev", "Bombay", "Congo", "China"):
        assert place_key(name) in places, name
    assert place_key("Blag.") not in places  # an abbreviation is no region's name


def lower_case(text, *spans):
    """``lower_case_places`` over ``text`` with ``spans`` given as (type, words) pairs; (type, text) pairs back."""
    given = [(t, text.index(w), text.index(w) + len(w), 0.9) for t, w in spans]
    return [(s[0], text[s[1]:s[2]]) for s in lower_case_places(text, given, LISTS)]


def test_a_listed_place_in_lower_case_is_a_place_when_people_write_its_name_capitalised():
    assert lower_case("landed in lagos, already sweating lol") == [("LOCATION", "lagos")]
    assert lower_case("london was grey again") == [("LOCATION", "london")]
    assert lower_case("hong kong then tokyo") == [("LOCATION", "hong kong"), ("LOCATION", "tokyo")]
    assert lower_case("new york in december") == [("LOCATION", "new york")]  # the longest listed place
    # words people write in lower case far more often are words, wherever they stand
    assert lower_case("i was reading in bed, nice and quiet") == []
    assert lower_case("moving to reading next month") == []
    # so are places all of whose words are ("cape" and "town" alike): missed, not guessed
    assert lower_case("sunset in cape town") == []


def test_a_lower_case_place_that_is_a_given_name_or_a_small_town_needs_a_word_before_it_that_takes_places():
    assert lower_case("georgia said she would come") == []
    assert lower_case("flights to georgia are cheap") == [("LOCATION", "georgia")]
    assert lower_case("soest is pretty") == []
    assert lower_case("we stayed in soest") == [("LOCATION", "soest")]


def test_a_lower_case_place_that_needs_a_word_before_it_is_also_a_place_named_beside_another_place():
    assert lower_case("france vs georgia tonight") == [("LOCATION", "france"), ("LOCATION", "georgia")]
    assert lower_case("georgia or france?") == [("LOCATION", "georgia"), ("LOCATION", "france")]
    assert lower_case("tbilisi, soest & madrid") == [("LOCATION", "tbilisi"), ("LOCATION", "soest"),
                                                     ("LOCATION", "madrid")]
    # beside a person, or beside another place that itself needs one, it is none
    assert lower_case("paris and georgia came over") == []
    assert lower_case("georgia and soest") == []
    assert lower_case("maria or georgia", ("PERSON", "maria")) == [("PERSON", "maria")]
    assert lower_case("london loved georgia") == [("LOCATION", "london")]


def test_a_lower_case_place_in_a_hashtag_a_handle_a_link_an_organisation_or_another_span_is_none():
    assert lower_case("#london @lagos t.co/tokyo france.example tokyo_fan tokyo@example.com") == []
    assert lower_case("bank of america app down again") == []
    assert lower_case("new york", ("PERSON", "york")) == [("PERSON", "york")]
    assert lower_case("London and london") == [("LOCATION", "london")]  # a capitalised one is the model's


def test_a_lower_case_given_name_and_a_surname_people_write_capitalised_is_a_person():
    def names(text, *spans):
        given = [(t, text.index(w), text.index(w) + len(w), 0.9) for t, w in spans]
        return [(s[0], text[s[1]:s[2]]) for s in lower_case_names(text, given, LISTS)]

    assert names("paris hilton still saying it lol") == [("PERSON", "paris hilton")]
    assert names("i saw john michael smith there") == [("PERSON", "john michael smith")]  # every surname
    assert names("michael jordan > everyone, max hilton too") == [("PERSON", "michael jordan"),
                                                                  ("PERSON", "max hilton")]
    assert names("just saw john legend live") == []  # "legend" is a word people write in lower case
    assert names("maria rachunek") == []  # a surname the casing table has never seen is not enough
    assert names("#parishilton @michael jordan.com") == []
    assert names("paris hilton", ("LOCATION", "paris")) == [("LOCATION", "paris")]  # another span's words


# -- the place gazetteer in a scrubber (fast profile: no model, so these are the gazetteer's own findings) --


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    scrubber = PresidioScrubber({"workers": 1, "profile": "fast"},
                                Context(workspace=root, artifacts=ArtifactStore(root / "artifacts")))
    yield scrubber
    scrubber.close()


def places_in(scrubber, text):
    return {text[s.start : s.end] for s in scrubber.find([text])[0] if s.type == "LOCATION"}


def test_a_large_city_or_a_country_at_a_sentences_start_is_a_place_a_small_town_is_not(fast):
    assert places_in(fast, "Beijing responded angrily to the sanctions.") == {"Beijing"}
    assert places_in(fast, "Peru, Bolivia and Ecuador reported record heat.") == {"Peru", "Bolivia", "Ecuador"}
    assert places_in(fast, "Soest is lovely.") == set()


def test_named_natural_places_and_places_after_place_words(fast):
    assert places_in(fast, "The Indian Ocean island was placed on alert.") == {"Indian Ocean"}
    assert places_in(fast, "A tanker caught fire in the Strait of Hormuz.") == {"Strait of Hormuz"}
    assert places_in(fast, "The Atacama desert bloomed after the rains.") == {"Atacama"}
    assert places_in(fast, "Jihadist groups spread across the Sahel.") == {"Sahel"}
    assert places_in(fast, "The ship ran aground off the coast of Sicily.") == {"Sicily"}
    assert places_in(fast, "The Moroccan coast is rocky.") == set()
    assert places_in(fast, "The article appeared in the Guardian.") == set()


def test_a_name_the_model_calls_a_person_is_a_place_when_a_place_noun_follows_its_possessive():
    text = "Tigray's regional capital had no power."
    assert model_people(text, "Tigray")[0] == [("LOCATION", "Tigray")]
    assert model_people("Georgia's king spoke.", "Georgia")[0] == [("LOCATION", "Georgia")]
    assert model_people("Tigray's farmers lost the harvest.", "Tigray")[0] == [("PERSON", "Tigray")]


def test_a_place_that_is_also_a_name_at_a_sentences_start_is_one_beside_other_places_or_a_place_noun(fast):
    assert places_in(fast, "Kenya, Uganda and Tanzania agreed to share the cost.") == {"Kenya", "Uganda", "Tanzania"}
    assert places_in(fast, "Jordan's king met the president.") == {"Jordan"}
    assert places_in(fast, "Jordan said he would call back.") == set()


def test_a_datelines_place_in_capitals_is_a_place_whatever_the_model_made_of_it():
    from stillroom.plugins.scrubbers.places import datelines

    def lines(text, *found):
        spans = [(e, text.index(n), text.index(n) + len(n), 0.8) for e, n in found]
        return [(s[0], text[s[1]:s[2]]) for s in datelines(text, spans, LISTS)]

    assert lines("TBILISI — Thousands marched on Sunday.") == [("LOCATION", "TBILISI")]
    assert lines("LONDON, England (AP) - Rents rose.", ("LOCATION", "England")) == [
        ("LOCATION", "LONDON"), ("LOCATION", "England")]
    # The model's "DHAKA - A" person gives way; a span reaching a real name beyond it keeps that name.
    assert lines("TBILISI - A fire broke out.", ("PERSON", "TBILISI - A")) == [("LOCATION", "TBILISI")]
    assert lines("TBILISI - Maria Smith said.", ("PERSON", "TBILISI - Maria Smith")) == [
        ("LOCATION", "TBILISI"), ("PERSON", "Maria Smith")]
    # Each line's dateline; capitals that are no listed place, or are not before a dateline's mark, are left.
    assert lines("Update\nDERNA: the port reopened.") == [("LOCATION", "DERNA")]
    assert lines("BREAKING — Markets fell.") == []
    assert lines("LONDON CALLING is a record.") == []
    # A validated pattern's span is never cut.
    assert lines("LONDON: call", ("PHONE_NUMBER", "LONDON")) == [("PHONE_NUMBER", "LONDON")]


def test_datelines_through_the_scrubber(fast):
    assert places_in(fast, "SÃO PAULO — The central bank held rates.") == {"SÃO PAULO"}
    assert places_in(fast, "KUALA LUMPUR, March 3 - Palm oil futures rose.") == {"KUALA LUMPUR"}
