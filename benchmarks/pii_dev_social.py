"""A development set of hand-written social-media posts: the people, places and organisations in short, informal posts.

    .venv/bin/python benchmarks/pii_dev_social.py [--part tune|check|all] [--profile accurate]
                                                 [--misses PERSON] [--false-positives]

Written for this repository on 2026-12-06, from general knowledge, without
reading the detector (``plugins/``, ``core/``), any reported set
(``benchmarks/pii_heldout/``, ``benchmarks/pii.py``'s records) or any corpus of
tweets. The people in it are made up, apart from well-known public figures
(singers, actors, athletes, politicians) named the way people post about
them; no post holds a real private person's data, a real phone number or a
real e-mail address, and the links are invented short links.

It covers the ways that posts are hard for a name detector: informal English
with slang, abbreviations, typos and missing punctuation; names written in
lower case, in ALL CAPS, stretched out ("jessicaaaa"), as a first name only,
as nicknames and stage names; names from many regions (West, East and
Southern African, Arabic, South and East Asian, Southeast Asian, Latin
American, Slavic, Irish, Pacific); places in their informal forms ("nyc",
"philly", "jozi", "the bay") and misspelt; companies people complain to,
airlines, banks, chains, bands, clubs and leagues; @handles, #hashtags, emoji,
retweets ("RT @x:"), links, prices and times. Beside them are the
distractors: capitalised or shouted ordinary words ("Happy Friday", "BEST DAY
EVER"), songs, shows and films whose titles look like names ("jolene", "ted
lasso"), words that are names in other posts ("grace", "may", "mark", "bill",
"hope", "chase", "jordan", "target", "shell", "ups", "twice", "queen"),
pets, family words ("my mom", "grandma") and about one post in four with no
entity at all.

Like ``pii_dev_prose.py`` it has a ``tune`` part (rules may be fitted to it)
and a ``check`` part written in the same sitting, with the same mix, before
any tuning, and read only for its figures. Neither is a reported benchmark
figure.

Annotation guide
----------------

Markup: ``pii_dev_prose.py``'s guide (``{span|L}`` LOCATION, ``{span|P}``
PERSON, ``{span|O}`` ORGANIZATION), and ``pii_dev_people.py``'s rules for
titles, possessives and named facilities. A name is labelled by what it names
in that post, however it is written: lower case, capitals, misspelt
("{rhianna|P}", "{albequerque|L}") or stretched out ("{jessicaaaa|P}"). For
posts:

- An @handle is never labelled, even when it spells a person's or a company's
  name ("@united lost my bag", "RT @kofi_tweets:"); the same name written as
  words is labelled ("{united airlines|O} lost my bag").
- A #hashtag is never labelled, even when it holds a name or a place
  ("#FreeBritney", "#DubNation", "#INDvAUS"). (No post starts with "#":
  ``parse`` reads such a line as a section note.)
- Links and domains are never labelled, whatever words are in them.
- Emoji, flags, repeated punctuation and the possessive "'s" are outside the
  span: "{sza|P}'s new album", "{sarah|P}!! 🎉". The stretched letters of a
  name are inside it.
- Titles and family words are outside the span ("aunt {linda|P}", "mayor
  {delgado|P}", "ms {adebayo|P}"); a family word or relation alone ("my mom",
  "grandma", "bestie", "bro") is not labelled.
- PERSON: real people and made-up ones, by full name, first name, surname,
  nickname or stage name ("{riri|P}", "{king james|P}", "{cr7|P}",
  "{mrbeast|P}"). A solo artist's stage name is PERSON, including a leading
  "the" that belongs to it ("{the weeknd|P}"). Named characters in shows,
  films and books are PERSON ("{roy kent|P}", "{rachel|P}"). Pets are not
  labelled, and neither is "god" in an exclamation.
- ORGANIZATION: companies, brands, shops, chains and restaurants (even where
  they are the place you stand: "in line at {starbucks|O}"), airlines, banks,
  telecoms, utilities, broadcasters, government agencies, police forces and
  transit operators, universities and museums, leagues and governing bodies
  ("{nba|O}", "{uefa|O}"), bands and music groups ("{coldplay|O}",
  "{TWICE|O}"), and sports clubs and teams under their name or nickname
  ("{man u|O}", "the {lakers|O}", "{BIRDS|O}", "{super eagles|O}"). A brand
  name is ORGANIZATION also where it stands for something the brand made
  ("my {ford|O} broke down"). A country's name standing for its national team
  is LOCATION, as in the sibling sets ("{brazil|L} vs {argentina|L}").
- Not labelled: products and product lines ("iphone", "air max", "jordans",
  "ps5"), TV shows, films, songs, albums and games, even when the title is a
  person's name ("ted lasso", "jolene", "barbie"), events, festivals,
  tournaments, championships and holidays ("coachella", "super bowl",
  "F1", "detty december", "eid"), and apps or platforms named as the thing
  you use ("posted it on insta", "my spotify wrapped", "netflix and chill"). The company behind an
  app or service is ORGANIZATION when it acts as a company: changes prices,
  cancels, bans, charges ("{netflix|O} cancelled my fav show",
  "{spotify|O} raising prices").
- LOCATION: places in any spelling or short form ("{nyc|L}", "{LA|L}",
  "{philly|L}", "{jozi|L}", "the {bay|L}", "the {6ix|L}"), and named
  facilities: streets, parks, stadiums, arenas, airports, bridges and roads
  ("{main st|L}", "{msg|L}", "the {o2|L}", "{jfk|L}"). Generic places
  ("downtown", "the city", "the beach") are not labelled.
- A leading "the" is outside the span ("the {bay|L}", "the {WHO|O}"), except
  in a stage name that is never written without it ("{the weeknd|P}").
- Demonyms and languages ("punjabi", "korean bbq") are not labelled.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pii_dev_prose  # noqa: E402  # the markup and the scoring driver

# One post a line; "#" lines are section notes. Written before any tuning.
TUNE = """
# friends, family, birthdays and gossip
happy bday {sarah|P}!! 🎉🎂 love u sm
HAPPY BIRTHDAY {JESSICAAAA|P} 🥳🥳 ur finally legal lmaooo
hbd to the realest one {kwame|P} 🙏🏾 see u saturday
my mom just called me by my full name so i know im in trouble
shoutout to {priya|P} for driving me home last night ur a real one
@lil_marcoo happy birthday bro!!! 🎈 have a good one
cant believe {tunde|P} is getting married next month 😭 we're old
{mateo|P} and {lucía|P} finally moved in together!! so happy for them ❤️
grandma made jollof for the whole street lol
aunt {linda|P} posted my baby pics on fb again 😩
happy 30th to my big brother {bogdan|P} 🍻 dont fall down the stairs this time
congrats {wei ling|P} on the new job!!! 🎊 {google|O} is lucky to have u
{fatima|P} really brought homemade baklava to work, shes my fav coworker now
{yaw|P} u still owe me 20 bucks dont think i forgot
bday dinner for {ngozi|P} tonight at {nandos|O} 🍗 who's coming
hope everyone has a great weekend!! stay safe out there
will someone pls explain why my sister takes 2 hrs to get ready
my cousin {rahul|P} just got into {iit bombay|O} 🙌🏽 so proud of him
rip bubbles the goldfish, gone too soon 🐟💔
my dog max ate one of my airpods 💀 vet says he'll be fine
{grace|P} is the only person who remembers my coffee order ☕🥹
grace period on my rent is over 😭 pls send prayers
{mark|P} from accounting just replied all to 400 people lmaooo
the electric bill this month is INSANE, who left the heater on
{jordan|P} said he's bringing the speaker so we're good for tonight
may the wifi gods be with me during this exam 😅
{may|P} from next door brought us mangoes again 🥭 shes the best
pure joy watching my niece open her presents 🥹
omg {kayla|P} and {marcus|P} broke up?? since when 👀
heard {dev|P} is seeing someone from work 🫢 spill
not {ashley|P} posting her ex at 2am 💀💀
{ayesha|P} and {hamza|P}'s nikah pics are so beautiful 😍 mashallah
uncle {femi|P} at every party: "so when are you getting married" 🙄
spent the whole day w {thandeka|P} and {lindiwe|P} at the beach 🌊
{emmaaaa|P} come back from {portugal|L} already i miss u 😭
ms {adebayo|P} was the best teacher i ever had, fr
cant believe {hana|P} remembered my birthday from 6 yrs ago 🥺
{joy|P} was so right about that restaurant omg
# shouting, moods and everyday chatter
BEST DAY EVER!!!!!
Monday Mood: ☕☕☕☕😴
Happy Friday everyone!! 🎉 we made it
omg this weather 🥵🥵
why is my wifi so slow rn
That Friday Feeling 😎
IM SO DONE WITH WINTER ❄️❄️❄️
Sunday Funday 🍹☀️
Summer Vibes Only 🌴
Grand Opening This Saturday!! Free Samples 🍦 10am-2pm
power's out on our street again 😑 anyone else?
who else is watching the game tonight??
so glad she's finally free 🥹 #FreeBritney
# sports
{LEBRON|P} WITH THE DUNK OMG 🔥🔥🔥
{messi|P} is the goat idc idc 🐐
{mo salah|P} hat trick?? {liverpool|O} fans eating good tonight 🔴
{arsenal|O} bottling it again i cant do this every season 😩
the {lakers|O} need a real center lol
{steph|P} from 30 feet like its nothing 🎯 #DubNation
{naomi osaka|P} back on court!!! lets gooo 🎾
{virat|P} 💯 again, king stuff 👑 #INDvAUS
{shohei ohtani|P} is not human. 2 homers and 10 Ks 🤯
watching {brazil|L} vs {argentina|L} at the bar 🇧🇷🇦🇷 this is gonna be loud
{man u|O} fans very quiet today 🤫
met a girl named {chelsea|P} at brunch and she's a {spurs|O} fan so we cant be friends 😂
{chelsea|O} spent a billion for THIS??
{giannis|P} is a problem 🦌 {bucks|O} in 6
{simone biles|P} greatest athlete ever, no debate
the {chiefs|O} in the super bowl AGAIN?? turning it off
{max verstappen|P} won by 20 seconds, F1 is so boring rn
{kaizer chiefs|O} vs {orlando pirates|O} this weekend, the whole of {soweto|L} will be at {fnb stadium|L} 🔥
went to the {knicks|O} game at {msg|L} and they LOST of course
this ref is blind 😤 give us the penalty!!
{pakistan|L} vs {india|L} tomorrow, office is basically closed lol 🏏
ashes starts tomorrow 🏏 cant wait
{super eagles|O} need a new coach abeg 😩
{springboks|O} back to back world cups 🇿🇦💚💛
{nba|O} fined him 50k for that?? lmao ok
GO {BIRDS|O}!!! 🦅🦅🦅
{king james|P} in year 22 still doing this 👑
{sonny|P} with the curler 😍 {spurs|O} up
{patrick mahomes|P} with the no look pass 😭 unreal
wimbledon final tomorrow, strawberries ready 🍓🎾
{usain bolt|P} still the fastest man alive, {jamaica|L} to the world 🇯🇲
{mbappé|P} to {real madrid|O} finally happened lol
{eliud kipchoge|P} going sub 2 is the greatest thing i've ever watched
{cr7|P} crying again lol
marathon sunday!! roads around {central park|L} closed from 6am 🏃‍♀️
RT @ManUtd: FULL TIME. {United|O} 2-1 {Villa|O}. 🔴
# music
just saw {john legend|P} live and im still crying 🎹
{beyonce|P} said jump and we jumped 🐝
{taylor swift|P} tickets sold out in 4 min, i hate it here
{BTS|O} comeback when 💜 #BTSARMY
{jungkook|P} solo era is everything 💜
{burna boy|P} sold out the {o2|L} AGAIN, african giant fr 🦁
{o2|O} signal in my flat is non existent 📵
{wizkid|P} x {tems|P} on one track is heaven 🎶
{bad bunny|P} in {san juan|L} was unreal 🇵🇷
{shakira|P}'s hips still dont lie 💃
{coldplay|O} in {mumbai|L} 😭✨ the lights!!
{diljit|P} really did that at coachella 🔥 punjabi pride
playing jolene on repeat, {dolly|P} never misses
this {adele|P} song has me crying in the uber
{sza|P}'s new album on repeat since friday
{kendrick|P} won. that's the tweet.
{the weeknd|P} halftime show was mid ngl
{lisa|P} from {blackpink|O} just posted and im screaming 🖤💗
{ed sheeran|P} busking on {grafton street|L}??? in {dublin|L}??
{arijit singh|P} songs hit different at 2am
valerie came on at the wedding and everyone lost it 💃
hey jude at karaoke was a mistake 😂
saw {TWICE|O} in {seoul|L} and i'm still not ok 🍭
i checked twice and my name still isnt on the list 🙄
{queen|O} at live aid is still the best performance ever
yasss queen 👑 you ate that
{DRAKE|P} DROPPED AT MIDNIGHT WAKE UP
{riri|P} please drop the album we're begging 🙏
{asake|P} concert in {lagos|L} was MADNESS 🔥
# tv, film and games
love island is trash tv and i love it 🏝️
ted lasso s3 made me cry 4 times
{roy kent|P} is the best character on tv period
oppenheimer was 3 hours and i felt every minute
barbie movie tonight 💖 pink outfits only
{margot robbie|P} was born for that role
bridgerton season 3 who's watching?? 👀
{zendaya|P} in dune 2 👏👏
{shah rukh khan|P} movie tonight, whole family going 🍿
{rajinikanth|P} entry scene and the whole theatre went crazy 😂
elden ring has ruined my sleep schedule
{netflix|O} cancelled my fav show AGAIN 😤 why do i even try
netflix and chill? more like netflix and fall asleep in 10 min
{rachel|P} and {ross|P} were on a break!!! i will die on this hill
{jon snow|P} deserved better and u know it
{mrbeast|P} gave away another car lol
# companies, brands and complaints
@united lost my bag AGAIN. 3rd time this year.
{united airlines|O} lost my bag and now im in {denver|L} with no clothes 😭
{delta|O} delayed my flight 4 hrs and gave me a $12 voucher lmao
{amazon|O} says my package was delivered. it was not.
kayaking on the {amazon|L} 🛶 bucket list ✅
{comcast|O} internet down for the 3rd day in a row 🙄
@comcast fix ur internet pls i work from home
{starbucks|O} wrote "{jena|P}" on my cup. my name is {gemma|P} 🙃
why does {ryanair|O} charge for breathing
{chipotle|O} portions getting smaller every week i swear
{apple|O} really removed the charger and called it eco friendly
apple pie > pumpkin pie fight me 🥧
my iphone fell in the toilet 😭 rice pls work
{target|O} run turned into a $200 trip 🎯
@AmericanAir 2 hours on hold. 2 HOURS.
{mtn|O} data finishes so fast in this country 😤
{jio|O} network down again in {pune|L}
stuck on the subway for 40 min bc of "signal problems"
{subway|O} footlong was $5 back in the day, now its $13 🥲
{ikea|O} instructions are a personality test
{bank of america|O} app down again, love that for me
{chase|O} froze my card AGAIN while im abroad 🙄
gonna chase my dreams this year (and the ice cream truck)
copped the new jordans finally 👟🔥
{nike|O} dropping the new air max friday 👀
{ups|O} left my package in the rain 📦🌧️
this week had more ups and downs than a rollercoaster
{spotify|O} raising prices again?? for what
my spotify wrapped is embarrassing 🙈
{eskom|O} load shedding stage 6 again 🕯️ we live like this
{mcdonalds|O} at 3am hits different 🍟
{jollibee|O} in {dubai|L} is always packed lol
{air india|O} lost my luggage and nobody picks up the phone
{instagram|O} disabled my account for no reason?? @instagram help
posted the pics on insta, go like 📸
shoutout to the {trader joe's|O} cashier who complimented my shoes 🥹
the {DMV|O} line is 3 hrs long and they have 2 windows open 💀
# travel and places
finally back in {nyc|L} 🗽
{LA|L} traffic is a personality trait
{philly|L} cheesesteak > everything else
thinking about moving to the {bay|L} but rent is insane 😵
{jozi|L} nights hit different 🌃
landed in {lagos|L}, already sweating lol
headed to {nola|L} for jazz fest 🎺
back in the {6ix|L} 🍁 missed this cold honestly
{accra|L} for detty december!!! who's outside 🇬🇭
sunset at {table mountain|L} 😍 {cape town|L} you're too much
layover at {heathrow|L} for 9 hours, send snacks
{paris|L} was overrated, {lyon|L} tho 🤌
{paris hilton|P} still saying "that's hot" lol
{orlando|L} in july was a mistake 🥵
{orlando bloom|P} aging like fine wine
115 degrees in {phoenix|L} and my car seat is lava
flew into {jfk|L} at midnight, cab line was a nightmare
road trip from {albequerque|L} to {santa fe|L} 🌵
anyone been to {cdmx|L}? need taco recs 🌮
{bali|L} or {phuket|L}? help me decide
booked flights to {jordan|L} for {petra|L}!!! 🐪
flew over the {nile|L} delta this morning 😍
check out my trip pics https://t.co/Qm3Lp8sXz
# local news, events and retweets
road closed on {main st|L} for the parade tmrw 🎉
farmers market at {riverside park|L} this sat!! bring bags
fire on {elm st|L}?? hope everyone is ok 🚒
mayor {delgado|P} says the pool reopens in june. we'll see
pothole on {5th ave|L} ate my tire 😤
power cut in {soweto|L} since 6pm, no word from anyone
{bart|O} delayed again, love being late
the {WHO|O} just declared it over?? finally
who left a shopping cart in the middle of the road lol
RT @CityAlerts: Road closures on {Broadway|L} between 42nd and 50th until 6pm. Plan ahead.
RT @kofi_tweets: {ghana|L} jollof > {nigeria|L} jollof. i said what i said 🍚
RT @wx_updates: Heat advisory in effect until 9pm. Stay cool! https://t.co/hT8w2Kd
{ucla|O} vs {usc|O} this weekend, traffic gonna be wild
lost dog near {lincoln park|L}, brown lab, answers to cooper, pls RT 🙏
"""

CHECK = """
# friends, family, birthdays and gossip
happy birthday {adaeze|P} 🎂💛 may your year be as bright as your smile
HBD {CHIDI|P}!!!! 🥳 ur officially old now
happy bday to my twin {camila|P} 💕 (she's 5 min older and never lets me forget it)
{kalani|P} just learned to surf and wont shut up about it 🏄‍♀️
{niamh|P} and {siobhan|P} are coming over for movie night 🍿
my dad just discovered memes and i need help
{xochitl|P} made tamales for the whole office 😭🫔
{tendai|P} bro where are u, the match started 20 min ago
{youssef|P} finally passed his driving test!!! 3rd time lucky 🚗
{katya|P} told me the ending of the show. we are no longer friends
aunt {rosa|P} asking why im still single at thanksgiving, classic
{mikeyyy|P} you left your jacket at my place again 🧥
congrats {harpreet|P} on the baby!!! 👶💙
not {diego|P} falling asleep at his own party 😂
rest in peace grandpa, you taught me everything 🕊️
{aroha|P} and {jun|P} got engaged!!! 💍
happy mothers day to all the moms out there 💐 #MothersDay
{olu|P} and {zainab|P} hosting game night again 🎲 who's in
{noor|P} really said "i'll be there in 5" an hour ago
{dawn|P} from the front desk is the sweetest person alive
up before dawn to catch the flight 😴
{april|P} and {june|P} are twins, their parents really did that
april showers bring may flowers or whatever 🌧️
{rich|P} is getting rich off that side hustle lol
{frank|P} was being very frank with me today lmao
tbh {ivy|P} is the only one who gets my jokes
poison ivy on my entire arm rn 😭
{destiny|P} keeps sending me tiktoks at 3am
i think it was destiny that we met in that queue lol
heard {jay|P} is moving to {berlin|L}?? why didnt he tell anyone
{thu trang|P} and {minh|P}'s wedding photos are up!! 😍
my cat knocked my coffee off the table and just looked at me 😐
took bella to the vet, she hates the car 🐶
@kemiii_xo26 congrats on the new place!! 🏡 housewarming when
{hope|P} got the lead in the school play!!! 🎭 so proud
{bill|P} from the gym asked for my number 😳
{chase|P} and {tyler|P} are so annoying on the bus lol
# shouting, moods and everyday chatter
Wednesday Wisdom: drink water 💧
NO SCHOOL TOMORROW LETS GOOO ❄️
rain rain go away ☔
FINALLY FRIDAY 🎉🎉
my alarm went off and i chose violence
Throwback Thursday 📸 look how tiny i was #TBT
nothing like a cold shower when the boiler dies 🥶
Happy Holidays from our family to yours 🎄✨
Game Day!! Let's Go!! 🏈
LAST DAY OF EXAMS!!! freedom 🕊️
missed the target by a mile on that exam, its fine im fine
# sports
{bukayo saka|P} with another assist 🔥 {arsenal|O} top of the table
{serena|P} retiring still makes me sad 🎾
{dhoni|P} walking out to bat and the stadium shaking 💛
{thala|P} for a reason 🦁
{celtics|O} in 5, calling it now
{luka|P} with the stepback again 😮‍💨
{river plate|O} vs {boca|O} tonight, {buenos aires|L} is on fire 🔥 #Superclasico
{england|L} penalties again... i cant 😭
{ajax|O} academy is just built different
ran out of ajax so the bathroom can wait 🧽
the {all blacks|O} haka gives me chills every time
{pele|P} forever 🕊️⚽
{neymar|P} injured AGAIN??
{lamine yamal|P} is 17 and doing this??
{giants|O} fans suffering as usual 🏈
{michael jordan|P} > {lebron|P} and it's not even close
{ferrari|O} strategy team needs to be fired lol
{lando|P} first win!!! 🧡🧡 #LandoNorris
{uefa|O} scheduling is a joke, 3 games in 7 days
{sachin|P} was my whole childhood 🏏
{yankees|O} blew a 5 run lead 🙄
world cup final was the best game ever made
GOOOOAAAAALLLLL!!!!!!
# music
{rihanna|P} at the super bowl pregnant??? queen behavior
{rhianna|P} really said no new album huh
{karol g|P} in {miami|L} was a movie 💗
{stromae|P} live in {brussels|L}... no words
{metallica|O} at 60 still shredding 🤘
{journey|O} at karaoke again, dont stop believin 🎤
life is a journey or whatever 🙄
{ABBA|O} voyage show in {london|L} was magical ✨
{billie eilish|P} whisper singing hits different at 3am
billie jean came on and my dad started moonwalking lmaooo
{olivia rodrigo|P} tickets are $400?? nah
{arctic monkeys|O} reunion tour please 🙏
{tay|P} announced more dates 😭
{fela|P} records on vinyl, sunday mornings hit different 🎷
{davido|P} vs {wizkid|P} debate on my timeline again 🙄
{bey|P} never misses
kpop stans are scary 😭
{SEVENTEEN|O} concert in {manila|L} 💎
i was seventeen when i first heard this song
{anitta|P} in {rio|L} 🇧🇷🔥
# tv, film and games
house of the dragon finale... no words 🐉
{daenerys|P} deserved better and so did we
greys anatomy season 20 how is it still going
{deepika padukone|P} looks stunning in that trailer 😍
{cillian murphy|P} won and i screamed
wicked was sooo good, {cynthia erivo|P} 😭
the office is still the best show ever made
{michael scott|P} is my spirit animal
{hbo|O} raising prices is criminal
just beat mario kart on 200cc 😤
{kai cenat|P} stream last night was chaos 😂
the boys season 4 was unhinged
{walter white|P} did nothing wrong (he did everything wrong)
# companies, brands and complaints
{southwest|O} cancelled my flight again 🙃
driving southwest for 6 hours, pray for me
{verizon|O} charged me for a phone i returned??
@Verizon check ur DMs
{lidl|O} middle aisle always has something weird 😂
{dhl|O} said out for delivery 3 days ago 📦
{safaricom|O} network is down in {westlands|L}, cant even mpesa 😩
{emirates|O} business class was a dream ✈️
{qatar airways|O} lost my luggage in {doha|L} lol
{zara|O} sizing makes no sense
{shell|O} prices up again ⛽
found a shell shaped like a heart 🐚
{costco|O} hotdog still $1.50, the last honest thing
{uber eats|O} charged me twice for one burrito 🌯
{wells fargo|O} closed my account with no warning??
my {ford|O} broke down on the highway again 🙄
{sony|O} please restock the ps5 🙏
{ticketmaster|O} fees are more than the ticket 💀
{microsoft|O} teams crashed in the middle of my presentation 🙃
{kplc|O} took the power again, {nairobi|L} life 🕯️
{nepa|O} took light just as the match started 😭
# travel and places
{london|L} rain is personal
landed in {atl|L} 🍑
{kyoto|L} temples in the fall 🍁
{dhaka|L} traffic is another level
{camden|L} market on a saturday is chaos
{cincinatti|L} chili is not chili and i will not be taking questions
moving to {massachussets|L} in august, send winter tips
{phillipines|L} trip was the best decision i ever made 🏝️
{florence|L} gelato ruined all other gelato for me 🍨
{florence pugh|P} can do no wrong
{sydney|P} left her charger at my place again
{sydney|L} fireworks on new years 🎆 #NYE #Sydney
{austin|L} is just tacos and traffic now
{austin|P} said hes bringing the grill 🔥
peaches from {georgia|L} hit different 🍑
{georgia|P} and i are going thrifting sat
{tbilisi|L} wine and khachapuri 😍
{ibiza|L} this summer or never
# local news, events and retweets
RT @TravelAlerts: {I-95|L} closed northbound near exit 12 after crash. Expect delays.
RT @lagos_traffic: Heavy traffic on {third mainland bridge|L} this morning 🚗
block party on {wabash ave|L} saturday, bring chairs 🎶
lost cat near {jefferson st|L}, grey tabby named smokey, pls RT 🙏
library book sale this sunday 10-4!! 📚
{nypd|O} closed off the whole street for a film shoot lol
{mta|O} said 10 min delay. it's been 45.
{tfl|O} strike tomorrow, working from home 🙌
town hall meeting tonight at 7, come say your piece
{red cross|O} blood drive at the community center today 🩸
new bakery opened on {queen st|L} and it's dangerous 🥐
RT @dogsofig: this is bobby. he is a very good boy. 13/10 https://t.co/vB7nQ2rT
{uni of leeds|O} library at 2am, send help 📚
{harvard|O} rejection letter framed on my wall lmao
"""


if __name__ == "__main__":
    sys.exit(pii_dev_prose.main(name="pii_dev_social", doc=__doc__, parts=(pii_dev_prose.parse(TUNE), pii_dev_prose.parse(CHECK))))
