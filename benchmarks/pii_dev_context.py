"""A second development set of hand-written sentences: names and places that need the words around them.

    .venv/bin/python benchmarks/pii_dev_context.py [--part tune|check|all] [--profile accurate]
                                                  [--misses PERSON] [--false-positives]

Written for this repository on 2026-12-04, from general knowledge, before the
rules it was written to develop (``plugins/scrubbers/organisations.py``, ``ordinary_words.py``) and
without reading any reported set (``benchmarks/pii.py``'s multi-locale
records, WNUT-16 tweets or hand-written news): no sentence copies or imitates
one of theirs. It covers what ``pii_dev_prose.py`` has little of:
organisations named like people or places (companies, clubs, agencies,
newspapers), named facilities, places and people at a sentence's start, and
informal, lower-case text in the style of social media posts.

Like ``pii_dev_prose.py`` it has a ``tune`` part (rules may be fitted to it)
and a ``check`` part written in the same sitting before any tuning, read only
for its figures. Neither is a reported benchmark figure.

Annotation: ``pii_dev_prose.py``'s guide (``{span|L}`` LOCATION, ``{span|P}``
PERSON, ``{span|O}`` ORGANIZATION), and, as in CoNLL-style news annotation,
named facilities (airports, stadiums, bridges, parks, squares, stations) are
LOCATION, and a person's or place's name inside an organisation's or
facility's name is that organisation or facility. A lower-case name is still a
name. User handles ("@name") and hashtags are not labelled.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pii_dev_prose  # noqa: E402  # the markup and the scoring driver

TUNE = """
# organisations named like people or places
Shares of {Ericsson|O} rose after the company won a contract in {India|L}.
{Carlsberg|O} said its sales in {Asia|L} had slowed.
{Unilever|O} will cut 3,000 jobs, the company said on Tuesday.
{Ferrari|O} reported record profits and raised its dividend.
{Boeing|O} delivered fewer planes than expected in the third quarter.
The {Lagos State Water Corporation|O} said supplies would resume on Monday.
The {Uganda Revenue Authority|O} collected more tax than planned.
Analysts at {Goldman Sachs|O} expect two rate cuts next year.
{Atlético Madrid|O} drew 1-1 with {Villarreal|O}.
{Ajax|O} sacked their coach after a fourth straight defeat.
The {Irish Times|O} reported the story on its front page.
{Morgan Stanley|O} opened an office in {Riyadh|L}.
The {Nigerian Ports Authority|O} blamed the delays on a strike.
I used to work for {Bosch|O} in {Stuttgart|L}.
She joined {Accenture|O} straight out of university.
The {Toronto Star|O} said the mayor had resigned.
{Tata Motors|O} said its profit doubled.
The {Bill & Melinda Gates Foundation|O} pledged another 50 million dollars.
The {Salvation Army|O} opened a shelter in {Leeds|L}.
{Rio Tinto|O} agreed to pay a fine in {Australia|L}.
The {Kenya Red Cross|O} sent teams to {Garissa|L}.
{Marks & Spencer|O} will close 30 stores.
{Philips|O} said its medical devices unit would be sold.
The {Ghana Football Association|O} appointed a new coach.
# people, including at a sentence's start and by surname alone
{Okonkwo|P} said the talks had failed.
{Mirela Petrescu|P}, 54, was found guilty of fraud.
{Tanaka|P} scored twice in the second half.
The minister, {Achieng Odhiambo|P}, visited {Kisumu|L} on Friday.
{Dlamini|P} told reporters he would not resign.
Judge {Fatima Bello|P} adjourned the case until May.
According to {Lindqvist|P}, the figures are wrong.
{Pedro Alves|P} and his brother run a bakery in {Braga|L}.
{Nguyen Van Minh|P}, a fisherman, was rescued on Tuesday.
Coach {Erik ten Hag|P} praised his defenders.
# places at a sentence's start, facilities, regions
{Mariupol|L} was besieged for nearly three months.
{Darfur|L} has seen renewed fighting since April.
{Chiapas|L} is one of the poorest states in {Mexico|L}.
{Jos|L} was calm on Sunday after a week of clashes.
Flights resumed at {Jomo Kenyatta International Airport|L} on Wednesday.
The final will be played at {Wembley Stadium|L}.
Traffic was stopped on the {Golden Gate Bridge|L} for an hour.
Crowds filled {Tahrir Square|L} on Friday.
Thousands gathered in {Hyde Park|L} for the concert.
The fire started near {Gare du Nord|L} station.
{Kasese|L}'s main hospital ran out of oxygen.
Floods hit the {Okavango|L} delta earlier than usual.
{Tigray|L}'s farmers lost most of the harvest.
# informal posts
omg just saw {justin bieber|P} at the airport lol
happy birthday {jess|P}!! love you loads
going to the beach with {mike|P} and {sarah|P} this weekend
can't believe {messi|P} missed that penalty
@dan_r thanks for the ride home {tom|P}
me and {kelly|P} are stuck in traffic in {brooklyn|L} again
watching the game at {chris|P}'s place tonight
rip {aretha franklin|P}, what a voice
{Lebron|P} is the best player ever dont @ me
shoutout to {ashley|P} for the amazing cake
heading to {london|L} tomorrow, anyone around?
new video with {Jake|P} is up now
just got back from {vegas|L} and im exhausted
{taylor swift|P} tickets sold out in 10 minutes smh
miss you already {grandma rose|P}
i will be late today, sorry
the new update is great, love the dark mode
can someone tell me where the best pizza is
"""

CHECK = """
# organisations named like people or places
{Heineken|O}'s rival {Diageo|O} raised its forecast.
{Siemens Energy|O} said it would cut 4,000 jobs.
{Honda|O} recalled 500,000 cars because of a faulty pump.
The {Zambia Electricity Supply Corporation|O} announced longer power cuts.
{Porto|O} beat {Benfica|O} 2-0 in the derby.
The {Daily Nation|O} published the letter in full.
He spent ten years at {Barclays|O} before starting his own firm.
{Maersk|O} said its ships would avoid the {Red Sea|L}.
The {Tanzania Ports Authority|O} said the cranes were repaired.
{Renault|O} will build its new electric car in {France|L}.
The {Wellcome Trust|O} funded the study.
{Celtic|O} won the league again.
# people
{Mensah|P} denied the charges.
{Ingrid Solberg|P}, a nurse from {Bergen|L}, won the award.
Detective {Ravi Menon|P} said the inquiry would continue.
{Kowalczyk|P} finished third in the sprint.
The chairman, {Hamid Karimi|P}, resigned in March.
# places and facilities
{Kherson|L} came under shelling overnight.
{Sabah|L} is famous for its rainforests.
The plane landed at {Heathrow Airport|L} an hour late.
Fans gathered outside {Anfield Stadium|L} before kick-off.
{Masai Mara|L}'s lions are counted every year.
The march ended in {Trafalgar Square|L}.
{Balochistan|L} has large gas reserves.
# informal posts
so proud of {emma|P} she passed her driving test
cant wait to see {beyonce|P} in concert next week
dinner with {alex|P} and {jordan|P} was so much fun
{ronaldo|P} is overrated and i said what i said
my flight to {paris|L} got cancelled ugh
thanks {dave|P} for fixing my laptop
can we talk about how good {adele|P} sounded last night
going home to {manchester|L} for christmas
that meeting could have been an email
just finished my first marathon!!
"""


if __name__ == "__main__":
    sys.exit(pii_dev_prose.main(name="pii_dev_context", doc=__doc__, parts=(pii_dev_prose.parse(TUNE), pii_dev_prose.parse(CHECK))))
