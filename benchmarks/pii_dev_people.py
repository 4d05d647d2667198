"""A third development set of hand-written sentences: people's names in news prose, and the places around them.

    .venv/bin/python benchmarks/pii_dev_people.py [--part tune|check|all] [--profile accurate]
                                                 [--misses PERSON] [--false-positives]

Written for this repository on 2026-12-04, from general knowledge, without
reading the detector (``plugins/``, ``core/``) or any reported set
(``benchmarks/pii_heldout/``, ``benchmarks/pii.py``'s records); the people in
it are made up, apart from a few historical figures. It covers the hard cases
for a name detector in news-style English: names from every region and
transliteration (West, East and Southern African, Arabic, Persian, Turkish,
South Asian, East and Southeast Asian with the family name first, Slavic,
Nordic, Hispanic compound surnames, Portuguese, Dutch and German particles,
Irish and Scottish, Hawaiian and Pacific, Indigenous); second references by
surname or by given name alone, names at a sentence's start and in
headlines, names followed by an age, possessives, initials, hyphens and
nicknames; people named like ordinary words, days, months, places and
brands, next to those words, places and brands themselves; organisations
and facilities named after people; and about one sentence in seven with no
person at all.

Like ``pii_dev_prose.py`` it has a ``tune`` part (rules may be fitted to it)
and a ``check`` part written in the same sitting before any tuning, read only
for its figures. Neither is a reported benchmark figure.

Annotation: ``pii_dev_prose.py``'s guide (``{span|L}`` LOCATION, ``{span|P}``
PERSON, ``{span|O}`` ORGANIZATION) and ``pii_dev_context.py``'s rule for named
facilities (airports, stadiums, bridges, parks, squares, stations, streets:
LOCATION, the person's name inside them included). Besides:

- Titles, ranks and honorifics are outside the span, whatever the language:
  "Mr", "Dr", "Judge", "Major", "Sheikh", "Alhaji", "Imam", "Daw", "U",
  "Aunty", "Chief Superintendent". Particles and generational parts of a
  name are inside: "{Pieter van der Berg|P}", "{von Hohenfels|P}",
  "{Khalid bin Saeed al-Mansouri|P}".
- A nickname inside a full name is part of that one span
  ("{Kwame "The Hammer" Boateng|P}"); a nickname used alone is a PERSON, its
  quotation marks outside ("known as "{Tiny|P}"").
- "Yaw and Abena Asante": each given name is its own span, the shared surname
  goes with the last ("{Yaw|P} and {Abena Asante|P}").
- Hospitals, universities, museums and foundations are ORGANIZATION, even when
  named after a person or a saint; a country's name standing for its national
  team is LOCATION, as in CoNLL-style news annotation.
- Storms, awards, laws and diseases named after people ("Hurricane Beryl",
  "the Nobel Prize", "Alzheimer's disease") are not labelled.
- The same word is labelled by what it names in that sentence: "{Hope|P} said"
  but "Hope is fading", "{Georgia Lambert|P}" but "{Georgia|L}", "{Ford|O}" the
  carmaker but "{Delia Ford|P}", and "the king" (no name) is not labelled.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pii_dev_prose  # noqa: E402  # the markup and the scoring driver

TUNE = """
# West, East and Southern African names; second references by surname
{Oluwaseun Adeyemi|P}, a former banker, won the {Lagos|L} seat by fewer than 2,000 votes.
{Adeyemi|P} thanked her supporters in {Ikeja|L} and promised to fix the roads first.
{Chukwuemeka Okonkwo|P} told the court in {Abuja|L} that he had never met the accused.
{Okonkwo|P} said he would appeal against the ruling.
{Ama Owusu-Ansah|P}, 41, runs a textile workshop on the outskirts of {Kumasi|L}.
"We have waited since March," said {Kofi|P}, a cocoa farmer who asked that his surname not be used.
The defence called {Aminata Diallo|P}, a nurse from {Conakry|L}, as its first witness.
{Fatou Ndiaye|P} and her brother {Cheikh|P} have run the same fabric stall in {Dakar|L} for two decades.
Police in {Nairobi|L} are searching for {Brian Otieno Wafula|P}, 27, who was last seen on {Ngong Road|L}.
{Wanjiru Kamau|P}'s lawyer said her client would plead not guilty to all three charges.
{Tesfaye Bekele|P} led from the bell to win the men's 10,000 metres in {Addis Ababa|L}.
{Hiwot Alemu|P} finished second in the women's race, four seconds behind the winner.
{Abdirahman Warsame|P}, who left {Mogadishu|L} in 2009, now drives a taxi in {Minneapolis|L}.
{Thandiwe Mthembu|P} was sworn in as mayor of {Durban|L} on Friday.
"{Sipho|P} never complained," his mother, {Nomsa Dlamini|P}, said at the memorial service.
Judge {Grace Nakato Ssempijja|P} adjourned the hearing in {Kampala|L} until next month.
{J. K. Mensah|P}, the chairman of the national cocoa board, resigned on Monday.
{Mensah|P} had held the post since 2016 and denies any wrongdoing.
{Yaw|P} and {Abena Asante|P} married in {Accra|L} in 1962 and ran a pharmacy there for forty years.
{Mamadou Sangaré|P}, a fisherman from {Mopti|L}, says the {Niger|L} has never been so low.
Alhaji {Musa Danjuma Bello|P} donated the land for the new clinic in {Kano|L}.
# Arabic, Persian and Turkish names
{Layla Haddad|P} was named chief executive of the {Beirut|L}-based lender on Tuesday.
{Haddad|P}'s first task will be to restructure about $2bn of debt.
{Khalid bin Saeed al-Mansouri|P}, the energy minister, arrived in {Vienna|L} for the talks.
{Al-Mansouri|P} declined to comment on output levels after the meeting.
{Omar El-Sayed|P}, 19, scored twice as {Al Ahly|O} beat {Zamalek|O} 3-1 in {Cairo|L}.
Sheikh {Abdullah Al Nuaimi|P} opened the desalination plant near {Ajman|L} on Sunday.
{Nour Abu Ghazaleh|P} says she learned to cook from her grandmother in {Nablus|L}.
{Youssef Ben Ammar|P}, a lawyer in {Sfax|L}, represents three of the detained journalists.
{Shirin Rahimi|P}'s documentary about women cyclists in {Isfahan|L} premiered in {Berlin|L}.
{Dariush Farahani|P}, a {Tehran|L} architect, has spent a decade restoring old caravanserais.
{Mohammad-Reza Tehrani|P} was born in {Mashhad|L}, not in {Tehran|L}, despite his surname.
{Elif Şahin|P} became the first woman to lead the chamber of commerce in {Izmir|L}.
{Mehmet Yildirim|P}, a contractor from {Bursa|L}, said the bridge would open before winter.
Mr {Yildirim|P} blamed the delay on the cost of steel.
{Zeynep Öztürk|P}, 23, set a national record in the 400 metres hurdles in {Ankara|L}.
# South Asian names
{Priya Raghavan|P}, a software engineer from {Chennai|L}, won the open chess tournament in {Reykjavik|L}.
{Raghavan|P}'s father taught her the game when she was five.
Dr {K. S. Narayanan|P} of the {All India Institute of Medical Sciences|O} led the trial.
{Harpreet Kaur Sandhu|P} said her family had farmed near {Ludhiana|L} for four generations.
{Muhammad Asif Chaudhry|P}, a shopkeeper in {Faisalabad|L}, lost all his stock in the floods.
{Tahmina Akter|P}, 22, sews shirts in a factory in {Gazipur|L}, north of {Dhaka|L}.
{Nimal Perera|P} took five wickets as the visitors were bowled out for 187 in {Galle|L}.
{Bishnu Prasad Adhikari|P}, a guide from {Solukhumbu|L}, has reached the summit of {Everest|L} eleven times.
"{Venkat|P} was always the quiet one," said his former colleague {Arjun Mehta|P}.
{Venkatesh Subramaniam|P} died in a road accident near {Mysuru|L} on Saturday.
{Subramaniam|P}, who was 46, had founded the company in his parents' garage.
# East and Southeast Asian names, family name first where that is the custom
{Liu Qingmei|P}, a retired teacher in {Chengdu|L}, has led the neighbourhood dance group since 2011.
{Liu|P} said the group now has more than sixty members.
{Chen Haoran|P} beat {Zhao Yifan|P} 21-17, 21-19 in the final in {Guangzhou|L}.
{Park Ji-hoon|P}, 31, was arrested at {Incheon International Airport|L} on Sunday.
Prosecutors say {Park|P} moved the money through accounts in {Hong Kong|L}.
{Kim Soo-yeon|P}'s debut novel has sold 400,000 copies in {South Korea|L}.
{Watanabe Kenji|P}, the mayor of {Sendai|L}, asked residents to stay indoors.
{Nguyen Thi Lan|P} sells noodle soup from a cart in {Hanoi|L}'s {Old Quarter|L}.
"I get up at four every morning," {Lan|P} said.
{Somchai Wongsakul|P}, a rice farmer in {Khon Kaen|L}, borrowed money to dig a new well.
{Somchai|P} expects the loan to take ten years to repay.
{Maria Cristina Dela Cruz|P} won the mayoral race in {Iloilo City|L} by 300 votes.
{Sutrisno|P}, who like many Indonesians uses a single name, has sold batik in {Yogyakarta|L} since 1990.
{Ahmad Faizal bin Hassan|P} was fined by a magistrate in {Johor Bahru|L} for selling fake permits.
Daw {Khin Mar Aye|P}, 68, fled her village in {Sagaing|L} with two of her grandchildren.
# Slavic and Nordic names
{Oleksandr Kovalenko|P}, 52, was injured when a drone hit his apartment block in {Kharkiv|L}.
{Katarzyna Wiśniewska|P} was elected head of the bar association in {Kraków|L}.
{Dragan Petrović|P} and {Milica Jovanović|P} were among the protesters detained in {Belgrade|L}.
{Jiří Dvořáček|P} restores church organs in villages across {Moravia|L}.
{Svetlana Morozova|P}, a pensioner in {Yekaterinburg|L}, says her heating bill has doubled.
{Sigríður Jónsdóttir|P} keeps 400 sheep on a farm in the {Westfjords|L}.
{Sigríður|P}, like most Icelanders, goes by her first name, even in the newspapers.
{Lars-Erik Lindqvist|P} stepped down as chairman of the {Gothenburg|L} shipping group.
{Aino Virtanen|P} won the women's sprint in {Lahti|L} by a tenth of a second.
{Bjørn Håkonsen|P}, 70, rowed alone from {Bergen|L} to the {Shetland Islands|L}.
# Hispanic, Portuguese, Dutch and German names
{Lucía Fernández Ortega|P}, a judge in {Seville|L}, ordered the release of the two men.
{Fernández Ortega|P} said the evidence had been obtained illegally.
{María José Gómez de la Cruz|P} is the first woman to run the port of {Valparaíso|L}.
{Maria Lopes|P}, 34, a nurse from {Porto|L}, moved to {Luxembourg|L} in 2015.
{João Pedro dos Santos Ferreira|P} signed a four-year contract with {Benfica|O}.
{Juan Pablo Arias-Mora|P} was re-elected mayor of {Cartago|L} with 61 percent of the vote.
{Ximena Quispe Mamani|P} sells woven blankets at a market in {El Alto|L}.
{Pieter van der Berg|P}, the harbour master in {Rotterdam|L}, warned of long delays.
{Van der Berg|P} said the strike had already cost the port millions.
{Anouk ter Horst|P} and {Dirk de Vries|P} will present the evening news on {NOS|O}.
{Clara von Hohenfels|P}, 88, left her estate in {Franconia|L} to a wildlife trust.
A nephew of {von Hohenfels|P} said the will would not be contested.
{Karl-Heinz Brandt|P} coached the youth team in {Dortmund|L} for twelve years.
# Irish, Scottish, Hawaiian, Pacific and Indigenous names
{Siobhán O'Neill|P} topped the poll in {Donegal|L} on the first count.
{O'Neill|P}'s running mate, {Ciarán Mac Giolla Phádraig|P}, took the second seat.
{Fiona McAllister|P}, 29, from {Paisley|L}, was jailed for four years on Thursday.
{Hamish MacLeod|P} has fished the waters off {Lewis|L} all his life.
{Keoni Kahananui|P} paddled the channel between {Molokai|L} and {Oahu|L} in under six hours.
{Leilani Kealoha|P}, who teaches hula in {Hilo|L}, has 80 students this year.
{Sione Vaipulu|P} scored two tries on his debut in {Nuku'alofa|L}.
{Aroha Te Whata|P} is the first Māori woman to chair the regional council in {Rotorua|L}.
{Darlene Yazzie|P}, a weaver from {Chinle|L}, {Arizona|L}, sells her rugs at the trading post.
{Marcus Two Bulls|P} coached the basketball team at a school on the {Pine Ridge Reservation|L}.
{Winona Standing Elk|P} said the water rights case had taken eleven years.
{Elisapee Kilabuk|P}, a carver from {Pangnirtung|L} on {Baffin Island|L}, won the prize.
# Initials, hyphens, nicknames, first names alone
{T. J. Oyelaran|P} and {R. M. Okeke|P} were named to the board on Wednesday.
{Marie-Claire Nkurunziza|P} opened a bakery in {Bujumbura|L} with a loan from her church.
{Jean-Baptiste Kouassi|P} scored the winner for {ASEC Mimosas|O} in {Abidjan|L}.
{Kouassi|P}, 20, has now scored in five straight games.
{Anna Kowalska-Nowak|P} runs the only bookshop in {Zakopane|L}.
{Kwame "The Hammer" Boateng|P} kept his title with a third-round stoppage in {Accra|L}.
Everyone at the market knows him as "{Tiny|P}", though he stands almost two metres tall.
{Lungile "Lulu" Zondo|P}, 45, has sung in the church choir in {Soweto|L} since she was a girl.
"{Amina|P} is stronger than all of us," her sister said.
The woman, who gave her name only as {Rosa|P}, said she had waited three days at the border.
{E. J. van Rooyen|P} was appointed finance director of the {Stellenbosch|L} winery.
# headlines
{Adeyemi|P} wins {Lagos|L} seat after recount
{Haddad|P} to lead {Beirut|L} lender as debt talks stall
{Okonkwo|P} loses appeal over {Abuja|L} land deal
{Virtanen|P} Takes Sprint Gold In {Lahti|L}
{Price|P} Warns Of Feed Shortage As Welsh Farmers Sell Herds
Hope Rises For Missing Fishermen Off {Mauritania|L}
# people named like ordinary words, days and months
{Hope Adjei|P}, 17, won a scholarship to study engineering in {Kumasi|L}.
{Hope|P} said she wanted to build bridges in her home district.
Hope is fading for the six fishermen missing off the coast of {Mauritania|L}.
{Summer Okafor|P}, 26, was the youngest candidate on the ballot in {Enugu|L}.
The summer has been the driest on record in {Andalusia|L}.
{Sunday Adebayo|P} was arrested on Sunday after a raid in {Ibadan|L}.
{Blessing Chukwu|P} and {Memory Phiri|P} set up the cooperative in {Lilongwe|L}.
{Gift Moyo|P}, a nurse in {Bulawayo|L}, said the ward had run out of gloves.
{June Okoro|P} will take over as head teacher in June.
{April Santos|P}, 38, opened the bakery in {Fall River|L} last April.
{Caroline May|P}'s first novel is set in {Cornwall|L}.
{August Lindgren|P} plans to retire in August after forty years at the sawmill.
{Will Dunmore|P} said he will not stand again.
{Grace Wanjiku|P} said grace before the meal and then handed out the prizes.
# people named like places, and the places themselves
{Paris Whitfield|P}, 31, was named the festival's new director.
{Whitfield|P} moved from {Paris|L} to {Lyon|L} when she was twelve.
{Jordan Kessler|P} helped deliver food parcels across the border into {Jordan|L}.
{Jordan|L} reopened its border crossing with {Syria|L} on Monday.
{Chelsea Ortiz|P} has lived in {Chelsea|L} for ten years and can no longer afford the rent.
{Chelsea|O} beat {Everton|O} 2-0 at {Stamford Bridge|L} on Saturday evening.
{Georgia Lambert|P} was born in {Savannah|L}, {Georgia|L}, and trained as a nurse there.
{Georgia|L}'s parliament passed the law despite protests outside in {Tbilisi|L}.
{Israel Mbatha|P}, a pastor in {Pietermaritzburg|L}, led prayers for the victims.
{Florence Achieng|P} met her husband in {Florence|L} while studying art.
{Austin Reyes|P} moved to {Austin|L}, {Texas|L}, for a job at a chip maker.
{Washington Oduya|P}, a lawyer in {Kisumu|L}, filed the petition on Friday.
{Washington|L} and {Beijing|L} agreed to resume the talks next month.
{Dakota Finch|P} grew up on a cattle ranch in {North Dakota|L}.
# people named like brands, jobs and adjectives, and the brands themselves
{Delia Ford|P} worked on the assembly line at {Ford|O} for thirty years.
{Ford|O} will cut 1,200 jobs at its plant in {Valencia|L}.
{Christian Dior|P} showed his first collection in {Paris|L} in 1947.
{Dior|O} said sales in {China|L} had slowed in the third quarter.
{Owen Price|P} said the price of feed had doubled since the spring.
{Price|P}, who farms near {Brecon|L}, has sold half his herd.
{Rosalind King|P} received her award from the king at {Windsor Castle|L}.
{King|P} said the award belonged to the nurses she had trained.
{Rich Kowalski|P} says he is not rich, despite winning the lottery in 2019.
{Daniel Young|P} won the seat in {Cardiff|L} with a majority of 4,000.
{Young|P} said young voters had decided the race.
{Patricia Major|P} was promoted to the rank of major in 2019.
Major {Samuel Okafor|P} led the peacekeeping patrol near {Goma|L}.
{Ellis Baker|P}, a baker in {Ludlow|L}, won the national bread award.
{Baker|P} starts work at three in the morning, six days a week.
# organisations, facilities and things named after people
Researchers at {Johns Hopkins University|O} said the vaccine was safe in children.
Flights from {John F. Kennedy International Airport|L} were delayed by the storm.
Hurricane Beryl made landfall near {Matagorda|L} early on Monday.
The {Nelson Mandela Foundation|O} will open its archive to researchers in {Johannesburg|L}.
Two men were arrested at {Ben Gurion Airport|L} carrying forged passports.
A statue of {Simón Bolívar|P} stands at the end of {Avenida Simón Bolívar|L} in {Caracas|L}.
Traffic on the road to {Jomo Kenyatta International Airport|L} was backed up for hours.
The ferry crossed {Lake Victoria|L} from {Mwanza|L} to {Bukoba|L}.
The {Eiffel Tower|L} closed early because of a strike.
{King's College London|O} will raise fees for overseas students.
Crowds gathered at {Rajiv Gandhi International Stadium|L} in {Hyderabad|L} for the final.
{Washington State University|O} found that the soil samples had been contaminated.
The art museum in {São Paulo|L} reopened after a two-year renovation.
The {Bill & Melinda Gates Foundation|O} pledged $50m to fight malaria in {Mozambique|L}.
Passengers at {Charles de Gaulle Airport|L} waited up to four hours.
Doctors at {St Mary's Hospital|O} in {London|L} said the boy was stable.
Early signs of Alzheimer's disease were found in a third of the brain scans.
Sanctions under the Magnitsky Act were imposed on four officials in {Minsk|L}.
The Nobel Prize in chemistry was shared by three scientists working in {Japan|L}.
# courts, obituaries, business, health and weather
{Rafael Domínguez Soto|P}, 58, was sentenced to nine years for fraud in {Monterrey|L}.
{Domínguez|P}'s lawyers said they would appeal against the sentence.
{Edith Nakamura-Hale|P}, who ran the only cinema in {Kahului|L}, died on Tuesday aged 91.
She is survived by her son, {Keith|P}, and four grandchildren.
{Ingrid Øvrebø|P} will take over as chief executive of {Norsk Hydro|O} in January.
Dr {Fatima Zahra Benali|P}, a paediatrician in {Casablanca|L}, warned of a rise in measles cases.
Snow is expected across {Scotland|L} and northern {England|L} on Friday.
"""

CHECK = """
# West, East and Southern African names; second references by surname
{Ngozi Eze-Okafor|P}, 39, was appointed commissioner for health in {Enugu|L} on Thursday.
{Eze-Okafor|P} said her first priority would be the maternity wards.
{Kwabena Ampofo|P}, a goalkeeper from {Tamale|L}, saved two penalties in the shoot-out.
{Ampofo|P}'s club confirmed that he had signed a new contract.
{Ousmane Camara|P} and {Awa Sow|P} were among the passengers rescued off {Nouadhibou|L}.
"{Ousmane|P} held my hand the whole night," {Sow|P} told reporters.
{Achieng Odhiambo|P}, a teacher in {Kisii|L}, has adopted three of her former pupils.
{Meseret Haile|P} won the women's race in {Hawassa|L} in a course record.
{Halima Abdi Farah|P}, 54, runs a clinic for displaced families outside {Baidoa|L}.
Judge {Peter Mugisha Rwakabuba|P} dismissed the case, saying the police had lost the evidence.
{Lindiwe Khumalo|P} was elected chair of the miners' union in {Rustenburg|L}.
{Thabo|P} and {Palesa Mokoena|P} lost their home in the fire in {Alexandra|L}.
{O. A. Babatunde|P}, the head of the port authority, denied the allegations.
{Babatunde|P} said the containers had been cleared legally.
A trader who gave only his first name, {Chinedu|P}, said prices had tripled since January.
# Arabic, Persian and Turkish names
{Rania Khoury|P}, a pharmacist in {Tripoli|L}, said the shelves had been empty for weeks.
{Khoury|P}'s shop is one of the few still open in the old city.
{Hamad bin Rashid Al Suwaidi|P} was named chairman of the {Dubai|L} property developer.
{Ahmed Abdel-Rahman|P}, 24, was charged with assault after the match in {Alexandria|L}.
{Abdel-Rahman|P} denies the charge and was released on bail.
{Reza Ghorbani|P} and his daughter {Parisa|P} crossed into {Turkey|L} on foot.
{Fereshteh Karimi|P}'s paintings are on show in {Tabriz|L} until May.
{Emre Kaya|P} scored in stoppage time to give {Trabzonspor|O} a 2-1 win in {Istanbul|L}.
{Ayşe Demir|P}, 61, has sold simit on the same corner in {Ankara|L} since 1985.
Imam {Bilal Hussain|P} led the funeral prayers in {Bradford|L}.
# South Asian names
{Ananya Krishnamurthy|P} won the national spelling bee in {Washington|L} on Thursday.
{Krishnamurthy|P}, 13, correctly spelled a word most adults had never heard.
{Gurpreet Singh Dhillon|P}, a truck driver from {Brampton|L}, was hurt in the crash.
{Rukhsana Begum|P}, 47, sells vegetables at the market in {Sylhet|L}.
{S. Ramachandran|P}, a retired judge, will lead the inquiry.
{Ramachandran|P} has been given six months to report.
{Pradeep Kumara Jayasuriya|P} took a hat-trick as the hosts won in {Kandy|L}.
{Sushila Thapa Magar|P}, a teacher from {Pokhara|L}, was among the first to reach the village.
"{Raju|P} sent money home every month," his widow said.
# East and Southeast Asian names
{Huang Meiling|P}, a factory owner in {Dongguan|L}, laid off half her workers in March.
{Huang|P} said orders from {Europe|L} had collapsed since the new tariffs.
{Zhou Jianguo|P} was sentenced to 12 years in prison by a court in {Hangzhou|L}.
{Choi Yun-seo|P}, 28, won the women's title at the open in {Busan|L}.
{Choi|P}'s coach said she had played through a wrist injury.
{Takahashi Yuki|P} runs an inn in {Kanazawa|L} that her family opened in 1890.
{Tran Van Minh|P}, a fisherman from {Da Nang|L}, was rescued after two days at sea.
{Minh|P} said he had survived by drinking rainwater.
{Supaporn Chaiyasit|P} opened a noodle shop in {Chiang Mai|L} after losing her job.
{Siti Aminah binti Yusof|P} was elected to the state assembly in {Kelantan|L}.
{Jericho Villanueva|P}, 33, a jeepney driver in {Quezon City|L}, joined the strike.
{Wahyuni|P}, a midwife in {Surabaya|L}, has delivered more than 3,000 babies.
U {Kyaw Zin Htet|P}, a schoolteacher in {Mandalay|L}, was released after eight months.
# Slavic and Nordic names
{Yulia Hrytsenko|P}, 36, teaches children in a basement school in {Zaporizhzhia|L}.
{Hrytsenko|P} says the classes continue even during air raids.
{Tomasz Wójcik|P} was appointed conductor of the orchestra in {Wrocław|L}.
{Nikola Marković|P} scored 31 points as {Partizan|O} won in {Belgrade|L}.
{Petra Horáková|P} has driven a tram in {Ostrava|L} for twenty-two years.
{Gunnar Þórsson|P}, a skipper from {Húsavík|L}, spotted the whale first.
{Gunnar|P} has taken tourists out into the bay for twenty years.
{Astrid Holmberg|P} and {Nils-Olof Berglund|P} were fined for fishing in {Lake Vättern|L} without a licence.
{Eero Mäkinen|P}, 44, won the ice-fishing contest in {Oulu|L}.
# Hispanic, Portuguese, Dutch and German names
{José Luis Herrera Vargas|P} was arrested in {Cali|L} on Tuesday.
{Herrera Vargas|P} is accused of laundering money for a cartel.
{Carmen Rosa Villalobos de León|P}, 72, died at her home in {Antigua Guatemala|L}.
{Ana Beatriz Nogueira|P} won the mayoral election in {Recife|L}.
{Nogueira|P}'s rival conceded defeat shortly before midnight on Sunday.
{Thiago Conceição|P}, 19, was called up by {Brazil|L} for the first time.
{Maarten van den Heuvel|P}, a dairy farmer in {Friesland|L}, said the rules would ruin him.
{Van den Heuvel|P} milks 120 cows twice a day.
{Friedrich von Ahlen|P}, a descendant of the family, opened the castle to visitors.
{Sanne de Jong|P} set a world record in the 1,500 metres in {Heerenveen|L}.
# Irish, Scottish, Hawaiian, Pacific and Indigenous names
{Pádraig Ó Conchúir|P} was elected mayor of {Galway|L}.
{Ó Conchúir|P} is the first native Irish speaker to hold the post in twenty years.
{Morag MacKinnon|P}, 55, runs the ferry between {Skye|L} and {Raasay|L}.
{Kalani Akana|P} surfed the big waves at {Waimea Bay|L} on Saturday.
{Mele Fifita|P} became the first woman to captain the national team in {Tonga|L}.
{Tamati Ngata|P}, a carver from {Gisborne|L}, finished the meeting house after three years.
{Loretta Begay|P}, who teaches the Navajo language in {Tuba City|L}, retired this month.
{Joseph Little Bear|P} was elected chairman of the tribal council in {Montana|L}.
{Annie Qaunnaq|P}, an elder in {Iqaluit|L}, opened the meeting with a prayer.
Aunty {Joyce Wirrpanda|P} welcomed the visitors near {Yirrkala|L}.
# Initials, hyphens, nicknames, first names alone
{D. K. Owusu|P} and {A. B. Sesay|P} were cleared by the tribunal.
{Marie-Josée Tremblay|P} runs the maple farm near {Sherbrooke|L}.
{Hans-Peter Zimmermann|P} was sacked as coach of the {Leipzig|L} club on Sunday.
{Emmanuel "Chopper" Asamoah|P} knocked out his rival in the second round in {Kumasi|L}.
{Asamoah|P} is now unbeaten in 14 professional fights.
Friends called him "{Doc|P}" because he always carried plasters.
"{Ife|P} would have loved this," her father said, holding up the trophy.
# headlines
{Eze-Okafor|P} named {Enugu|L} health commissioner
{Krishnamurthy|P} Wins Spelling Bee In {Washington|L}
{Little|P} says little has changed since the floods
Young Voters Turn Out In Record Numbers In {Nairobi|L}
# people named like ordinary words, days and months
{Faith Njeri|P}, 24, said she had kept faith in the process.
{Monday Okpara|P} appeared in court on Monday charged with theft.
{Precious Ndlovu|P} won the under-18 title in {Harare|L}.
{Joy Appiah|P} said there was no joy in winning this way.
{Autumn Castellano|P}'s drawing was chosen for the town's autumn festival poster.
{Tan May Lin|P} will become principal of the school in May.
There is little hope of finding survivors, the coast guard in {Valletta|L} said.
# people named like places, and the places themselves
{Dallas Whitaker|P} grew up in {Dallas|L} and played football in {Houston|L}.
{Sydney Okoye|P}, 21, moved from {Sydney|L} to {Lagos|L} to play in the league.
{Victoria Lungu|P} sailed across {Lake Victoria|L} to raise money for the hospital.
Fires spread across {Victoria|L} as temperatures passed 44C.
{Lourdes Ramírez|P} made a pilgrimage to {Lourdes|L} after her recovery.
{India Hollis|P} has spent three months travelling in {India|L}.
{Carolina Duarte|P} moved to {North Carolina|L} to be near her grandchildren.
# people named like brands, jobs and adjectives, and the brands themselves
{Lucia Ferrari|P}, a cardiologist in {Bologna|L}, said the new drug was promising.
{Ferrari|O} confirmed its driver line-up for next season.
{Mercedes Aguilar|P} has driven a city bus in {Guadalajara|L} for eleven years.
{Mercedes-Benz|O} recalled 30,000 cars over a faulty airbag.
{Ruth Bishop|P} was ordained a bishop in {Leeds|L} on Sunday.
{Nadia Cook|P}, a chef in {Bristol|L}, won the regional final.
{Frank Little|P} has run the hardware shop in {Tewkesbury|L} since 1979.
{Miriam Gold|P} took the silver medal in the women's épée.
General {Moses Lubega|P} said the troops would leave {Mogadishu|L} by June.
Sir {Alan Whitcombe|P} will step down as chairman at the end of the year.
# organisations, facilities and things named after people
Flights from {O. R. Tambo International Airport|L} were suspended because of the fog.
Students at {Jawaharlal Nehru University|O} boycotted classes on Wednesday.
Traffic was stopped on the {George Washington Bridge|L} after the crash.
Storm Ciarán brought down trees across {Cornwall|L} and {Devon|L}.
Property prices in {Ho Chi Minh City|L} rose by 8 percent last year.
The {Rockefeller Foundation|O} will fund the vaccine plant in {Dakar|L}.
Lorries queued for hours on the {King Fahd Causeway|L} between {Saudi Arabia|L} and {Bahrain|L}.
Rangers in {Kruger National Park|L} arrested three suspected poachers.
The statue of {Cecil Rhodes|P} was removed from the campus of the {University of Cape Town|O}.
Parkinson's disease affects about one in a hundred people over sixty.
# courts, obituaries, business, health and weather
{Beatriz Salgado Ribeiro|P}, who founded the shoe company in {Braga|L}, died on Friday aged 88.
Her daughter, {Inês|P}, will remain chairwoman of the family firm.
Chief Superintendent {Niamh Brennan|P} said the investigation in {Limerick|L} was continuing.
Gusts of up to 120km/h are expected along the coast of {Brittany|L}.
Flooding closed the main road between {Kumasi|L} and {Sunyani|L} for a second day.
Shares in {Dior|O} fell 4 percent in {Paris|L} after the results.
The clinic at {Chris Hani Baragwanath Hospital|O} in {Soweto|L} will stay open at weekends.
The {Jordan|L} river has shrunk to a trickle south of the {Sea of Galilee|L}.
"""


if __name__ == "__main__":
    sys.exit(pii_dev_prose.main(name="pii_dev_people", doc=__doc__, parts=(pii_dev_prose.parse(TUNE), pii_dev_prose.parse(CHECK))))
