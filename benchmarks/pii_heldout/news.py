"""Hand-written news-style sentences with hand-annotated PII spans (a held-out set nobody tuned on).

Written on 2026-12-03 by a Stillroom engineer who had not read the detector's
code, its name lists or its development set, and who did not run the detector
while writing. The people, events and quotes are invented; the places, and some
organisations, are real, named in invented events. Style: wire-service and local
news, business, sport, courts, health, politics, obituaries, across world regions.

One record per line in ``MARKUP``; ``# section`` lines name the section that
follows. An entity is written ``[[TAG|surface text]]``; ``parse`` turns the
lines into ``{"id", "section", "text", "spans": [{"type", "start", "end"}]}``
with the markup removed and the offsets pointing at the surface text.

Tags: PER -> PERSON, LOC -> LOCATION, ORG -> ORGANIZATION, ADDR -> STREET_ADDRESS,
PHONE -> PHONE_NUMBER, EMAIL -> EMAIL_ADDRESS, DOB -> DATE_OF_BIRTH.

Annotation guide (the rule followed, CoNLL-2003 style, every entity in every record):

- PERSON: a person's name only, as written (given names, family names, initials,
  particles such as "van der", "bin", "O'"). Titles and honorifics (Dr., Mr.,
  Judge, Sen., Prof., Sheikh, Chief Inspector) and a possessive 's stay outside
  the span. A surname alone ("Okafor said") is a PERSON. Nicknames and
  single-name people are PERSON.
- A person's name inside the name of something else is that thing, not a
  PERSON: organisations ("Bill & Melinda Gates Foundation" is ORGANIZATION),
  places and facilities ("Kenneth Kaunda International Airport" is LOCATION),
  and laws, prizes, storms, ships, products and events ("Megan's Law", "Storm
  Agnes", "the Ballon d'Or") are not labelled at all.
- LOCATION: countries, regions, cities, towns, districts, rivers, mountains and
  named facilities (stadiums, airports, bridges, parks, markets). A dateline
  city ("LAGOS, Nigeria") is LOCATION.
- ORGANIZATION: companies, agencies, ministries, courts, parliaments,
  hospitals, universities, schools, clubs and national teams, parties, unions,
  charities, newspapers and broadcasters.
- Not labelled: nationalities and demonyms ("Kenyan", "Brazilian"), languages,
  religions, events, laws, products, titles of works, ships, storms, job titles,
  ages, and dates other than a person's date of birth.
- STREET_ADDRESS: the house number, street, unit, district line and postcode
  written together, or a PO box; the town or city after it, when written
  apart by a comma, is its own LOCATION.
- PHONE_NUMBER: every telephone number, with its country code and extension
  words left out unless written inside the number.
- EMAIL_ADDRESS: every e-mail address.
- DATE_OF_BIRTH: the full date (day, month and year, in any format) on which
  a person the story is about was born; a year alone is not labelled.
- No span nests in or overlaps another.
"""

# ruff: noqa: E501  (one record per line, so a reviewer reads each sentence whole)

from __future__ import annotations

import re
from typing import Any

from .metrics import LABELS

NAME = "news-handwritten"
KIND = "hand-annotated"
SOURCE = ("hand-written news-style sentences annotated by a Stillroom engineer who did not read the detector, "
          "2026-12-03 (benchmarks/pii_heldout/news.py)")
TAGS = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION", "ADDR": "STREET_ADDRESS",
        "PHONE": "PHONE_NUMBER", "EMAIL": "EMAIL_ADDRESS", "DOB": "DATE_OF_BIRTH"}
# Every record is annotated for every label (the text holds no cards, IBANs, IDs or IPs), so any PII
# detection outside the gold spans is a false positive.
SCORED = LABELS

ENTITY = re.compile(r"\[\[([A-Z]+)\|([^\[\]|]*)\]\]")


class NewsMarkupError(Exception):
    """A markup line is malformed; the message names the line and what is wrong."""


