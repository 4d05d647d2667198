"""Sentences written for this benchmark alone: support tickets, bank messages,
clinical notes and e-mails, with ``{SLOT}`` markers filled by ``values.MAKERS``.

NEGATIVE sentences carry no PII at all: product names, bank names (labelled
ORGANIZATION, which is not counted as PII), amounts, order numbers and dates
that are not birth dates, so a detector that flags them loses precision.
"""

TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("ticket", "Hi, this is {PERSON}. I was charged twice for {PRODUCT} on {DATE}; please call me back on {PHONE}."),
        ("ticket", "Customer {PERSON} ({EMAIL}) reports that the login from {IP} was not them."),
        ("ticket", "please update my address to {ADDRESS_INLINE}, thanks {FIRST}"),
        ("ticket", "My card {CARD} was declined at the checkout, can someone help? - {PERSON}"),
        ("ticket", "Order {ORDER} never arrived. Ship it to {ADDRESS_INLINE} and text {PHONE} when it leaves."),
        ("ticket", "hey its {PERSON} again, my new number is {PHONE} and email {EMAIL}"),
        ("ticket", "Agent note: spoke with {PERSON} at {TIME}, verified DOB {DOB} and the last address on file, {STREET}."),
        ("ticket", "The refund of {AMOUNT} should go to IBAN {IBAN} (account holder {PERSON})."),
        ("ticket", "Escalated by {PERSON}: repeated failed logins from {IP} and {IP} against the account of {PERSON}."),
        ("bank", "Dear {PERSON}, a payment of {AMOUNT} to {PERSON} was made from your account on {DATE}."),
        ("bank", "Transfer request: beneficiary {PERSON}, IBAN {IBAN}, bank {BANK}, amount {AMOUNT}."),
        ("bank", "We have sent a replacement card to {ADDRESS_INLINE}. Card ending in {CARD} is now blocked."),
        ("bank", "Your statement for {PRODUCT} is ready. For queries call {PHONE} quoting reference {ORDER}."),
        ("bank", "KYC check for {PERSON}, born {DOB}, ID number {NATID}, resident at {ADDRESS_INLINE}."),
        ("bank", "Direct debit set up for {PERSON} from account {IBAN} at {BANK}."),
        ("bank", "Suspicious card-not-present transaction with {CARD} from IP {IP}; cardholder {PERSON} notified by e-mail at {EMAIL}."),
        ("clinical", "Patient {PERSON}, DOB {DOB}, seen in clinic on {DATE} for follow-up. Contact: {PHONE}."),
        ("clinical", "Referral letter for {PERSON} (date of birth {DOB}), home address {ADDRESS_INLINE}, GP {PERSON}."),
        ("clinical", "Pt {PERSON} presented with chest pain at {TIME}; next of kin {PERSON}, tel {PHONE}."),
        ("clinical", "Discharge summary: {PERSON}, ID {NATID}, born on {DOB}. Follow up with Dr {PERSON} in 2 weeks."),
        ("clinical", "Lab results for {PERSON} were e-mailed to {EMAIL} on {DATE}."),
        ("email", "From: {PERSON} <{EMAIL}>\nTo: {EMAIL}\nSubject: invoice {ORDER}\n\nPlease send the invoice to\n{ADDRESS}\n\nBest,\n{FIRST}"),
        ("email", "Hello {FIRST},\n\nmy new postal address is:\n{ADDRESS}\n\nYou can reach me on {PHONE}.\nRegards, {PERSON}"),
        ("email", "Please forward all correspondence to {POBOX}. My mobile is {PHONE}.\n{PERSON}"),
        ("email", "Thanks {FIRST}! The contract with {COMPANY} is attached. Wire the deposit to {IBAN}.\n-- {PERSON}, {COMPANY}"),
        ("email", "{PERSON} moved from {CITY} to {CITY}; the new office is at {STREET}, {POSTCODE}."),
        ("form", "Name: {PERSON}\nDate of birth: {DOB}\nAddress: {ADDRESS}\nPhone: {PHONE}\nEmail: {EMAIL}"),
        ("form", "Applicant: {PERSON}; SSN/national ID: {NATID}; DOB: {DOB}; employer: {COMPANY}"),
        ("form", "name={PERSON} email={EMAIL} ip={IP} card={CARD}"),
        ("chat", "ok so {PERSON} said to send it to {EMAIL}?"),
        ("chat", "call {FIRST} on {PHONE} before {TIME}, she knows about the {PRODUCT} issue"),
        ("chat", "my iban is {IBAN} and my name is {PERSON}"),
    ],
    "de": [
        ("ticket", "Guten Tag, mein Name ist {PERSON}. Bitte ändern Sie meine Adresse auf {ADDRESS_INLINE}."),
        ("bank", "Sehr geehrte(r) {PERSON}, die Überweisung über {AMOUNT} auf das Konto {IBAN} wurde ausgeführt."),
        ("clinical", "Patientin {PERSON}, geb. {DOB}, wohnhaft {ADDRESS_INLINE}, Tel. {PHONE}."),
        ("email", "Hallo {FIRST},\nbitte schick die Unterlagen an:\n{ADDRESS}\nViele Grüße\n{PERSON}"),
        ("ticket", "Kunde {PERSON} ({EMAIL}) meldet eine Abbuchung mit der Karte {CARD}."),
    ],
    "fr": [
        ("ticket", "Bonjour, je suis {PERSON}, merci de me rappeler au {PHONE}."),
        ("bank", "Madame, Monsieur, le virement de {AMOUNT} vers {IBAN} au nom de {PERSON} a été refusé."),
        ("clinical", "Patient {PERSON}, né le {DOB}, numéro de sécurité sociale {NATID}."),
        ("email", "Bonjour {FIRST},\nvoici ma nouvelle adresse :\n{ADDRESS}\nCordialement,\n{PERSON}"),
        ("ticket", "Le client {PERSON} signale une connexion suspecte depuis {IP}, courriel {EMAIL}."),
    ],
    "es": [
        ("ticket", "Hola, soy {PERSON} y mi teléfono es {PHONE}. No reconozco un cargo de {AMOUNT}."),
        ("bank", "Estimado/a {PERSON}: hemos enviado su nueva tarjeta a {ADDRESS_INLINE}."),
        ("clinical", "Paciente {PERSON}, fecha de nacimiento {DOB}, documento {NATID}."),
        ("email", "Hola {FIRST},\nmi dirección es:\n{ADDRESS}\nUn saludo,\n{PERSON}"),
        ("bank", "Transferencia a {PERSON}, cuenta {IBAN}, concepto alquiler {DATE}."),
    ],
    "it": [
        ("ticket", "Buongiorno, sono {PERSON}, potete richiamarmi al {PHONE}?"),
        ("bank", "Gentile {PERSON}, il bonifico di {AMOUNT} sul conto {IBAN} è stato eseguito."),
        ("clinical", "Paziente {PERSON}, nato il {DOB}, codice fiscale {NATID}, residente in {ADDRESS_INLINE}."),
        ("email", "Ciao {FIRST},\nil mio indirizzo è:\n{ADDRESS}\nSaluti,\n{PERSON}"),
    ],
    "pt": [
        ("ticket", "Olá, meu nome é {PERSON} e meu e-mail é {EMAIL}."),
        ("bank", "Prezado(a) {PERSON}, o cartão {CARD} foi bloqueado por segurança."),
        ("clinical", "Paciente {PERSON}, nascido em {DOB}, documento {NATID}, telefone {PHONE}."),
        ("email", "Oi {FIRST},\nmeu endereço novo:\n{ADDRESS}\nAbraços,\n{PERSON}"),
    ],
    "nl": [
        ("ticket", "Goedemiddag, ik ben {PERSON}, bel me terug op {PHONE}."),
        ("bank", "Beste {PERSON}, de overboeking van {AMOUNT} naar {IBAN} is uitgevoerd."),
        ("email", "Hoi {FIRST},\nmijn nieuwe adres:\n{ADDRESS}\nGroeten,\n{PERSON}"),
    ],
    "pl": [
        ("ticket", "Dzień dobry, nazywam się {PERSON}, mój numer telefonu to {PHONE}."),
        ("bank", "Szanowny Panie {PERSON}, przelew {AMOUNT} na rachunek {IBAN} został zrealizowany."),
        ("clinical", "Pacjent {PERSON}, ur. {DOB}, PESEL {NATID}, adres {ADDRESS_INLINE}."),
    ],
}

