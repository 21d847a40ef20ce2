"""Demo content for `manage.py seed_demo`: original stories, readers and discussion, written for this project."""

SECTIONS = [  # (name, slug, description)
    ("World", "world", "International news, diplomacy and the stories that cross borders."),
    ("Science", "science", "Research, climate and discovery, explained with the people doing the work."),
    ("Culture", "culture", "Books, music, museums and the arts, near and far."),
]

AUTHORS = [  # (name, slug, bio)
    (
        "Ines Valcourt",
        "ines-valcourt",
        (
            "World correspondent covering diplomacy, borders and the politics of water. Previously reported from the "
            "newsroom's southern bureau."
        ),
    ),
    (
        "Henrik Salo",
        "henrik-salo",
        (
            "Data and environment reporter. Turns river gauges, budgets and spreadsheets into stories, and checks "
            "everyone else's numbers."
        ),
    ),
    (
        "Tomasz Reyd",
        "tomasz-reyd",
        "Science reporter covering climate, agriculture and the people who measure things in difficult places.",
    ),
    (
        "Amara Oduya",
        "amara-oduya",
        "Culture writer covering books, music and museums, with a soft spot for small presses and local festivals.",
    ),
    (
        "Leona Marsh",
        "leona-marsh",
        "Reporter based on the coast, covering local government, transport and, when it is clear, the night sky.",
    ),
]

READERS = [  # (handle, display_name)
    ("marta_k", "Marta K."),
    ("alexfromthecoast", "Alex"),
    ("riverwatcher", "riverwatcher"),
    ("dmitri_b", "Dmitri B."),
    ("Sol_Ferreira", "Sol Ferreira"),
    ("hydro_nerd", "hydro_nerd"),
    ("JanaP", "Jana P."),
    ("oldharbour", "Old Harbour"),
    ("kwame_a", "Kwame A."),
    ("tessellate", "tessellate"),
    ("farmer_olek", "Olek"),
    ("nadia_reads", "Nadia"),
]

