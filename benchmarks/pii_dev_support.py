"""A development set of hand-written customer-support messages: the personal data people put in chats, e-mails and forms to a bank, an insurer, a telecom, a hospital or a shop.

    .venv/bin/python benchmarks/pii_dev_support.py [--part tune|check|all] [--profile accurate] [--misses PERSON] [--false-positives]

Written for this repository on 2026-12-07, from general knowledge, without
reading the detector (``plugins/``, ``core/``) or any reported set
(``benchmarks/pii_heldout/``, ``benchmarks/pii.py``'s records), and without
running the detector on it. All the people, phone numbers, e-mail addresses,
postal addresses, card numbers, IBANs, identity numbers and accounts in it are
made up. Full card numbers pass the Luhn check and IBANs the ISO 13616 mod-97
check with their country's length, as real ones do; the identity numbers were
given their scheme's check digit where it has a published one (NHS, PESEL,
CPF, DNI/NIE, Aadhaar, SIN, TFN, Medicare, NRIC, codice fiscale, CURP, BSN,
PPSN, TC kimlik, South African and Chinese resident IDs), but none belongs to
anyone.

It covers the messages a support desk gets: formal e-mails and letters, terse
chat, forms pasted into a chat box, replies from agents, with typos, lower
case, ALL CAPS and missing punctuation, and a few in Spanish, Portuguese,
French, German, Italian, Polish, Dutch, Turkish, Vietnamese, Chinese and
Japanese. The writers are from the UK, Ireland, the US, Canada, India,
Nigeria, Ghana, Kenya, South Africa, Europe, Latin America, the Gulf, Turkey
and East and Southeast Asia; names stand in greetings, sign-offs, "my husband
Tomasz", "account holder: ..." and forms, and belong to customers, agents and
third parties (doctors, landlords, engineers, a deceased relative). Phone
numbers are in national and international formats, addresses in each
country's order. Beside them are the distractors: account, sort-code, order,
policy, claim, ticket, tracking, IMEI, serial and barcode numbers, amounts,
times, card expiry dates and appointment dates, masked cards ("ending 4417"),
dotted version numbers, URLs, products and plans,
companies named after people ("John Lewis", "Walsh & Sons Building Ltd"), and
"will", "mark", "grace", "hope", "bill" and "chase" as ordinary words. About
one message in five holds no personal data at all.

Like ``pii_dev_prose.py`` it has a ``tune`` part (rules may be fitted to it)
and a ``check`` part written in the same sitting, with the same mix, before
any tuning, and read only for its figures. Neither is a reported benchmark
figure.

Annotation
----------

Markup: ``pii_dev_prose.py``'s (``{span|L}`` LOCATION, ``{span|P}`` PERSON,
``{span|O}`` ORGANIZATION; the other types by their full label). Spans do
not nest or overlap. Every phone number, e-mail address and IP address is
labelled, whoever it belongs to (a helpline, a company inbox, a scam caller,
a home router's private address).

- PERSON: a person's name as written: given name, surname or both, nicknames,
  misspellings, lower case and capitals, in any script ("{kwame mensah|P}",
  "{SIOBHAN O CONNEL|P}"). Titles and family words are outside the span
  ("Mrs {Eileen Forsythe|P}", "Dr {Okonjo|P}'s", "pan {Zbigniew Mazur|P}",
  "my son {Callum|P}"); the possessive "'s" is outside. A surname given as a
  maiden name is labelled. Company, bank, shop, hospital and product names are
  ORGANIZATION or unlabelled, never PERSON, even when they are made of a
  person's name ("{John Lewis|O}", "{Walsh & Sons Building Ltd|O}"). Pets
  are not labelled.
- ORGANIZATION: companies, banks, insurers, telecoms, shops, hospitals,
  surgeries, schools and government agencies, by name ("{HSBC|O}",
  "{St Thomas' Hospital|O}", "{HMRC|O}"). Not labelled: products, plans and
  cards ("Galaxy S25", "Unlimited Max", "Sapphire"), card schemes named as the
  kind of card ("my visa ending 0034"), services and apps named as the thing
  used ("Bizum", "M-Pesa", "Prime", "nbn"), and the names of identity numbers
  ("NHS number", "Aadhaar", "PAN", "CPF").
- LOCATION: cities, towns, districts, neighbourhoods, states, provinces,
  regions and countries ("{Lekki Phase 1|L}", "{Shibuya-ku|L}", "{IL|L}",
  "{VIC|L}"). A street named without a house number is a LOCATION, as in the
  sibling sets ("the pharmacy on {Church Road|L}").
- STREET_ADDRESS: the house number, street and any flat, unit, building or
  PO box, with the commas between them ("{Flat 3, 27 Aldgate Road|STREET_ADDRESS}",
  "{Blk 312 Clementi Ave 4, #08-115|STREET_ADDRESS}", "{P.O. Box 1187|STREET_ADDRESS}").
  The district, town, state and country after it are separate LOCATION spans
  and the postcode a separate POSTAL_CODE span, split at the commas or spaces
  between them ("{Stockport|L} {SK2 6JD|POSTAL_CODE}", "{10435|POSTAL_CODE}
  {Berlin|L}"). A house number alone ("the neighbour at no. 14") is not
  labelled.
- POSTAL_CODE: a postcode, ZIP, PIN, CEP or Eircode, with or without the rest
  of an address.
- DATE_OF_BIRTH: only a date that is someone's birth date, in any format or
  language ("born {14/09/2015|DATE_OF_BIRTH}", "DOB {2 Jan 2019|DATE_OF_BIRTH}",
  "nací el {14 de mayo de 1990|DATE_OF_BIRTH}"). Other dates (payments,
  appointments, deaths, card expiry) and ages are not labelled.
- NATIONAL_ID: national identity, passport, tax, social-insurance and public
  health numbers other than a US SSN (UK NI and NHS numbers, Aadhaar, PAN,
  DNI, NIE, codice fiscale, CPF, PESEL, SIN, TFN, Medicare, NRIC, CURP, BSN,
  PPSN, Steuer-ID, French NIR, Korean RRN, Chinese resident ID, TC kimlik,
  Kenyan ID and KRA PIN, Nigerian NIN, South African ID, Emirates ID, iqama,
  Vietnamese CCCD, Philippine SSS, passport numbers). US_SSN: a full US social
  security number; "last four of my social are 2290" is not labelled.
  Hospital, member, policy and customer numbers are accounts, not IDs.
- CREDIT_CARD: a full card number, with or without spaces or dashes; masked or
  partial numbers ("card ending 4417") and expiry dates and CVVs are not.
- IBAN_CODE: a full IBAN, grouped or not. Sort codes, account numbers, IFSC
  and BIC codes are not labelled.
- IP_ADDRESS: any IPv4 or IPv6 address, private ones included; dotted version
  numbers ("firmware 7.2.0.45") are not.
- Not labelled: account, order, reference, ticket, policy, claim, tracking,
  IMEI, serial, barcode and plate numbers, amounts, times, non-birth dates,
  @handles and URLs.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pii_dev_prose  # noqa: E402  # the markup and the scoring driver

# One message a line; "#" lines are section notes. Written before any tuning.
TUNE = """
# bank: cards, fraud and getting into the account
Hello, I've just noticed two payments of £89.99 to a company I've never heard of on my current account. My name is {Oluwaseun Adebayo|P} and the card is {4212 2544 1019 9524|CREDIT_CARD}. Please block it now.
card blocked again??? third time this month. standing at the till in {Tesco|O} and it keeps declining
My debit card ending 0381 was swallowed by the cash machine this morning around 9:40. Can a replacement be sent to {14 Hazel Grove|STREET_ADDRESS}, {Stockport|L} {SK2 6JD|POSTAL_CODE}? Thanks, {Gareth|P}
Dear {Barclays|O}, I am writing on behalf of my mother, Mrs {Eileen Forsythe|P}, who is 87 and was talked into transferring £4,000 by a man claiming to be from your fraud team. Her sort code is 20-45-77 and the account is 53118940. Could someone ring me, her son {Alan|P}, on {07700 914 382|PHONE_NUMBER}?
hi want to dispute a transaction ref TXN-88410293 amount $312.40 from 11/02. card no {5191939206853555|CREDIT_CARD} exp 09/27 thx
Why was my card declined in {Lisbon|L}? I told the app I'd be in {Portugal|L} from 2 to 16 June.
I can't log in to online banking, it says the account is locked after 3 attempts. Customer number 8821094417. I haven't changed anything.
this is {kwame mensah|P}. new phone, cant get the one time passcode. new number {+233 24 481 6620|PHONE_NUMBER}, old one was {+233 20 115 9043|PHONE_NUMBER}
Please update the e-mail on file from {j.ferreira1986@hotmail.com|EMAIL_ADDRESS} to {joana.ferreira@sapo.pt|EMAIL_ADDRESS}. Obrigada, {Joana Ferreira|P}
Someone tried to sign in to my account from {185.220.101.47|IP_ADDRESS} at 03:12 last night, I got the alert. It wasn't me, I was asleep in {Manchester|L}.
Is there a limit on contactless? I paid £120 at the petrol station and it asked for my PIN.
URGENT LOST WALLET. PLEASE CANCEL ALL CARDS FOR {DEEPAK RAGHAVAN|P}, DOB {22/09/1978|DATE_OF_BIRTH}, MOBILE {+91 98450 31726|PHONE_NUMBER}
My wife {Tomoko|P} is a second card holder. Her card still hasn't arrived after 3 weeks, can you resend it? We moved to {2-14-5 Jingumae|STREET_ADDRESS}, {Shibuya-ku|L}, {Tokyo|L} {150-0001|POSTAL_CODE} in April.
I was charged a £25 overdraft fee though I was only £3 over for one night. Will you refund it or do I need to go to the ombudsman?
hi can you mark the payment to {Amazon|O} as genuine, it was me, the app flagged it as suspicious
Good morning. I would like to close the joint account I held with my late husband, {Bernard Lefèvre|P}, who passed away on 4 January. I have the death certificate. {Colette Lefèvre|P}, {06 71 28 43 95|PHONE_NUMBER}
I'm locked out, the security question wants my mum's maiden name and I'm sure it's {Doherty|P} but it says wrong
got a text from "{HSBC|O}" saying my card is suspended with a link hsbc-secure-verify.com/login, is that really you? didn't click it
My {Chase|O} Sapphire card got lost somewhere in {Denver|L}. Full number is {4883-0366-2333-6995|CREDIT_CARD}, I'm {Tyler Brooks|P}, last four of my social are 2290.
The replacement card came with my name printed as {SIOBHAN O CONNEL|P}, it should be {Siobhán O'Connell|P}. Please reissue.
My account 0098 2231 7749 shows a balance of zero, where has my salary gone?? It was paid in on the 28th by {Deloitte|O}.
Hallo, ich möchte meinen Kreditrahmen auf 5.000 Euro erhöhen. Jahreseinkommen 58.000 €, Arbeitgeber {Siemens|O} in {München|L}.
I lost my phone in a taxi and the banking app is on it, please freeze everything until I'm home. E-mail me at {tunde.bakare77@yahoo.com|EMAIL_ADDRESS} if you need anything.
Hi, card ending 7731 declined at {Lidl|O} even though there's £600 in the account. Can someone explain. {Dorota|P}
My dad {Ibrahim Al-Sayed|P} has dementia and I hold power of attorney. What do you need from me to manage his account? I'm {Layla|P}, {layla.alsayed@gmail.com|EMAIL_ADDRESS}
Hello. I am {Park Ji-hoon|P}, living in {Incheon|L}. My overseas card payment to {Coupang|O} failed three times with error code E-4012.
Please stop sending me paper statements. I have asked four times.
i think my card was cloned, there are 6 payments in {Bangkok|L} and I've never been to {Thailand|L}. card {5346 0012 5117 1617|CREDIT_CARD}
Dear Sir/Madam, kindly reactivate my dormant savings account. Account name: {Abdulrahman Musa Bello|P}. Account no: 0123847756. Branch: {Kano|L}. Phone: {0803 918 2274|PHONE_NUMBER}.
The chip on my card is damaged and it only works with tap. Can I get a new one without changing the number? It's {4774 6249 4401 9192|CREDIT_CARD}.
hey its {Will|P} again, did you manage to unblock it? i'm stuck at the airport
Will the new card have the same PIN as the old one?
I got a letter saying my account will be closed in 60 days. Why? I've banked with {Lloyds|O} for 22 years.
Please take the annual fee from my other card, {3756-516061-13006|CREDIT_CARD}, exp 04/29. Thanks, {Ellen Park|P}
card num {4456267900520137|CREDIT_CARD} name {Sandeep Chawla|P} pls check why it failed
I can't reach online banking from the office, our IT team says your site is blocking our proxy {194.73.22.180|IP_ADDRESS}.
Your security team asked for my IP address: {2a00:23c7:8f14:d201:5d1:9e3a:41b2:7c08|IP_ADDRESS}. I was on home wifi all evening.
I'm calling about my late husband {Gerald Mattson|P}'s checking account. His SSN was {519-25-3205|US_SSN}. He passed on May 3.

# bank: transfers, IBANs and payees
Please send the refund to my account {GB51 NWBK 5260 1815 9083 01|IBAN_CODE}, name {Ruth Abernethy|P}. Amount £142.50, your reference RF-229104.
I made a SEPA transfer of 1.250,00 EUR to {DE55 7439 5755 1313 7353 79|IBAN_CODE} on Monday and it still hasn't arrived. Beneficiary {Lukas Hoffmann|P}, reference Miete März.
hola, necesito cambiar la cuenta de domiciliación a {ES14 0182 2684 0065 6321 2233|IBAN_CODE}. Titular: {Alejandro Ruiz Navarro|P}, DNI {50201462Y|NATIONAL_ID}
The payee name check came back as "no match" when I tried paying my builder, {Kieran Walsh|P} at {Walsh & Sons Building Ltd|O}. Is it safe to go ahead?
Bonjour, je n'ai pas reçu le virement de 380 € de mon employeur. Mon IBAN : {FR76 4121 5472 8038 5280 8414 844|IBAN_CODE}. Cordialement, {Hélène Marchand|P}
I sent €600 to the wrong IBAN by mistake, one digit off. Can you recall it? Transaction ID 7730019284, sent at 14:22 today.
Transfer to my sister {Priyanka|P} in {Pune|L} failed. Her account is with {HDFC Bank|O}, IFSC HDFC0001234, account 50100234871190.
Please pay invoice INV-2026-0441 to {NL48 INGB 1471 0497 46|IBAN_CODE}, beneficiary {Van Dijk Installatietechniek B.V.|O}.
my rent goes to {PL34 2279 1805 8887 1803 3401 8780|IBAN_CODE} every month on the 10th but this month it bounced back, landlord is pan {Zbigniew Mazur|P}
Can I set up a standing order of £75 a week to my son {Callum|P}? His sort code is 30-96-26, account 71245508.
I need a stamped bank statement for my visa application to {Canada|L}, last 6 months please.
A transfer from {IE24 AIBK 4875 7491 1862 52|IBAN_CODE} into my account was reversed. The sender is my cousin {Niamh Brennan|P} in {Galway|L}.
Why is there a €2.50 fee for sending money to {Belgium|L}? The IBAN is {BE73 2159 0109 2860|IBAN_CODE}, it's inside the EU!
Olá, a transferência para {PT41 7513 6134 1252 4273 1672 3|IBAN_CODE} foi devolvida. O nome do titular é {João Pedro Almeida|P}. Porquê?
I have to pay my daughter's school fees in {Istanbul|L}: {TR33 2686 5063 5515 0587 7065 89|IBAN_CODE}, recipient {Özlem Yıldırım|P}. Is the SWIFT fee charged to me or to the school?
Salam, I'm trying to send money to my brother {Faisal|P} in {Riyadh|L}, IBAN {SA6280481131144024264628|IBAN_CODE}, and it says invalid beneficiary.
Sent AED 3,500 to {AE660338975140261401419|IBAN_CODE} two days ago, the money left my account but {Mashreq|O} says nothing came in.
Please confirm you received the payment for order 55-10293-88 (CHF 412.00) from {CH92 8737 1678 6843 3532 6|IBAN_CODE}.
Bizum to {Álvaro|P} failed, his number is {+34 655 21 88 04|PHONE_NUMBER}. The money is gone from my account though.
I'd like to cancel the direct debit to {Sky|O}, reference 3318890021, from next month.
How many days does an international transfer to {India|L} take? I need it there by the 5th for the deposit.
The exchange rate you gave me was 1.14 but the site said 1.17 at the time. On €2,000 that's a lot.
Can you explain why a £1 payment from "{Revolut|O} Ltd" appeared and then disappeared?

# insurance: claims, policies and renewals
I'd like to claim on my home insurance, policy HH-7730192. A pipe burst in the kitchen on Saturday night and the ceiling below has come down. The address on the policy is {Flat 2, 41 Crwys Road|STREET_ADDRESS}, {Cardiff|L} {CF24 4NN|POSTAL_CODE}. {Rhys Llewellyn|P}, {07781 402 556|PHONE_NUMBER}
car accident yesterday on the motorway, other driver {Darren Hughes|P} gave me his number {07949 118203|PHONE_NUMBER} and his insurer is {Admiral|O}. my policy no MTR-4491-228
Does my travel insurance cover a cancelled flight? Booking ref KX7P2L, flying to {Nairobi|L} on 14 May.
My husband {Tomasz|P} was admitted to hospital in {Málaga|L} while we were on holiday and they want a guarantee of payment from you. Our policy is TRV-558120. My Spanish number is {+34 612 48 90 17|PHONE_NUMBER}. {Agnieszka Nowak|P}
Claim CLM-00918273: the loss adjuster, Mr {Patel|P}, said he'd come on Tuesday between 10 and 12 but no one turned up.
my phone was stolen in {Barcelona|L}, I have the police report (denuncia 2026/118832). Phone insurance PH-991022, IMEI 350757938347011.
Sehr geehrte Damen und Herren, anbei die Rechnung der Werkstatt für den Glasschaden. Versicherungsnummer 44-8812209-K. Bitte überweisen Sie den Betrag auf {DE41 2202 9729 9752 8820 01|IBAN_CODE}. Mit freundlichen Grüßen, {Klaus-Dieter Brandt|P}, {Lindenstraße 7|STREET_ADDRESS}, {48143|POSTAL_CODE} {Münster|L}
My father, {Samuel Otieno Odhiambo|P}, ID number {22481935|NATIONAL_ID}, passed away on 2 March and I am the named beneficiary on his life cover. How do I start the claim? {Grace Achieng|P}, {+254 722 418 360|PHONE_NUMBER}
the renewal went up from $1,140 to $1,890 with no claims. why?? I've been with {State Farm|O} 11 years
Please add my daughter {Sofía|P} as a named driver. She was born on {17 August 2006|DATE_OF_BIRTH} and passed her test last month.
Pet insurance claim for Biscuit (cocker spaniel), vet bill £640 from {Riverside Vets|O}, invoice attached.
Dear Sir or Madam, I am writing to complain about how my claim was handled. After six weeks and four phone calls nobody has called back. I expect a written reply within 14 days.
Policyholder: {Chinedu Okafor|P}. DOB: {03/11/1985|DATE_OF_BIRTH}. Address: {Plot 12, Admiralty Way|STREET_ADDRESS}, {Lekki Phase 1|L}, {Lagos|L}. Vehicle: 2018 Camry, plate LSR-481-XY.
I need a letter confirming my contents cover for my landlord, Ms {Okonkwo|P}, by Friday.
The windscreen fitter, {Dave|P} from {Autoglass|O}, came today and said the chip is too big so the glass needs replacing. Is the £115 excess still the same?
My physiotherapy claim was rejected with reason code R14. The physio was Dr {Ananya Iyer|P}, membership no. 7718-2290-01.
Hi, I'm moving on the 30th. New address: {Apt 6C, 410 E 84th St|STREET_ADDRESS}, {New York|L}, {NY|L} {10028|POSTAL_CODE}. Please update renters policy RNT-30018855.
I was rear-ended at a red light at about 5:45pm. The other driver said her name was {Candice|P} and wouldn't give a surname. Her plate was 7KLM203.
Is flood damage covered on the basic plan? Just asking before I buy.
Renewal quote is £612 and a comparison site has the same cover for £398. Can you match it?
Our boiler broke down on Christmas Eve and the engineer can't come until the 29th. We have a baby. Please escalate and call {Nadia|P} on {+44 7522 390 118|PHONE_NUMBER}.
Can you send the policy documents to my husband as well? {marcus.j.reid@icloud.com|EMAIL_ADDRESS}. His name is {Marcus Reid|P}.
I am Mrs {Fatima Zahra Benjelloun|P}, policy HM-22091. The water damage is in the bathroom of our flat at {Residence Al Andalous, Apt 14|STREET_ADDRESS}, {Casablanca|L}.

# telecom: lines, SIMs, broadband and bills
I want to move my number {07911 245 873|PHONE_NUMBER} to {Vodafone|O}. My PAC is HRT482913 but they say it's invalid.
internet down since 6am in {Salford|L}, router lights flashing orange. account 40029981. call me {0161 496 0721|PHONE_NUMBER}
hello my sim isn't working since I landed in {Dubai|L}. number {+44 7456 118 902|PHONE_NUMBER}, can you switch on roaming
My bill this month is £97.40 but my plan is £35!! You charged me for calls to {Kenya|L} that should be in the bolt-on.
The engineer who came, {Marek|P}, said the fault is outside the property, so why am I being charged a £65 call-out?
Please cancel my broadband, I'm moving abroad on 1 September. Send the final bill to {sam.okoro@outlook.com|EMAIL_ADDRESS}.
Mi número {55 3412 8890|PHONE_NUMBER} no tiene señal desde ayer en {Coyoacán|L}. Soy {Guadalupe Hernández|P}.
Hi, pls unlock my phone, IMEI 867468145384013, contract ended in March. Account holder {Nguyen Thi Lan|P}.
I keep getting calls from {0203 998 1047|PHONE_NUMBER} pretending to be {BT|O}. Is this a scam?
Upgrade question: can I get the Galaxy S25 on the Unlimited Max plan without a credit check? Account holder {Femi Balogun|P}.
Why is my data so slow? 4G shows full bars but the speed test says 0.8 Mbps. Postcode is {LS6 3HN|POSTAL_CODE}.
My public IP keeps changing, it was {86.142.77.19|IP_ADDRESS} this morning and now {81.101.24.213|IP_ADDRESS}. I pay for a static one.
Firmware 7.2.0.45 is installed on the hub, is that the latest?
{Jio|O} recharge of ₹719 done from my number {+91 70213 88456|PHONE_NUMBER} but validity not extended. txn id 1108837742190
Hi, I have a {Safaricom|O} line {0711 305 982|PHONE_NUMBER}. I sent 2,500 KES by M-Pesa to the wrong number, {0733 902 417|PHONE_NUMBER}. Please reverse it. {Wanjiru Kamau|P}
Bonjour, ma box est en panne depuis jeudi. Ligne fixe {01 43 87 22 19|PHONE_NUMBER}, client {Orange|O} depuis 2012. Mme {Rousseau|P}
Yes, I still want the landline. Please don't disconnect it.
The bill says roaming charges but I haven't left {Germany|L} all month.
Please send the contract to my work e-mail {r.castellanos@constructora-ibarra.mx|EMAIL_ADDRESS}. Gracias, {Rodrigo Castellanos|P}
hi my email changed to {dlamini.thabo@gmail.com|EMAIL_ADDRESS}, the old one was {thabo_d@mweb.co.za|EMAIL_ADDRESS}
Please send the quote for the business line to {biuro@kowalski-hydraulika.pl|EMAIL_ADDRESS}. {Kowalski Hydraulika|O}, client no. 77-2210.
SIM SWAP WITHOUT MY CONSENT!!! my number {0803 456 7812|PHONE_NUMBER} was moved to a new sim yesterday at 11pm and now my bank account is empty. I am {Precious Eze|P}, {MTN|O} customer for 9 years
Please call me back on my husband's phone, {+63 917 482 0365|PHONE_NUMBER}, and ask for {Maricel|P}.
hey the agent I spoke to yesterday, {Brandon|P}, promised a £20 credit. it isn't on my bill
Which is the cheapest plan with 100GB? I'm a student.
Reporting a faulty {Huawei|O} router, model B535-232, serial 4F7K2M19833.
I've been charged for a premium SMS service I never signed up for, 3 x £4.50 on the 2nd, 9th and 16th. The number is {07384 226 519|PHONE_NUMBER}.
my wifi password stopped working after your update. router admin page is at {192.168.1.254|IP_ADDRESS} but it won't load
Hallo, meine neue Nummer ist {0176 23948815|PHONE_NUMBER}, bitte im Kundenkonto ändern. {Jonas Weber|P}
My elderly neighbour {Doris|P} asked me to write for her. Her landline {01632 960 418|PHONE_NUMBER} has been dead for a week and she has a care alarm on it.
你好，我的手机号 {138 0013 8847|PHONE_NUMBER} 从昨天开始无法上网，我叫{王丽|P}。
Can I keep my old number if I move from prepaid to a contract?
Hi {Telstra|O}, my nbn has been dropping out every evening since the storm. Address {14 Kurrajong Cres|STREET_ADDRESS}, {Wagga Wagga|L} {NSW|L} {2650|POSTAL_CODE}. Mob {0412 587 309|PHONE_NUMBER}

# hospital and clinic
I need to move my MRI appointment on 12 March at 10:15. Patient: {Margaret Ellison|P}, NHS number {787 789 3280|NATIONAL_ID}, DOB {09/06/1952|DATE_OF_BIRTH}.
Hello, my son {Arjun|P} (DOB {2 Jan 2019|DATE_OF_BIRTH}) needs his vaccination record for school admission in {Hyderabad|L}. Please e-mail it to {sunita.reddy82@gmail.com|EMAIL_ADDRESS}.
Can I get a copy of my blood test results? Hospital number RX4490213. Please post them to {9 Orchard Close|STREET_ADDRESS}, {Taunton|L} {TA1 4QP|POSTAL_CODE}.
Dr {Okonjo|P}'s clinic cancelled my follow-up twice. I've been waiting since October, it's not acceptable.
We are requesting the medical records of our late father, {Henryk Wiśniewski|P}, PESEL {48050939831|NATIONAL_ID}, who was treated at your hospital in {Łódź|L} in 2024.
The prescription for amoxicillin 500mg wasn't sent to the pharmacy. Ward 4B discharged me on Friday.
Patient {Mohammed Rahimi|P}, born {1961-04-30|DATE_OF_BIRTH}, is allergic to penicillin. Please update his file before surgery on the 22nd.
My GP is Dr {Fiona McLeod|P} at {Leith Walk Surgery|O} and she referred me to dermatology five months ago. Still no letter.
Emergency contact update: my brother {Chukwuemeka|P}, {+234 809 331 2274|PHONE_NUMBER}.
Medicare card {4861 11483 4|NATIONAL_ID}, {Liam O'Sullivan|P}, {Unit 5/22 Smith St|STREET_ADDRESS}, {Fitzroy|L} {VIC|L} {3065|POSTAL_CODE}. Can this visit be bulk billed?
i got billed $2,340 for the ER visit on 8/14 but my insurance is {Blue Cross Blue Shield|O}, member ID XGH884102773. ssn {529-19-4252|US_SSN} if you need it
Bonjour, je voudrais un rendez-vous avec le Dr {Benali|P} pour ma fille {Inès|P}, née le {14/09/2015|DATE_OF_BIRTH}. Mon numéro de sécu : {2 92 05 69 123 045 59|NATIONAL_ID}.
The receptionist, {Joy|P}, was very kind to my mother when she fell in the waiting room.
We want to thank the midwives at {St Thomas' Hospital|O} for looking after us last week.
My mother's hearing aid went missing during her stay on ward 12. She is Mrs {Aiko Tanaka|P}, bed 12-07.
Please cancel my dental cleaning, I'll rebook later. Appointment #D-44817.
Dear {Apollo Hospitals|O} team, my father {Venkatesh Subramanian|P} is admitted for bypass surgery. His Aadhaar is {3740 9319 2546|NATIONAL_ID} and mine is {3741 4333 7763|NATIONAL_ID}. Please process the cashless claim.
What's the parking like at the hospital? My appointment is at 2:30 and I'm in a wheelchair.
Hi, I'm {Ana Beatriz Lima|P}, I had a C-section at your clinic on the 3rd and the invoice charges anaesthesia twice (R$ 3.200,00).
Please send the referral letter to {Harbour Physio|O}, fax is not working, can you e-mail {bookings@harbourphysio.co.nz|EMAIL_ADDRESS}? Patient {Aroha Ngata|P}.
I can't get through on the phone to book a GP appointment. The line opens at 8 and by 8:05 everything's gone.
Our daughter {Mei Ling|P} was born on {5 March 2024|DATE_OF_BIRTH} at your hospital, and we still haven't received the birth notification needed for her registration.

# shop: orders, deliveries, returns and refunds
Where is my order? #A-20931, placed 3 May, tracking says delivered but nothing here.
Order 114-2290331-8812201 arrived damaged, the glass is cracked. I want a replacement, not a refund. Deliver to {27 Rue Sainte-Catherine|STREET_ADDRESS}, {33000|POSTAL_CODE} {Bordeaux|L}. {Camille Girard|P}
hi courier left my parcel with the neighbour at no. 14 but they're away for a week. what do i do
Please change the delivery address on order 88340127 to {1842 W Belmont Ave Apt 3F|STREET_ADDRESS}, {Chicago|L}, {IL|L} {60657|POSTAL_CODE}. Recipient {Dana Whitfield|P}, phone {(773) 555-0186|PHONE_NUMBER}.
The jacket I returned (RMA-55920) reached your warehouse on the 9th according to tracking 1Z999AA10123456784, but I still haven't been refunded £129.
I'd like to buy a gift card for my colleague {Mark|P}. Can you add a message to it?
Will the 30% off sale include the {Nike|O} trainers?
The code on the box is 4006381333931 but I was sent a different colour.
Mark this ticket urgent please. Your driver reversed into my gate.
Order still not here. {Phạm Anh Tuấn|P}, {12 Nguyen Hue Street|STREET_ADDRESS}, {District 1|L}, {Ho Chi Minh City|L}. Phone {090 312 7745|PHONE_NUMBER}.
I was charged twice for the same order from {Marks & Spencer|O}, £64.00 each time. Only one parcel came.
Bonjour, colis jamais reçu. Commande 7730-FR-22918. Adresse : {5 allée des Tilleuls|STREET_ADDRESS}, {69003|POSTAL_CODE} {Lyon|L}. Tél. {06 12 58 47 30|PHONE_NUMBER}
Hello, I'm {Zhang Wei|P} from {Chengdu|L}. My parcel has been stuck in customs for 2 weeks, tracking LP00493821774CN.
Comprei um fone e veio com defeito. Pedido 1029384-01. Endereço: {Rua Augusta, 1500, apto 42|STREET_ADDRESS}, {Consolação|L}, {São Paulo|L} - {SP|L}, {01304-001|POSTAL_CODE}. CPF {833.801.412-59|NATIONAL_ID}. {Ana Paula Souza|P}
My daughter {Hope|P} ordered this without asking. Can I return it unopened?
I hope you can sort this out before the weekend, it's a birthday present.
Wholesale enquiry: we run three pharmacies in {Kisumu|L} and would like a trade account. Contact Dr {Achieng Were|P}, {P.O. Box 1187|STREET_ADDRESS}-{40100|POSTAL_CODE}, {Kisumu|L}.
Quick question, do you ship to {Northern Ireland|L}?
The washing machine from {John Lewis|O} arrived but the installer didn't take the old one away as agreed. Order 60219477.
Your app charged my card {2221 7360 8710 0838|CREDIT_CARD} twice at checkout. Please refund one of them. {Beatriz|P}
hi it's {jess|P} again lol still no refund
delivery driver was rude and threw the box over the fence. order ending 8812
i ordered 3 but only 2 came, order no 40018832, can u send the other to {Flat 9, 18 Queen's Road|STREET_ADDRESS}, {Brighton|L} {BN1 3XA|POSTAL_CODE}
Why did my {Sainsbury's|O} delivery swap oat milk for whole milk?? I'm vegan.
It's a gift for my grandmother, {Rosa Bianchi|P}, {Via Garibaldi 22|STREET_ADDRESS}, {10122|POSTAL_CODE} {Torino|L}, {Italy|L}. Can you add a card saying "Buon compleanno nonna"?
Can I pay with {PayPal|O}? My card keeps failing at the last step.
Pay the balance with card {6011 8325 9911 3305|CREDIT_CARD}, name on card {MARIA J GONZALEZ|P}, billing zip {78704|POSTAL_CODE}.
My JCB card {3529 8089 6414 9134|CREDIT_CARD} does not work on your website. {Yamamoto Haruka|P}
PLEASE REPLY TO {ANGELA.MORETTI@LIBERO.IT|EMAIL_ADDRESS} NOT THE OTHER ONE, I CAN'T OPEN IT ANY MORE
The sofa was supposed to arrive between 8 and 12. It's 4pm. Order SF-20931-77. {Bilal Chaudhry|P}, {07956 448 210|PHONE_NUMBER}
Dear customer service, the coffee machine I bought stopped working after 13 days. Serial number 22A7-0193-KX. Receipt attached. Regards, {Ingrid Solberg|P}
do u price match {Argos|O}? same kettle is £10 cheaper there
I ordered under my maiden name, {Claire Dunmore|P}, but the card is in my married name, {Claire Fitzgerald|P}. Is that why it failed?
Can the courier call {0117 496 0832|PHONE_NUMBER} before delivering? Nobody answers the buzzer at {Flat 4B, Harbourside Court, 2 Canons Way|STREET_ADDRESS}, {Bristol|L} {BS1 5LL|POSTAL_CODE}.
こんにちは。注文番号 5521-8830 の商品がまだ届きません。{佐藤健|P}、電話 {090-4417-2856|PHONE_NUMBER}
I never received the confirmation e-mail. I typed {kateryna.bondarenko@ukr.net|EMAIL_ADDRESS}, is that what you have?
The bill shows a charge of $18.99 for "Prime" which I cancelled in August.

# identity checks, applications and forms
Account opening. Full name: {Anjali Deshmukh|P}; DOB: {11-07-1993|DATE_OF_BIRTH}; PAN: {BQRPD7731M|NATIONAL_ID}; Aadhaar: {6992 0707 4133|NATIONAL_ID}; mobile: {+91 99203 44718|PHONE_NUMBER}
Name: {Ngozi Eze|P}. Date of birth: {1990-02-27|DATE_OF_BIRTH}. NIN: {70123948215|NATIONAL_ID}. Address: {15 Adeola Odeku Street|STREET_ADDRESS}, {Victoria Island|L}, {Lagos|L}.
for the mortgage application you asked for my NI number, it's {JT 48 21 93 B|NATIONAL_ID}. My passport number is {548201937|NATIONAL_ID}, expires 2031.
The app keeps rejecting my passport photo. Passport no. {Z4821937|NATIONAL_ID}, issued in {Chennai|L}. What am I doing wrong?
My SSN is {318-36-1857|US_SSN}, DOB {4/19/1981|DATE_OF_BIRTH}, name {Jennifer Alvarez|P}. I need to reset my online access.
The form won't accept my tax file number {298 415 377|NATIONAL_ID}, it says invalid. {Mitchell Harrow|P}, {Perth|L}.
Soy {Lucía García Martínez|P}, mi CURP es {GAML900514MJCRRC09|NATIONAL_ID}, nací el {14 de mayo de 1990|DATE_OF_BIRTH} en {Guadalajara|L}. ¿Por qué no puedo abrir la cuenta?
Codice fiscale: {FRRGLI91D52F205O|NATIONAL_ID}. Sono {Giulia Ferrari|P}, nata il {12/04/1991|DATE_OF_BIRTH} a {Milano|L}.
My SIN is {731002515|NATIONAL_ID} and I live at {301-1280 Burrard St|STREET_ADDRESS}, {Vancouver|L}, {BC|L} {V6Z 1Z6|POSTAL_CODE}. Please stop sending post to my old address.
Hi, {Tan Wei Ming|P} here, NRIC {S7484777C|NATIONAL_ID}. Please update my address to {Blk 312 Clementi Ave 4, #08-115|STREET_ADDRESS}, {Singapore|L} {120312|POSTAL_CODE}.
Why do you need my date of birth again? I gave it to you last week.
TC kimlik no: {74390084780|NATIONAL_ID}, ad soyad: {Emre Kaya|P}, tel: {0532 418 27 90|PHONE_NUMBER}
Identity check for {Thandiwe Nkosi|P}, ID number {8804123143080|NATIONAL_ID}, born {12 April 1988|DATE_OF_BIRTH}, residing at {23 Long Street|STREET_ADDRESS}, {Cape Town|L}, {8001|POSTAL_CODE}.
Hello, {Kim Soo-yeon|P}. My registration number is {890214-2220081|NATIONAL_ID} and phone {010-4827-3316|PHONE_NUMBER}. The verification SMS never comes.
My resident ID is {440305199008176408|NATIONAL_ID}, name {Li Na|P}. The system says the name and ID don't match.
Form W-9 sent. Please note the name on my account should be {Robert J. Kowalski|P}, not {Bob|P}. SSN {376-53-2427|US_SSN}.
I'm opening an account for my son {Oisín|P}, born {23/10/2012|DATE_OF_BIRTH}. His PPS number is {3663062A|NATIONAL_ID}.
What documents count as proof of address? I only have a tenancy agreement and a phone bill.
Is it safe to send my passport scan by e-mail?
Mijn BSN is {604956605|NATIONAL_ID}, ik heet {Sanne de Vries|P}. Woonadres: {Prinsengracht 263-2|STREET_ADDRESS}, {1016 GV|POSTAL_CODE} {Amsterdam|L}.
Hi, my iqama number is {2081003390|NATIONAL_ID}, name {Arvind Pillai|P}. I changed my employer and need to update the KYC.
Steuer-ID für die Bescheinigung: {97 132 649 509|NATIONAL_ID}. Geboren am {3. Februar 1967|DATE_OF_BIRTH}. {Renate Schulze|P}
Numéro de sécurité sociale de mon mari : {1 78 11 75 112 317 11|NATIONAL_ID}. Il s'appelle {Karim Haddad|P}, né le {8 novembre 1978|DATE_OF_BIRTH}.
Re: loan application LN-558201. My employer {Accenture|O} will send the salary letter directly. You can reach HR at {hr.verifications@accenture.com|EMAIL_ADDRESS}.

# replies from the company
Hi {Sam|P}, this is {Aisha|P} from the card team. I've cancelled the card ending 4417 and a new one will reach you in 3-5 working days.
Dear Mr {Adeyemi|P}, thank you for your patience. Your complaint reference is CMP-2026-118402 and {Jonathan|P} from our complaints team will call you before 5pm on Friday. Kind regards, {Rebecca Moore|P}, Customer Relations, {Nationwide|O}
Thanks for waiting {Priya|P}! The refund of ₹2,499 was processed on 3 Nov and can take 5-7 working days to show. {Rahul|P}, {Flipkart|O} Support
Hi there, {Tom|P} here. I've checked your line and there's no fault on our side. Could you restart the router by holding the reset button for 10 seconds?
Hola {Carmen|P}, soy {Javier|P} de atención al cliente. Hemos programado la visita del técnico para el lunes entre las 9:00 y las 14:00.
Hello, I'm a virtual assistant. How can I help you today?
We can't discuss the account with a third party. Please ask Mr {Grant|P} to call us from the number registered, ending 392.
Dear Ms {Nakamura|P}, your claim has been approved and £1,820.00 will be paid to the account ending 9021 within 5 working days.
Hi {Kofi|P}, {Lerato|P} here from {Discovery Health|O}. Your pre-authorisation number is PA-99184 for the procedure on 14 July.
Your ticket #448213 has been closed. If you need more help, just reply to this e-mail.
Hi {Dimitri|P}, sorry to hear that. I've raised a fault, reference FLT-7720913, and an engineer will visit on Thursday between 8am and 1pm.
Dear {Olumide|P}, we've received your documents. Please allow up to 48 hours for verification.
Good afternoon Mrs {Sithole|P}, I'm {Bongani|P} from the claims department. Could you send a photo of the damaged geyser?

# no personal data
I've been on hold for 47 minutes. This is ridiculous.
Does the premium account come with travel insurance?
What time does the branch close on Saturdays?
The app crashes every time I open the statements tab, version 6.14.2 on Android 14.
Refund still not received after 10 working days. Ref 882019-33.
Please don't call me between 9 and 5, I'm at work.
£12 for a paper statement? You've got to be joking.
ok thanks that worked
How long does a chargeback take?
The parcel has said "out for delivery" since 7am, it's now 8pm.
The self-checkout charged me for 6 bananas, I bought 2. Receipt no. 0043-221-9918.
Is there a grace period if I pay the premium a few days late?
I'll pay the bill when I get paid on Friday, please don't cut me off.
I don't want to chase this again. Third e-mail.
WHY IS NOBODY ANSWERING THE PHONE
Your website says the store is open until 9 but the doors were locked at 8:15.
my phone bill doubled and nobody can tell me why
Is the 0% balance transfer offer still on? I'd move about £3,200 over.
Dose the warranty cover acidental damage or only faults
"""

CHECK = """
# bank: cards, fraud and getting into the account
Hi, my card {4210 3518 0661 2185|CREDIT_CARD} was used at a petrol station in {Leicester|L} at 2am, I was at home in bed. Please stop it. {Harpreet Kaur|P}
someone changed the phone number on my account to one I don't know, it now ends in 771. my real number is {07823 610 554|PHONE_NUMBER}. Please fix asap
Good evening, I am {Adaeze Nwosu|P}. Since your app update I cannot see my savings pot. Customer ID 66120419.
cancel card pls lost it at the festival. ending 2210
Dear {Santander|O}, my father {Fernando Gil Ortega|P} died last month and I am the executor. His DNI was {01684934T|NATIONAL_ID}. What documents do you need to release the funds?
The login alert said a new device signed in from {172.58.14.201|IP_ADDRESS} in {Atlanta|L}. I live in {Phoenix|L}. It wasn't me.
my card got declined in {Mexico|L} even tho i have a travel notice on it?? {Brianna|P}
Hello, could you send the new PIN by post rather than in the app? I'm partially sighted.
I want to dispute a payment of €249 to "{Ryanair|O}" on 18 Oct. Card: {5469-6859-7471-1153|CREDIT_CARD}. The flight was cancelled and they refuse to refund.
It's {Grace|P} from the bakery on the corner, we spoke on Tuesday about the card machine.
My new card arrived but the old one still works? Is that normal?
Please use {f.adeyemi-jones@protonmail.com|EMAIL_ADDRESS} from now on, the gmail one was hacked.
my login keeps getting blocked, the message says suspicious activity from {94.23.118.6|IP_ADDRESS}. that's not my IP
Hello, my email is {nguyen.van.binh@fpt.vn|EMAIL_ADDRESS}, I never get the OTP code.
I need a copy of my mother's statements for the estate. {Dolores Whitaker|P}, SSN {352-22-1179|US_SSN}, date of death 9/2/2026.
PLEASE CLOSE MY ACCOUNT. NAME {HENRIETTA MBEKI|P}. I HAVE ASKED IN BRANCH TWICE.
I moved from {Kraków|L} to {Edinburgh|L} and need to change my address: {2F1, 19 Montgomery Street|STREET_ADDRESS}, {Edinburgh|L} {EH7 5JS|POSTAL_CODE}. Thanks, {Kasia Zielińska|P}
Why have you charged me a £5 "account maintenance" fee?
Security question keeps failing. Is it asking for my first school? That was {Holy Cross Primary|O}.
Hello, I'm {Ayşe Demir|P}. My {Garanti BBVA|O} card was charged 3 times for one hotel night in {Antalya|L}. Card no {4720 5756 9210 9491|CREDIT_CARD}.

# bank: transfers, IBANs and payees
Could you refund the duplicate payment to {GB27 BARC 6613 1860 9139 09|IBAN_CODE}? Account name {Imogen Carter-Blake|P}.
Hallo, die Lastschrift von 89,90 € wurde zweimal abgebucht. Mein Konto: {DE62 9075 1163 7265 1676 12|IBAN_CODE}. Gruß {Sebastian Krüger|P}
Virement vers {FR76 5253 8885 3933 6338 7500 416|IBAN_CODE} refusé, pourquoi ? C'est le compte de mon fils {Théo|P}.
Please pay the deposit of €1.500 to {ES4621007924494026859952|IBAN_CODE}, owner {Marisol Ortega Vidal|P}, concept "Reserva Villa 3".
my salary from {Philips|O} goes into {NL63 RABO 5075 2917 03|IBAN_CODE} and this month it's 2 days late, is there a problem on your side?
Trying to pay my tax bill from abroad, {HMRC|O} gave me their details but your app won't take the BIC. Sort code 08-32-10 account 12001039.
Para a devolução: {BR17 3141 7058 6492 0831 2402 344C 1|IBAN_CODE}, titular {Rafael Nogueira Campos|P}, CPF {690.604.431-10|NATIONAL_ID}.
Can you confirm the transfer to {AT73 8347 8245 0400 0883|IBAN_CODE} ({Hotel Alpenrose|O}) went out? Booking 2026-ALP-118.
i sent money to my mate {Connor|P} using his number {07462 118 903|PHONE_NUMBER} and it went to someone called {Connie|P}??
Dzień dobry, przelew na konto {PL34 1759 8983 4788 7838 4837 2616|IBAN_CODE} nie doszedł. Odbiorca: {Katarzyna Wójcik|P}. Tytuł: faktura 11/2026.
Is there a daily limit on transfers to new payees? I need to send £12,000 for a car.
Bonifico a {IT77 Q030 6926 3304 3483 9548 620|IBAN_CODE} per l'affitto, intestato a {Marco Bianchi|P}. È stato stornato, perché?
Refund to my Irish account please, {IE52 BOFI 7601 8955 5979 71|IBAN_CODE}, {Seán Ó Briain|P}.

# insurance: claims, policies and renewals
Claim for storm damage: part of the roof came off on Sunday night. Policy HOME-8830211, {The Old Forge, 3 Mill Lane|STREET_ADDRESS}, {Ludlow|L} {SY8 1BB|POSTAL_CODE}. I'm {Philippa Hargreaves|P}, mobile {07700 155 892|PHONE_NUMBER}.
The other driver, Mr {Osei|P}, now says I reversed into him, but my dashcam shows otherwise. Claim MTR-55019.
Hi, the car hire desk in {Faro|L} charged me €950 for a scratch and my excess cover should pay it back. Claim 55102-X.
my dog ate a sock again, 2nd claim this year, vet {Hollybush Veterinary Centre|O}, £1,380
I would like to cancel my life insurance policy LF-0029918 as of the end of this month.
My mother {Beatriz Moreno|P} was born on {30 June 1949|DATE_OF_BIRTH}. Why has her premium tripled? She hasn't made any claims.
Dear {Allianz|O}, please find attached the repair estimate from {Kfz-Werkstatt Huber|O}. Schadennummer 2026-KH-44810. {Florian Wagner|P}, {Hauptstraße 112|STREET_ADDRESS}, {86150|POSTAL_CODE} {Augsburg|L}
Travel claim: I was hospitalised in {Hanoi|L} with dengue for 4 nights. The doctor's name was Dr {Trần Văn Hùng|P}. Policy TRV-88120.
Is my son {Ethan|P} covered to drive my car? He was born {2 November 2004|DATE_OF_BIRTH}.
Renewal reminder came with my name wrong. It says {Jon Smyth|P} but I'm {John Smith|P}.
Insured: {Rajesh Kumar Nair|P}; nominee: wife {Lakshmi Nair|P}; DOB of nominee {05-02-1982|DATE_OF_BIRTH}; policy no. 2231-LIC-88410.
we had a break-in at {Unit 4, 58 Industrial Rd|STREET_ADDRESS}, {Germiston|L}, and the insurer needs the case number from the police. it's CAS 412/10/2026.
The assessor, {Hannah|P}, said we'd have an answer in a week. That was a month ago.

# telecom: lines, SIMs, broadband and bills
port my number {087 412 6630|PHONE_NUMBER} from {Eir|O} to you please, I'm in {Limerick|L}
broadband keeps dropping every night 11pm to 1am. router ip {10.0.0.138|IP_ADDRESS}, line ID BBEU40219837
Hello I bought a SIM at the airport and it hasn't activated. Number {+353 83 917 4406|PHONE_NUMBER}, passport {574830126|NATIONAL_ID}, name {Kevin O'Brien|P}.
Bill shows £38.60 of calls to {+44 20 7946 0312|PHONE_NUMBER} on the 12th. I never called that number.
Buenos días, quiero dar de baja la línea {612 907 443|PHONE_NUMBER}. Titular {Carlos Medina|P}, NIE {Y5853043V|NATIONAL_ID}.
The technician {Rashid|P} installed the fibre but left a hole in the wall. Who's paying for that?
Why does my 5G keep switching to 3G in the city centre?
Olá, meu celular {(11) 98734-2210|PHONE_NUMBER} está sem sinal há 3 dias. Sou cliente {Vivo|O}. {Thiago Barbosa|P}
my ipv6 address is {2a02:c7f:5e20:1a00::3|IP_ADDRESS} and the gaming server says it's blacklisted, can you give me a new one
Please send the bill to my accountant, {d.ochieng@ochiengassociates.co.ke|EMAIL_ADDRESS}. I'm {Peter Mwangi|P}, account 771-0042.
Hi {Globe|O}, I loaded ₱500 to {0917 304 2285|PHONE_NUMBER} but it didn't go through. Ref no. 9920183344.
i want to pay my bill but the site won't accept my card {5541 5522 4065 7911|CREDIT_CARD}. exp 11/28 cvv 381
Can my daughter {Amelie|P} be added as a user on my plan? She's 15.
Xin chào, số điện thoại của tôi là {+84 90 318 2274|PHONE_NUMBER}, mạng yếu quá. Tôi là {Lê Thị Hồng|P}.
What is the IMEI for? The form asks for it but my phone box is gone.
Upgrade done but I was charged £99 for the iPhone 16 instead of £0 as agreed on the phone.
Please call {Yusuf|P} on {+90 532 714 88 02|PHONE_NUMBER} about the installation at our office in {İzmir|L}.

# hospital and clinic
Appointment change for {Derek Whitlow|P}, NHS no. {792 174 2181|NATIONAL_ID}, born {17/01/1946|DATE_OF_BIRTH}. He can't make Thursday 9:20 because of transport.
Hi, I'm {Keiko Mori|P}. Could you e-mail the vaccination certificate to {keiko.mori.0322@gmail.com|EMAIL_ADDRESS}? My date of birth is {22 March 1995|DATE_OF_BIRTH}.
the hospital bill lists a CT scan I never had, invoice 33810-B, total $4,118.00
My mother is {Halina Kowalska|P}, PESEL {84110292083|NATIONAL_ID}. Please tell me which ward she was moved to.
Dr {Ferreira|P} said I'd get the biopsy result in 10 days. It's been 3 weeks.
Can I bring my own medication into the ward?
Our baby {Zainab|P} was born {04/08/2025|DATE_OF_BIRTH} at {King's College Hospital|O}. We need her red book details updated with our new address, {112B Lordship Lane|STREET_ADDRESS}, {London|L} {SE22 8HQ|POSTAL_CODE}.
I'm the carer for Mr {Evans|P} in bed 6 and nobody has told me when he's going home.
Please send my prescription to the pharmacy on {Church Road|L}, not the one in town.
Patient: {Oluwatobi Ajayi|P}. Kin: {Funmilayo Ajayi|P} ({+234 802 415 9903|PHONE_NUMBER}). Blood group O+.
I want to complain about the waiting time in A&E on Saturday night, we waited 9 hours with a child with a fever of 40.
Hi, my Medicare claim for the specialist visit was rejected. TFN is {800 239 042|NATIONAL_ID}, if that helps? {Chloe Nguyen|P}, {Marrickville|L}
Please update the insurance on file: {Blue Shield|O} PPO, subscriber {Gloria Reyes|P}, DOB {10/23/1970|DATE_OF_BIRTH}, SSN {581-58-7511|US_SSN}.
Dear {Mayo Clinic|O}, I'd like to request my records be sent to Dr {Alan Whitford|P} in {Rochester|L}.

# shop: orders, deliveries, returns and refunds
Parcel not received. Order 302-7738120-5510022. Address {41 Sunnyside Terrace|STREET_ADDRESS}, {Sligo|L} {F91 R6X2|POSTAL_CODE}. {Róisín Gallagher|P}
you sent me the wrong size AGAIN. order 88120-UK
i was double charged for order 40992818, once on {PayPal|O} and once on my visa ending 0034
Please deliver after 6pm, nobody is home during the day. {Arnav|P}, {+91 98102 55730|PHONE_NUMBER}
Return request: the blender (model BL-900, serial 77A0129) leaks. Bought at your {Leeds|L} store on 2 August.
Can I collect from store instead? I'm near {Croydon|L}.
Hi, I'm {Bill|P}. The bill for order 7721 is wrong, I was charged for 3 items but got 2.
The driver left the fridge on the pavement. It's 80kg and I'm 72. Order RF-110293. {Margit Horváth|P}, {Flat 1, 7 Fernbank Road|STREET_ADDRESS}, {Leeds|L} {LS13 2AB|POSTAL_CODE}
Wysyłka do {Gdańsk|L}? Zamówienie 55-PL-88120, adres {ul. Długa 47/3|STREET_ADDRESS}, {80-831|POSTAL_CODE} {Gdańsk|L}, tel. {512 907 338|PHONE_NUMBER}. {Michał Lewandowski|P}
Cómo puedo cambiar la dirección de envío? La nueva es {Av. Insurgentes Sur 1602, Int. 5|STREET_ADDRESS}, {Col. Crédito Constructor|L}, {03940|POSTAL_CODE} {Ciudad de México|L}. {Jorge Hernández Ramírez|P}
barcode on the label is 5901234123457 if that helps find it
I paid with card {3464 854363 40760|CREDIT_CARD} and the order was cancelled but the money's still held. {Howard Feldman|P}
My order was delivered to {14 Bridge Street|STREET_ADDRESS} instead of {41 Bridge Street|STREET_ADDRESS}. Can you ask the courier to pick it up?
Gift order for {Yuki Watanabe|P}, {Room 803, 1-2-3 Nishi-Shinjuku|STREET_ADDRESS}, {Shinjuku-ku|L}, {Tokyo|L} {160-0023|POSTAL_CODE}. Please don't include the receipt.
I'd like to speak to a manager. The man at the till, {Kyle|P} on his badge, refused my return.
Why did the price drop by £40 the day after I bought it? Can I get the difference?
Order for Mrs {Nomvula Dlamini|P}, {18 Jan Smuts Avenue|STREET_ADDRESS}, {Parktown|L}, {Johannesburg|L}, {2193|POSTAL_CODE}, still says processing after 8 days.
Please cancel order 2291-KE, I found it cheaper at {Carrefour|O}.
The courier said he called {0706 992 114|PHONE_NUMBER} but that's not my number, mine is {0706 992 141|PHONE_NUMBER}. {Fatuma Hassan|P}
the discount code SUMMER25 doesn't work at checkout
Hello, I'm writing from {Lagos|L}. Is international shipping available for the {Sony|O} headphones?
Returned the shoes to {Zara|O} in store but the refund went to a card I no longer have, {3659 332072 6260|CREDIT_CARD}. What now?

# identity checks, applications and forms
KYC update: {Vikram Mehta|P}; PAN {AKNPM4410Q|NATIONAL_ID}; DOB {19/12/1984|DATE_OF_BIRTH}; e-mail {vikram.mehta84@rediffmail.com|EMAIL_ADDRESS}
Name {Nguyễn Thị Thu Hà|P}, CCCD {079192740954|NATIONAL_ID}, ngày sinh {15/06/1992|DATE_OF_BIRTH}.
The application asks for my National Insurance number but I'm not sure I have one. I came from {Poland|L} last year.
Mi CPF é {190.748.337-30|NATIONAL_ID}, nome {Larissa Mendes|P}. Não consigo abrir a conta pelo aplicativo.
For the rental application: {Marco Bianchi|P}, codice fiscale {BNCMRC85M10H501A|NATIONAL_ID}, nato a {Roma|L} il {10/08/1985|DATE_OF_BIRTH}.
My son's NRIC is {T1834170G|NATIONAL_ID}, he's a minor, can I open a savings account in his name? I'm his mother, {Siti Nurhaliza binti Ahmad|P}.
Please find my details: {Sipho Mahlangu|P}, SA ID {7509308537086|NATIONAL_ID}, {sipho.m@webmail.co.za|EMAIL_ADDRESS}.
I'm applying from {Ghana|L}. Is a voter ID accepted instead of a passport?
Kimlik numaram {55378383002|NATIONAL_ID}. Adım {Mehmet Arslan|P}. Hesabım neden bloke edildi?
SSN {418-52-1248|US_SSN}. DOB {02-14-1979|DATE_OF_BIRTH}. Last name {O'Donnell|P}. Trying to verify for the 1099.
My KRA PIN is {A009287153K|NATIONAL_ID}, for the loan form. {Njeri Wambui|P}, {P.O. Box 30412|STREET_ADDRESS}, {Nairobi|L}.
Emirates ID {784-1988-0967929-7|NATIONAL_ID}, name {Omar Al Hashimi|P}, mobile {+971 50 418 2293|PHONE_NUMBER}
Why do I have to give my mother's maiden name? I don't feel comfortable with that.
My UK NI number is {NP 73 19 04 A|NATIONAL_ID} and my date of birth is {7th July 1990|DATE_OF_BIRTH}.
Resident ID {310104198611020378|NATIONAL_ID}, {Chen Jun|P}, {+86 139 1762 0845|PHONE_NUMBER}. Please reset the password.
Hi, my SSS number is {34-5178021-6|NATIONAL_ID}, {Jose Miguel Santos|P}, from {Quezon City|L}.

# replies from the company
Hi {Emeka|P}, this is {Sophie|P} from the fraud team. We've blocked the card and raised a dispute for the two payments. You'll hear from us within 10 working days.
Dear Mrs {Oyelaran|P}, thank you for contacting {Aviva|O}. I'm sorry for the delay with claim CLM-2231908.
Hello {Ji-woo|P}, I'm {Daniel|P}. The parcel is with the local courier now and should arrive tomorrow before 6pm.
Thanks Mr {Khan|P}, I've passed your comments to the store manager, {Priti|P}.
Hi, it's {Nomsa|P} from {Vodacom|O}. Your upgrade has been approved, the device will be delivered on Wednesday.
Thank you for your message. Our offices are closed until Monday 9am.
Dear customer, your refund of £42.99 has been issued to the original payment method.
Hi {Mateus|P}, {Larissa|P} aqui do suporte. Seu pedido 4402-BR foi reenviado.

# no personal data
still waiting for my refund, it's been a month
Can I change my direct debit date to the 15th?
Is the branch in the shopping centre still open or did it close?
I want to cancel the extended warranty I was sold without being asked.
How do I download last year's statements as a PDF?
You said 3-5 days. It's day 12.
The coverage map says full 5G at my postcode but I get nothing indoors.
What's the difference between the Silver and Gold plans?
APP NOT WORKING SINCE UPDATE
Will I lose my no-claims bonus if the other driver was at fault?
My bill went up by 14.4% in April, is that the CPI rise?
I bought 2 for £20 but was charged £24.50.
Can someone call me back tomorrow after 3 on {0161 496 0392|PHONE_NUMBER}?
is there a fee for paying off the loan early
Does the 14-day grace period apply to renewals as well?
"""


if __name__ == "__main__":
    sys.exit(pii_dev_prose.main(name="pii_dev_support", doc=__doc__, parts=(pii_dev_prose.parse(TUNE), pii_dev_prose.parse(CHECK))))
