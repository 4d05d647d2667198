"""A fourth development set of hand-written news articles: a person named in full once, then by part of the name.

    .venv/bin/python benchmarks/pii_dev_articles.py [--part tune|check|all] [--profile accurate]
                                                   [--misses PERSON] [--false-positives]

Written for this repository on 2026-12-05, from general knowledge, without
reading the detector (``plugins/``, ``core/``) or any reported set
(``benchmarks/pii_heldout/``, ``benchmarks/pii.py``'s records,
``benchmarks/results/``), and without running the detector on it. The events
and the people in it are made up (apart from a few historical figures named
as such); the places and some organisations are real.

Each record is one short article of two to five sentences, as a news site
writes it: a person is named in full once and afterwards by surname alone or
by given name alone. It covers second references at a sentence's start, in
quotations, after a possessive and in title-case headlines; family names
first (Chinese, Japanese, Korean, Vietnamese); Malay "bin"/"binti" names and
Ethiopian and Vietnamese second references by the given name; Spanish and
Portuguese compound surnames shortened to the first surname; hyphenated and
apostrophe surnames (O'Sullivan, D'Souza, N'Guessan, Ó Briain, Ní Mhurchú);
particles (van der, van, de la, de, da, al-). And, in the same
article, words of a person's name meaning something else: a surname or given
name that is also a place ("{Renata Lima|P} ... arrived in {Lima|L}"), a given
name that is a common word ("{Will Hartigan|P} ... "Will the council ...", hope,
grace, rose, patience, justice, victor), a surname that is also a company or
product ("{Honda Ayumi|P}" and "{Honda|O}", "{Sarah Marks|P}" and
"{Marks & Spencer|O}"), a person's name inside an organisation's or facility's
name ("{Adekunle Foundation|O}", "{Bongani Zulu Stadium|L}"), two different
people sharing a surname, and about one article in six with a word that
looks like a surname (Lincoln, Hamilton, Ford, Darwin) but no person named
twice, or no person at all. Articles span Africa, the Middle East, South,
East and Southeast Asia, Europe, the Americas and the Pacific, and courts,
sport, business, politics, health, obituaries and local news.

Like ``pii_dev_prose.py`` it has a ``tune`` part (rules may be fitted to it)
and a ``check`` part written in the same sitting before any tuning, read only
for its figures. Neither is a reported benchmark figure.

Format: one article a line, as ``pii_dev_prose.parse`` reads it. A headline
is written on the same line and ended by "¶", which ``records`` turns into a
newline (one character for one, so the spans do not move): the record's text
is then "Headline\\nStory".

Annotation: ``pii_dev_prose.py``'s guide (``{span|L}`` LOCATION, ``{span|P}``
PERSON, ``{span|O}`` ORGANIZATION), ``pii_dev_context.py``'s rule for named
facilities (airports, stadiums, bridges, parks, squares, stations, streets:
LOCATION, a person's name inside them included) and ``pii_dev_people.py``'s
decisions (titles, ranks and honorifics outside the span: "Dr", "Professor",
"Coach", "Mayor", "Justice"; particles inside; possessive "'s" outside;
hospitals, universities, museums, foundations and trusts ORGANIZATION even
when named after a person; a country's name standing for its national team
LOCATION, and a county's for its county team; diseases, laws and awards named
after people not labelled; the same word labelled by what it names where it
stands). Besides:

- Every mention is its own span, full or partial: the full name, every later
  surname or given name, the name in a headline and inside a quotation.
- A second reference keeps the particles the paper writes with it, inside the
  span, capitalised or not as written: "{De la Fuente|P} is accused",
  "said {de la Fuente|P}", "{Van der Merwe|P}", "{Al-Rashid|P}",
  "{Ferreira da Silva|P}". Malay "bin"/"binti" and everything after it are
  inside the full name; the second reference is the given name ("{Hafiz|P}").
- In a title-case headline, only names are labelled: "{Achterberg|P} Loses
  Appeal Over {Utrecht|L} Land Deal"; a capitalised "Will" or "Nurse"
  there is not a name. Quotation marks around a quoted name are outside the
  span.
- A person's name inside an organisation's name is only that organisation
  ("{AC Milan|O}", "{Adekunle Foundation|O}", "{Marks & Spencer|O}",
  "{Tata Motors|O}", "{McLaren|O}", "{Kaizer Chiefs|O}", "{Orlando Pirates|O}"),
  inside a facility's name only that facility ("{Grace Chanda Stadium|L}",
  "{Félix Houphouët-Boigny International Airport|L}", "{Baker Street|L}").
- A language or people named like a person ("in Zulu") is not labelled.
- A dateline in capitals is a LOCATION ("{MOMBASA|L} —").
- A journal's or newspaper's name keeps its "The" inside ("{The Lancet|O}").
- An abbreviated given name is inside the span ("{Ma. Theresa Bautista|P}");
  so is a Hawaiian ʻokina ("{Kaʻaihue|P}").
- A name quoted as a nickname: quotation marks outside ("as "{Gaz|P}"").
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pii_dev_prose  # noqa: E402  # the markup and the scoring driver

# One article a line; "¶" ends a headline (a newline in the record). Written before any tuning.
TUNE = """
# courts
{Kelechi Nwosu|P}, a former customs officer, was jailed for seven years by a court in {Port Harcourt|L} on Tuesday for taking bribes at the port of {Onne|L}. {Nwosu|P} wept as the sentence was read out. His lawyer, {Ifeoma Uche|P}, said they would appeal. "{Kelechi|P} has always maintained his innocence," {Uche|P} told reporters outside the court.
{Achterberg|P} Loses Appeal Over {Utrecht|L} Land Deal¶{Willem Achterberg|P}, a property developer, lost his appeal against a fraud conviction on Thursday. Judges in {Arnhem|L} found that {Achterberg|P} had misled the city council about the value of the plot. He must now serve the rest of his 18-month sentence.
{Sun Lihua|P}, the former chairwoman of a {Shenzhen|L} electronics maker, was sentenced to 11 years in prison for bribery. A court in {Guangzhou|L} found that {Sun|P} had accepted gifts worth 40 million yuan. {Sun|P}'s husband, {Wang Tao|P}, was given a suspended sentence. Relatives had waited outside in the sun for five hours.
{Declan O'Sullivan|P}'s trial for dangerous driving opened in {Cork|L} on Monday. Prosecutors say {O'Sullivan|P}, 24, was driving at twice the speed limit near {Macroom|L} when his car hit a cyclist. {O'Sullivan|P}'s mother sat in the front row of the public gallery.
{Mohd Hafiz bin Abdul Rahman|P}, a former state official, was charged in {Kuala Lumpur|L} with abuse of power. {Hafiz|P} pleaded not guilty and was released on bail. The {Malaysian Anti-Corruption Commission|O} said it had frozen three of his bank accounts.
{Grace Odhiambo|P} and her brother-in-law, {Paul Odhiambo|P}, went on trial in {Kisumu|L} accused of forging land titles. {Grace Odhiambo|P} denies the charges. {Paul|P}'s lawyer asked for the case to be moved to {Nairobi|L}. The magistrate gave the pair a week's grace to find new sureties.
{Lucas Ferreira da Silva|P}, 31, was arrested in {Belo Horizonte|L} on suspicion of running a pyramid scheme. Police say {Ferreira da Silva|P} took money from more than 4,000 investors across {Minas Gerais|L}. "He promised us 30 percent a month," said one of them, {Márcia Teixeira|P}.
{Agnieszka Kowalczyk|P} and her son {Piotr Kowalczyk|P} were cleared on Wednesday of smuggling cigarettes across the border from {Belarus|L}. The court in {Białystok|L} said there was no evidence that {Agnieszka|P} knew what was in the van. {Piotr|P}, 22, hugged his mother as they left the courtroom.
{Ricardo de la Fuente|P}, the former mayor of {Málaga|L}, will stand trial for embezzlement, a judge ruled on Friday. {De la Fuente|P} is accused of diverting 2.3 million euros of public money to a company owned by his cousin. "I have nothing to hide," {de la Fuente|P} said in a statement.
{Mensah|P}'s Lawyer Says Evidence Was Planted¶The lawyer for {Kojo Mensah|P}, the {Takoradi|L} businessman accused of smuggling gold, said on Monday that police had planted evidence in his client's car. {Mensah|P} has been held in {Accra|L} since March. The lawyer, {Efua Quaye|P}, asked the court to release him on bail.
{Will Hartigan|P}, a councillor in {Swindon|L}, was cleared of misconduct on Wednesday. "Will the council now apologise?" {Hartigan|P} asked as he left the hearing. Officials said they will review how complaints are handled.
A man was fined £400 by magistrates in {Lincoln|L} for letting his dog foul a children's playground. The council said it had issued 320 similar fines across {Lincolnshire|L} this year.
# sport
{Kim Min-jun|P} beat {Kim Tae-hyun|P} 21-18, 21-16 in an all-Korean final at the open in {Jakarta|L}. It was the third time {Kim Min-jun|P} had beaten his compatriot this year. "{Tae-hyun|P} pushed me all the way," the winner said.
{Milan Horvat|P}, the {Croatia|L} midfielder, has signed a three-year contract with {AC Milan|O}. {Horvat|P}, 23, joins from {Dinamo Zagreb|O} for a fee of 18 million euros. "{Milan|P} always dreamed of playing in {Italy|L}," his father said. He will fly to {Milan|L} on Monday for a medical.
{Aisha Bello-Ahmed|P} won the women's 800 metres at the African championships in {Douala|L} on Saturday. {Bello-Ahmed|P}, 20, led from the start and finished in 1:58.4. {Nigeria|L} now has four gold medals at the championships.
{Tomás Ó Briain|P} scored 1-9 as {Kerry|L} beat {Dublin|L} in the semi-final at {Croke Park|L}. {Ó Briain|P}'s father had won the same title with the county in 1986.
{Van der Merwe|P} Ruled Out Of {Springboks|O} Tour¶{Jaco van der Merwe|P}, the flanker, will miss the tour of {New Zealand|L} with a knee injury. The {Stellenbosch|L} player was hurt in training on Tuesday. Coach {Pieter Botha|P} said {Van der Merwe|P} would need surgery.
{Yamamoto Haruka|P} won the women's marathon in {Osaka|L} on Sunday. {Yamamoto|P} broke away from the leaders after 30 kilometres. "{Haruka|P} trained at altitude in {Kunming|L} for two months," said her coach, {Fujita Shin|P}.
{Hamilton|L} will host the final of the rugby league tournament after {Auckland|L} withdrew, organisers said. Tickets go on sale on Friday.
{Jordan Whitlock|P}, the British climber, flew to {Jordan|L} on Friday to attempt a new route in {Wadi Rum|L}. {Whitlock|P}, 27, lost two toes to frostbite in {Nepal|L} last year. "{Jordan|P} does not know the word rest," said her climbing partner, {Sam Adeleke|P}.
{Sofia Petrova|P} won the national chess championship in {Sofia|L} for the fourth time. {Petrova|P}, 19, drew her last game to finish half a point clear. "{Sofia|P} is the strongest player this country has produced," said the federation's president.
{Hasan Mahmud Chowdhury|P} took six wickets as {Bangladesh|L} bowled out {Sri Lanka|L} for 143 in {Chattogram|L}. {Chowdhury|P} had been dropped from the side only two weeks ago. {Hasan|P}'s younger brother, {Rakib|P}, also plays for the national team.
{Daniel Kiprop|P} won the {Berlin|L} marathon on Sunday, two minutes ahead of {Wesley Kiprop|P}, who is no relation. {Daniel Kiprop|P}, 24, was running only his second marathon. "People mix us up all the time," {Wesley|P} said.
{Bongani Zulu|P}, who scored 140 goals for the club, watched the {Bongani Zulu Stadium|L} in {Emalahleni|L} being renamed in his honour on Saturday. {Zulu|P}, 71, thanked the crowd in Zulu and in English.
Shares in {Ford|O} fell 3 percent in {New York|L} after the carmaker cut its profit forecast. Analysts at {Morgan Stanley|O} said demand for electric pickups had slowed.
{Zhao|P} Takes Bronze As {China|L} Tops Diving Table¶{Zhao Jingwen|P} won bronze in the women's 10-metre platform at the world championships in {Fukuoka|L}. {Zhao|P}, 17, was competing at her first world championships. {China|L} won eight of the thirteen diving golds.
{Keisha Houston|P}, a sprinter from {Jamaica|L}, won the 200 metres in {Houston|L} on Saturday. {Houston|P} said she had always wanted to win in the city that shares her name.
# business
{Honda Ayumi|P} has spent twenty years testing motorcycles, but not for {Honda|O}. She works for its rival {Yamaha|O} in {Iwata|L}. "People always ask," {Honda|P} said with a laugh. Last year {Honda|P} set a lap record at the company's test track near {Fukuroi|L}.
{Philippa Dell|P}, the head teacher of a primary school in {Leicester|L}, said the school's old {Dell|O} laptops were no longer safe to use. {Dell|P} has asked parents to help pay for new ones. The {Department for Education|O} said funding was available.
{Jeroen Philips|P}, an engineer, left {Philips|O} after 30 years to start his own company in {Eindhoven|L}. {Philips|P} said he was tired of people assuming he belonged to the founding family. His company makes lamps for greenhouses.
{Lin Xiaoyu|P} was appointed chief executive of the {Hangzhou|L}-based e-commerce group on Monday. {Lin|P}, 44, previously ran its logistics arm. Shares rose 5 percent in {Hong Kong|L} after the announcement. "{Lin|P} knows the business better than anyone," the chairman said.
{Anjali D'Souza|P}, a former {Infosys|O} executive, has raised $40m for her start-up in {Bengaluru|L}. {D'Souza|P}'s company makes software for hospitals. Its investors include {Sequoia Capital|O}.
{Al-Rashid|P} Steps Down As {Gulf Air|O} Chief¶{Tariq al-Rashid|P} will step down as chief executive of {Gulf Air|O} at the end of the month, the airline said in {Manama|L}. {Al-Rashid|P} led the company for six years. His deputy, {Noora Al Sayegh|P}, will take over.
{Abiola Adekunle|P} has taken over the {Adekunle Foundation|O}, the charity set up by her late father, {Tunde Adekunle|P}, in {Ibadan|L}. {Abiola|P} said the foundation would now focus on girls' education. Her father founded it in 1994 after selling his bus company.
{Johnson & Johnson|O} said it would close a plant in {Puerto Rico|L}, cutting 600 jobs. A spokesman, {Derek Halloran|P}, said workers would be offered jobs at other sites.
{Camille Ferrand-Leroux|P} was named chief executive of the {Lyon|L} luxury group on Tuesday. {Ferrand-Leroux|P}, 52, joins from {L'Oréal|O}. She will start in January.
{Bill Mwansa|P}, an opposition MP, said the bill would give the police too much power. Parliament in {Lusaka|L} passed the bill by 87 votes to 60. {Mwansa|P} said his party, the {United Party for National Development|O}, would challenge it in court.
{Morrisons|O} will close 17 of its cafés in {Yorkshire|L} and the {North East|L}, the supermarket said on Thursday. About 400 staff will be offered other jobs in its stores. The union {Usdaw|O} said it would fight the closures.
# politics
{Nomvula Khanyile|P} was elected leader of the opposition in {KwaZulu-Natal|L}'s provincial legislature on Tuesday. {Khanyile|P}, 38, is the youngest person to hold the post. "We are ready to govern," {Khanyile|P} told supporters in {Pietermaritzburg|L}.
{Okwuosa|P} Concedes In {Anambra|L} Governor Race¶{Chidi Okwuosa|P} conceded defeat in the governorship election in {Anambra|L} on Sunday. {Okwuosa|P} won 38 percent of the vote, against 52 percent for the winner, {Ngozi Anyanwu|P}. "I congratulate {Ngozi|P}," {Okwuosa|P} said in {Awka|L}.
{Haider al-Jubouri|P} was sworn in as governor of {Basra|L} on Wednesday. {Al-Jubouri|P} promised to fix the city's water supply before the summer. His predecessor, {Mahdi al-Jubouri|P}, is a distant cousin.
{Pham Thi Hoa|P}, 51, was elected chairwoman of the people's committee in {Hue|L}. {Hoa|P} had been deputy chairwoman since 2019. Residents said they hoped {Hoa|P} would tackle the flooding that hits the old city every autumn.
{Rose Nakamya|P}, the mayor of {Entebbe|L}, said fuel prices rose for the third month in a row. {Nakamya|P} asked the government in {Kampala|L} to cut fuel taxes.
{Lee Ji-won|P} won the by-election in {Daegu|L} by 1,200 votes. {Lee|P}, a former prosecutor, ran as an independent.
{Ingrid van Leeuwen|P} became mayor of {Groningen|L} on Monday. {Van Leeuwen|P} replaces {Hans Meijer|P}, who retired after ten years. One of her first jobs will be the earthquake compensation scheme.
{Washington|L} and {Ottawa|L} agreed on Thursday to extend the softwood lumber deal by two years. Trade officials said the deal would protect jobs in {British Columbia|L}.
{Valentina Soto Aravena|P} was named interior minister of {Chile|L} on Tuesday. {Soto|P}'s appointment follows the resignation of her predecessor over the handling of protests in {Valparaíso|L}.
{Mwale|P}: "We Will Not Back Down"¶{Lazarus Mwale|P}, the leader of the teachers' union in {Malawi|L}, said the strike would go on until salaries were paid. {Mwale|P} spoke to thousands of teachers in {Blantyre|L} on Friday.
{Renata Lima|P}, {Brazil|L}'s new ambassador to {Peru|L}, arrived in {Lima|L} on Monday. {Lima|P} presented her credentials to the president on Wednesday. "It is a nice coincidence," {Lima|P} said of her posting.
# health
Dr {Aaliyah Mahlangu|P}, a paediatrician at {Charlotte Maxeke Johannesburg Academic Hospital|O}, said cases of measles had doubled since June. Dr {Mahlangu|P} urged parents in {Soweto|L} to vaccinate their children.
Rescuers searching for {Hope Chikwanha|P}, 29, in the {Chimanimani|L} mountains said on Wednesday that hope was fading. {Chikwanha|P}, a nurse from {Mutare|L}, went missing on a hike on Saturday. Her sister, {Tendai|P}, said the family would not give up.
Professor {Selin Aydoğan|P} led the study of 12,000 patients in {Istanbul|L}. {Aydoğan|P}'s team found that the drug cut the risk of a second heart attack by a fifth. The results were published in {The Lancet|O}.
{Patience Boateng|P}, a midwife in {Tamale|L}, has delivered babies by torchlight for six months. "You need patience in this job," {Boateng|P} said. The {Ghana Health Service|O} said a generator would arrive next week.
Health officials in {Darwin|L} warned of a rise in melioidosis after the floods. Three people have died across the {Northern Territory|L} since January.
{Mark Tembo|P}, a clinical officer in {Chipata|L}, said the clinic had run out of antimalarial drugs. Cases passed the 10,000 mark last week, {Tembo|P} said.
Dr {Rahul Mehta|P} and his wife, Dr {Sunita Mehta|P}, have run a free eye clinic in {Udaipur|L} for 25 years. {Rahul|P} does the surgery and {Sunita|P} the follow-up care.
# obituaries
{Gareth Llewellyn-Jones|P}, who ran the post office in {Llanberis|L} for 40 years, has died aged 88. {Llewellyn-Jones|P} was known to everyone in the village as "{Gaz|P}". He is survived by his wife, {Megan|P}, and three daughters.
{Carmen de la Rosa Ibáñez|P}, the flamenco dancer, died in {Seville|L} on Thursday aged 79. {De la Rosa|P} toured the world with her own company for three decades. Her son, {Manuel|P}, said she danced until she was seventy.
{Adaeze Nwankwo|P}, Nurse Who Founded {Enugu|L} Hospice, Dies At 84¶{Adaeze Nwankwo|P} opened the first hospice in {Enugu|L} in 1989 with money raised by her church. "{Adaeze|P} never turned anyone away," said her colleague {Chinwe Obi|P}. {Nwankwo|P} is survived by four children.
{Ishikawa Takeshi|P}, the potter, has died in {Kyoto|L} aged 92. {Ishikawa|P}'s tea bowls are held by the {British Museum|O} and the {Metropolitan Museum of Art|O}. He worked at the same kiln for seventy years.
{Desmond Kingston|P}, a reggae bass player from {Kingston|L}, has died in {London|L} aged 74. {Kingston|P} moved to {Britain|L} in 1976 and played with dozens of bands. "{Desmond|P} was the heartbeat of every band he played in," a friend said.
"{Kwesi|P} Was My Hero": Tributes Paid To {Cape Coast|L} Fisherman¶{Kwesi Arthur Mensah|P}, who rescued eleven people when their canoe capsized off {Cape Coast|L} in 2011, has died aged 67. His grandson said {Kwesi|P} had taught half the town to swim.
The {Rhodes Trust|O} said on Monday that it would fund twenty new scholarships for students from {Kenya|L} and {Zimbabwe|L}. The first scholars will arrive in {Oxford|L} next October. Applications close in March.
# local news
{Regina Okafor|P} opened the first Nigerian restaurant in {Regina|L}, {Saskatchewan|L}, in 2015. {Okafor|P} says customers now drive from {Saskatoon|L} for her jollof rice. "{Regina|P} from {Regina|L}: everyone laughs," she said.
{Lorenzo Bianchi|P} and {Giulia Bianchi|P} are not related, but the two neighbours in {Bergamo|L} share a letterbox. {Giulia|P} found out when a parcel for {Lorenzo|P} was left on her doorstep.
Mayor {Tomás Quispe Huamán|P} of {Cusco|L} said the main square would be closed for repairs. {Quispe|P} said the work on the {Plaza de Armas|L} would take six weeks.
{Koffi N'Guessan|P}, a taxi driver in {Abidjan|L}, returned a bag holding 4 million CFA francs to its owner. {N'Guessan|P} found the bag on the back seat after dropping a passenger at {Félix Houphouët-Boigny International Airport|L}. The owner, a trader from {Bouaké|L}, gave him a reward.
{Kirsty McAteer|P}, 34, has been named {Inverness|L}'s volunteer of the year. {McAteer|P} runs a food bank from a church hall in {Merkinch|L}.
{Malia Fonoti|P}, a weaver from {Apia|L}, has taught 300 children the traditional craft. {Fonoti|P} learned it from her grandmother, {Salome|P}, in the village of {Falealupo|L}.
{Berk Aslan|P}, 16, found a Roman coin while fishing near {Antalya|L}. {Berk|P} handed it to the museum in {Side|L}, which said it dated from the second century.
The council in {Nelson|L} approved a new cycle path along the waterfront on Thursday. Work will start in the spring and cost NZ$4m.
A fire broke out at a warehouse off {Baker Street|L} in {London|L} early on Sunday. Nobody was hurt, the {London Fire Brigade|O} said.
A new ferry between {Wellington|L} and {Picton|L} will enter service in March, {KiwiRail|O} said. The ship was built in {South Korea|L} and can carry 1,500 passengers. Crossings of {Cook Strait|L} were cancelled twice last week because of storms.
Flights were delayed at {Kenneth Kaunda International Airport|L} in {Lusaka|L} after a power cut on Tuesday night. Passengers waited in the dark for four hours. The airport's operator blamed a fault at a substation.
"""

CHECK = """
# courts
{Ebere Chukwudi|P}, a former bank manager, was convicted in {Lagos|L} of stealing 300 million naira from customers' accounts. {Chukwudi|P} will be sentenced next month. Her co-accused, {Femi Alade|P}, was acquitted. "{Femi|P} has been through hell," his brother said outside.
{Nakashima|P} Cleared Of Insider Trading¶{Nakashima Ren|P}, a former fund manager, was cleared of insider trading by a court in {Tokyo|L} on Friday. Prosecutors had accused {Nakashima|P} of trading on a tip from a friend at {Nomura|O}. {Nakashima|P}'s lawyers said he would sue for damages.
{Ali bin Nasser Al-Amri|P}, a property developer, was ordered by a court in {Muscat|L} to repay 2 million rials to investors. {Al-Amri|P}'s company collapsed in 2022. He has 60 days to appeal.
{Sean Byrne|P} and {Martin Byrne|P}, who are not related, were jailed on Tuesday for a robbery at a jeweller's in {Dundalk|L}. {Sean Byrne|P}, 30, was given six years. The judge said {Martin|P}, 19, had been led astray by an older man.
{Hosseini|P}'s Sister Pleads For Her Release¶The sister of {Nasrin Hosseini|P}, a journalist held in {Tehran|L} since January, appealed on Monday for her release. "{Nasrin|P} did nothing but report the news," {Leila Hosseini|P} said in {Paris|L}.
{Justice Osei-Bonsu|P}, a lawyer in {Kumasi|L}, said justice had been denied to his client. The ruling was made on Thursday by Justice {Comfort Asare|P}. {Osei-Bonsu|P} said he would appeal in {Accra|L}.
{Elise van der Linden|P}, a notary in {Antwerp|L}, was suspended on Monday. Prosecutors say {van der Linden|P} forged the signatures of three elderly clients on their wills. {Van der Linden|P} denies any wrongdoing.
{Guo Hongwei|P} was sentenced to death with a reprieve by a court in {Tianjin|L} for taking bribes worth 300 million yuan. {Guo|P}, a former deputy mayor of the city, confessed in court.
A court in {Jackson|L}, {Mississippi|L}, ordered the city to fix its water system within two years. The judge appointed an outside manager to run it.
# sport
{Saoirse Ní Mhurchú|P} won gold in the women's lightweight sculls at the European championships in {Lucerne|L}. {Ní Mhurchú|P}, 24, from {Skibbereen|L}, beat the world champion by a second.
{Kiplagat|P} Breaks Course Record In {Boston|L}¶{Brenda Kiplagat|P} broke the course record at the {Boston|L} marathon on Monday. {Kiplagat|P}, 26, is from {Iten|L}, the small town in {Kenya|L}'s {Rift Valley|L} that has produced dozens of champions.
{Park Seo-jin|P} and {Park Ha-eun|P}, who are twins, took gold and silver in the women's 1,500 metres in {Gangneung|L}. {Seo-jin|P} won by a skate's length. "We train together every day," {Ha-eun|P} said.
{Charlotte Baptiste|P}, 19, grew up in {Port-au-Prince|L} and now plays basketball for a college team in {Charlotte|L}. {Baptiste|P} was named player of the week on Monday.
{Santiago Ruiz|P}, the {Argentina|L} winger, has joined {Universidad de Chile|O} in {Santiago|L}. {Ruiz|P} scored nine goals last season for {Boca Juniors|O}. "{Santiago|P} in {Santiago|L}: the fans already have a song," the club's president joked.
{Victor Ncube|P} emerged the victor after five hours on court in {Harare|L}. {Ncube|P}, 22, will play in the final on Sunday.
{Nur Aisyah binti Kamal|P} won the women's singles title in {Kuala Lumpur|L} on Sunday. {Nur Aisyah|P}, 18, is the youngest national champion in thirty years.
{Grace Chanda|P}, who captained {Zambia|L} at three World Cups, cut the ribbon at the {Grace Chanda Stadium|L} in {Kitwe|L}. "I never thought I would see my name on a building," {Chanda|P} said.
{McLaren|O} confirmed on Tuesday that it would keep both of its drivers next season, ending weeks of speculation in {Woking|L}. The team finished second in the constructors' standings this year.
{Dlamini|P} Double Sinks {Orlando Pirates|O}¶{Lwazi Dlamini|P} scored twice as {Kaizer Chiefs|O} beat {Orlando Pirates|O} 2-1 at {FNB Stadium|L} in {Johannesburg|L}. {Dlamini|P}'s second goal came in stoppage time.
{Suzuki Yui|P}, 23, rode a {Suzuki|O} to win the national motocross title in {Sugo|L}. {Suzuki|P} said the company had not sponsored her until this year.
# business
{Zhang Lei|P}, the founder of a {Suzhou|L} robotics company, said he would list its shares in {Shanghai|L} next year. {Zhang|P}'s company makes robot arms for car factories. Its biggest customer is {BYD|O}.
{Sarah Marks|P} has worked at {Marks & Spencer|O} in {Leeds|L} for 31 years and is tired of the jokes. "Customers ask me if I own the place," {Marks|P} said. The retailer was founded in the city in 1884 by {Michael Marks|P}, to whom she is not related. Staff gave her full marks for patience.
{Akua Sarpong|P} was named managing director of the {Ghana Cocoa Board|O} on Monday. {Sarpong|P} takes over as farmers in the {Western Region|L} struggle with swollen shoot disease. "{Akua|P} knows the farms," a union leader said.
{Fonseca|P} Named Head Of {Angola|L}'s Oil Company¶{Manuel Fonseca|P} will run {Sonangol|O}, the state oil company, from March. {Fonseca|P} previously worked for {TotalEnergies|O} in {Luanda|L}.
{Tata Motors|O} said sales rose 12 percent in November. Demand was strongest in {Maharashtra|L}.
{Brendan O'Dowd|P}, the owner of a bakery chain in {Belfast|L}, has sold the business to {Finsbury Food Group|O}. {O'Dowd|P} will stay on as a consultant. "{Brendan|P} built this from one shop," said a long-serving manager.
{Marie-Hélène Dubois-Lefèvre|P} was named chair of the {Bordeaux|L} wine council on Tuesday. {Dubois-Lefèvre|P} owns a small estate in {Pomerol|L}.
# politics
{Meron Tadesse|P} was named {Ethiopia|L}'s ambassador to {Kenya|L} on Thursday. {Meron|P}, who like most Ethiopians is known by her given name, previously served in {Geneva|L}.
{Banda|P} Wins Re-Election In {Zomba|L}¶{Esther Banda|P} won re-election to parliament in {Zomba|L} with 58 percent of the vote. {Banda|P}'s nearest rival, {Yusuf Banda|P}, is her cousin.
{Prince Mahlaba|P}, 34, was elected speaker of the council in {Msunduzi|L}. {Mahlaba|P} said he had no royal connections, despite his first name.
{Hsu Chia-hui|P} was elected mayor of {Taichung|L} on Saturday. {Hsu|P}, 49, ran on a promise to build a new metro line.
{Antônio Carlos de Oliveira|P} was elected governor of {Bahia|L} on Sunday. {Oliveira|P} will take office in {Salvador|L} on 1 January.
{Silas Wekesa|P}, the governor of {Bungoma|L}, was impeached by the county assembly on Tuesday. {Wekesa|P}'s allies walked out before the vote. "This is a witch-hunt," {Wekesa|P} said.
Voters in {Hamilton|L}, {Ontario|L}, will choose a new mayor on Monday after {Claire Doucet|P} stepped down. Eleven candidates are on the ballot. Turnout at the last election was 38 percent.
{Adelaide Kwofie|P} moved from {Accra|L} to {Adelaide|L} in 2001 and was elected to the city council on Saturday. {Kwofie|P} is the first African-born councillor in {South Australia|L}.
# health
Dr {Yetunde Afolabi|P}, the head of the {Lagos University Teaching Hospital|O}, said the hospital had lost 40 doctors to {Britain|L} this year. {Afolabi|P} asked the government to raise salaries. "We train them and they leave," Dr {Afolabi|P} said.
{Will Tremaine|P}, a paramedic in {Truro|L}, said ambulances were queueing outside the hospital for hours. "Will anyone listen?" {Tremaine|P} asked. The {NHS|O} trust said it was opening extra beds.
{Le Thi Thu|P}, a nurse in {Can Tho|L}, has vaccinated more than 20,000 children against measles. {Thu|P} trained in {France|L}, at a hospital in {Le Havre|L}.
Professor {Rohan Banerjee|P} of the {Indian Institute of Science|O} in {Bengaluru|L} said the new test could detect tuberculosis in an hour. {Banerjee|P}'s team tried it on 3,000 patients in {Odisha|L}.
Cases of Lyme disease rose by a third in {Connecticut|L} last year, state officials said. Most infections were reported in {Fairfield County|L}.
Dr {Farida Osman|P} opened the {Osman Clinic|O} in {Hargeisa|L} in 2004 and named it after her father, {Abdi Osman|P}. {Farida|P} said the clinic now sees 200 patients a day.
# obituaries
{Dilnoza Yusupova|P}, the singer, has died in {Tashkent|L} aged 81. {Yusupova|P} recorded more than 300 songs. Her granddaughter, {Malika|P}, said she sang until the end.
{Ssenyonga|P}, Builder Of {Kampala|L}'s First Tower, Dies At 90¶{Joseph Ssenyonga|P} built the first office tower in {Kampala|L} in 1971. {Ssenyonga|P}'s company went on to build roads across {Uganda|L}.
{Michele D'Alessandro|P}, the tenor, has died in {Naples|L} aged 86. {D'Alessandro|P} sang in opera houses from {Milan|L} to {Buenos Aires|L}.
{Lorraine Mercier|P}, who ran a bakery in {Metz|L}, in {Lorraine|L}, for fifty years, has died aged 93. "{Lorraine|P} from {Lorraine|L}," her customers used to call her. {Mercier|P} baked her last loaf at 88.
{Mori Sachiko|P}, the novelist, has died in {Sapporo|L} aged 77. {Mori|P}'s books about fishing families in {Hokkaido|L} sold millions of copies.
# local news
{Issa Konaté|P}, a baker in {Bamako|L}, has kept his oven burning through three months of power cuts. {Konaté|P} uses wood bought from traders in {Ségou|L}.
{MOMBASA|L} — {Salim Juma Abdalla|P}, a ferry captain, pulled four children from the water when a boat capsized at {Likoni|L} on Sunday. {Abdalla|P} said he had seen them from the bridge of his ferry.
{Noelani Kaʻaihue|P}, 15, won the state science fair in {Honolulu|L} with a study of coral bleaching. {Kaʻaihue|P} collected her samples off {Kāneʻohe Bay|L}.
Residents of {Stanley|L}, the capital of the {Falkland Islands|L}, were asked to save water after a dry winter. The reservoir is at a third of its usual level. Hosepipes have been banned until further notice.
The government of the {Marshall Islands|L} asked for help after waves flooded homes in {Majuro|L}. About 600 people spent the night in schools and churches. {Australia|L} said it would send water purification units.
{Ma. Theresa Bautista|P}, a fisherman's wife from {Tacloban|L}, started a cooperative that now has 200 members. {Bautista|P} said the group would buy its first boat next year.
Trains between {Darlington|L} and {Middlesbrough|L} were cancelled on Monday because of flooding. Buses replaced them for most of the day. The rail operator {Northern|O} said services would resume on Tuesday.
"""


def _articles(block: str) -> list[dict]:
    parsed = pii_dev_prose.parse(block)
    for record in parsed:
        record["text"] = record["text"].replace("¶", "\n")  # a headline's end: one character for one
    return parsed


if __name__ == "__main__":
    sys.exit(pii_dev_prose.main(name="pii_dev_articles", doc=__doc__, parts=(_articles(TUNE), _articles(CHECK))))