STORIES = [
    {
        "slug": "aldra-water-treaty-talks-collapse",
        "section": "world",
        "headline": "Aldra river talks collapse as Merovan and Kestland trade blame over dam releases",
        "deck": (
            "Negotiators left Port Ilse without a deal on how much water the upstream Tallis dam must let through in "
            "dry months, leaving downstream farmers facing a third summer of rationing."
        ),
        "authors": ["ines-valcourt", "henrik-salo"],
        "tags": ["Water", "Diplomacy", "Climate"],
        "hours_ago": 3,
        "caption": "The exposed bed of the Aldra below the Tallis dam, near the Kestland border town of Orven.",
        "credit": "Newsroom Pictures / Lena Farrow",
        "alt": "Abstract illustration of a narrow blue channel running between wide bands of ochre and dusty brown.",
        "palette": ["#1d3557", "#c8963e", "#e9d8a6"],
        "body": [
            (
                "Three weeks of talks over the future of the Aldra river ended without agreement on Thursday, after "
                "delegations from Merovan and Kestland failed to settle how much water the Tallis dam must release "
                "during the dry season. Both sides said they remained open to further meetings, but no date was set."
            ),
            (
                "The dispute centres on the 1974 Aldra Basin Accord, which guarantees Kestland a minimum flow at the "
                "border. Merovan, which sits upstream and completed the Tallis dam in 2019, argues that the accord was "
                "written for a river fed by glaciers that are now shrinking, and that it cannot be honoured in every "
                "month of a drought year."
            ),
            (
                "Kestland's lead negotiator, Deputy Foreign Minister Halvard Brisk, told reporters outside the "
                "conference hall that his delegation had offered 'every reasonable compromise'. 'We are not asking for "
                "more water than we were promised,' he said. 'We are asking for the water we were promised.'"
            ),
            (
                "Merovan's delegation, led by water minister Oona Rask, said it had proposed a sliding scale tied to "
                "the level of the reservoir, under which releases would fall in the driest months and rise again after "
                "the autumn rains. Ms Rask said the plan would 'share the shortage fairly rather than pretend it does "
                "not exist'."
            ),
            (
                "Downstream, the effects are already visible. In the Orven valley, where most of Kestland's fruit and "
                "vegetables are grown, irrigation districts have cut allocations to farmers by 40 per cent for the "
                "second year running. Several smaller canals have stopped flowing altogether since early June."
            ),
            (
                "'We planted half our usual fields and we are still not sure we can water them through August,' said "
                "Mirela Ost, who grows peppers and melons on a family farm outside Orven. Her neighbours have begun "
                "drilling deeper wells, which hydrologists warn could drain the aquifer that feeds the river's lower "
                "reaches."
            ),
            (
                "An independent review published in March by the Aldra Basin Commission, the technical body set up "
                "under the accord, found that average summer flow at the border has fallen by roughly a fifth since "
                'the 1990s. <a href="https://example.org/report">The review</a> attributed most of that decline to '
                "earlier snowmelt and hotter summers rather than to the dam itself, though it said reservoir "
                "operations had made low-flow periods longer."
            ),
            (
                "That finding has been read very differently on each side of the border. Merovan officials cite it as "
                "proof that the dam is not the cause of Kestland's troubles. Kestland's government points to the same "
                "pages as evidence that the timing of releases, which Merovan controls, now matters <em>more</em> than "
                "ever."
            ),
            (
                "Mediators had hoped to agree at least an emergency protocol for the coming summer, setting out who "
                "would be told, and when, if flow at the border fell below the treaty minimum. That text was close to "
                "final on Wednesday night, according to two people familiar with the talks, but was dropped when the "
                "wider negotiation stalled."
            ),
            (
                "Diplomats from neighbouring states have urged both governments to keep talking. The accord contains a "
                "clause that allows either party to request binding arbitration, a step neither has taken in the "
                "treaty's fifty-year history and one that officials in both capitals privately describe as a last "
                "resort."
            ),
            (
                "Update: Late on Thursday, Merovan's water ministry said it would increase releases from the Tallis "
                "dam for ten days from Saturday 'as a gesture of good faith', while stressing that the move did not "
                "change its position on the treaty. Kestland's foreign ministry welcomed the step but called a "
                "temporary increase 'no substitute for an agreement'."
            ),
        ],
        "more": [
            ("glacier-melt-sensors-aldra-headwaters", 2),
            ("river-festival-returns-dry-years", 6),
            ("seed-bank-revives-drought-wheat", None),
        ],
        "updated": True,
        "correction": "",
    },
    {
        "slug": "harbour-city-votes-on-sea-wall",
        "section": "world",
        "headline": "Saltmere voters back a sea wall after three winters of flooding",
        "deck": (
            "Residents of the harbour city approved a bond to pay for a new sea wall, ending a two-year argument about "
            "cost, views and who should pay."
        ),
        "authors": ["leona-marsh"],
        "tags": ["Climate", "Elections"],
        "hours_ago": 26,
        "caption": "Storm waves breaking over the old harbour promenade in Saltmere.",
        "credit": "Coastal Press Agency",
        "alt": "Abstract illustration of layered grey-blue waves rising over a thin pale line.",
        "palette": ["#264653", "#5c7c8a", "#d9e4e8"],
        "body": [
            (
                "Voters in Saltmere approved plans for a new sea wall on Sunday, backing a municipal bond by 58 to 42 "
                "per cent in a referendum that drew the highest turnout the city has recorded in two decades."
            ),
            (
                "The wall, which will run for 2.4 kilometres along the old harbour and the low-lying Quay district, is "
                "expected to take four years to build. City engineers say it is designed to withstand the kind of "
                "storm surge that flooded more than 600 homes in each of the last three winters."
            ),
            (
                "The vote ends a long and at times bitter local argument. Opponents, many of them owners of seafront "
                "cafes and guesthouses, warned that a wall up to three metres high would block views of the harbour "
                "and drive away the summer visitors the city relies on."
            ),
            (
                "Supporters countered that the floods had already cost the city more than the wall would. 'My "
                "insurance went up three times in three years, and then they stopped offering it,' said Pieter Holm, a "
                "retired ferry engineer who lives two streets back from the water. 'You cannot run a town on sandbags.'"
            ),
            (
                "The final design includes glass panels along the promenade and a series of floodgates that can be "
                "closed before storms and left open the rest of the year. Mayor Annika Verlo said those changes were "
                "made after public meetings last autumn, and thanked residents who had 'argued us into a better plan'."
            ),
            (
                "The bond will be repaid over 30 years through a small surcharge on property taxes, with exemptions "
                "for low-income households. A regional adaptation fund has pledged to cover about a quarter of the "
                "cost, provided work begins before the end of next year."
            ),
            (
                "Coastal scientists caution that a wall alone will not protect the city indefinitely. A study by the "
                "regional university estimated that sea level along this stretch of coast could rise by 30 to 60 "
                "centimetres by the end of the century, and said Saltmere would eventually need to consider moving "
                "some homes inland."
            ),
            (
                "For now, many residents are simply relieved that a decision has been made. 'We have been talking "
                "about this since my children were in school,' said Greta Lunn, who runs a bakery on Quay Street. 'I "
                "would rather have a wall than another winter of mopping.'"
            ),
            (
                "Final figures published by the city's election office on Monday put turnout at 71 per cent, up from "
                "49 per cent at the last municipal election. Construction tenders are expected to open in the spring."
            ),
        ],
        "more": [
            ("aldra-water-treaty-talks-collapse", 3),
            ("harbour-logs-transcribed-by-volunteers", 5),
            ("night-train-returns-dunmore-kessany", None),
        ],
        "updated": True,
        "correction": "",
    },
    {
        "slug": "night-train-returns-dunmore-kessany",
        "section": "world",
        "headline": "Night train between Dunmore and Kessany returns after a twelve-year gap",
        "deck": (
            "The sleeper service, cut in a dispute over its losses, is back on a four-nights-a-week timetable, and its "
            "first run sold out in under an hour."
        ),
        "authors": ["ines-valcourt"],
        "tags": ["Transport", "Diplomacy"],
        "hours_ago": 70,
        "caption": "The first northbound sleeper waiting at Dunmore Central shortly before departure.",
        "credit": "Rail & Road Photo / Jonas Vell",
        "alt": (
            "Abstract illustration of long dark rectangles crossing a deep blue field dotted with small warm lights."
        ),
        "palette": ["#14213d", "#fca311", "#e5e5e5"],
        "body": [
            (
                "A sleeper train linking the capitals of two neighbouring countries left Dunmore Central on Friday "
                "evening for the first time in twelve years, restoring a route that was cancelled when the two "
                "national rail operators could not agree on how to split its losses."
            ),
            (
                "The service will run four nights a week, covering the 740 kilometres to Kessany in just under eleven "
                "hours, with a stop at the border city of Harrowgate, where passport checks now take place on board. "
                "Tickets for the first departure sold out within an hour of going on sale."
            ),
            (
                "Transport ministers from both countries travelled on the first run. At a brief ceremony on the "
                "platform, they described the route as a sign of warmer relations after years in which cross-border "
                "projects had stalled over funding."
            ),
            (
                "The revival was made possible by an agreement under which the two governments share the cost of the "
                "service equally for its first five years, while a private operator runs the trains. The carriages are "
                "refurbished sleepers bought second-hand from a rail company further south."
            ),
            (
                "Campaigners, who lobbied for the route's return for most of the past decade, say demand has been "
                "driven partly by travellers looking for an alternative to short flights. 'People wanted this train "
                "back long before the politicians did,' said Ruth Okafor of the passenger group Night Lines."
            ),
            (
                "Not everyone is convinced the service will last. Filip Marn, a transport economist at Kessany "
                "University, noted that the previous sleeper had been popular too, yet lost money every year because "
                "of high track access charges. 'The question is not whether people will ride it in summer,' he said. "
                "'It is whether they will in February.'"
            ),
            (
                "The operator says it has tried to address that by offering cheaper reclining seats alongside cabins, "
                "and by timing departures so that business travellers arrive before the working day begins. A dining "
                "car serves regional dishes from both countries."
            ),
            (
                "If the route proves successful, officials say a second line, to the coastal city of Saltmere, could "
                "follow within three years."
            ),
        ],
        "more": [
            ("harbour-city-votes-on-sea-wall", 2),
            ("translated-border-novel-wins-prize", 5),
            ("aldra-water-treaty-talks-collapse", None),
        ],
        "updated": False,
        "correction": "",
    },
    {
        "slug": "glacier-melt-sensors-aldra-headwaters",
        "section": "science",
        "headline": "Sensors in the Aldra headwaters show glacier melt arriving weeks earlier each spring",
        "deck": (
            "A decade of readings from a high-altitude monitoring network suggests the river's seasonal peak has moved "
            "by almost a month, with consequences for everyone downstream."
        ),
        "authors": ["tomasz-reyd", "henrik-salo"],
        "tags": ["Water", "Climate", "Research"],
        "hours_ago": 9,
        "caption": (
            "A solar-powered monitoring station on the moraine below the Sarn glacier, at the head of the Aldra."
        ),
        "credit": "Newsroom Pictures / Lena Farrow",
        "alt": "Abstract illustration of white and pale turquoise shards above a thin dark blue line.",
        "palette": ["#caf0f8", "#48cae4", "#023e8a"],
        "body": [
            (
                "Every fifteen minutes, a small grey box bolted to a boulder below the Sarn glacier records the depth "
                "and temperature of the meltwater rushing past it. Across 23 such stations, those readings now form "
                "one of the longest continuous records of a glacier-fed river in the region."
            ),
            (
                "A new analysis of ten years of that data, published this week in a hydrology journal, finds that the "
                "spring peak in meltwater on the upper Aldra now arrives on average 26 days earlier than when the "
                "network was installed. The authors say the trend is consistent across almost every station."
            ),
            (
                "'The river is not necessarily carrying less water over a whole year, at least not yet,' said Saskia "
                "Moll, the glaciologist who led the study. 'What has changed is when it comes. More of it arrives in "
                "April and May, and less in late July and August, which is exactly when farmers need it most.'"
            ),
            (
                "That shift matters well beyond the mountains. The Aldra rises in Merovan and flows across the border "
                "into Kestland, and the two countries are locked in a dispute over how much water the Tallis dam, "
                "about 90 kilometres below the glacier, should release during the summer."
            ),
            (
                "The researchers were careful not to take sides. Their paper notes that an earlier peak could in "
                "principle be stored in reservoirs and released later, but that doing so depends on how dams are "
                "operated and on agreements that lie outside the scope of science."
            ),
            (
                "Keeping the stations running has been a feat in itself. Avalanches destroyed two of them in the "
                "network's first winter, and technicians now hike up each September to replace batteries and dig out "
                "instruments buried under rock and ice."
            ),
            (
                "The team also used drone surveys to measure changes in the glacier itself. The Sarn has lost about 14 "
                "per cent of its surface area since 2014, and its tongue has retreated by more than 300 metres, "
                "leaving a lake that did not exist a decade ago."
            ),
            (
                "Other scientists said the findings matched patterns seen in glacier-fed rivers elsewhere, but "
                "cautioned that ten years is a short record for a system that varies a great deal from year to year. "
                "Several said they hoped the network would be funded for at least another decade."
            ),
            (
                "The data will be made public later this year, Dr Moll said, so that water managers on both sides of "
                "the border can work from the same numbers."
            ),
        ],
        "more": [
            ("aldra-water-treaty-talks-collapse", 4),
            ("comet-orbit-amateur-astronomers", 6),
            ("seed-bank-revives-drought-wheat", None),
        ],
        "updated": False,
        "correction": "",
    },
    {
        "slug": "seed-bank-revives-drought-wheat",
        "section": "science",
        "headline": "Seed bank revives a drought-hardy wheat that farmers abandoned sixty years ago",
        "deck": (
            "A handful of grains kept in a university freezer have become test plots in three villages, and the first "
            "harvest is promising."
        ),
        "authors": ["tomasz-reyd"],
        "tags": ["Agriculture", "Research"],
        "hours_ago": 120,
        "caption": "Ears of revived Redcap wheat in a trial field outside the village of Lenn.",
        "credit": "Agrarian Photo Service / Dana Kiel",
        "alt": "Abstract illustration of fine vertical golden strokes against a warm reddish-brown ground.",
        "palette": ["#d4a373", "#faedcd", "#7f4f24"],
        "body": [
            (
                "In 1961, an agronomist collecting crops across the southern plains sealed a few hundred grains of an "
                "old local wheat into a paper envelope and filed it away. The variety, known to farmers as Redcap, "
                "vanished from fields within a decade as higher-yielding modern strains took over."
            ),
            (
                "This summer, Redcap is growing again. Researchers at the regional seed bank germinated some of the "
                "stored grains in 2020, multiplied them over three seasons in greenhouses, and have now handed seed to "
                "farmers in three villages for field trials."
            ),
            (
                "The first results are modest but encouraging. In a dry year, Redcap yielded about 15 per cent less "
                "than the modern wheat planted alongside it, but it used noticeably less water and recovered better "
                "after a July heatwave, according to the seed bank's preliminary figures."
            ),
            (
                "'Old varieties were bred by farmers for the conditions they actually had, which were often poor soils "
                "and unreliable rain,' said Ayla Brenner, who runs the seed bank's germination programme. 'Some of "
                "those traits are becoming useful again.'"
            ),
            (
                "Reviving the grain was not simple. Only 11 of the first 200 seeds sprouted, and the team tried "
                "several temperature and moisture regimes before finding one that worked. Each surviving plant was "
                "grown in isolation to avoid cross-pollination."
            ),
            (
                "Farmers in the trials say the tall stalks reminded older relatives of fields they knew as children. "
                "'My grandmother recognised it from across the road,' said Tobiah Vance, who planted a hectare near "
                "the village of Lenn. 'She said it was the colour that gave it away.'"
            ),
            (
                "Plant breeders caution that Redcap is unlikely to replace modern wheat on a large scale. Its value "
                "may lie in its genes: several teams hope to cross it with current varieties to combine higher yields "
                "with better drought tolerance."
            ),
            (
                "The seed bank holds around 40,000 samples of crops and wild plants, many of which have not been grown "
                "for decades. Its director said Redcap showed why such collections matter, and announced plans to test "
                "a further dozen forgotten cereals over the next five years."
            ),
        ],
        "more": [
            ("glacier-melt-sensors-aldra-headwaters", 3),
            ("aldra-water-treaty-talks-collapse", 6),
            ("harbour-logs-transcribed-by-volunteers", None),
        ],
        "updated": False,
        "correction": "",
    },
    {
        "slug": "comet-orbit-amateur-astronomers",
        "section": "science",
        "headline": "Amateur astronomers at a hilltop observatory help pin down a new comet's orbit",
        "deck": (
            "Volunteers at the Brannock Hill observatory supplied some of the earliest measurements of a faint comet "
            "that will pass closest to the Sun next spring."
        ),
        "authors": ["leona-marsh"],
        "tags": ["Space", "Research"],
        "hours_ago": 48,
        "caption": "The dome of the volunteer-run observatory on Brannock Hill under a clear night sky.",
        "credit": "Newsroom Pictures",
        "alt": (
            "Abstract illustration of a faint pale streak crossing a dark violet field scattered with points of light."
        ),
        "palette": ["#10002b", "#5a189a", "#e0aaff"],
        "body": [
            (
                "A comet found last month by an automated sky survey has had its orbit refined with help from an "
                "unlikely source: a volunteer-run observatory on a hill above the farming town of Brannock, staffed "
                "mostly by retired teachers and engineers."
            ),
            (
                "The comet is currently a faint smudge visible only through sizeable telescopes. Calculations now "
                "suggest it will pass closest to the Sun next April, and could become bright enough to see with "
                "binoculars from dark places for a few weeks afterwards."
            ),
            (
                "Members of the Brannock Hill Astronomical Society photographed the comet on eleven nights in a row "
                "shortly after it was announced, when few professional telescopes had time to follow it. Their "
                "positions were submitted to the international body that collects such observations and used in the "
                "updated orbit."
            ),
            (
                "'Professional observatories are booked months in advance for other work,' said Hanne Ostrowski, the "
                "society's observing coordinator. 'We have a good telescope, a lot of patience and no timetable. That "
                "turns out to be a useful combination when something new appears.'"
            ),
            (
                "The society bought its main telescope with a community grant a decade ago and upgraded its camera "
                "last year. Members take turns staying up through the night, and the observatory opens to the public "
                "on the first Saturday of each month."
            ),
            (
                "Astronomers stress that predicting how bright a comet will become is notoriously difficult. Some "
                "brighten dramatically as they near the Sun; others fade or break apart. 'I would not book a holiday "
                "around it,' said one researcher who has studied the orbit, 'but it is worth keeping an eye on.'"
            ),
            (
                "The comet appears to be on its first journey into the inner solar system, having spent most of its "
                "existence in a distant cloud of icy bodies far beyond the planets. That makes it interesting to "
                "scientists, who hope to measure its composition as it warms."
            ),
            (
                "The Brannock Hill group plans to keep observing through the winter, weather permitting. 'We will "
                "probably be the last people watching it leave, too,' Ms Ostrowski said."
            ),
        ],
        "more": [
            ("glacier-melt-sensors-aldra-headwaters", 2),
            ("night-train-returns-dunmore-kessany", 5),
            ("seed-bank-revives-drought-wheat", None),
        ],
        "updated": False,
        "correction": "",
    },
    {
        "slug": "river-festival-returns-dry-years",
        "section": "culture",
        "headline": "Orven's river festival returns, with songs about the dry years",
        "deck": (
            "After two summers cancelled by drought restrictions, the folk festival on the banks of the Aldra is back, "
            "and this year its musicians are singing about water."
        ),
        "authors": ["amara-oduya"],
        "tags": ["Music", "Water"],
        "hours_ago": 15,
        "caption": "Musicians performing on the floating stage at the Orven river festival at dusk.",
        "credit": "Festival Photo Collective / Ilya Sand",
        "alt": "Abstract illustration of warm orange circles reflected in rippling bands of deep teal.",
        "palette": ["#f4a261", "#e76f51", "#2a9d8f"],
        "body": [
            (
                "For most of its forty-year history, the Orven river festival has been a cheerful affair: three days "
                "of fiddles, brass bands and fried fish on the banks of the Aldra. When it returned this weekend after "
                "two cancelled summers, the mood on the floating stage was noticeably more reflective."
            ),
            (
                "Several of the headline acts have written new material about the drought in the valley and the "
                "dispute with upstream Merovan over the river's flow. Friday's opening concert included a song cycle "
                "called <em>Low Water</em>, written by the local fiddler and composer Lise Varga."
            ),
            (
                "'People here do not talk much about how they feel,' Ms Varga said after the performance. 'But they "
                "sing. When I played the last song, half the audience were mouthing the words back, and I only wrote "
                "it in March.'"
            ),
            (
                "The festival was called off in each of the past two years because the river was too low to float the "
                "stage safely and because the authorities had restricted water use at events. This year organisers "
                "moved the stage to a deeper stretch near the old mill and brought in toilets that use no water."
            ),
            (
                "Not all the music was sombre. A brass band from the neighbouring town played its usual marches, and a "
                "children's choir sang a traditional song about the river spirit who, according to local legend, "
                "floods the valley whenever she is insulted."
            ),
            (
                "Festival director Bram Holt said organisers had debated whether it was right to hold a celebration in "
                "a difficult year. 'In the end we decided that this is exactly when people need to be together,' he "
                "said. 'A festival is also a way of saying we are still here.'"
            ),
            (
                "Attendance was slightly down on the last festival held, with about 12,000 tickets sold across the "
                "weekend, but several local businesses said it had been their busiest few days of the year."
            ),
            (
                "A recording of the Low Water cycle will be released in the autumn, with proceeds going to a fund that "
                "helps small farmers in the valley pay for irrigation repairs."
            ),
        ],
        "more": [
            ("aldra-water-treaty-talks-collapse", 2),
            ("translated-border-novel-wins-prize", 6),
            ("harbour-city-votes-on-sea-wall", None),
        ],
        "updated": False,
        "correction": "",
    },
    {
        "slug": "harbour-logs-transcribed-by-volunteers",
        "section": "culture",
        "headline": "Volunteers transcribe a century of handwritten harbour logs in Saltmere",
        "deck": (
            "More than 900 volunteers have typed up the daily records of the city's harbour office, turning fragile "
            "ledgers into a searchable archive of ships, storms and ordinary working life."
        ),
        "authors": ["amara-oduya", "leona-marsh"],
        "tags": ["History", "Research"],
        "hours_ago": 160,
        "caption": "A page from an 1890s harbour ledger under a copy stand at the Saltmere Maritime Museum.",
        "credit": "Saltmere Maritime Museum",
        "alt": "Abstract illustration of faded sepia horizontal lines on a cream ground with a dark blue margin.",
        "palette": ["#f1e3c6", "#a47148", "#1b3a4b"],
        "body": [
            (
                "For more than a hundred years, the harbour master's office in Saltmere kept a daily log of every "
                "vessel that entered or left the port, with notes on the weather, the tides and anything else the "
                "clerk on duty thought worth recording. The ledgers fill four shelves in the basement of the city's "
                "maritime museum."
            ),
            (
                "Over the past two years, 930 volunteers have transcribed every one of them. The museum photographed "
                "the pages, and volunteers working online, some of them on other continents, typed up the entries line "
                "by line, with each page checked by at least two people."
            ),
            (
                "The result, published online this month, is a searchable archive of about 210,000 entries covering "
                "the years 1871 to 1979. Researchers say it will be useful for everything from tracing family "
                "histories to reconstructing past storms."
            ),
            (
                "'The clerks were not writing for posterity, which is what makes the logs so valuable,' said Nell "
                "Corrigan, the museum's curator of collections. 'You get the ordinary rhythm of a working port: the "
                "coal boats, the fishing fleet, the ferry running late because the captain was ill.'"
            ),
            (
                "Some entries are more dramatic. Volunteers found detailed accounts of rescues during the great storm "
                "of 1903, a note about a whale that swam into the inner harbour in 1924, and a terse line from 1931 "
                "recording that the office itself had caught fire and the log would continue 'in the customs shed "
                "until further notice'."
            ),
            (
                "Climate scientists have already shown interest in the weather notes. Because the clerks recorded wind "
                "direction, sea state and the height of high tide on most days, the logs could help fill gaps in "
                "official records and improve estimates of how sea level along the coast has changed."
            ),
            (
                "Many volunteers said the project became a daily habit. Margit Fold, a retired nurse who transcribed "
                "more than 6,000 entries, grew fond of one clerk in particular. 'He wrote very neatly and complained "
                "about the cold every single winter,' she said. 'I felt I knew him.'"
            ),
            (
                "The museum plans to use the archive in a new permanent gallery about the harbour, due to open next "
                "year. It has also invited volunteers to help with its next project: passenger lists from the city's "
                "emigrant ships."
            ),
            (
                "The original ledgers, which are fragile and partly water-damaged, will be kept in climate-controlled "
                "storage and will no longer be handled by visitors."
            ),
        ],
        "more": [
            ("harbour-city-votes-on-sea-wall", 3),
            ("seed-bank-revives-drought-wheat", 6),
            ("river-festival-returns-dry-years", None),
        ],
        "updated": False,
        "correction": (
            "An earlier version of this article said the harbour office fire took place in 1913. It was in 1931."
        ),
    },
    {
        "slug": "translated-border-novel-wins-prize",
        "section": "culture",
        "headline": "Small press wins translation prize for a novel about a divided border town",
        "deck": (
            "The Harrowgate Quartet beat titles from far larger publishers, with judges praising its humour and its "
            "ear for everyday speech."
        ),
        "authors": ["amara-oduya"],
        "tags": ["Books"],
        "hours_ago": 198,
        "caption": "Copies of the prize-winning novel stacked on a table at the awards ceremony.",
        "credit": "Newsroom Pictures / Lena Farrow",
        "alt": "Abstract illustration of overlapping rectangles in muted green, cream and brick red.",
        "palette": ["#606c38", "#fefae0", "#bc4749"],
        "body": [
            (
                "A novel set in a town split by a national border has won this year's Meridian Prize for literary "
                "translation, a rare win for a small independent publisher competing against some of the largest "
                "houses in the industry."
            ),
            (
                "The Harrowgate Quartet was written by the late novelist Vera Altan and first published in her own "
                "country in 1988. It follows four families on a single street whose houses fall on different sides of "
                "the border, through forty years of shifting rules, closures and reopenings."
            ),
            (
                "Its English translation, by Yusuf Demren, was published last year by Lantern Row Books, a two-person "
                "press that works out of a former print shop. The prize money is shared between the author's estate "
                "and the translator."
            ),
            (
                "The judges called the translation 'funny, exact and never in a hurry', and singled out its handling "
                "of dialogue that switches between two languages and a local dialect that mixes both. 'Most "
                "translators would have smoothed that out,' the chair of the panel said. 'He kept the seams visible.'"
            ),
            (
                "Mr Demren said he had spent almost four years on the book, including long stays in border towns to "
                "listen to how people actually spoke. 'Every second sentence was a decision,' he said. 'I kept a "
                "notebook just for jokes that did not survive the crossing.'"
            ),
            (
                "Lantern Row's co-founder, Esther Pym, said the press printed just 1,500 copies at first and expected "
                "to sell them slowly over several years. Since the shortlist was announced, it has reprinted three "
                "times."
            ),
            (
                "The novel has found readers in a year when borders have rarely been out of the news, from water "
                "disputes to the return of cross-border rail routes. Ms Pym said she had been surprised by how many "
                "letters the press received from people who grew up in similar places."
            ),
            (
                "The award was presented on Tuesday evening. The shortlist also included novels translated from four "
                "other languages, and a story collection that the judges said had come 'very close'."
            ),
        ],
        "more": [
            ("night-train-returns-dunmore-kessany", 2),
            ("river-festival-returns-dry-years", 4),
            ("harbour-logs-transcribed-by-volunteers", None),
        ],
        "updated": False,
        "correction": "",
    },
]