def parse(markup: str) -> list[dict[str, Any]]:
    """The markup lines as labelled records: text without markup, spans as character offsets into it."""
    records: list[dict[str, Any]] = []
    section = None
    for number, line in enumerate(markup.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            section = line.lstrip("#").strip()
            continue
        if section is None:
            raise NewsMarkupError(f"line {number}: a record comes before any '# section' line")
        text, spans = _parse_line(line, number)
        records.append({"id": f"news-{len(records) + 1:04d}", "section": section, "text": text, "spans": spans})
    return records


def _parse_line(line: str, number: int) -> tuple[str, list[dict[str, Any]]]:
    parts: list[str] = []
    spans: list[dict[str, Any]] = []
    at = 0
    length = 0
    for match in ENTITY.finditer(line):
        plain = line[at:match.start()]
        _check_plain(plain, number)
        parts.append(plain)
        length += len(plain)
        tag, surface = match.group(1), match.group(2)
        if tag not in TAGS:
            raise NewsMarkupError(f"line {number}: unknown tag {tag!r} (known: {', '.join(TAGS)})")
        if not surface or surface != surface.strip():
            raise NewsMarkupError(f"line {number}: the {tag} span {surface!r} is empty or has outer spaces")
        spans.append({"type": TAGS[tag], "start": length, "end": length + len(surface)})
        parts.append(surface)
        length += len(surface)
        at = match.end()
    tail = line[at:]
    _check_plain(tail, number)
    parts.append(tail)
    return "".join(parts), spans


def _check_plain(plain: str, number: int) -> None:
    for stray in ("[[", "]]", "|"):
        if stray in plain:
            raise NewsMarkupError(f"line {number}: stray {stray!r} outside a [[TAG|text]] entity")


def load() -> list[dict[str, Any]]:
    return parse(MARKUP)


MARKUP = r"""
# politics
[[LOC|NAIROBI]], [[LOC|Kenya]] ([[ORG|AP]]) — Opposition leader [[PER|Wanjiru Kamau]] on Tuesday accused the [[ORG|Independent Electoral and Boundaries Commission]] of sitting on results from [[LOC|Kisumu]] and [[LOC|Mombasa]] for three days.
[[LOC|ACCRA]], [[LOC|Ghana]] ([[ORG|Reuters]]) — Finance Minister [[PER|Kwabena Asante-Darko]] told parliament the cedi would steady by the third quarter, but economists at [[ORG|Databank Research]] were not convinced.
[[PER|Asante-Darko]]'s budget raises the levy on mobile money transfers to 1.5 per cent.
The prime minister, [[PER|Ngozi Eze-Williams]], flew to [[LOC|Abuja]] on Friday for talks with the [[ORG|Economic Community of West African States]].
Speaking in [[LOC|Dakar]], [[PER|Moussa Diallo]] said the coalition had "no intention of delaying the vote".
[[LOC|ISLAMABAD]] — Interior Minister [[PER|Imran Qureshi]] said on Monday that the [[ORG|Election Commission of Pakistan]] would publish the revised voter rolls for [[LOC|Punjab]] before the end of the month.
Sen. [[PER|Marcus Whitfield]], a Republican from [[LOC|Ohio]], blocked the nomination, saying he wanted answers from the [[ORG|Department of Energy]] first.
[[PER|Whitfield]]'s office did not return calls on Thursday.
Rep. [[PER|Alejandra Quiñones]] of [[LOC|New Mexico]] introduced the bill with [[PER|Derek Young]], a Democrat from [[LOC|Oregon]].
[[PER|Young]] said the bill would cap insulin at $35 a month for people on private plans.
The bill, which critics have nicknamed the "Sunshine Act", passed the [[ORG|House]] by 231 votes to 199.
[[LOC|BRUSSELS]] — [[ORG|European Commission]] vice-president [[PER|Katarzyna Wiśniewska]] warned that [[LOC|Hungary]] risked losing a further €2 billion in cohesion funds.
[[LOC|Poland]]'s deputy foreign minister, [[PER|Tomasz Zieliński]], said [[LOC|Warsaw]] would back the proposal.
[[LOC|BERLIN]] — Chancellor [[PER|Annegret Vollmer]] and her coalition partners from the [[ORG|Greens]] agreed late on Wednesday to delay the heating law by a year.
[[LOC|MOSCOW]] — Presidential spokesman [[PER|Dmitri Volkov]] declined to comment on reports that [[PER|Oleg Saverin]], a former deputy governor of the [[LOC|Sverdlovsk]] region, had left the country.
[[LOC|KYIV]], [[LOC|Ukraine]] — [[PER|Oksana Kovalenko]], the mayor of [[LOC|Chernihiv]], said power had been restored to 80 per cent of homes after overnight strikes.
[[LOC|TOKYO]] — Prime Minister [[PER|Ishikawa Kenji]] will visit [[LOC|Manila]] and [[LOC|Jakarta]] next week, the [[ORG|Ministry of Foreign Affairs]] said.
[[PER|Ishikawa]] is expected to sign a coast guard agreement with the [[LOC|Philippines]].
[[LOC|SEOUL]] — The [[ORG|Democratic Party]]'s floor leader, [[PER|Park Ji-won]], said the party would boycott the budget hearing.
[[LOC|BEIJING]] — Vice Premier [[PER|Zhang Wei]] met a delegation from the [[ORG|US Chamber of Commerce]] on Thursday, [[ORG|Xinhua]] reported.
[[PER|Zhang]] told the visitors that [[LOC|China]] would "keep opening up".
[[LOC|HANOI]] — [[PER|Nguyen Thi Lan]], a deputy in the [[ORG|National Assembly]] from [[LOC|Da Nang]], called for an inquiry into land sales around the new airport.
[[LOC|CAIRO]] — [[ORG|Arab League]] envoy [[PER|Rania Abdel-Fattah]] arrived in [[LOC|Khartoum]] on Sunday, her second visit this month.
Sheikh [[PER|Khalid bin Hamad Al-Mansouri]], the chairman of the council, welcomed the ceasefire in a statement carried by [[ORG|Al Jazeera]].
[[LOC|BEIRUT]] — Caretaker minister [[PER|Youssef Haddad]] said [[LOC|Lebanon]] had received the first instalment of the [[ORG|World Bank]] loan.
[[LOC|BOGOTÁ]], [[LOC|Colombia]] — Senator [[PER|María José Gutiérrez Ramírez]] resigned from the [[ORG|Liberal Party]] on Monday.
[[PER|Gutiérrez Ramírez]] said she would sit as an independent until the 2027 election.
[[LOC|LIMA]] — [[PER|Carlos Alberto Mendoza Ruiz]], the former mayor of [[LOC|Arequipa]], was sworn in as [[LOC|Peru]]'s interior minister, the fourth in a year.
[[LOC|BRASÍLIA]] — [[PER|João Pedro Oliveira Santos]] of the [[ORG|Workers' Party]] was elected speaker of the lower house.
[[LOC|STOCKHOLM]] — [[PER|Björn Lindqvist]], leader of the [[ORG|Centre Party]], said he would not join a government that relied on [[ORG|Sweden Democrats]] votes.
[[LOC|OSLO]] — Energy minister [[PER|Sigrid Halvorsen]] approved the [[LOC|Barents Sea]] licence round despite objections from [[ORG|Greenpeace Nordic]].
[[LOC|REYKJAVÍK]] — [[PER|Jónas Guðmundsson]] will be [[LOC|Iceland]]'s next ambassador to [[LOC|Canada]].
[[LOC|THE HAGUE]] — [[PER|Pieter van der Berg]], the [[ORG|VVD]] member who chairs the justice committee, said the asylum bill would be amended.
[[PER|Van der Berg]] told [[ORG|NOS]] that the amendment had cross-party support.
[[LOC|DUBLIN]] — Taoiseach [[PER|Siobhán O'Connell]] said [[LOC|Ireland]] would not change its corporate tax rate.
[[PER|O'Connell]]'s comments came after a meeting with [[PER|Declan O'Rourke]], the head of [[ORG|IDA Ireland]].
[[LOC|NEW DELHI]] — [[PER|Lakshmi Venkataraman]] of the [[ORG|Bharatiya Janata Party]] was named chief minister of [[LOC|Karnataka]] on Saturday.
The [[ORG|Congress]] leader in the assembly, [[PER|A. K. Raghavan]], said the appointment was "a foregone conclusion".
[[LOC|DHAKA]] — [[PER|Farhana Chowdhury]], a spokeswoman for the [[ORG|Bangladesh Nationalist Party]], said the party would contest every seat.
[[LOC|KATHMANDU]] — [[PER|Bishnu Prasad Thapa]] won a confidence vote in [[LOC|Nepal]]'s parliament with 151 votes.
[[LOC|COLOMBO]] — President [[PER|Nimal Perera]] met [[ORG|International Monetary Fund]] officials on the sidelines of the summit.
[[LOC|JAKARTA]] — [[PER|Sutrisno]], a former general who, like many Indonesians, uses one name, was appointed defence minister.
[[LOC|KAMPALA]], [[LOC|Uganda]] — Speaker [[PER|Nakato Rebecca Ssempala]] suspended four MPs for disorderly conduct.
[[LOC|ADDIS ABABA]] — [[PER|Tesfaye Bekele]], the [[ORG|African Union]] commissioner for trade, said the free trade area would cover services by 2028.
[[LOC|HARARE]] — [[PER|Hope Chikwanha]], an opposition lawmaker from [[LOC|Bulawayo]], was released on bail.
Hope is fading for a deal before the deadline, diplomats in [[LOC|Geneva]] said.
[[LOC|JOHANNESBURG]] — [[PER|Sipho Ndlovu]] of the [[ORG|African National Congress]] said the party would meet its coalition partners on Monday.
[[LOC|KINSHASA]] — [[PER|Jean-Baptiste Kalonji]], the governor of [[LOC|Kasaï]], said 12,000 people had fled the fighting.
[[LOC|CANBERRA]] — Senator [[PER|Faith Wanjiku-Hall]] said the committee would call [[ORG|Qantas]] executives to give evidence.
[[LOC|WELLINGTON]] — [[PER|Aroha Te Rangi]], a [[ORG|Te Pāti Māori]] MP, walked out of the debate.
The [[ORG|Senate]] will vote on the Megan's Law amendments in March.
Both parties back the Clean Water Act review, which [[PER|Bill Sterling]], the committee chairman, has promised by June.
Lawmakers sent the spending bill to the president's desk late on Friday.
[[LOC|OTTAWA]] — [[PER|Geneviève Tremblay-Nadeau]], the [[ORG|Bloc Québécois]] leader, said her party would support the budget.
[[LOC|MEXICO CITY]] — [[PER|Luisa Fernanda Ochoa Salazar]] took office as [[LOC|Mexico]]'s first female interior secretary.
[[LOC|BELGRADE]] — [[PER|Jelena Petrović]] said [[LOC|Serbia]] would hold early elections if talks with [[LOC|Pristina]] failed.
[[LOC|ZAGREB]] — [[PER|Bogdan Horvat]], a former [[ORG|HDZ]] minister, was detained by anti-corruption investigators.
[[LOC|PRAGUE]] — [[PER|Miroslav Novák]] was re-elected leader of the [[ORG|Civic Democratic Party]] with 78 per cent of the vote.
[[LOC|HELSINKI]] — [[PER|Aino Virtanen]], the [[ORG|Finns Party]] chairwoman, said [[LOC|Finland]] would tighten its border with [[LOC|Russia]].
[[LOC|COPENHAGEN]] — [[PER|Mette Kjærgaard]] will chair the [[ORG|Nordic Council]] next year.
[[LOC|TUNIS]] — [[PER|Fatima Zahra El Idrissi]] of the [[ORG|Ennahda]] movement was barred from leaving the country, her lawyer said.
[[LOC|RAMALLAH]] — [[PER|Omar Abu Hamdan]] said talks would resume in [[LOC|Doha]] next week.
[[LOC|ANKARA]] — [[PER|Elif Şahin]], a lawmaker from [[LOC|Izmir]], said the central bank had lost its independence.
[[LOC|TEHRAN]] — [[PER|Mohammad-Reza Karimi]], [[LOC|Iran]]'s deputy oil minister, said exports had reached a five-year high.
[[LOC|YANGON]] — [[PER|Aung Ko Ko]], a former [[ORG|National League for Democracy]] MP, was sentenced to seven years.
# business
[[LOC|LAGOS]], [[LOC|Nigeria]] — [[ORG|Dangote Cement]] said on Thursday that chief executive [[PER|Oluwaseun Adeyemi]] would step down in April after nine years.
Shares in the company rose 4 per cent on the [[ORG|Nigerian Exchange]] after the announcement.
[[PER|Adeyemi]]'s successor, [[PER|Adaeze Nwosu]], joins from [[ORG|Unilever]], where she ran the [[LOC|West Africa]] business.
[[ORG|Safaricom]] said its M-Pesa service processed 30 billion transactions last year, chief financial officer [[PER|Otieno Odhiambo]] told analysts.
[[LOC|MUMBAI]] — [[ORG|Tata Motors]] named [[PER|Arjun Mehta]] head of its electric vehicle unit, replacing [[PER|Rohan Kapoor]], who retires in June.
[[ORG|Infosys]] co-founder [[PER|Venkatesh Iyer]] sold a 0.4 per cent stake, according to a filing with the [[ORG|Bombay Stock Exchange]].
[[LOC|SHENZHEN]] — [[ORG|BYD]] delivered 410,000 cars in October, beating forecasts, the company said.
Analyst [[PER|Li Xiaoming]] of [[ORG|CITIC Securities]] said price cuts had lifted demand in smaller cities.
[[LOC|TOKYO]] — [[ORG|Toyota Motor]] will build a battery plant in [[LOC|North Carolina]], president [[PER|Tanaka Hiroshi]] said.
[[LOC|SEOUL]] — [[ORG|Samsung Electronics]] chairman [[PER|Kim Min-jun]] met [[ORG|Nvidia]] executives in [[LOC|Santa Clara]] to discuss memory supply.
Memory prices rose for a third straight month, [[ORG|TrendForce]] said.
[[LOC|FRANKFURT]] — [[ORG|Deutsche Bank]] appointed [[PER|Friederike Braun]] as chief risk officer, effective January 1.
[[ORG|European Central Bank]] board member [[PER|Joost van den Heuvel]] said inflation was "on track" to return to 2 per cent.
[[LOC|AMSTERDAM]] — [[ORG|ING]] fined by [[ORG|De Nederlandsche Bank]] over money-laundering checks, spokeswoman [[PER|Femke de Vries]] confirmed.
[[LOC|PARIS]] — [[ORG|LVMH]] said [[PER|Anne-Marie Dubois-Lefèvre]] would run its wines and spirits division.
[[LOC|ZURICH]] — [[ORG|UBS]] cut 3,000 more jobs from the former [[ORG|Credit Suisse]], a person familiar with the matter said.
[[LOC|LONDON]] — [[ORG|BP]] chief executive [[PER|Graham Ashworth-Reid]] told shareholders the company would slow its wind investment.
Sterling rose 0.3 per cent against the dollar after the [[ORG|Bank of England]] held rates at 4.75 per cent.
Retail sales rose for a second month, the [[ORG|Office for National Statistics]] said, helped by a warm September.
[[PER|Rose Mbatha]], chief economist at [[ORG|Nedbank]], said the rand would stay weak until the trade talks ended.
Gold rose to a record $2,790 an ounce on Wednesday.
[[LOC|JOHANNESBURG]] — [[ORG|Anglo American]] will sell its platinum unit, chairman [[PER|Thabo Molefe]] said.
[[LOC|SÃO PAULO]] — [[ORG|Petrobras]] approved a $102 billion investment plan, with [[PER|Ana Cristina Ferreira Lima]] as the new head of exploration.
[[LOC|BUENOS AIRES]] — Economy Minister [[PER|Federico Ibarra Sosa]] said [[LOC|Argentina]] would repay the [[ORG|IMF]] on schedule.
[[LOC|SANTIAGO]] — [[ORG|Codelco]] said copper output at its [[LOC|El Teniente]] mine fell 8 per cent.
[[LOC|RIYADH]] — [[ORG|Saudi Aramco]] raised its official selling price for [[LOC|Asia]], [[ORG|Bloomberg]] reported, citing a person with knowledge of the plan.
[[LOC|DUBAI]] — [[ORG|Emirates]] president [[PER|Tariq Al-Suwaidi]] said the airline would take delivery of its first A350 in the summer.
[[ORG|Apple]] unveiled the iPhone 17 on Tuesday; the new Galaxy S26 from [[ORG|Samsung]] is due in February.
[[ORG|Microsoft]] said [[PER|Priya Raghunathan]] would lead its cloud business in [[LOC|Europe]].
[[ORG|Tesla]] recalled 120,000 Model Y cars over a seatbelt warning fault.
[[LOC|SAN FRANCISCO]] — [[PER|Jordan Baker]], co-founder of the payments start-up [[ORG|Ledgerly]], said it had raised $40 million.
[[PER|Baker]] said the money would fund an expansion into [[LOC|Mexico]] and [[LOC|Brazil]].
The baker on [[LOC|Main Street]] raised the price of a loaf for the first time in five years.
Young people are buying fewer cars, a survey by [[ORG|Deloitte]] found.
[[LOC|NEW YORK]] — [[ORG|Goldman Sachs]] promoted [[PER|Xu Jiayi]] and [[PER|Marcus O'Neill]] to partner.
[[LOC|Wall Street]] closed higher, led by chipmakers, as investors bet on a rate cut in December.
[[ORG|Walmart]] said it would close its store in [[LOC|Fort Wayne]] in January.
[[LOC|TORONTO]] — [[ORG|Shopify]] shares jumped 11 per cent after [[PER|Deepika Sandhu]], its finance chief, raised the full-year forecast.
[[LOC|SYDNEY]] — [[ORG|BHP]] said [[PER|Liam Fitzgerald]] would retire as chairman at the annual meeting in [[LOC|Perth]].
[[LOC|SINGAPORE]] — [[ORG|DBS Group]] chief executive [[PER|Lim Hui Min]] said loan growth would slow next year.
[[LOC|KUALA LUMPUR]] — [[ORG|Petronas]] named [[PER|Ahmad Faiz bin Abdullah]] as its new upstream chief.
[[LOC|MANILA]] — [[ORG|Jollibee Foods]] bought a 70 per cent stake in a [[LOC|Seoul]] coffee chain.
[[LOC|NAIROBI]] — [[ORG|Kenya Airways]] posted its first profit in eleven years, chief executive [[PER|Evans Kiprono Mwangi]] said.
[[LOC|CASABLANCA]] — [[ORG|OCP Group]] will build a fertiliser plant in [[LOC|Ethiopia]], chairman [[PER|Driss Benali]] said.
[[PER|Benali]] did not say how much the plant would cost.
A spokesperson for the [[ORG|Bill & Melinda Gates Foundation]] said the grant would fund vaccine production in [[LOC|Senegal]].
[[ORG|Ford]] will cut 1,800 jobs in [[LOC|Cologne]], the company said.
Bill payments through the app rose 40 per cent in the quarter.
[[ORG|Nokia]] named [[PER|Pekka Lundgren]] head of its mobile networks unit.
The tanker Aurora Spirit, owned by [[ORG|Frontline]], was released by [[LOC|Iran]] on Sunday.
# sport
[[LOC|MANCHESTER]], [[LOC|England]] — [[PER|Chidi Okafor]] scored twice as [[ORG|Manchester City]] beat [[ORG|Aston Villa]] 3-1 at the [[LOC|Etihad Stadium]] on Saturday.
[[PER|Okafor]]'s second goal, a volley from 20 metres, was his 14th of the season.
[[ORG|Villa]] manager [[PER|Ignacio Herrera Blanco]] said his side had "switched off for ten minutes".
[[PER|Kwame Asante]] came off the bench to equalise for [[ORG|Ghana]] in the 89th minute against [[ORG|Côte d'Ivoire]].
The draw leaves [[ORG|Ghana]] needing a win in [[LOC|Abidjan]] to reach the Africa Cup of Nations.
[[PER|Aminata Traoré]] won the women's 800 metres at the Diamond League meeting in [[LOC|Zurich]] in 1 minute 56.8 seconds.
[[LOC|Kenya]]'s [[PER|Faith Chepkoech]] finished second, ahead of [[PER|Selamawit Haile]] of [[LOC|Ethiopia]].
[[PER|Stone]], the [[ORG|Chicago Cubs]] pitcher, was placed on the injured list with a strained elbow.
[[PER|Marcia Stone]] set a national record in the hammer throw at the trials in [[LOC|Eugene]].
[[PER|Neha Gill]] hit an unbeaten 112 as [[ORG|India]] beat [[ORG|Australia]] by six wickets in [[LOC|Ahmedabad]].
Captain [[PER|Rohit Bhandari]] said the pitch had helped the spinners.
[[ORG|Pakistan]] recalled fast bowler [[PER|Shaheen Malik]] for the second Test in [[LOC|Lahore]].
[[PER|Sandeep Kaur Gill]] became the first Sikh woman to referee a [[ORG|Premier League]] match.
[[LOC|MELBOURNE]] — [[PER|Zheng Yuxuan]] of [[LOC|China]] beat [[PER|Emma Lindgren]] 6-4 7-6 to reach the quarter-finals at [[LOC|Melbourne Park]].
[[PER|Lindgren]], the ninth seed from [[LOC|Sweden]], needed treatment on her shoulder.
[[PER|Lindgren]] said afterwards that she would be fit for the clay season.
[[PER|Morita Daisuke]] retired from professional tennis at 34, the [[ORG|Japan Tennis Association]] said.
[[PER|Léa Fontaine]] won the stage into [[LOC|Briançon]] to take the yellow jersey in the Tour de France Femmes.
The Tour de France will start in [[LOC|Barcelona]] in 2026.
[[PER|Tadej Kranjc]], of [[LOC|Slovenia]], crashed on the descent and abandoned the race.
[[LOC|AUCKLAND]] — [[ORG|New Zealand]] named [[PER|Tane Whakaruru]] at fly-half for the test against [[ORG|Ireland]] at [[LOC|Eden Park]].
[[ORG|Ireland]] coach [[PER|Seán Ó Briain]] said the team had prepared for heavy rain.
[[PER|Ciarán Mac Giolla Phádraig]] kicked four penalties for [[ORG|Leinster]].
[[ORG|Real Madrid]] signed [[PER|Vinícius Souza Araújo]], 19, from [[ORG|Fluminense]] for €45 million.
[[PER|Dudu]], the [[ORG|Palmeiras]] winger, was sent off for a second yellow card.
Brazilian forward [[PER|Gabriel Henrique Costa Neves]] joined [[ORG|Benfica]] on a five-year contract.
[[ORG|Boca Juniors]] drew 1-1 with [[ORG|River Plate]] at [[LOC|La Bombonera]], with [[PER|Matías Giménez]] scoring a late penalty.
[[PER|Luka Marić]] headed the winner for [[ORG|Croatia]] against [[ORG|Serbia]] in [[LOC|Split]].
[[LOC|DOHA]] — [[PER|Mutaz Al-Khatib]] cleared 2.37 metres to win the high jump at the Asian Games.
[[PER|Magnus Eriksen]] won the Birkebeiner ski race for a third time.
The [[ORG|Golden State Warriors]] beat the [[ORG|Boston Celtics]] 118-104, with [[PER|DeShawn Carter]] scoring 34 points.
[[PER|Carter]], who missed most of last season with a knee injury, played 38 minutes.
[[PER|Bill Hardaway]] will coach the [[ORG|Dallas Cowboys]] on an interim basis, the team said.
[[PER|Shohei Matsuda]] hit two home runs as the [[ORG|Los Angeles Dodgers]] clinched the division at [[LOC|Dodger Stadium]].
[[PER|J. R. Mensah]] became the first [[LOC|Ghana]]-born player to win the [[ORG|NBA]]'s sixth man award.
Sir [[PER|Kenneth Oduya]] was confirmed as chairman of the [[ORG|Football Association]].
[[ORG|FIFA]] opened disciplinary proceedings against [[ORG|Mexico]] over chanting at the match in [[LOC|Guadalajara]].
[[PER|Ji-hoon Lee]] shot a final-round 66 to win the [[ORG|LPGA]] event in [[LOC|Incheon]].
The Ryder Cup will be played at [[LOC|Adare Manor]] in [[LOC|County Limerick]] in 2027.
[[PER|Rory Callaghan]] withdrew from the Irish Open with a back injury.
[[PER|Pádraig Ó Súilleabháin]] won the All-Ireland hurling final with [[ORG|Kilkenny]] at [[LOC|Croke Park]].
[[PER|Valentina Rossi-Marchetti]] won the giant slalom in [[LOC|Cortina d'Ampezzo]].
[[PER|Kateryna Bondarenko-Shevchuk]] beat [[PER|Anastasia Orlova]] in three sets in [[LOC|Doha]].
[[ORG|Olympique de Marseille]] sacked coach [[PER|Rachid Benyoussef]] after a fifth straight defeat.
[[PER|Benyoussef]]'s assistant, [[PER|Thierry Mbappé-Koné]], takes charge for Sunday's game at [[LOC|Lyon]].
The [[ORG|International Olympic Committee]] said [[LOC|Brisbane]] would keep the rowing venue at [[LOC|Wivenhoe Dam]].
[[PER|Ewa Kowalczyk]] won [[LOC|Poland]]'s first world title in the women's épée.
[[PER|Grace Adjei]] and [[PER|Joy Mensah-Bonsu]] reached the doubles final in [[LOC|Lagos]].
[[PER|Hamza Yilmaz]] scored for [[ORG|Galatasaray]] in the derby against [[ORG|Fenerbahçe]].
[[PER|Amani Mwakyusa]] won the [[LOC|Kilimanjaro]] marathon in 2 hours 11 minutes.
[[PER|Mwakyusa]]'s coach, [[PER|Daudi Lema]], said he would now target the [[LOC|Boston]] marathon.
[[PER|Sven-Erik Håkansson]] took over as coach of [[ORG|Malmö FF]].
[[PER|Young]] scored the decisive try for [[ORG|Leicester Tigers]] in the last minute.
# courts
[[LOC|LONDON]] — A man who defrauded pensioners of £1.2 million was jailed for eight years at [[ORG|Southwark Crown Court]] on Friday.
[[PER|Declan Rafferty]], 52, of [[ADDR|14 Larkhill Road]], [[LOC|Romford]], admitted 11 counts of fraud.
Judge [[PER|Harriet Sloane]] told him his victims had "trusted you with everything they had".
[[PER|Sloane]] also ordered the confiscation of his house in [[LOC|Essex]].
[[PER|Rafferty]]'s barrister, [[PER|Oluwatobi Bankole]] KC, said his client had a gambling addiction.
[[LOC|NAIROBI]] — The [[ORG|High Court]] blocked the eviction of 3,000 families from [[LOC|Mukuru]], Justice [[PER|Grace Nyambura Wafula]] ruling that the county had not consulted residents.
[[LOC|ABUJA]] — A federal judge granted bail to [[PER|Ibrahim Musa Danjuma]], a former governor of [[LOC|Kano State]], on charges brought by the [[ORG|Economic and Financial Crimes Commission]].
[[PER|Danjuma]] denies all 14 counts.
[[LOC|NEW DELHI]] — The [[ORG|Supreme Court]] asked the government of [[LOC|Uttar Pradesh]] to explain the demolition of homes in [[LOC|Prayagraj]].
Justice [[PER|S. Radhakrishnan]] said the state could not act "as judge, jury and executioner".
[[LOC|KARACHI]] — An anti-terrorism court acquitted [[PER|Zainab Hussain]] and her brother [[PER|Bilal Hussain]] for lack of evidence.
[[LOC|NEW YORK]] — A federal jury in [[LOC|Manhattan]] convicted [[PER|Trevor Lindqvist-Hale]], the founder of a cryptocurrency lender, on seven counts of fraud.
Prosecutors said [[PER|Lindqvist-Hale]] had moved customer money into accounts in the [[LOC|Bahamas]].
[[PER|Lindqvist-Hale]]'s lawyer, [[PER|Miriam Feldstein]], said he would appeal.
U.S. District Judge [[PER|Alvin T. Brooks]] set sentencing for March 12.
[[LOC|CHICAGO]] — A [[LOC|Cook County]] judge dismissed the lawsuit against the [[ORG|Chicago Transit Authority]] brought by the family of [[PER|Keisha Monroe]].
[[LOC|HOUSTON]] — [[PER|Ramón Delgado Fuentes]], 34, was charged with murder in the death of a convenience store clerk, the [[ORG|Harris County Sheriff's Office]] said.
Anyone with information should call [[ORG|Crime Stoppers]] at [[PHONE|713-222-8477]].
[[LOC|LOS ANGELES]] — The [[ORG|Los Angeles Police Department]] arrested [[PER|Kenji Watanabe-Ruiz]] in connection with the burglaries in [[LOC|Silver Lake]].
[[LOC|TORONTO]] — [[PER|Jaspreet Singh Dhillon]] was found not guilty of dangerous driving causing death by an [[ORG|Ontario Superior Court]] jury.
[[LOC|SYDNEY]] — [[PER|Lachlan Whitty]] was refused bail in [[ORG|Parramatta Local Court]] after being charged over a fatal crash on the [[LOC|M4]].
Magistrate [[PER|Helen Karagiannis]] said he posed "an unacceptable risk".
[[LOC|JOHANNESBURG]] — The [[ORG|Constitutional Court]] ruled that the arrest of journalist [[PER|Lerato Khumalo]] was unlawful.
[[LOC|MADRID]] — The [[ORG|National Court]] summoned [[PER|José Luis Ortega Vidal]], a former mayor of [[LOC|Marbella]], to testify in the corruption case.
[[LOC|ROME]] — Prosecutors in [[LOC|Palermo]] charged 23 people, including [[PER|Salvatore Lo Iacono]], with extortion.
[[LOC|PARIS]] — [[PER|Nadia Benhaddou]] was sentenced to two years, suspended, for insulting a police officer, her lawyer Me [[PER|Julien Perrot]] said.
[[LOC|THE HAGUE]] — The [[ORG|International Criminal Court]] confirmed charges against [[PER|Fidèle Ouanga-Mbaye]], a militia commander from the [[LOC|Central African Republic]].
[[LOC|ISTANBUL]] — A court ordered the release of [[PER|Can Demirtaş]], a reporter for [[ORG|Cumhuriyet]], after 11 months in pre-trial detention.
[[LOC|MOSCOW]] — A court sentenced [[PER|Anna Sergeyevna Lebedeva]] to six years for posts criticising the army.
[[LOC|MINSK]] — Activist [[PER|Ales Kavalenka]] was moved to a prison in [[LOC|Navapolatsk]], his wife said.
[[LOC|BEIJING]] — A court in [[LOC|Tianjin]] gave [[PER|Wang Fang]], a former bank chairwoman, a suspended death sentence for taking bribes.
[[LOC|SEOUL]] — The [[ORG|Seoul Central District Court]] sentenced [[PER|Choi Dong-wook]] to three years for market manipulation.
[[LOC|HONG KONG]] — [[PER|Chan Ka-ming]], 23, was jailed for 18 months for rioting.
Police said the suspect, [[PER|Tomás O'Keeffe]], born [[DOB|3 August 1991]], was last seen in [[LOC|Limerick]].
[[ORG|Greater Manchester Police]] want to trace [[PER|Liam Barrow]], born [[DOB|22/11/1987]], who has links to [[LOC|Salford]] and [[LOC|Bolton]].
Anyone who sees him should call police or [[ORG|Crimestoppers]] anonymously on [[PHONE|0800 555 111]].
[[PER|Baker]], the bailiff, said nobody had answered the door at [[ADDR|Flat 6, 41 Kingsley Avenue]].
The court heard that [[PER|Mohammed Al-Amin]] had lived at [[ADDR|221 Moi Avenue]] in [[LOC|Nairobi]] since 2019.
Prosecutors said [[PER|Olena Marchenko]] used the alias "[[PER|Lena March]]" on dating sites.
The judge barred the defendant from contacting [[PER|Faith]], his former partner, who gave evidence behind a screen.
In faith and in law, the bishop told the court, the church had failed the children.
[[PER|Gerald Bishop]], 61, denied the charges.
Judge [[PER|Roberta King-Afolabi]] adjourned the case until January.
Coroner Dr. [[PER|Janet Oyelaran]] recorded a verdict of accidental death.
# health
[[LOC|GENEVA]] — The [[ORG|World Health Organization]] declared the mpox outbreak in eastern [[LOC|Congo]] over on Monday.
[[ORG|WHO]] director for emergencies Dr. [[PER|Ama Boateng]] said vaccination had reached 90 per cent of contacts.
Dr. [[PER|Boateng]]'s team will now move to [[LOC|Burundi]], where cases are rising.
[[LOC|KAMPALA]] — The [[ORG|Uganda Virus Research Institute]] confirmed two Ebola cases in [[LOC|Mubende]] district.
Dr. [[PER|Kato Ssebuliba Mukasa]], who leads the response, said 46 contacts were being followed up.
[[LOC|LAGOS]] — Cholera has killed 34 people in [[LOC|Lagos State]] since June, the state health commissioner, Prof. [[PER|Akin Abayomi-Coker]], said.
[[PER|Abayomi-Coker]] urged residents to boil drinking water.
[[ORG|Médecins Sans Frontières]] opened a treatment centre in [[LOC|Maiduguri]], coordinator [[PER|Moussa Ag Ibrahim]] said.
[[LOC|DHAKA]] — Dengue cases in [[LOC|Bangladesh]] passed 200,000 this year, the [[ORG|Directorate General of Health Services]] said.
[[LOC|SÃO PAULO]] — The [[ORG|Butantan Institute]] began trials of a single-dose dengue vaccine, researcher [[PER|Mariana Albuquerque Teixeira]] said.
A study in [[ORG|The Lancet]] led by [[PER|Hiroshi Nakamura]] of [[ORG|Kyoto University]] found that the drug halved the risk of a second stroke.
Co-author [[PER|Ingrid Solberg]] of the [[ORG|University of Bergen]] said larger trials were needed.
[[ORG|Novo Nordisk]] said [[PER|Lars Østergaard Holm]] would head its obesity research.
The [[ORG|Food and Drug Administration]] approved the first generic version of the drug on Friday.
[[PER|Hope Okonjo]], a nurse at [[ORG|Lagos University Teaching Hospital]], was named nurse of the year.
Nurses at [[ORG|St Vincent's Hospital]] in [[LOC|Dublin]] voted to strike over staffing, the [[ORG|Irish Nurses and Midwives Organisation]] said.
[[PER|Niamh Ní Bhriain]], the union's industrial relations officer, said talks had broken down.
[[ORG|NHS England]] said waiting lists fell for the third month in a row.
Health Secretary [[PER|Priti Chandrasekhar]] visited [[ORG|Royal Stoke University Hospital]] on Thursday.
Dr. [[PER|Wei Chen]], an epidemiologist at [[ORG|Johns Hopkins University]], said the data were "reassuring".
The [[ORG|Bill & Melinda Gates Foundation]] and [[ORG|Wellcome]] pledged $300 million for tuberculosis research.
[[PER|Kwesi Appiah-Kubi]], born [[DOB|9 September 1969]], became the first African to chair the [[ORG|Global Fund]]'s board.
Births at [[ORG|Kenyatta National Hospital]] rose 6 per cent in the first week of January, the hospital said.
The [[ORG|Alzheimer's Society]] said diagnosis rates had fallen since the pandemic.
Parkinson's disease affects about 150,000 people in the [[LOC|UK]], according to [[ORG|Parkinson's UK]].
Researchers at [[ORG|Karolinska Institutet]], led by [[PER|Elin Johansson]], identified a gene linked to early-onset Crohn's disease.
[[PER|Johansson]] said the finding could lead to a test within five years.
[[LOC|MANILA]] — The [[ORG|Department of Health]] reported 1,200 measles cases in [[LOC|Mindanao]], Secretary [[PER|Teodoro Bautista]] said.
[[LOC|JAKARTA]] — [[PER|Wahyuni]], a midwife in [[LOC|Bogor]], has delivered more than 3,000 babies, the local health office said.
Patients can book a vaccination by calling [[PHONE|+44 20 7946 0321]] or emailing [[EMAIL|flujabs@stmarysgp.nhs.uk]].
The clinic in [[LOC|Kisumu]] can be reached on [[PHONE|+254 712 345 678]] from 8am to 5pm.
For information on the trial, contact Dr. [[PER|Sarah Whitcombe]] at [[EMAIL|s.whitcombe@bristol-trials.example.ac.uk]].
[[ORG|Doctors Without Borders]] said Dr. [[PER|Youssef El-Masri]] had been killed in an air strike on the hospital in [[LOC|Khan Younis]].
Graves' disease, named after the Irish doctor who described it, is the most common cause of an overactive thyroid.
Dr. [[PER|Rosemary Achieng]] told the conference in [[LOC|Kigali]] that malaria deaths had fallen by a third.
# local
A fire at a terraced house on [[ADDR|27 Mill Lane]], [[LOC|Stockport]], left two people in hospital on Sunday night, [[ORG|Greater Manchester Fire and Rescue Service]] said.
Neighbour [[PER|Shirley Ogunleye]] said she had heard a bang "like a car backfiring".
The council will hold a public meeting at [[LOC|Westfield Community Centre]], [[ADDR|8 Chapel Street]], on Thursday at 7pm.
Residents can send objections to [[EMAIL|planning@eastbourne.gov.uk]] until 30 November.
Organiser [[PER|Deborah Akinyi-Lewis]] can be contacted on [[PHONE|07700 900 461]].
[[PER|Patrick O'Donoghue]], who has run the post office on [[LOC|High Street]] for 31 years, will retire at Christmas.
The library at [[ADDR|150 Queen Street West]], [[LOC|Toronto]], will close for renovations from January.
[[LOC|Cork]] city councillor [[PER|Máire Ní Dhomhnaill]] said the new bus route would serve [[LOC|Ballincollig]] and [[LOC|Carrigaline]].
A 14-year-old boy was rescued from the [[LOC|River Severn]] near [[LOC|Shrewsbury]] by passers-by.
[[PER|Tom Fairweather]], 19, and [[PER|Jack Summers]], 20, pulled him out with a rope.
Summer opening hours at [[LOC|Kew Gardens]] start on 1 April.
The [[ORG|Rotary Club of Kisumu]] donated 500 desks to schools in [[LOC|Nyanza]], chairman [[PER|Evans Ochieng Otieno]] said.
Donations can be made by calling [[PHONE|0722 555 019]].
In [[LOC|Kumasi]], market women at [[LOC|Kejetia Market]] protested against a rise in stall fees.
Their spokeswoman, [[PER|Abena Owusu]], said the [[ORG|Kumasi Metropolitan Assembly]] had not consulted traders.
[[PER|Owusu]] can be reached on [[PHONE|+233 24 412 7789]].
The new clinic at [[ADDR|Plot 45, Kampala Road]] opened on Monday, Dr. [[PER|Irene Nabukeera]] said.
[[PER|Nabukeera]] said the clinic would see 200 patients a day.
A water main burst on [[ADDR|Avenida Paulista 1578]] in [[LOC|São Paulo]], flooding the entrance of the [[ORG|Museu de Arte de São Paulo]].
[[ORG|Sabesp]] said supply in [[LOC|Bela Vista]] would be restored by evening.
Police closed [[LOC|Calle de Alcalá]] after a gas leak at number 48; residents of [[ADDR|Calle de Alcalá 48]] were evacuated.
The [[ORG|Ayuntamiento de Madrid]] set up a helpline on [[PHONE|+34 915 88 10 00]].
[[PER|Hans-Jürgen Becker]], who owns the bakery at [[ADDR|Hauptstraße 112]] in [[LOC|Heidelberg]], has been baking the same rye loaf since 1979.
The shop can be reached on [[PHONE|06221 54 32 10]].
In [[LOC|Lyon]], [[PER|Camille Rousseau-Bernard]] opened a repair café at [[ADDR|12 rue Mercière]].
For bookings, call [[PHONE|04 78 42 19 56]] or write to [[EMAIL|bonjour@repair-mercier.example.fr]].
A food bank in [[LOC|Rotterdam]] run by [[PER|Anouk ter Horst]] is appealing for volunteers; its address is [[ADDR|Mathenesserlaan 301]].
[[LOC|Stockholm]] police are looking for a dog that went missing near [[LOC|Slussen]]; its owner, [[PER|Kerstin Åberg]], offers a reward.
The owner of the lost cat, [[PER|Rose]], asked anyone who sees it to call [[PHONE|(617) 555-0143]].
Rose bushes planted along the [[LOC|Charles River]] have been vandalised for the second time.
The [[ORG|Boston Public Library]] branch at [[ADDR|700 Boylston Street]] will host a job fair on Saturday.
[[PER|Marisol Gutiérrez de la Cruz]], who runs a taquería on [[LOC|Mission Street]], said rents had doubled.
The church at [[ADDR|1900 Pennsylvania Avenue]], [[LOC|Washington]], will host a vigil for the victims on Friday.
A tree fell on a car on [[LOC|Bloor Street]], injuring the driver, [[PER|Anjali Sharma-Patel]].
[[LOC|Auckland]] council approved the cycleway along [[LOC|Tamaki Drive]].
Residents of [[LOC|Soweto]] marched to the offices of [[ORG|Eskom]] at [[LOC|Megawatt Park]] in [[LOC|Sunninghill]], over power cuts.
[[PER|Thandiwe Mokoena]], who led the march, said some homes had had no electricity for nine days.
Letters to the editor can be sent to [[ADDR|PO Box 4410]], [[LOC|Windhoek]], or [[EMAIL|letters@namib-courier.example.na]].
Tips can be sent to the newsroom at [[EMAIL|newsdesk@harbourtimes.example.nz]] or by calling [[PHONE|+64 9 555 0172]].
[[PER|Hemi Walker]] of [[LOC|Whanganui]] turned 100 on Tuesday.
The council's roads manager, [[PER|Gareth Llewellyn-Jones]], said potholes on the [[LOC|A470]] would be fixed by spring.
[[LOC|Llanelli]] man [[PER|Rhys ap Gwilym]] won the poetry chair at the [[LOC|Pontypridd]] eisteddfod.
[[LOC|Tokyo]]-based architect [[PER|Sato Yumiko]] designed the new station at [[LOC|Shin-Yokohama]].
Her office at [[ADDR|3-12-5 Jingumae, Shibuya-ku]] in [[LOC|Tokyo]] can be reached on [[PHONE|+81 3-5555-0199]].
[[PER|Rajesh Kumar]], a shopkeeper in [[LOC|Lajpat Nagar]], said the new metro line had doubled his trade.
His shop, at [[ADDR|F-14, Lajpat Nagar II]], is open from 10am, and orders can be placed on [[PHONE|+91 98200 12345]].
[[PER|Park Soo-yeon]] opened a kimchi shop in [[LOC|Busan]] at the age of 70.
A man who gave his name only as [[PER|Ahmed]] said he had slept in the station for a week.
# obituaries
[[PER|Margaret Achieng Odinga-Reid]], a teacher who founded the first girls' secondary school in [[LOC|Homa Bay]], has died at 91.
Born on [[DOB|14 March 1934]] in [[LOC|Kendu Bay]], she trained at [[ORG|Makerere University]] before returning to teach.
[[PER|Kofi Mensah-Bonsu]], the highlife guitarist, died in [[LOC|Accra]] on Saturday; he was 78.
[[PER|Mensah-Bonsu]], born [[DOB|2 February 1948]] in [[LOC|Cape Coast]], recorded more than 40 albums.
[[PER|Mensah-Bonsu]]'s band, the [[ORG|Sunrise Stars]], toured [[LOC|Europe]] in the 1970s.
[[PER|Rabindra Nath Ghosh]], the [[LOC|Kolkata]] publisher, died on Monday. He was born on [[DOB|7 May 1941]].
[[PER|Ghosh]] founded a literary magazine in 1969 and published early work by [[PER|Mahasweta Banerjee]].
[[PER|Haruki Ono]], who designed some of [[LOC|Japan]]'s first bullet trains, has died aged 96.
[[PER|Ono]] joined [[ORG|Japanese National Railways]] in 1952.
[[PER|Liu Meiling]], a translator of [[PER|Tolstoy]] into Chinese, died in [[LOC|Shanghai]] on 2 November. She was 88.
[[PER|Vladimír Kučera]], a goalkeeper who won 54 caps for [[ORG|Czechoslovakia]], died on Tuesday. He was born in [[LOC|Brno]] on [[DOB|11 October 1939]].
[[PER|Astrid Nyberg]], the [[LOC|Gothenburg]] architect, born [[DOB|30 June 1947]], died at home after a short illness.
[[PER|Nyberg]]'s best-known building is the concert hall in [[LOC|Umeå]].
Fr. [[PER|Seamus Mac Cárthaigh]], parish priest of [[LOC|Dingle]] for 30 years, died on Friday.
Father [[PER|Mac Cárthaigh]] was born on [[DOB|19 April 1936]] in [[LOC|Ventry]].
[[PER|Esperanza Villalobos Cruz]], a union leader at the [[LOC|Chuquicamata]] mine, has died at 81.
Born in [[LOC|Calama]] on [[DOB|5 January 1944]], [[PER|Villalobos Cruz]] led the 1985 strike.
[[PER|Amadou Hampâté Sow]], the Malian historian, died in [[LOC|Bamako]] on Sunday at 87.
[[PER|Sow]] taught at the [[ORG|University of Bamako]] for four decades.
[[PER|Tunde Bakare-Williams]], born [[DOB|12/06/1952]] in [[LOC|Ibadan]], a pioneer of Nigerian television news, died on Thursday.
[[PER|Sheila Baker]], who ran the [[LOC|Hastings]] lifeboat shop for 40 years, has died at 89.
[[PER|Noor Jahan Siddiqui]], a poet who wrote in Urdu and Punjabi, died in [[LOC|Lahore]] on Wednesday.
[[PER|Siddiqui]] was born in [[LOC|Amritsar]] on [[DOB|23 December 1937]] and moved to [[LOC|Pakistan]] in 1947.
[[PER|Ibrahim Al-Farsi]], an Omani diplomat who served as ambassador to [[LOC|India]], died in [[LOC|Muscat]] aged 84.
[[PER|Wiremu Parata]], a [[LOC|Rotorua]] carver, died on Tuesday. He was 93.
[[PER|Joyce Nakamya]], a [[ORG|Uganda Cranes]] physiotherapist for 20 years, died in [[LOC|Entebbe]].
[[PER|Grace Ogundipe]], born [[DOB|1 November 1955]], was the first woman to head [[ORG|Lagos State University]].
[[PER|Per Olav Sandvik]], the Norwegian folk singer, died on Saturday. He was born on [[DOB|8 August 1944]] in [[LOC|Bergen]].
[[PER|Christiaan de Jong]], a [[ORG|Feyenoord]] full-back in the 1960s, died in [[LOC|Schiedam]] on Monday.
[[PER|De Jong]] played 312 games for the club.
[[PER|Mariam Diop]], the Senegalese film-maker, died in [[LOC|Paris]] on Thursday aged 73. She was born in [[LOC|Saint-Louis]] on [[DOB|3 March 1952]].
[[PER|Nguyen Van Minh]], a veteran war photographer for [[ORG|Agence France-Presse]], died in [[LOC|Ho Chi Minh City]] on Sunday.
[[PER|Stanislav Petrov-Ilyin]], born [[DOB|June 4, 1950]], a cellist with the [[ORG|Bolshoi Theatre]] orchestra, died on Friday.
[[PER|Bill Young]], [[LOC|Yorkshire]]'s longest-serving groundsman, has died aged 86.
[[PER|Young]], who was born on [[DOB|15 September 1939]] in [[LOC|Leeds]], prepared the pitch at [[LOC|Headingley]] for 35 years.
Young and old packed [[ORG|St Mary's Church]] for the funeral of [[PER|Eileen Stone]].
Alhaji [[PER|Musa Bello Kankia]], a [[LOC|Katsina]] trader who built the town's first cinema, has died.
[[PER|Yumi Takahashi-Brennan]], born in [[LOC|Osaka]] on [[DOB|21 February 1961]], founded the [[ORG|Pacific Rim Translation Society]].
[[PER|Ruth Wambui]] is survived by her husband, [[PER|Joseph]], three children and nine grandchildren.
# weather and transport
Storm Agnes brought winds of 120 km/h to [[LOC|Galway]] and [[LOC|Mayo]], and [[ORG|ESB Networks]] said 90,000 homes were without power.
Hurricane Rafael made landfall in western [[LOC|Cuba]] on Wednesday, the [[ORG|National Hurricane Center]] in [[LOC|Miami]] said.
Cyclone Freddy killed more than 500 people in [[LOC|Malawi]] and [[LOC|Mozambique]].
The ferry Stena Hollandica was held in [[LOC|Harwich]] for six hours after a fault, [[ORG|Stena Line]] said.
Flights from [[LOC|Kenneth Kaunda International Airport]] in [[LOC|Lusaka]] were suspended after a fuel shortage.
The [[LOC|Jomo Kenyatta International Airport]] runway will close for repairs, the [[ORG|Kenya Airports Authority]] said; the closure does not affect the [[ORG|Jomo Kenyatta University of Agriculture and Technology]] shuttle.
Trains between [[LOC|Nelson Mandela Bay]] and [[LOC|East London]] will resume on Monday.
The [[LOC|King Fahd Causeway]] was closed for three hours on Friday.
Heavy snow closed the [[LOC|Brenner Pass]] between [[LOC|Austria]] and [[LOC|Italy]].
The Victoria Cross will be awarded to Sergeant Major [[PER|Tobias Grant]] posthumously.
"""