NEGATIVE: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("ticket", "{PRODUCT} stopped working after the update on {DATE}. Order {ORDER}."),
        ("ticket", "Why was I charged {AMOUNT} twice for {PRODUCT}?"),
        ("ticket", "I can't add my card to {PRODUCT}, it says the bank declined it."),
        ("ticket", "The app crashes every time I open the statements tab. Case {ORDER}."),
        ("bank", "{BANK} will be closing for maintenance on {DATE} between {TIME} and {TIME}."),
        ("bank", "Your transfer of {AMOUNT} is scheduled for {DATE}."),
        ("bank", "Interest rates on {PRODUCT} change from {DATE}; no action is needed."),
        ("bank", "Payments with {PRODUCT} are now accepted at all {BANK} terminals."),
        ("bank", "The exchange rate applied on {DATE} was 1.0842; fees of {AMOUNT} were waived."),
        ("clinical", "Blood pressure 128/84, pulse 72, temperature 37.1 C. Review in 6 weeks."),
        ("clinical", "Appointment moved to {DATE} at {TIME}; fasting required from midnight."),
        ("clinical", "Prescribed amoxicillin 500 mg three times daily for 7 days."),
        ("email", "Reminder: the quarterly review is on {DATE} at {TIME} in meeting room 4."),
        ("email", "Attached is the report for order {ORDER}; totals came to {AMOUNT}."),
        ("chat", "lol the {PRODUCT} outage again"),
        ("chat", "is {BANK} down for anyone else or just me"),
        ("chat", "top up failed, tried {PRODUCT} and a card, still pending since {TIME}"),
    ],
    "de": [
        ("bank", "Ihre Überweisung über {AMOUNT} wird am {DATE} ausgeführt."),
        ("ticket", "Seit dem Update am {DATE} funktioniert {PRODUCT} nicht mehr."),
    ],
    "fr": [
        ("bank", "Votre virement de {AMOUNT} sera exécuté le {DATE}."),
        ("ticket", "Impossible d'ajouter ma carte à {PRODUCT} depuis le {DATE}."),
    ],
    "es": [
        ("bank", "Su transferencia de {AMOUNT} se realizará el {DATE}."),
    ],
}