# Blocks beyond paragraphs and MORE links, so the demo shows every kind: story slug -> {after paragraph N: [block]}.
# Pictures are drawn by seed_demo like the lead images; the one embed is a real, openly licensed film, named as such.
STORY_BLOCKS = {
    "aldra-water-treaty-talks-collapse": {
        3: [
            {
                "kind": "quote",
                "style": "pull",
                "text": "We are not asking for more water than we were promised.",
                "by": "Halvard Brisk, Kestland's deputy foreign minister",
            }
        ],
        4: [{"kind": "heading", "text": "A third summer of rationing downstream"}],
        5: [
            {
                "kind": "image",
                "caption": "An irrigation canal outside Orven, dry since the first week of June.",
                "credit": "Newsroom Pictures / Lena Farrow",
                "alt": "Abstract illustration of a pale, straight channel cutting through fields of dusty green.",
                "palette": ["#6b705c", "#ddbea9", "#a5a58d"],
            }
        ],
        7: [
            {
                "kind": "quote",
                "style": "block",
                "text": (
                    "Average summer flow at the border has fallen by roughly a fifth since the dam was filled, but "
                    "most of that fall is explained by <em>lower snowfall</em> in the headwaters."
                ),
                "by": "Aldra Basin Commission, independent review, March",
            }
        ],
        8: [
            {"kind": "heading", "text": "What the mediators proposed"},
            {
                "kind": "list",
                "numbered": True,
                "items": [
                    "A minimum release from the Tallis dam in every month of the summer, whatever the reservoir level.",
                    "Weekly flow readings at the border, published by the Basin Commission.",
                    "A standing meeting of both water ministries whenever the reservoir falls below a third full.",
                ],
            },
        ],
        9: [
            {
                "kind": "list",
                "numbered": False,
                "items": [
                    "<strong>Merovan</strong> wants releases tied to the reservoir level.",
                    "<strong>Kestland</strong> wants the 1974 minimum flow honoured in every month.",
                    "Both accept the Basin Commission's readings.",
                ],
            }
        ],
        10: [
            {
                "kind": "gallery",
                "title": "The Aldra in a dry year",
                "pictures": [
                    (
                        "The reservoir behind the Tallis dam at a third of its capacity.",
                        "Abstract illustration of a shrinking blue pool ringed by bands of pale stone.",
                        ["#264653", "#e9c46a", "#f4a261"],
                    ),
                    (
                        "Farmers queue for water from a tanker in the Orven valley.",
                        "Abstract illustration of a row of small dark shapes beside a long silver band.",
                        ["#2a9d8f", "#e76f51", "#e9c46a"],
                    ),
                    (
                        "The border gauge at Orven, where the Basin Commission reads the river's flow.",
                        "Abstract illustration of a thin vertical mark over narrow bands of water and mud.",
                        ["#1d3557", "#a8dadc", "#457b9d"],
                    ),
                ],
                "credit": "Newsroom Pictures / Lena Farrow",
            },
            {
                "kind": "embed",
                "url": "https://vimeo.com/1084537",
                "title": "Big Buck Bunny (Blender Foundation, 2008)",
                "caption": (
                    "A demonstration of video embeds: the Blender Foundation's openly licensed short film. Nothing "
                    "loads from Vimeo until you choose to play it."
                ),
            },
        ],
    },
}

