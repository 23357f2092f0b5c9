"""Word lists for synthetic residents of Enschede (gemeentecode 0153).

Plain tuples, so the generator can index them with a seeded random number. The names are common
Dutch names; the streets are real Enschede streets, paired with postcode ranges near them.
"""

from __future__ import annotations

VOORNAMEN_M: tuple[str, ...] = (
    "Jan", "Pieter", "Kees", "Henk", "Gerrit", "Bram", "Daan", "Sem", "Lucas", "Thijs",
    "Mohamed", "Ahmet", "Mehmet", "Youssef", "Ruben", "Bas", "Jeroen", "Mark", "Wim", "Johan",
    "Erik", "Sander", "Tim", "Niels", "Stijn", "Joost", "Hendrik", "Dirk", "Marco", "Rik",
)  # fmt: skip
VOORNAMEN_V: tuple[str, ...] = (
    "Anna", "Maria", "Sophie", "Emma", "Julia", "Fleur", "Lotte", "Sanne", "Ingrid", "Anouk",
    "Fatima", "Aylin", "Samira", "Noor", "Eva", "Lisa", "Marieke", "Petra", "Monique", "Esther",
    "Janneke", "Karin", "Wilma", "Tineke", "Femke", "Iris", "Linda", "Yvonne", "Zeynep", "Nadia",
)  # fmt: skip
# (voorvoegsel, geslachtsnaam)
GESLACHTSNAMEN: tuple[tuple[str, str], ...] = (
    ("de", "Jong"), ("", "Jansen"), ("de", "Vries"), ("van den", "Berg"), ("van", "Dijk"),
    ("", "Bakker"), ("", "Janssen"), ("", "Visser"), ("", "Smit"), ("", "Meijer"),
    ("de", "Boer"), ("", "Mulder"), ("de", "Groot"), ("", "Bos"), ("", "Vos"),
    ("", "Peters"), ("", "Hendriks"), ("van", "Leeuwen"), ("", "Dekker"), ("", "Brouwer"),
    ("de", "Wit"), ("", "Dijkstra"), ("", "Smits"), ("de", "Graaf"), ("van der", "Meer"),
    ("van der", "Linden"), ("", "Kok"), ("", "Jacobs"), ("de", "Haan"), ("", "Vermeulen"),
    ("ter", "Horst"), ("ten", "Brinke"), ("", "Oude Vrielink"), ("", "Nijhuis"), ("", "Lammers"),
    ("", "Yilmaz"), ("", "Kaya"), ("", "El Amrani"), ("", "Demir"), ("", "Bulut"),
    ("", "Wolters"), ("", "Kuipers"), ("van", "Wijk"), ("", "Schipper"), ("", "Hofman"),
)  # fmt: skip
# (straatnaam, lowest postcode digits, highest postcode digits)
STRATEN: tuple[tuple[str, int, int], ...] = (
    ("Oude Markt", 7511, 7511), ("Haaksbergerstraat", 7513, 7545),
    ("Hengelosestraat", 7514, 7521), ("Deurningerstraat", 7514, 7514),
    ("Oldenzaalsestraat", 7511, 7523), ("Gronausestraat", 7533, 7534),
    ("Boulevard 1945", 7511, 7513), ("Kuipersdijk", 7512, 7512),
    ("Laaressingel", 7514, 7514), ("Pathmossingel", 7513, 7513),
    ("Hoge Bothofstraat", 7511, 7511), ("Brinkstraat", 7512, 7512),
    ("Javastraat", 7512, 7512), ("Molenstraat", 7514, 7514),
    ("Noorderhagen", 7511, 7511), ("Wilhelminastraat", 7514, 7514),
    ("Lipperkerkstraat", 7511, 7511), ("Getfertsingel", 7512, 7512),
    ("Dr. Van Damstraat", 7541, 7541), ("Broekheurnering", 7544, 7546),
    ("Glanerbrugstraat", 7532, 7532), ("Ariënsplein", 7511, 7511),
    ("Zuiderval", 7543, 7543), ("Wesselerbrinklaan", 7544, 7544),
)  # fmt: skip
POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
WOONPLAATS = "Enschede"
GEMEENTECODE = "0153"