# The discussion on the first (big World) story: (key, parent_key_or_None, author_handle, text).
COMMENTS = [
    (
        "a1",
        None,
        "riverwatcher",
        (
            "I live about 20 km from Orven and if anything the article undersells it. The canal behind our house has "
            "been dry since the first week of June. Nobody here expects the ten-day release to reach us before it "
            "soaks into the riverbed."
        ),
    ),
    (
        "a2",
        "a1",
        "hydro_nerd",
        (
            "@riverwatcher depends where you are on the canal network. A release from Tallis takes roughly four days "
            "to reach the border at normal flow, longer when the bed is this dry, because a lot of it infiltrates "
            "first. Ten days of extra water is not nothing, but most of it will go into recharging the channel before "
            "anyone downstream sees much."
        ),
    ),
    (
        "a3",
        "a2",
        "farmer_olek",
        (
            "@hydro_nerd @riverwatcher so basically a gesture that looks good in a press release and does nothing for "
            "the people actually farming. Great."
        ),
    ),
    (
        "a4",
        "a3",
        "hydro_nerd",
        (
            "@farmer_olek I would not go that far. Recharging the channel and the shallow aquifer is useful, it just "
            "is not the same as water at your headgate in July. The real problem is that nobody has agreed a schedule, "
            "so every release is a one-off."
        ),
    ),
    (
        "a5",
        "a4",
        "dmitri_b",
        (
            "@hydro_nerd @farmer_olek this is the bit the article should have led with. The treaty sets a minimum flow "
            "but says nothing about timing, because in 1974 nobody imagined a dam that could hold back a whole season."
        ),
    ),
    (
        "a6",
        "a5",
        "marta_k",
        (
            "@dmitri_b not quite. Article 6 of the accord does mention 'seasonal distribution', it is just vague "
            "enough that both sides read it their own way. The commission has the full text up: example.co/aldra74"
        ),
    ),
    ("a7", "a6", "dmitri_b", "@marta_k fair, I stand corrected. Vague is worse than silent in some ways."),
    (
        "a8",
        "a7",
        "riverwatcher",
        (
            "@dmitri_b @marta_k vague is how they got it signed in the first place. My father worked on the Kestland "
            "side of the river survey back then and he always said the wording was the price of getting both "
            "signatures on one page."
        ),
    ),
    (
        "b1",
        None,
        "Sol_Ferreira",
        (
            "I think it is worth stepping back from who is to blame, because the commission report linked in the piece "
            "is fairly clear that most of the drop in summer flow comes from the glaciers, not the dam.\n\n"
            "That does not let Merovan off the hook. If the peak now comes a month earlier, then whoever controls the "
            "reservoir controls whether that water is any use downstream, and that is a political choice, not a "
            "hydrological one.\n\n"
            "What I would like to see is the emergency protocol they nearly agreed published anyway, even unsigned. At "
            "least farmers would know what the trigger points were supposed to be."
        ),
    ),
    (
        "b2",
        "b1",
        "JanaP",
        "Agreed on publishing the draft. No reason it needs to stay secret if it was 'close to final'.",
    ),
    (
        "b3",
        "b1",
        "kwame_a",
        (
            "@Sol_Ferreira the glacier data is here if anyone wants to look for themselves: https://example.org/data "
            "and the trend in the August numbers is pretty stark."
        ),
    ),
    (
        "b4",
        "b3",
        "tessellate",
        "@kwame_a thanks, that is a better use of a comment section than most of what is below.",
    ),
    ("b5", "b2", "alexfromthecoast", "@JanaP drafts leak anyway. Give it a week."),
    ("c1", None, "oldharbour", "Why is this the top story when our own sea wall vote got two lines on the front page?"),
    (
        "c2",
        "c1",
        "nadia_reads",
        (
            "@oldharbour @TheNewsroom @NewsroomWorld it is literally linked from this article. And two countries "
            "running short of water seems like a reasonable top story to me."
        ),
    ),
    ("c3", "c2", "oldharbour", "@nadia_reads fair enough, I missed the link."),
    (
        "c4",
        "c1",
        "marta_k",
        "@oldharbour @TheNewsroom did you even read the article? The sea wall story is in the MORE links further down.",
    ),
    (
        "d1",
        None,
        "alexfromthecoast",
        (
            "Honestly the Merovan sliding-scale idea sounds sensible to me. If there is less water, everyone gets "
            "less. What is the alternative, the upstream country drains its own reservoir to meet a number set fifty "
            "years ago?"
        ),
    ),
    (
        "d2",
        "d1",
        "farmer_olek",
        (
            "Alex: true and not, it depends on who decides what 'less' means. If Merovan sets the scale and Merovan "
            "measures the reservoir, then Merovan decides how dry a year Kestland gets to have. That is the whole "
            "argument in one sentence."
        ),
    ),
    (
        "d3",
        "d2",
        "alexfromthecoast",
        "@farmer_olek ok, that is a fair point. Independent measurement by the commission, then?",
    ),
    (
        "d4",
        "d3",
        "hydro_nerd",
        (
            "@alexfromthecoast that already exists for the border gauge. Extending it to the reservoir would be the "
            "obvious first step, and as far as I can tell nobody objects in principle."
        ),
    ),
    (
        "d5",
        "d2",
        "Sol_Ferreira",
        "@farmer_olek @AldraFarmersUnion clearest summary of the dispute I have read anywhere, the article included.",
    ),
    ("e1", None, "tessellate", "Good, clear piece. More of this kind of reporting, please."),
    ("f1", None, "JanaP", "Arbitration after fifty years of never using it. Wonder which side blinks first."),
    ("f2", "f1", "dmitri_b", "@JanaP neither, probably. Nobody wants to be the government that went to arbitration."),
    (
        "g1",
        None,
        "kwame_a",
        (
            "A small thing, but I wish coverage of these disputes included the people upstream as well. Farmers in "
            "Merovan below the Tallis dam are on rationing too, just less of it, and the towns around the reservoir "
            "have watched the shoreline drop by tens of metres.\n\n"
            "None of that changes what the treaty says. But it makes it easier to understand why the Merovan "
            "delegation cannot simply go home and announce that they have given the water away.\n\n"
            "Maybe a follow-up from the other side of the border?"
        ),
    ),
    ("g2", "g1", "nadia_reads", "@kwame_a seconded. I would read that."),
    (
        "g3",
        "g1",
        "riverwatcher",
        (
            "@kwame_a @NewsroomWorld fair point, although people on our side have been asking for a proper follow-up "
            "on the Orven valley for three years."
        ),
    ),
]

# Smaller discussions on other stories: story slug -> [(key, parent_key_or_None, author_handle, text), ...].
SMALL_DISCUSSIONS = {
    "harbour-city-votes-on-sea-wall": [
        (
            "s1",
            None,
            "oldharbour",
            "Voted yes, with a heavy heart. I will miss the view from the old promenade but not the flooded basement.",
        ),
        ("s2", "s1", "JanaP", "@oldharbour the glass panels should help with the view, at least along the promenade."),
        (
            "s3",
            None,
            "tessellate",
            (
                "Thirty years of surcharges for a wall the article itself says will not be enough by the end of the "
                "century. Somebody should be planning the next step now."
            ),
        ),
        ("s4", "s3", "oldharbour", "@tessellate somebody is, page seven of the council plan. Nobody reads page seven."),
    ],
    "glacier-melt-sensors-aldra-headwaters": [
        (
            "m1",
            None,
            "hydro_nerd",
            (
                "Twenty-six days is a lot. Most of the modelling I have seen expected a shift like this by the 2040s, "
                "not already."
            ),
        ),
        (
            "m2",
            "m1",
            "Sol_Ferreira",
            (
                "@hydro_nerd ten years is a short record though, as the article says. I would wait for another decade "
                "before drawing big conclusions."
            ),
        ),
        (
            "m3",
            "m2",
            "hydro_nerd",
            (
                "@Sol_Ferreira sure, but the direction is the same at almost every station. That is harder to explain "
                "away."
            ),
        ),
    ],
    "comet-orbit-amateur-astronomers": [
        (
            "k1",
            None,
            "nadia_reads",
            (
                "Went to one of their open Saturdays last year. Lovely people, and they let my kids look at Saturn for "
                "ten minutes."
            ),
        ),
        (
            "k2",
            None,
            "dmitri_b",
            "'I would not book a holiday around it' is the most honest thing anyone has ever said about a comet.",
        ),
    ],
    "river-festival-returns-dry-years": [
        (
            "r1",
            None,
            "riverwatcher",
            (
                "Was there on Friday. When Lise Varga played the last song of Low Water the whole field went quiet. "
                "Never seen that at this festival before."
            ),
        ),
        (
            "r2",
            "r1",
            "farmer_olek",
            "@riverwatcher we heard it from across the river. My wife cried. I will not say if I did.",
        ),
        ("r3", None, "marta_k", "Is there anywhere to hear the cycle before the autumn release?"),
        ("r4", "r3", "kwame_a", "@marta_k the festival posted a short clip on its site, search for Low Water."),
    ],
}

# The live blog (issue 18): the sea-wall vote's story is also the live coverage of its count night. Each entry is
# (minutes after the polls closed, headline, body, key event, pinned, author slugs); its body is paragraphs (each
# run of them one text block) and blocks in STORY_BLOCKS' form, with the kinds a story has. seed_demo writes them
# through articles.services.live_entry_save, newest last.
LIVE_BLOG = {
    "slug": "harbour-city-votes-on-sea-wall",
    "hours_ago": 26,  # the polls closed then; the blog ended when the count was declared
    "ended_after_minutes": 190,
    "entries": [
        (
            0,
            "Polls close in Saltmere",
            ["Voting has ended in all 14 wards. Counting starts at the Assembly Rooms."],
            False,
            False,
            ["leona-marsh"],
        ),
        (
            12,
            "",
            [
                "Turnout looks high in the harbour wards, where the flooding was worst: queues at the Quay Street "
                "school until the last minute.",
                {
                    "kind": "image",
                    "caption": "Voters queue outside the Quay Street school as the polls close.",
                    "credit": "Newsroom Pictures / Lena Farrow",
                    "alt": "Abstract illustration of a long line of small dark shapes beside a lit doorway.",
                    "palette": ["#22333b", "#eae0d5", "#c6ac8f"],
                },
            ],
            False,
            False,
            ["leona-marsh"],
        ),
        (
            25,
            "What the vote decides",
            [
                {
                    "kind": "list",
                    "numbered": False,
                    "items": [
                        "A <strong>yes</strong> vote lets the council borrow 84 million for a wall along the old "
                        "promenade.",
                        "A <strong>no</strong> vote sends the plan back to committee for at least a year.",
                    ],
                },
            ],
            False,
            True,
            ["leona-marsh"],
        ),
        (
            38,
            "",
            [
                "Campaigners on both sides say they expect it to be close.",
                {
                    "kind": "quote",
                    "style": "block",
                    "text": "A wall we pay for over thirty years is a burden for our grandchildren.",
                    "by": "Ada Brenn, leader of the No campaign",
                },
            ],
            False,
            False,
            ["leona-marsh"],
        ),
        (51, "First ward declares", ["Harbour ward: 71% yes on a turnout of 64%."], True, False, ["leona-marsh"]),
        (
            63,
            "",
            ["The hill wards, further from the sea, are expected to be much closer."],
            False,
            False,
            ["leona-marsh"],
        ),
        (
            80,
            "",
            ["A recount has been asked for in Millbrook ward, where the margin is 23 votes."],
            False,
            False,
            ["leona-marsh"],
        ),
        (
            97,
            "Millbrook recount confirms no",
            ["Millbrook: 50.4% no after the recount."],
            False,
            False,
            ["leona-marsh"],
        ),
        (
            118,
            "",
            ["Eleven of fourteen wards declared. Yes leads by about 3,100 votes."],
            False,
            False,
            ["leona-marsh"],
        ),
        (
            142,
            "",
            ["The mayor, Joss Penhale, has arrived at the Assembly Rooms and says she will speak after the result."],
            False,
            False,
            ["leona-marsh"],
        ),
        (
            171,
            "Saltmere votes yes to the sea wall",
            ["Final result: 58% yes, 42% no, on a turnout of 61%. Work could start next spring."],
            True,
            False,
            ["leona-marsh"],
        ),
        (
            190,
            "That's all from us",
            ["Thank you for following the count with us. Our full report is at the top of this page."],
            False,
            False,
            ["leona-marsh"],
        ),
    ],
}
