"""Deterministic synthetic news corpus for benchmarking the deportdata pipeline.

Writes raw articles in the three formats the ingest step reads:

* ``.txt`` with a ``key: value`` header block (url, outlet, title, published), a blank
  line, then paragraphs separated by blank lines (about 85% of articles);
* ``.html`` news pages with canonical link, ``article:published_time`` meta and
  nav/footer boilerplate around an ``<article>`` (about 10%);
* ``.jsonl`` exports, several NewsAPI-like objects per file (about 5% of articles).

Articles report on a pool of underlying "stories" (sequences of related events between a
deporting and a receiving country: flights, refusals, tariffs, deals, detention,
deployments, executive orders), so the same event is reported by several outlets with
different wording. About 8% of articles are syndicated near-copies of an earlier article,
about 15% are irrelevant (sports, weather, business), about 1% are byte-identical
duplicates under another file name.

Everything is a pure function of ``(seed, article index)``: the corpus is generated in a
single streaming pass (one file written at a time, earlier articles are regenerated when
a copy of them is needed), and the same ``(size, seed)`` gives byte-identical files.

Usage::

    python -m bench.corpus --size 10000 --out /tmp/corpus [--seed 0] [--force]
    python -m bench.corpus --add 100 --out /tmp/corpus --seed 1   # incremental batch
"""
from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import html as _html
import json
import queue
import re
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from bisect import bisect_right
from random import Random

__all__ = ["CorpusStats", "generate_corpus", "add_new_articles", "main"]

FILES_PER_DIR = 1000          # article slots per subfolder
BLOCK = 100                   # shares are exact within each block of 100 slots
SHARE_EXACT_DUP = 0.01
SHARE_NEAR_COPY = 0.08
SHARE_IRRELEVANT = 0.15
SHARE_HTML = 0.10
SHARE_JSONL = 0.05
MIN_WORDS, MAX_WORDS = 150, 1500

# kinds and formats of article slots
K_ORIG, K_IRR, K_NEAR, K_DUP = 0, 1, 2, 3
F_TXT, F_HTML, F_JSONL = 0, 1, 2

BASE_DATES = (_dt.date(2025, 1, 20), _dt.date(2026, 3, 31))
NEW_DATES = (_dt.date(2026, 4, 1), _dt.date(2026, 6, 30))


# ----------------------------------------------------------------------------------------
# Stats
# ----------------------------------------------------------------------------------------
@dataclass
class CorpusStats:
    n_files: int = 0
    n_articles: int = 0
    n_near_copies: int = 0
    n_irrelevant: int = 0
    n_exact_duplicates: int = 0
    total_bytes: int = 0
    total_words: int = 0
    n_txt: int = 0
    n_html: int = 0
    n_jsonl_files: int = 0
    n_jsonl_articles: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    paths: list = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("paths")
        d["megabytes"] = round(self.total_bytes / 1e6, 2)
        return d


# ----------------------------------------------------------------------------------------
# World data: countries, people, outlets
# ----------------------------------------------------------------------------------------
# iso3: (name, adjective, capital/metonym, landing city, leader title, name pool)
COUNTRIES: dict[str, tuple] = {
    # deporting countries
    "USA": ("the United States", "US", "Washington", "Washington", "President", "anglo"),
    "GBR": ("Britain", "British", "London", "London", "Prime Minister", "anglo"),
    "DEU": ("Germany", "German", "Berlin", "Berlin", "Chancellor", "europe"),
    "ITA": ("Italy", "Italian", "Rome", "Rome", "Prime Minister", "europe"),
    "NLD": ("the Netherlands", "Dutch", "The Hague", "Amsterdam", "Prime Minister", "europe"),
    "FRA": ("France", "French", "Paris", "Paris", "President", "europe"),
    "SWE": ("Sweden", "Swedish", "Stockholm", "Stockholm", "Prime Minister", "europe"),
    "DNK": ("Denmark", "Danish", "Copenhagen", "Copenhagen", "Prime Minister", "europe"),
    "AUS": ("Australia", "Australian", "Canberra", "Canberra", "Prime Minister", "anglo"),
    "ESP": ("Spain", "Spanish", "Madrid", "Madrid", "Prime Minister", "hisp"),
    # Americas
    "COL": ("Colombia", "Colombian", "Bogotá", "Bogotá", "President", "hisp"),
    "MEX": ("Mexico", "Mexican", "Mexico City", "Villahermosa", "President", "hisp"),
    "GTM": ("Guatemala", "Guatemalan", "Guatemala City", "Guatemala City", "President", "hisp"),
    "HND": ("Honduras", "Honduran", "Tegucigalpa", "San Pedro Sula", "President", "hisp"),
    "SLV": ("El Salvador", "Salvadoran", "San Salvador", "San Salvador", "President", "hisp"),
    "VEN": ("Venezuela", "Venezuelan", "Caracas", "Maiquetía", "President", "hisp"),
    "BRA": ("Brazil", "Brazilian", "Brasília", "Belo Horizonte", "President", "pt"),
    "ECU": ("Ecuador", "Ecuadorian", "Quito", "Guayaquil", "President", "hisp"),
    "PER": ("Peru", "Peruvian", "Lima", "Lima", "President", "hisp"),
    "HTI": ("Haiti", "Haitian", "Port-au-Prince", "Cap-Haïtien", "Prime Minister", "africa"),
    "DOM": ("the Dominican Republic", "Dominican", "Santo Domingo", "Santo Domingo", "President", "hisp"),
    "NIC": ("Nicaragua", "Nicaraguan", "Managua", "Managua", "President", "hisp"),
    "CRI": ("Costa Rica", "Costa Rican", "San José", "San José", "President", "hisp"),
    "PAN": ("Panama", "Panamanian", "Panama City", "Panama City", "President", "hisp"),
    "JAM": ("Jamaica", "Jamaican", "Kingston", "Kingston", "Prime Minister", "anglo"),
    "BOL": ("Bolivia", "Bolivian", "La Paz", "Santa Cruz", "President", "hisp"),
    "CUB": ("Cuba", "Cuban", "Havana", "Havana", "President", "hisp"),
    # Asia
    "IND": ("India", "Indian", "New Delhi", "Amritsar", "Prime Minister", "asia_s"),
    "CHN": ("China", "Chinese", "Beijing", "Beijing", "Premier", "asia_e"),
    "PAK": ("Pakistan", "Pakistani", "Islamabad", "Islamabad", "Prime Minister", "asia_s"),
    "BGD": ("Bangladesh", "Bangladeshi", "Dhaka", "Dhaka", "Chief Adviser", "asia_s"),
    "AFG": ("Afghanistan", "Afghan", "Kabul", "Kabul", "acting Prime Minister", "arab"),
    "VNM": ("Vietnam", "Vietnamese", "Hanoi", "Hanoi", "Prime Minister", "asia_e"),
    "PHL": ("the Philippines", "Filipino", "Manila", "Manila", "President", "asia_e"),
    "UZB": ("Uzbekistan", "Uzbek", "Tashkent", "Tashkent", "President", "asia_e"),
    "NPL": ("Nepal", "Nepali", "Kathmandu", "Kathmandu", "Prime Minister", "asia_s"),
    "LKA": ("Sri Lanka", "Sri Lankan", "Colombo", "Colombo", "President", "asia_s"),
    # Africa
    "NGA": ("Nigeria", "Nigerian", "Abuja", "Lagos", "President", "africa"),
    "GHA": ("Ghana", "Ghanaian", "Accra", "Accra", "President", "africa"),
    "SEN": ("Senegal", "Senegalese", "Dakar", "Dakar", "President", "africa"),
    "RWA": ("Rwanda", "Rwandan", "Kigali", "Kigali", "President", "africa"),
    "UGA": ("Uganda", "Ugandan", "Kampala", "Entebbe", "President", "africa"),
    "SSD": ("South Sudan", "South Sudanese", "Juba", "Juba", "President", "africa"),
    "SWZ": ("Eswatini", "Eswatini", "Mbabane", "Mbabane", "Prime Minister", "africa"),
    "SOM": ("Somalia", "Somali", "Mogadishu", "Mogadishu", "President", "arab"),
    "ERI": ("Eritrea", "Eritrean", "Asmara", "Asmara", "President", "africa"),
    "MAR": ("Morocco", "Moroccan", "Rabat", "Casablanca", "Prime Minister", "arab"),
    "TUN": ("Tunisia", "Tunisian", "Tunis", "Tunis", "President", "arab"),
    "DZA": ("Algeria", "Algerian", "Algiers", "Algiers", "President", "arab"),
    "GIN": ("Guinea", "Guinean", "Conakry", "Conakry", "President", "africa"),
    "KEN": ("Kenya", "Kenyan", "Nairobi", "Nairobi", "President", "africa"),
    # Europe, Middle East, Pacific
    "ALB": ("Albania", "Albanian", "Tirana", "Tirana", "Prime Minister", "europe"),
    "GEO": ("Georgia", "Georgian", "Tbilisi", "Tbilisi", "Prime Minister", "europe"),
    "TUR": ("Turkey", "Turkish", "Ankara", "Istanbul", "President", "arab"),
    "SRB": ("Serbia", "Serbian", "Belgrade", "Belgrade", "President", "europe"),
    "MDA": ("Moldova", "Moldovan", "Chişinău", "Chişinău", "President", "europe"),
    "IRQ": ("Iraq", "Iraqi", "Baghdad", "Erbil", "Prime Minister", "arab"),
    "SYR": ("Syria", "Syrian", "Damascus", "Damascus", "President", "arab"),
    "NRU": ("Nauru", "Nauruan", "Yaren", "Yaren", "President", "anglo"),
}

DEPORTERS = [("USA", 70), ("GBR", 6), ("DEU", 6), ("ITA", 4), ("NLD", 3), ("FRA", 3),
             ("SWE", 2), ("DNK", 2), ("AUS", 2), ("ESP", 2)]
RECEIVERS_US = ["COL", "MEX", "GTM", "HND", "SLV", "VEN", "BRA", "ECU", "PER", "HTI", "DOM",
                "NIC", "JAM", "BOL", "CUB", "IND", "CHN", "PAK", "BGD", "VNM", "PHL", "UZB",
                "NPL", "NGA", "GHA", "SEN", "SOM", "ERI", "GIN", "KEN", "MAR", "ALB", "GEO",
                "TUR", "IRQ", "LKA"]
RECEIVERS_EU = ["AFG", "SYR", "IRQ", "TUR", "MAR", "TUN", "DZA", "NGA", "GHA", "SEN", "GIN",
                "ALB", "GEO", "SRB", "MDA", "PAK", "BGD", "IND", "VNM", "ERI", "SOM", "LKA"]
# deporter -> [(third country, facility phrase)]
THIRD_COUNTRY = {
    "USA": [("SLV", "a maximum-security prison outside San Salvador"),
            ("CRI", "a migrant camp near the Panamanian border"),
            ("PAN", "a hotel in Panama City"), ("PAN", "a camp in the Darién province"),
            ("GTM", "a shelter in Guatemala City"), ("HND", "a reception centre in San Pedro Sula"),
            ("MEX", "a temporary shelter in Tapachula"), ("RWA", "a hostel in Kigali"),
            ("UGA", "a reception facility near Entebbe"), ("SSD", "a government compound in Juba"),
            ("SWZ", "a prison near Mbabane"), ("GHA", "a military camp outside Accra"),
            ("UZB", "a transit facility in Tashkent")],
    "GBR": [("RWA", "a hostel in Kigali"), ("ALB", "a return hub near Tirana")],
    "ITA": [("ALB", "a centre in Gjadër, Albania"), ("ALB", "a reception centre in Shëngjin")],
    "NLD": [("UGA", "a return hub in Uganda")],
    "DNK": [("RWA", "a reception centre outside Kigali")],
    "DEU": [("RWA", "a processing centre in Rwanda"), ("GEO", "a transit centre in Tbilisi")],
    "AUS": [("NRU", "an offshore processing centre on Nauru")],
    "SWE": [("UGA", "a return hub in Uganda")],
    "FRA": [("MAR", "a transit centre in Casablanca")],
    "ESP": [("MAR", "a reception centre near Tangier")],
}
DEPART_LOCS = {
    "USA": ["El Paso, Texas", "San Diego, California", "Alexandria, Louisiana",
            "Harlingen, Texas", "Tucson, Arizona", "Miami, Florida", "Mesa, Arizona",
            "Brownsville, Texas"],
    "GBR": ["Stansted Airport", "RAF Brize Norton", "Birmingham Airport"],
    "DEU": ["Leipzig", "Düsseldorf", "Frankfurt"], "ITA": ["Rome", "Brindisi", "Bari"],
    "NLD": ["Schiphol", "Rotterdam"], "FRA": ["Paris", "Lyon", "Marseille"],
    "SWE": ["Stockholm", "Gothenburg"], "DNK": ["Copenhagen", "Billund"],
    "AUS": ["Darwin", "Perth", "Brisbane"], "ESP": ["Madrid", "Málaga"],
}
US_DETENTION = [("CUB", "Guantánamo Bay", "Guantánamo"),
                (None, "Fort Bliss in El Paso, Texas", "Fort Bliss"),
                (None, "a staging base in Alexandria, Louisiana", "Alexandria"),
                (None, "a former military airfield in southern Florida", "the airfield")]

NAMES = {
    "hisp": (["Elena", "Tomás", "María", "Andrés", "Lucía", "Javier", "Camila", "Diego",
              "Sofía", "Ricardo", "Gabriela", "Luis", "Ximena", "Óscar"],
             ["Vargas", "Ruiz", "Castillo", "Mejía", "Herrera", "Salazar", "Ortega",
              "Navarro", "Quintero", "Paredes", "Fuentes", "Arce", "Villalobos", "Cabrera"]),
    "pt": (["João", "Ana", "Paulo", "Mariana", "Rafael", "Beatriz", "Thiago"],
           ["Albuquerque", "Teixeira", "Moura", "Carvalho", "Siqueira", "Barros", "Lacerda"]),
    "anglo": (["James", "Sarah", "Michael", "Laura", "David", "Karen", "Thomas", "Rachel",
               "Mark", "Emily", "Owen", "Hannah"],
              ["Whitfield", "Carver", "Holloway", "Pruitt", "Danner", "Ashby", "Collier",
               "Mercer", "Langley", "Sutton", "Bramwell", "Keane"]),
    "europe": (["Lukas", "Anna", "Marco", "Giulia", "Pieter", "Sanne", "Erik", "Ingrid",
                "Claire", "Henrik", "Mateusz", "Elif"],
               ["Brandt", "Keller", "Rossi", "Bianchi", "de Vries", "Jansen", "Lindqvist",
                "Moreau", "Dubois", "Hansen", "Kowalczyk", "Berisha"]),
    "africa": (["Kwame", "Amina", "Chidi", "Fatou", "Jean-Paul", "Grace", "Moses", "Aisha",
                "Samuel", "Esther", "Thabo", "Nadège"],
               ["Mensah", "Okafor", "Diop", "Nkurunziza", "Otieno", "Abdi", "Mugisha",
                "Bello", "Sow", "Kamau", "Dlamini", "Baptiste"]),
    "asia_s": (["Rajesh", "Priya", "Imran", "Sadia", "Arjun", "Nusrat", "Vikram", "Farhan",
                "Anjali", "Kamal"],
               ["Sharma", "Qureshi", "Rahman", "Iyer", "Chowdhury", "Malik", "Kapoor",
                "Hossain", "Perera", "Thapa"]),
    "asia_e": (["Minh", "Li", "Wei", "Maria", "Jose", "Thanh", "Aziz", "Dilnoza", "Hao"],
               ["Nguyen", "Zhang", "Chen", "Santos", "Reyes", "Tran", "Karimov", "Yusupova",
                "Lim"]),
    "arab": (["Youssef", "Leila", "Karim", "Nadia", "Omar", "Salma", "Hassan", "Rania",
              "Tariq", "Mona"],
             ["Benali", "Haddad", "El Amrani", "Mansour", "Saleh", "Khalil", "Bouzid",
              "Nasser", "Rahimi", "Hamdan"]),
}


def _person(key: str, pool: str) -> str:
    r = Random("person:" + key)
    first, last = NAMES[pool]
    return f"{r.choice(first)} {r.choice(last)}"


LEADERS = {iso: _person(iso + ":leader", c[5]) for iso, c in COUNTRIES.items()}
MINISTERS = {iso: _person(iso + ":fm", c[5]) for iso, c in COUNTRIES.items()}
LEADERS["USA"] = "Donald Trump"

# (name, domain, style): style "uk" writes 24 January / per cent, "us" January 24 / percent
OUTLETS = [
    ("The Harbor Herald", "harborherald.com", "us"),
    ("Capital Ledger", "capitalledger.com", "us"),
    ("The Daily Meridian", "dailymeridian.com", "us"),
    ("Metro Tribune", "metrotribune-news.com", "us"),
    ("The Continental Post", "continentalpost.com", "us"),
    ("Lakeshore Gazette", "lakeshoregazette.com", "us"),
    ("The Frontier Dispatch", "frontierdispatch.com", "us"),
    ("Border Report Today", "borderreporttoday.com", "us"),
    ("The Evening Standard-Courier", "eveningcourier.com", "us"),
    ("Sun Valley Times", "sunvalleytimes.com", "us"),
    ("The Atlantic Observer", "atlanticobserver.com", "us"),
    ("Gulf Coast Chronicle", "gulfcoastchronicle.com", "us"),
    ("The National Review-Star", "nationalreviewstar.com", "us"),
    ("Keystone Daily", "keystonedaily.com", "us"),
    ("Pacific Bulletin", "pacificbulletin.com", "us"),
    ("The Civic Record", "civicrecord.org", "us"),
    ("Global Affairs Wire", "globalaffairswire.com", "us"),
    ("Northern Chronicle", "northernchronicle.co.uk", "uk"),
    ("The Westminster Packet", "westminsterpacket.co.uk", "uk"),
    ("The Thames Examiner", "thamesexaminer.co.uk", "uk"),
    ("Midlands Echo", "midlandsecho.co.uk", "uk"),
    ("The Caledonian Press", "caledonianpress.co.uk", "uk"),
    ("Irish Morning News", "irishmorningnews.ie", "uk"),
    ("The Delhi Sentinel", "delhisentinel.in", "uk"),
    ("Mumbai Observer", "mumbaiobserver.in", "uk"),
    ("The Punjab Courier", "punjabcourier.in", "uk"),
    ("Horizonte English Edition", "horizonte.com.br", "us"),
    ("Folha Atlântica", "folhaatlantica.com.br", "us"),
    ("The Andes Reporter", "andesreporter.com.co", "us"),
    ("Mexico Valley News", "mexicovalleynews.com.mx", "us"),
    ("Isthmus Times", "isthmustimes.com.pa", "us"),
    ("The Coastal Times", "coastaltimes.com.au", "uk"),
    ("Southern Cross Herald", "southerncrossherald.com.au", "uk"),
    ("Prairie Dispatch", "prairiedispatch.ca", "us"),
    ("The Maple Ledger", "mapleledger.ca", "us"),
    ("Lagos Standard", "lagosstandard.com.ng", "uk"),
    ("Accra Evening Post", "accraeveningpost.com.gh", "uk"),
    ("Great Lakes Monitor", "greatlakesmonitor.co.ke", "uk"),
    ("The Cape Mercury", "capemercury.co.za", "uk"),
    ("Manila Morning Star", "manilamorningstar.com.ph", "us"),
    ("Straits Review", "straitsreview.com.sg", "uk"),
    ("Euro Affairs Daily", "euroaffairsdaily.eu", "uk"),
    ("The Rhine Post", "rhinepost.de", "uk"),
    ("Adriatic Today", "adriatictoday.it", "uk"),
    ("Nordic Wire", "nordicwire.se", "uk"),
]
AGENCIES = ["the Meridian Press Agency", "Continental Wire", "Associated Newswire",
            "Global Press Service", "the Atlantic News Agency", "World Desk Press"]
CHARTERS = ["Skyreach Charter", "Meridian Air Services", "Northstar Aviation",
            "Atlas Charter Group", "Coastline Air", "Pan-Continental Charters",
            "Bluewing Airlines", "Summit Jet Charter"]
UNIVERSITIES = ["the University of Lakeshore", "Westbridge University", "the Institute for "
                "Migration Studies", "Carver College", "the Centre for Border Research",
                "Northgate University", "the Hemisphere Policy Institute"]
ORDERS = [
    ("an executive order declaring a national emergency at the southern border",
     "the emergency declaration", "a national emergency at the southern border"),
    ("a proclamation suspending the entry of asylum seekers at the border",
     "the asylum proclamation", "a suspension of asylum at the border"),
    ("a memorandum directing the expansion of the migrant facility at Guantánamo Bay",
     "the Guantánamo memorandum", "an expansion of the Guantánamo migrant facility"),
    ("an executive order expanding fast-track deportations nationwide",
     "the expedited-removal order", "an expansion of expedited removal"),
    ("a proclamation invoking an 18th-century wartime law to deport alleged gang members",
     "the wartime-law proclamation", "the use of a wartime law to speed up deportations"),
    ("an executive order restricting birthright citizenship",
     "the birthright citizenship order", "limits on birthright citizenship"),
    ("an order suspending the refugee admissions programme",
     "the refugee suspension order", "a pause in refugee admissions"),
]
EU_ORDERS = [
    ("an emergency decree tightening deportation rules", "the deportation decree",
     "tougher deportation rules"),
    ("a decree designating a list of safe countries of origin", "the safe-countries decree",
     "a new list of safe countries of origin"),
]
US_COURTS = ["a federal judge in Boston", "a federal judge in Washington",
             "a federal appeals court", "a federal judge in San Francisco",
             "the Supreme Court", "a federal judge in Texas"]
EU_COURTS = ["the High Court", "a court in Rome", "the Court of Appeal",
             "the constitutional court", "an administrative court"]

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
NUM_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten", "eleven", "twelve"]
TENS_WORDS = {20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty",
              70: "seventy", 80: "eighty", 90: "ninety"}


# ----------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------
def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


_BRACKETS = re.compile(r"\[([^\]]*)\]")


def _compile(t: str):
    """'a [b|c] d' -> ('a ', ('b', 'c'), ' d'); choices expanded at render time.

    A template without choices compiles to the plain string."""
    parts = _BRACKETS.split(t)
    if len(parts) == 1:
        return t
    return tuple(p if i % 2 == 0 else tuple(p.split("|")) for i, p in enumerate(parts) if p)


def _render(rng: Random, parts, fields: dict) -> str:
    if parts.__class__ is str:
        s = parts.format_map(fields)
    else:
        r = rng.random
        s = "".join([p if p.__class__ is str else p[int(r() * len(p))]
                     for p in parts]).format_map(fields)
    return s[0].upper() + s[1:] if s[:1].islower() else s


def _ch(rng: Random, seq):
    """rng.choice without the getrandbits overhead (deterministic all the same)."""
    return seq[int(rng.random() * len(seq))]


def _ri(rng: Random, a: int, b: int) -> int:
    return a + int(rng.random() * (b - a + 1))


def _shuf(rng: Random, x: list) -> None:
    r = rng.random
    for i in range(len(x) - 1, 0, -1):
        j = int(r() * (i + 1))
        x[i], x[j] = x[j], x[i]


def _weighted(rng: Random, items):
    total = sum(w for _, w in items)
    x = rng.random() * total
    for item, w in items:
        x -= w
        if x < 0:
            return item
    return items[-1][0]


class _Picker:
    """Precomputed weighted choice for hot loops."""
    __slots__ = ("items", "cum", "total")

    def __init__(self, items):
        self.items = [x for x, _ in items]
        self.cum, t = [], 0.0
        for _, w in items:
            t += w
            self.cum.append(t)
        self.total = t

    def __call__(self, rng: Random):
        return self.items[bisect_right(self.cum, rng.random() * self.total)]


def _num(n: int, rng: Random, words_ok: bool = True) -> str:
    if words_ok and n <= 12 and rng.random() < 0.8:
        return NUM_WORDS[n]
    if words_ok and n in TENS_WORDS and rng.random() < 0.25:
        return TENS_WORDS[n]
    return f"{n:,}"


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


QUALIFIERS = {
    "exact": [""],
    "at_least": ["more than ", "at least ", "over ", "more than "],
    "approx": ["about ", "around ", "nearly ", "roughly ", "some ", "approximately "],
    "at_most": ["up to ", "as many as "],
}


def _count_phrase(n: int, qual: str, rng: Random) -> str:
    return _ch(rng, QUALIFIERS[qual]) + _num(n, rng)


def _day_month(d: _dt.date, style: str, year: bool = False) -> str:
    s = f"{d.day} {MONTHS[d.month - 1]}" if style == "uk" else f"{MONTHS[d.month - 1]} {d.day}"
    if year:
        s += f" {d.year}" if style == "uk" else f", {d.year}"
    return s


def _when(rng: Random, d: _dt.date, pub: _dt.date, style: str) -> str:
    """Date phrase for event date d as written in an article published on pub."""
    delta = (pub - d).days
    opts = [(f"on {_day_month(d, style)}", 4), (f"on {_day_month(d, style, True)}", 1)]
    if 1 <= abs(delta) <= 6:
        opts.append((f"on {WEEKDAYS[d.weekday()]}", 6))
    if delta == 0:
        opts += [(f"on {WEEKDAYS[d.weekday()]}", 3), ("earlier today", 1)]
    elif delta == 1:
        opts.append(("yesterday", 1))
    elif delta == -1:
        opts.append(("tomorrow", 1))
    pw, dw = pub.isocalendar()[:2], d.isocalendar()[:2]
    if delta > 0 and pw == dw:
        opts.append(("earlier this week", 2))
    if delta > 0 and (pub - _dt.timedelta(days=7)).isocalendar()[:2] == dw:
        opts.append(("last week", 3))
    if delta < 0 and (pub + _dt.timedelta(days=7)).isocalendar()[:2] == dw:
        opts.append(("next week", 2))
    if delta > 7 and d.month == pub.month and d.year == pub.year:
        opts.append(("earlier this month", 2))
    if delta > 0 and (d.month % 12) + 1 == pub.month and delta > 20:
        opts.append(("last month", 2))
    return _weighted(rng, opts)


def _slug(title: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", title.lower().replace("'", "")).strip("-")
    return "-".join(s.split("-")[:10]) or "story"


def _h(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


# ----------------------------------------------------------------------------------------
# Stories: sequences of related events between two countries
# ----------------------------------------------------------------------------------------
# story kind -> steps (event_type, status or alternatives, probability)
STORY_KINDS = {
    "standoff": [("removal_flight", "planned", 0.3), ("removal_flight", "refused", 1.0),
                 ("diplomatic_response", "refusal", 0.9),
                 ("coercive_measure", "threatened", 0.8), ("coercive_measure", "imposed", 0.4),
                 ("diplomatic_response", "reversal", 0.7), ("coercive_measure", "lifted", 0.3),
                 ("removal_flight", "landed", 0.6)],
    "protest": [("removal_flight", "landed", 1.0), ("diplomatic_response", "protest", 1.0),
                ("diplomatic_response", "conditions", 0.6), ("removal_flight", "landed", 0.5)],
    "routine": [("removal_flight", "departed", 0.7), ("removal_flight", "landed", 1.0),
                ("diplomatic_response", "acceptance", 0.5), ("agreement", "in_force", 0.3),
                ("removal_flight", "departed", 0.4)],
    "third_country": [("agreement", "proposed", 0.4), ("agreement", "negotiating", 0.6),
                      ("agreement", "signed", 1.0), ("detention", "announced", 0.5),
                      ("removal_flight", "landed", 0.7), ("detention", "operating", 0.5),
                      ("agreement", "in_force", 0.4), ("detention", "closed", 0.1)],
    "policy": [("executive_action", "signed", 1.0), ("military_deployment", "deployed", 0.7),
               ("detention", "announced", 0.7), ("removal_flight", "departed", 0.6),
               ("executive_action", "blocked", 0.5), ("military_deployment", "planned", 0.3),
               ("executive_action", "announced", 0.3)],
    "sanctions": [("coercive_measure", "threatened", 1.0), ("coercive_measure", "imposed", 0.7),
                  ("diplomatic_response", "conditions", 0.5),
                  ("diplomatic_response", "acceptance", 0.5), ("coercive_measure", "lifted", 0.5),
                  ("removal_flight", "landed", 0.5)],
    "disrupted": [("removal_flight", "planned", 1.0), ("removal_flight", "cancelled|diverted", 1.0),
                  ("executive_action", "blocked", 0.4), ("removal_flight", "departed", 0.5)],
    "europe": [("agreement", "signed", 0.6), ("agreement", "suspended|abandoned", 0.5),
               ("removal_flight", "cancelled", 0.4), ("detention", "operating", 0.4),
               ("removal_flight", "departed", 0.6), ("removal_flight", "landed", 0.4)],
}
STORY_WEIGHTS = [("standoff", 18), ("protest", 12), ("routine", 20), ("third_country", 14),
                 ("policy", 12), ("sanctions", 8), ("disrupted", 8), ("europe", 8)]


def _rand_date(rng: Random, lo: _dt.date, hi: _dt.date) -> _dt.date:
    return lo + _dt.timedelta(days=int(rng.random() * ((hi - lo).days + 1)))


def _flight_counts(rng: Random, ev: dict, carrier: str) -> None:
    n = 1 if rng.random() < 0.6 else (2 if rng.random() < 0.65 else _ch(rng, (3, 4)))
    per = _ri(rng, 30, 220) if carrier != "government" else _ri(rng, 60, 110)
    qual = _weighted(rng, [("exact", 5), ("at_least", 2.5), ("approx", 2.5)])
    total = per * n
    if qual != "exact":
        total = max(10, round(total, -1 if total < 200 else -2 if total > 600 else -1))
        if total >= 200 and rng.random() < 0.5:
            total = round(total / 50) * 50
    ev.update(flights=n, per=per if qual == "exact" else None, people=total, qual=qual)


@lru_cache(maxsize=8192)
def _story(ns: str, k: int) -> tuple:
    rng = Random(f"{ns}:story:{k}")
    kind = _weighted(rng, STORY_WEIGHTS)
    lo, hi = NEW_DATES if ns.startswith("n") else BASE_DATES
    if kind in ("policy", "standoff", "sanctions") and rng.random() < 0.85:
        d_iso = "USA"
    elif kind == "europe":
        d_iso = _ch(rng, [x for x, _ in DEPORTERS if x != "USA"])
    else:
        d_iso = _weighted(rng, DEPORTERS)
    facility = None
    if kind == "third_country":
        r_iso, facility = _ch(rng, THIRD_COUNTRY[d_iso])
    elif d_iso == "USA":
        r_iso = _ch(rng, RECEIVERS_US)
    else:
        r_iso = _ch(rng, RECEIVERS_EU)
    nats = [x for x in rng.sample(RECEIVERS_US if d_iso == "USA" else RECEIVERS_EU, 3)
            if x != r_iso][:2]
    date = _rand_date(rng, lo, hi)
    carrier_default = ("military" if d_iso == "USA" and rng.random() < 0.45 else
                       "charter" if rng.random() < 0.85 else "commercial")
    measure = _weighted(rng, [("tariff", 5), ("visa_sanction", 4), ("travel_ban", 2),
                              ("financial_sanction", 1)])
    pct = _ch(rng, (10, 15, 20, 25, 25, 50))
    order = _ch(rng, ORDERS if d_iso == "USA" else EU_ORDERS)
    court = _ch(rng, US_COURTS if d_iso == "USA" else EU_COURTS)
    if facility is None:
        if d_iso == "USA":
            fr, facility, _ = _ch(rng, US_DETENTION)
        else:
            fr, facility = (THIRD_COUNTRY.get(d_iso)
                            or [(None, f"a removal centre near {DEPART_LOCS[d_iso][0]}")])[0]
    else:
        fr = r_iso
    dep_loc = _ch(rng, DEPART_LOCS[d_iso])
    events = []
    for etype, status, p in STORY_KINDS[kind]:
        if rng.random() >= p:
            continue
        if "|" in status:
            status = _ch(rng, status.split("|"))
        ev = {"type": etype, "status": status, "D": d_iso, "R": r_iso, "date": date,
              "nats": nats, "story": k, "kind": kind}
        if etype == "removal_flight":
            carrier = carrier_default
            if kind == "standoff" and status == "landed" and rng.random() < 0.4:
                carrier = "government"
            elif kind == "protest" and events and rng.random() < 0.7:
                carrier = "charter"
            if d_iso != "USA" and carrier == "military":
                carrier = "charter"
            ev["carrier"] = carrier
            if carrier == "military":
                ev["aircraft"] = _ch(rng, ("C-17", "C-17", "C-130", "C-17;C-130"))
            elif carrier == "charter":
                ev["aircraft"] = _ch(rng, ("Boeing 737", "Boeing 757", "Airbus A320",
                                             "Boeing 767", None, None))
            else:
                ev["aircraft"] = None
            ev["charter"] = _ch(rng, CHARTERS)
            _flight_counts(rng, ev, carrier)
            if ev["flights"] == 1 and ev["aircraft"] == "C-17;C-130":
                ev["aircraft"] = "C-17"
            if kind == "policy" and d_iso == "USA" and rng.random() < 0.4:
                ev["R"], ev["loc"] = "CUB", "Guantánamo Bay"
            else:
                ev["loc"] = COUNTRIES[ev["R"]][3]
            ev["dep_loc"] = dep_loc
            ev["alt"] = _ch(rng, ["Guantánamo Bay", "Panama City", dep_loc,
                                    "a military base in Puerto Rico", "Houston, Texas"]
                                   if d_iso == "USA" else [dep_loc, "Athens", "Istanbul"])
        elif etype == "coercive_measure":
            ev["measure"] = measure
            ev["pct"] = pct
        elif etype == "detention":
            ev["facility"] = facility
            ev["facility_country"] = fr
            ev["beds"] = _ch(rng, (500, 1000, 2000, 3000, 5000, 10000, 30000, 40000))
            ev["people"] = _ch(rng, (20, 48, 65, 90, 120, 178, 238, 250, 300, 500, 1200))
            ev["qual"] = _weighted(rng, [("exact", 4), ("approx", 3), ("at_least", 2)])
        elif etype == "military_deployment":
            ev["troops"] = _ch(rng, (500, 1000, 1500, 1500, 2000, 3000, 5000, 10000))
            ev["qual"] = _weighted(rng, [("exact", 5), ("approx", 2), ("at_most", 1),
                                         ("at_least", 1)])
            ev["n_aircraft"] = _ch(rng, (2, 3, 4, 4, 6))
            ev["loc"] = _ch(rng, ("the southern border", "El Paso, Texas",
                                    "San Diego, California", "the border in Arizona"))
        elif etype == "agreement":
            ev["people"] = _ch(rng, (12, 29, 48, 80, 119, 135, 200, 238, 261, 300))
            ev["qual"] = _weighted(rng, [("exact", 3), ("approx", 2), ("at_least", 2)])
        elif etype == "executive_action":
            ev["order"] = order
            ev["court"] = court
        events.append(ev)
        date = date + _dt.timedelta(days=_ch(rng, (0, 1, 1, 2, 2, 3, 4, 6)))
    if not events:  # every story has at least one event
        ev = {"type": "removal_flight", "status": "landed", "D": d_iso, "R": r_iso,
              "date": date, "nats": nats, "story": k, "kind": kind, "carrier": carrier_default,
              "aircraft": "C-17" if carrier_default == "military" else None,
              "charter": _ch(rng, CHARTERS), "loc": COUNTRIES[r_iso][3], "dep_loc": dep_loc,
              "alt": dep_loc}
        _flight_counts(rng, ev, carrier_default)
        events.append(ev)
    return tuple(events)


# ----------------------------------------------------------------------------------------
# Sentence templates. [a|b] = random alternative; {x} = field.
# ----------------------------------------------------------------------------------------
EVENT_T = {
    ("removal_flight", "planned"): [
        "{Dgov} plans to send {planes} carrying {ppl} to {Rn} {when}, {Dofficial} told {wire}.",
        "{Planes} [{were} scheduled|{were} due] to leave {dep_loc} for {loc} {when} with {ppl} on board.",
        "[Officials|Authorities] said {planes} bound for {Rn} would depart {when}, carrying {ppl}.",
        "A removal flight to {Rn} with {ppl} is expected to take off from {dep_loc} {when}, according to flight-tracking data.",
        "{Dofficial} said {Dn} [was preparing|had scheduled] {planes} to return {ppl} to {Rn} {when}.",
    ],
    ("removal_flight", "departed"): [
        "{Planes} carrying {ppl} left {dep_loc} for {Rn} {when}.",
        "{When}, {planes} took off from {dep_loc} with {ppl} bound for {loc}.",
        "{Dofficial} said {planes} with {ppl} on board [departed|left] {when} for {Rn}.",
        "{Planes}, operated by {operator}, departed {when} with {ppl} [headed|bound] for {Rn}.",
        "{Ppl} were [put|loaded] on {planes} that left {dep_loc} {when}, [bound for|destined for] {loc}.",
    ],
    ("removal_flight", "landed"): [
        "{Planes} carrying {ppl} landed in {loc} {when}.",
        "{Ppl} deported from {Dn} arrived in {loc} {when} aboard {planes}.",
        "{When}, {planes} with {ppl} [touched down|landed] at the airport in {loc}, {Radj} officials said.",
        "{Radj} migration authorities confirmed that {ppl} [returned|arrived] {when} on {planes} from {Dn}.",
        "On the photo: deportees leave {plane_one} after it landed in {loc} {when}.",
        "{Planes} from {Dn} carrying {ppl} arrived in {loc} {when}, [the first such|another] sign that removals to {Rn} were [under way|continuing].",
    ],
    ("removal_flight", "refused"): [
        "{Rn} [refused|declined] to let {planes} carrying {ppl} land {when}.",
        "{Rgov} rejected {planes} that were [full of|carrying] {ppl} deported from {Dn}, {Dofficial} told {wire}.",
        "{When}, {planes} bound for {Rn} {were} denied permission to land, leaving {ppl} [in limbo|stranded].",
        "{Rgov} blocked {planes} from {Dn} {when}, refusing to receive the {pnum} {noun} on board.",
        "{Dadj} {planes_bare} carrying {ppl} {were} turned away by {Rn} {when} after [landing clearance was withdrawn|its approval to land was withdrawn].",
    ],
    ("removal_flight", "diverted"): [
        "{Planes} headed for {Rn} {were} diverted to {alt} {when} after landing permission was withdrawn.",
        "{When}, {planes} carrying {ppl} turned back [mid-air|in flight] and landed in {alt} instead of {loc}.",
        "The deportation flight carrying {ppl} to {Rn} was rerouted to {alt} {when}, officials said.",
    ],
    ("removal_flight", "cancelled"): [
        "A planned [flight|removal flight] carrying {ppl} to {Rn} was [cancelled|called off] {when}.",
        "{Dgov} called off {planes} to {Rn} {when} after a last-minute legal challenge.",
        "{When}, officials scrapped {planes} that had been due to take {ppl} to {loc}.",
        "The [deportation flight|charter] to {Rn} was grounded {when} [hours before take-off|shortly before departure], {Dofficial} said.",
    ],
    ("diplomatic_response", "refusal"): [
        "{Rleader} said {when} that {Rn} would not allow {Dadj} [military planes|deportation flights|planes] carrying {noun} to land.",
        "{Rgov} said {when} it would not accept deportation flights from {Dn}.",
        "In a post on [X|social media] {when}, {Rleader} wrote that {Rn} would not receive {noun} \"[treated as criminals|in handcuffs]\".",
        "{Rfm} [announced|confirmed] {when} that {Rn} would refuse [all|further] removal flights from {Dn} until further notice.",
    ],
    ("diplomatic_response", "protest"): [
        "{Rgov} protested {when} over the treatment of {Radj} deportees, who were handcuffed and shackled during the flight.",
        "{Rfm} summoned the {Dadj} ambassador {when} to protest what the ministry called the \"degrading treatment\" of deportees.",
        "{Rn} lodged a formal protest with {Dn} {when} over conditions on a deportation flight.",
        "{Rleader} [condemned|denounced] {when} the use of [shackles|handcuffs and leg chains] on {Radj} citizens [flown home|returned] from {Dn}.",
    ],
    ("diplomatic_response", "acceptance"): [
        "{Rgov} said {when} it would accept deportation flights from {Dn}.",
        "{Rleader} agreed {when} to receive {Radj} nationals deported from {Dn}, including on military aircraft.",
        "{Rn} has accepted the return of its citizens, {Rfm} said {when}.",
        "{Rgov} [confirmed|said] {when} that it would [take back|receive] its nationals [without conditions|\"without delay\"].",
    ],
    ("diplomatic_response", "reversal"): [
        "{Rn} backed down {when} and agreed to accept the deportees after {Dgov} threatened sanctions.",
        "Hours later, {Rgov} reversed course and said it would [send its own planes|fly the deportees home itself].",
        "{When}, {Rleader} reversed the earlier refusal and allowed the flights to land.",
        "{Rn} [dropped|abandoned] its objections {when}, [according to|said] {Dofficial}.",
    ],
    ("diplomatic_response", "conditions"): [
        "{Rgov} said {when} it would take back its citizens only on civilian planes and without handcuffs.",
        "{Rleader} said {Rn} would accept the returns on condition that deportees were treated \"with dignity\".",
        "{Rfm} said {when} that {Rn} would receive deportation flights only if they carried its own nationals.",
    ],
    ("agreement", "proposed"): [
        "{Dgov} has proposed a deal under which {Rn} would accept {nats} deported from {Dn}.",
        "{Dofficial} said {when} that {Dn} had asked {Rn} to take in migrants from third countries.",
    ],
    ("agreement", "negotiating"): [
        "{Dn} is negotiating with {Rn} over an arrangement to receive deportees who are not {Radj} citizens.",
        "Talks between {Dn} and {Rn} on a third-country deportation agreement continued {when}, officials said.",
        "{Dgov} is working on a deal with {Rn} to accept migrants from third countries.",
    ],
    ("agreement", "signed"): [
        "{Rn} agreed {when} to accept deportees of any nationality from {Dn}, including {nats}.",
        "{Dn} and {Rn} signed an agreement {when} under which {Rn} will receive {nats} removed by {Dn}.",
        "{Dn} reached a deal with {Rn} {when} to send migrants from third countries there.",
    ],
    ("agreement", "in_force"): [
        "Under the agreement with {Rn}, {Dn} has already flown {ppl} to {Rcap}, including {nats}.",
        "The arrangement with {Rn} is now in force, and the first group of {nats} arrived {when}.",
        "Deportees are already being sent to {Rn} under the deal, {Dofficial} said.",
    ],
    ("agreement", "suspended"): [
        "{Rn} suspended its deportation agreement with {Dn} {when}, citing concerns about the treatment of detainees.",
        "The deal between {Dn} and {Rn} was put on hold {when} after a court challenge.",
    ],
    ("agreement", "abandoned"): [
        "{Dadj} plans to send asylum seekers to {Rn} were scrapped {when} before any flights took off.",
        "The {Dadj}-{Radj} deportation scheme has been abandoned, {Dofficial} confirmed {when}.",
    ],
    ("coercive_measure", "threatened"): [
        "{Dgov} threatened {when} to impose {mphrase} if {Rn} did not accept the flights.",
        "{Dleader} warned {when} that {Rn} would face {mphrase} unless it took back its citizens.",
        "{Dofficial} said {Dn} was prepared to impose {mphrase} [if the dispute dragged on|within days].",
    ],
    ("coercive_measure", "imposed"): [
        "{Dgov} announced {mphrase} {when} in retaliation for {Rposs} refusal to accept deportation flights.",
        "{When}, {Dn} imposed {mphrase}, {Dofficial} told {wire}.",
        "{Dgov} ordered {mphrase} {when}, [escalating|deepening] the dispute.",
    ],
    ("coercive_measure", "lifted"): [
        "{Dgov} lifted {mphrase} {when} after {Rn} agreed to accept the deportees.",
        "{When}, {Dn} [dropped|withdrew] {mphrase} once {Rgov} backed down.",
    ],
    ("detention", "announced"): [
        "{Dleader} announced {when} plans to hold [up to|as many as] {beds} migrants at {facility}.",
        "\"We have {beds} beds [at|in] {facility_short} to detain the worst criminal illegal aliens,\" {Dleader} said {when}.",
        "{Dgov} said {when} it would open a detention centre at {facility} with room for {beds} people.",
    ],
    ("detention", "operating"): [
        "{Dppl} deportees are being held at {facility}, {Dofficial} said {when}.",
        "{Dppl} people removed from {Dn} remain in custody at {facility}, according to {wire}.",
        "The facility at {facility} currently holds {dppl} migrants, officials said.",
    ],
    ("detention", "closed"): [
        "The detention site at {facility} was emptied and closed {when}, officials said.",
        "{Dgov} closed the migrant facility at {facility} {when} after the last detainees were flown out.",
    ],
    ("military_deployment", "planned"): [
        "{Dgov} plans to send {troops} troops to the border, {Dofficial} said {when}.",
        "The Defense Department said {when} it would assign {nac} military transport aircraft to deportation missions.",
    ],
    ("military_deployment", "deployed"): [
        "{Troops} troops were deployed to {mloc} {when}.",
        "The aircraft crews complement the {troops} soldiers and marines in active service who were deployed at the border {when}.",
        "{Dofficial} confirmed {when} that {troops} troops had arrived in {mloc} to support border operations.",
    ],
    ("executive_action", "signed"): [
        "{Dleader} signed {order} {when}.",
        "{When}, {Dleader} signed {order}, {wire} reported.",
        "Among the measures signed {when} was {order}.",
    ],
    ("executive_action", "announced"): [
        "{Dgov} announced {order_what} {when}.",
        "{Dofficial} said {when} that {Dgov} would [pursue|move ahead with] {order_what}.",
    ],
    ("executive_action", "blocked"): [
        "{Court} blocked {order_short} {when}, ruling that it likely [violated the law|exceeded the government's powers].",
        "{When}, {court} temporarily halted {order_short}.",
        "{Court} [issued an injunction against|suspended] {order_short} {when}.",
    ],
}
FLIGHT_DETAIL_T = [
    "The official said there were {per} {noun} on board [of each|each] of the {nfl} flights.",
    "Each of the {nfl} planes carried {per} {noun}, [officials said|according to the ministry].",
]
AIRCRAFT_DETAIL_T = [
    "The {ac} [aircraft|planes] [are|were] normally used to move troops and equipment.",
    "Flight-tracking data showed the {ac} [circling|holding] for [about|nearly] an hour before [landing|turning away].",
]

# headlines by (event_type, status); "*" = any status of that type
HEADLINE_T = {
    ("removal_flight", "planned"): [
        "{Dn} [prepares|plans] new deportation flights to {Rn}",
        "[More|New] deportation flights to {Rn} [expected|scheduled] {when}"],
    ("removal_flight", "departed"): [
        "{Dn} sends {planes} of deportees to {Rn}",
        "Deportation flight [leaves|departs] for {Rn} with {pnum} on board"],
    ("removal_flight", "landed"): [
        "Deportation flight with {pnum} {noun} [lands in|arrives in] {Rn}",
        "{Radj} deportees [arrive|return] home on {Dadj} {flight_word}",
        "[New|Another] deportation flight lands in {loc} as removals [accelerate|continue]"],
    ("removal_flight", "refused"): [
        "{Rn} [turns back|rejects] {Dadj} deportation flights",
        "{Rn} blocks {Dadj} deportation [planes|flights] in [escalating|new] row"],
    ("removal_flight", "diverted"): [
        "Deportation flight to {Rn} diverted [mid-air|after landing refusal]"],
    ("removal_flight", "cancelled"): [
        "Deportation flight to {Rn} [cancelled|called off] at the last minute"],
    ("removal_flight", "*"): [
        "What we know about the {Dadj} deportation flights to {Rn}"],
    ("diplomatic_response", "refusal"): [
        "{Rn} [says no to|pushes back on] {Dadj} deportation flights"],
    ("diplomatic_response", "protest"): [
        "{Rn} [protests|objects to] treatment of deportees"],
    ("diplomatic_response", "acceptance"): [
        "{Rn} agrees to take back deportees from {Dn}"],
    ("diplomatic_response", "reversal"): [
        "{Rn} [changes course|backs down] on deportation flights"],
    ("diplomatic_response", "conditions"): [
        "{Rn} sets conditions for accepting deportees"],
    ("diplomatic_response", "*"): [
        "{Rleader_s} [defends|explains] stance on deportees from {Dn}"],
    ("agreement", "proposed"): ["{Dn} [seeks|pursues] deal to send deportees to {Rn}"],
    ("agreement", "negotiating"): ["{Dn} in talks with {Rn} over third-country deportations"],
    ("agreement", "signed"): [
        "{Rn} agrees to take migrants deported from {Dn}",
        "{Dn} and {Rn} [strike|reach] third-country deportation deal"],
    ("agreement", "in_force"): ["First deportees arrive in {Rn} under {Dadj} deal"],
    ("agreement", "suspended"): ["{Rn} suspends deportation deal with {Dn}"],
    ("agreement", "abandoned"): ["{Dadj} plan to send migrants to {Rn} [scrapped|abandoned]"],
    ("agreement", "*"): ["Inside the {Dadj} deal to send deportees to {Rn}"],
    ("coercive_measure", "threatened"): [
        "{Dn} threatens {Rn} with {mshort} over deportations",
        "{Rn} braces for {mshort} in deportation dispute"],
    ("coercive_measure", "imposed"): ["{Dn} hits {Rn} with {mshort} over deportations"],
    ("coercive_measure", "lifted"): ["{Dn} lifts {mshort} on {Rn} [after deal|as row ends]"],
    ("coercive_measure", "*"): ["Deportation row: {Dn} [turns to|uses] {mshort} against {Rn}"],
    ("detention", "announced"): ["{Dn} to hold migrants at {facility_short}"],
    ("detention", "operating"): ["[Inside|Questions mount over] {facility_short} as detentions grow"],
    ("detention", "closed"): ["Migrant detention site at {facility_short} [emptied|closed]"],
    ("military_deployment", "planned"): [
        "[More|Extra] troops to head to the border", "Military set to expand role in deportations"],
    ("military_deployment", "deployed"): [
        "{Troops} troops [deployed|sent] to the border", "Military [steps up|expands] role in deportations"],
    ("executive_action", "signed"): ["{Dleader_s} signs [sweeping|new] immigration orders"],
    ("executive_action", "announced"): ["{Dgov_plain} [unveils|announces] plan for {order_what}"],
    ("executive_action", "blocked"): ["Court [blocks|halts] {order_short}"],
    ("executive_action", "*"): ["[What's in|Explainer:] {order_short}"],
}

FILLER_T = {
    "background": [
        "Deportation is not unilateral: every removal [needs|requires|depends on] a country willing to [receive|take in|accept] the people being expelled.",
        "{Dn} has [stepped up|increased|expanded] removals [in recent months|since the start of the year|this year], using [both military and charter aircraft|a mix of charter and commercial flights].",
        "[Human rights groups|Advocacy organisations|Civil liberties lawyers|Church groups] have [criticised|condemned|questioned|raised concerns about] the use of [restraints|handcuffs and leg chains|shackles] on [deportation|removal] flights.",
        "The number of {Radj} nationals living in {Dn} without legal status is estimated [in the hundreds of thousands|at several hundred thousand|at roughly {num1}0,000], [according to|based on] [independent researchers|a {yr} study|government estimates].",
        "Remittances sent home by [migrants|workers abroad|the diaspora] [account for|make up|represent] [a significant share|a large part|about {share} percent] of {Rposs} [economy|national income|GDP].",
        "Relations between {Dn} and {Rn} have been [strained|tense|uneasy] for [months|some time|much of the past year] over [trade and security|drug trafficking and trade|visas and investment].",
        "For [years|decades|most of the past decade], removals to {Rn} were [routine|largely uncontroversial|a matter for officials], drawing little [public|media] attention.",
        "[Most|The majority of|The bulk of] deportations still [take place|happen] on [commercial|scheduled|chartered] [flights|planes], [away from the cameras|with little publicity|largely out of view].",
        "Immigration enforcement [has become|is now|remains] a [defining|central|dominant] issue [in {Dadj} politics|for the government in {Dcap}|in {Dcap}].",
        "Receiving governments have [long|often|repeatedly] complained that they are given [little|short|almost no] notice of [incoming|arriving|planned] flights.",
        "The [dispute|row|episode|standoff] [follows|comes after] [weeks|months] of [quiet|behind-the-scenes|low-key] [talks|contacts|negotiations] between the two governments.",
        "Under international law, states are [generally|broadly] [obliged|expected|required] to readmit their own [citizens|nationals].",
        "[Earlier plans|Previous schemes|Similar proposals] to send asylum seekers to third countries [faced|ran into|were slowed by] [legal|court|constitutional] challenges [in Europe|across Europe|in several countries].",
        "Deportation numbers [rose|climbed|increased] [sharply|steadily|by about {pctx} percent] [last year|in {yr}|in the past year], according to [government data|official figures|an analysis of flight records].",
        "[Migrant|Returnee] reception centres in {Rn} [have struggled|say they are struggling|are under pressure] to [cope with|handle|process] the [growing|rising|sudden] numbers.",
        "[Advocates|Lawyers|Activists] [tracking|monitoring] the flights [count|have counted|estimate] {num1} [such|removal|deportation] flights [in {month}|last month|since {month}].",
        "Many of those [deported|returned|removed] had lived in {Dn} for [years|more than a decade|most of their adult lives], [according to|said] [relatives|family members|community groups].",
        "[The issue|Migration] [featured prominently|was a central theme|played a major role] in {Dposs} [last election|most recent election campaign].",
        "{Rn} [has|maintains] [one of the largest diaspora communities|a sizeable diaspora community|a long-established diaspora community] in {Dn}.",
        "[Officials in {Rcap}|{Radj} diplomats] have [asked|pressed|lobbied] for [advance lists|passenger manifests|consular access] before [each flight|flights depart].",
    ],
    "quote": [
        "\"We are a sovereign country and we [will|must|expect to] be treated with respect,\" {Rleader} said.",
        "\"These are people who have broken the law, and they [will be|are being] sent home,\" {Dofficial} said.",
        "\"Migrants are not criminals,\" {Rfm} told reporters in {Rcap} [on {weekday}|after a cabinet meeting|at a news conference].",
        "\"The flights will continue,\" a spokesperson for {Dgov_plain} said[| in a statement| on {weekday}].",
        "\"We were never told where we were going,\" said one deportee, who [asked not to be named|gave only his first name, {first}|spoke on condition of anonymity].",
        "\"This sets a [dangerous|worrying|troubling] precedent,\" said {analyst}, a [migration|policy|law] researcher at {univ}.",
        "\"Nobody wins from a [public fight|shouting match|row] like this,\" said a [former|retired] diplomat [in {Rcap}|who served in {Dcap}].",
        "\"We need [clear rules|predictability|a proper process], not [announcements on social media|surprises|improvisation],\" {Rfm} said.",
        "\"[My son|My brother|My husband|My daughter] has lived there for [ten|twelve|fifteen|eight] years,\" said {first}, [waiting|standing] outside the airport in {Rcap}.",
        "\"We will [receive|welcome] our compatriots with dignity,\" the {Radj} foreign ministry said in a [statement|post on X|press release].",
        "\"[They treated us like criminals|We had chains on our feet the whole way|Nobody explained anything to us],\" said {first}, who [arrived|landed] [on one of the flights|on {weekday}].",
        "\"[Cooperation|Dialogue] is the only way forward,\" {Rleader_s} told [lawmakers|reporters|a radio station] [on {weekday}|this week].",
        "\"We [have|had] [no choice|every right] [but to act|to insist on this],\" said {Dofficial}.",
        "\"It is [cheaper|easier] to [negotiate|talk] than to [threaten|punish],\" said {analyst} of {univ}.",
    ],
    "analysis": [
        "{analyst}, who studies [migration policy|international law|Latin American politics] at {univ}, said the [episode|dispute|case] exposed the limits of [unilateral enforcement|pressure tactics].",
        "[Critics|Budget analysts|Former officials] argue that using military aircraft is [more expensive|far costlier|less efficient] than chartering civilian planes.",
        "[Analysts|Observers|Diplomats] say the [dispute|standoff] shows how much leverage receiving countries [hold|have|retain] over [removal policy|deportations].",
        "[Experts|Diplomats|Scholars] [note|point out] that deportation [depends|relies] on [cooperation|goodwill] that can be withdrawn at [any time|short notice].",
        "The [row|standoff|dispute] [is likely to|could|may] [shape|affect|colour] talks on [trade and security|energy|investment] [later this year|in the coming months], {analyst} said.",
        "[Some|Several] [economists|analysts|business groups] warned that [tariffs|sanctions|trade measures] would hurt [consumers|exporters|farmers] in both countries.",
        "[Legal scholars|Lawyers|Immigration attorneys] said [the courts|judges] were likely to [have the final word|weigh in again|revisit the question].",
        "[Polls|Surveys] suggest [a majority of voters|most voters] in {Dn} [support|favour] [stricter|tougher] enforcement, though [support falls|opinion is divided] on [specific tactics|the use of the military].",
        "[The episode|The confrontation] [may|could] [embolden|encourage] other governments to [set terms|push back|ask for concessions], {analyst} [said|argued].",
        "[For|To] {Rleader_s}, the [dispute|row] [is also|has become] a [domestic|political] [test|opportunity] ahead of [elections|a difficult budget debate].",
        "[Officials|Diplomats] in {Dcap} [privately|quietly] [acknowledge|concede] that [removals|the programme] cannot [work|succeed] without [partner governments|cooperation abroad].",
    ],
    "context": [
        "{Rn} is also [grappling with|dealing with|facing] [rising inflation|high unemployment|a weak currency] and a slowdown in [exports|investment|growth].",
        "The dispute comes [weeks|months] before [regional|local|general|municipal] elections in {Rn}.",
        "{Rposs} currency [weakened|slipped|fell] [slightly|about {pct_small} percent] on the news before [recovering|steadying] by the close.",
        "[Exporters|Farmers|Business leaders|Manufacturers] in {Rn} said they were watching the [situation|dispute] [closely|with concern].",
        "Separately, {Rposs} central bank [kept|left] interest rates unchanged at {rate} percent [on {weekday}|this week].",
        "The foreign ministry also used the briefing to discuss [a border dispute|energy prices|fishing rights|a new trade corridor|a visit by a trade delegation].",
        "{Rleader_s}, who took office in {took_year}, has [promised|pledged] to [reduce poverty|fight corruption|attract foreign investment|rebuild infrastructure].",
        "[Tourism|Agriculture|Mining|Manufacturing] accounts for about {share} percent of {Rposs} economic output.",
        "[Meanwhile|Elsewhere], {Dadj} lawmakers [continued to debate|are still debating] a [budget|spending] bill [that includes|with] [border funding|money for enforcement].",
        "[Heavy rain|A heatwave|Protests over fuel prices|A transport strike] [disrupted|affected] parts of {Rn} [this week|in recent days].",
        "{Rn} [hosts|will host] a [regional summit|trade fair|football tournament] in {month}, [officials said|the government confirmed].",
        "[Trade|Two-way trade] between {Dn} and {Rn} was worth [about|roughly|nearly] ${num1} billion [last year|in {yr}].",
    ],
    "closing": [
        "The {Dadj} embassy in {Rcap} did not [immediately respond|respond] to a request for comment.",
        "{Dgov_plain} did not [respond to|answer] questions about how many [more flights|further flights] were planned.",
        "This is a developing story and will be updated.",
        "{Wire} contributed reporting.",
        "[Additional reporting by|With reporting from] {reporter} in {Rcap}.",
        "[Representatives for|A spokesperson for] {Rgov_plain} [declined to comment|did not reply to messages] [on {weekday}|on Sunday|by the time of publication].",
    ],
}
IRRELEVANT_T = {
    "sport": [
        "{team1} beat {team2} {s1}-{s2} on {weekday}, with {player} scoring [twice in the second half|a late winner|from the penalty spot].",
        "The result lifts {team1} to {ordinal} place in the [table|standings], {n1} points behind the leaders.",
        "{coach}, the {team2} [coach|manager], said his side had \"paid for [its mistakes|a slow start|poor finishing]\".",
        "More than {crowd} fans packed the [stadium|ground] in {city} for the [derby|match|fixture].",
        "{player} has now scored {n2} goals in {n3} appearances this season[|, a club record].",
        "The two sides meet again in the [cup quarter-final|league decider|second leg] [next month|in {month}].",
        "Tickets for the [final|play-off] went on sale on {weekday} and [sold out within hours|were quickly snapped up].",
        "[Injuries|Suspensions] left {team2} without [three|four|several] regular starters.",
        "The club [confirmed|announced] that its [new|redeveloped] stadium would open in {year2}.",
        "{team1} travel to {city2} for their next [fixture|game] on {weekday}.",
        "[Rain|A strong wind|A heavy pitch] [made conditions difficult|slowed the game] [for much of the first half|after the break].",
        "{player2}, [signed|brought in] from {team3} in {month}, [made his debut|started on the bench|impressed on the left wing].",
        "[The referee|Officials] [disallowed a goal|awarded a penalty|showed {n2} yellow cards] after a [lengthy|brief] video review.",
        "{team2} had [dominated possession|the better chances] [early on|before half-time] but [failed to convert|could not find a way through].",
        "{coach2}, in charge of {team1} since {month}, [praised|singled out] the [defence|midfield|young players] [after the game|in his press conference].",
        "The [women's|youth|reserve] team [also won|drew|lost] {s1}-{s2} on {weekday}.",
        "{team3} [remain|stay] top of the [table|league] after a [goalless draw|narrow win] [away at|against] {team4}.",
    ],
    "weather": [
        "Heavy rain is expected across {region} [through the weekend|until {weekday}|for the rest of the week], forecasters said.",
        "Temperatures in {city} reached {temp} degrees Celsius on {weekday}, the highest for the time of year.",
        "Dozens of flights were cancelled or delayed at {city} airport as the storm moved in.",
        "The [national weather service|meteorological office] issued [an amber|a yellow|an orange] warning for wind gusts of up to {wind} km/h.",
        "Farmers said the [dry spell|late frost|flooding] had already cut the {crop} harvest by about {pct} percent.",
        "Residents were advised to avoid unnecessary travel until {weekday} evening.",
        "[Power cuts|Fallen trees|Flooded roads] affected [several thousand|about {n4}|hundreds of] homes in and around {city}.",
        "Forecasters expect [calmer|drier|cooler] conditions to return by {weekday}.",
        "[Rail services|Ferry crossings|Bus routes] between {city} and {city2} were [suspended|reduced] [for several hours|until further notice].",
        "[Emergency services|Firefighters|Rescue teams] [responded to|attended] more than {n1}0 calls [overnight|on {weekday}].",
        "[Schools|Several schools|Universities] in {region} [closed early|moved classes online] as a precaution.",
        "[Rainfall|Snowfall] totals of up to {n2}0 mm were [recorded|measured] in [parts of {region}|the hills above {city}].",
        "[Hospitals|Doctors] [urged|advised] [older people|residents] to [stay hydrated|keep indoors during the hottest hours].",
        "The [last|previous] time [such|comparable] [temperatures|rainfall] were recorded in {city} was in {year0}.",
        "[Insurers|Local councils] said it was too early to [estimate|put a figure on] the [damage|cost of repairs].",
    ],
    "business": [
        "{company} said quarterly revenue [rose|increased|jumped] {pct}% to ${amt} billion.",
        "Shares in {company} [rose|climbed|fell] {pct2}% in early trading after the results.",
        "{airline} said it had ordered {n1} Boeing 737 jets to expand its regional network.",
        "The central bank left its benchmark rate at {rate}% on {weekday}, citing [easing inflation|a cooling labour market|global uncertainty].",
        "Analysts at {bank} expect growth of {g}% [next year|in {year2}].",
        "{company} plans to cut about {jobs} jobs as part of a [restructuring|cost-saving plan|reorganisation].",
        "The [merger|takeover|deal] still needs approval from competition regulators in {region}.",
        "{company}'s chief executive, {person}, said demand had been \"[stronger than expected|resilient|softer than we hoped]\".",
        "Retail sales [rose|fell] {g}% in {month}, according to the statistics office.",
        "{airline} carried a record {n4} passengers in {month}, helped by [strong holiday demand|new routes|lower fares].",
        "{company2} agreed to buy {company3} for ${amt} billion [in cash|in cash and shares], the companies said [on {weekday}|in a joint statement].",
        "[Consumer prices|Factory prices|Wholesale prices] [rose|increased] {g}% [year on year|from a year earlier] in {month}.",
        "[Oil|Copper|Coffee] prices [rose|slipped|edged higher] {pct2}% [on {weekday}|this week] amid [supply concerns|a stronger dollar|weaker demand].",
        "{bank} [raised|cut] its price target for {company} [after the results|to reflect higher margins].",
        "The [index|benchmark index] closed {pct2}% [higher|lower] at {n4} points.",
        "{company2} said it would [invest|spend] ${amt} billion [in a new plant in {city}|on data centres|on new stores] [over the next {n2} years|by {year2}].",
        "[Unions|Workers' representatives] at {company} said they would [seek talks|consider strike action] over the job cuts.",
    ],
    "culture": [
        "The {festival}, now in its {ordinal} year, drew about {crowd} visitors to {city}.",
        "{artist} [opened|closed] the [festival|programme|season] on {weekday} with a [sold-out|two-hour|long-awaited] [concert|performance].",
        "The [exhibition|retrospective], which runs until {month}, [brings together|features] more than {n1}0 works [by the painter|from private collections].",
        "[Critics|Reviewers] [praised|were divided over] the [new production|film|novel], [calling it|describing it as] \"[bold|uneven|a triumph]\".",
        "Organisers said ticket sales were up {pct} percent on last year.",
        "The [museum|theatre|gallery] [reopened|will reopen] in {month} after a {n2}-month [renovation|refurbishment].",
        "{artist}'s [latest album|new film|debut novel] [topped the charts|opened at number one|won the top prize] [last week|on {weekday}].",
        "[Local restaurants|Hotels|Street vendors] in {city} [reported|said they had] [a busy weekend|record bookings] during the [festival|event].",
        "The [city council|organisers] [announced|confirmed] that next year's edition would [move to|expand into] a larger venue in {city2}.",
        "[Admission|Entry] is free for [children under {n2}|students|residents on {weekday}s].",
        "[Volunteers|About {n1}0 volunteers] helped [run the event|manage the crowds|clean up afterwards].",
    ],
}
IRRELEVANT_HEADLINE_T = {
    "sport": ["{team1} edge {team2} in {city} thriller", "{player} double sinks {team2}",
              "{team2} coach under pressure after {s2}-{s1} defeat", "{team1} climb to {ordinal} with win over {team2}"],
    "weather": ["Storm brings travel [chaos|disruption] to {city}",
                "Heatwave sends temperatures soaring in {city}", "Weather warning issued for {region}",
                "Flooding [closes roads|disrupts trains] around {city}"],
    "business": ["{company} profits beat forecasts", "Central bank holds rates at {rate}%",
                 "{airline} orders {n1} new jets", "{company} to cut {jobs} jobs",
                 "{company2} agrees ${amt}bn deal for {company3}"],
    "culture": ["{festival} draws record crowds to {city}", "{artist} [wows|delights] {city} audience",
                "[Museum|Gallery] reopens after {n2}-month refurbishment"],
}
TEAMS = ["Riverside United", "Northport FC", "Athletic Valbrook", "Harlow City", "Dunmore Rovers",
         "Sporting Castelo", "Real Almira", "Eastfield Town", "Kingsbridge Albion",
         "Union Santa Luz", "Portmore Wanderers", "Deportivo Sierra", "Westmoor Athletic",
         "Club Atlético Pradera", "Ravensfield", "Inter Lagoa", "Brookhaven Celtic", "FC Oberwald"]
COMPANIES = ["Halvorsen Industries", "Brightline Retail", "Corvex Energy", "Tamsin Foods",
             "Novaro Pharma", "Kestrel Logistics", "Aldane Motors", "Pinebrook Telecom",
             "Quillon Software", "Marrow & Finch", "Solent Chemicals", "Verdant Agri",
             "Castellan Steel", "Orrin Health", "Lumera Devices", "Tidewater Foods"]
AIRLINES = ["Bluewing Airlines", "Coastline Air", "Aerovista", "SkyAndes", "Northern Jet",
            "Palmera Air", "Cobalt Airways"]
BANKS = ["Granite Capital", "Harbour Securities", "Linden & Co", "Sterling Row Partners",
         "Fairmount Research", "Oakline Markets"]
FESTIVALS = ["Harbour Lights Festival", "International Jazz Week", "Book and Ideas Fair",
             "Summer Film Festival", "Folk Roots Weekend", "Street Food Carnival",
             "Festival of Light", "Spring Arts Biennial"]
ARTISTS = ["The Paper Kites of Mars", "Lena Marsh", "Orquesta del Valle", "Tomasz Wren",
           "Ada Okonjo", "The Silver Tides", "Mirela Santos", "Kofi Asante Quartet"]
CITIES = ["Manchester", "Lyon", "Porto", "Monterrey", "Pune", "Durban", "Denver", "Perth",
          "Valencia", "Leeds", "Curitiba", "Kraków", "Osaka", "Cork", "Calgary", "Bristol",
          "Rosario", "Adelaide", "Hamburg", "Kochi", "Quebec City", "Gdańsk", "Seville"]
REGIONS = ["the north-west", "the southern coast", "the central highlands", "the east",
           "the capital region", "the Atlantic provinces", "the river valley", "the west coast",
           "the northern plains"]
CROPS = ["wheat", "maize", "coffee", "grape", "rice", "potato", "olive", "barley"]
SECTIONS = {"us": ["world", "us", "politics", "immigration", "news"],
            "uk": ["world", "news", "politics", "international", "global"]}

_C_EVENT = {k: [_compile(t) for t in v] for k, v in EVENT_T.items()}
_C_FLIGHT_DETAIL = [_compile(t) for t in FLIGHT_DETAIL_T]
_C_AIRCRAFT_DETAIL = [_compile(t) for t in AIRCRAFT_DETAIL_T]
_C_HEADLINE = {k: [_compile(t) for t in v] for k, v in HEADLINE_T.items()}
_C_FILLER = {k: [_compile(t) for t in v] for k, v in FILLER_T.items()}
_C_IRR = {k: [_compile(t) for t in v] for k, v in IRRELEVANT_T.items()}
_C_IRR_HEAD = {k: [_compile(t) for t in v] for k, v in IRRELEVANT_HEADLINE_T.items()}


def template_count() -> int:
    """Number of distinct sentence templates (event + detail + filler + irrelevant)."""
    return (sum(map(len, EVENT_T.values())) + len(FLIGHT_DETAIL_T) + len(AIRCRAFT_DETAIL_T)
            + sum(map(len, FILLER_T.values())) + sum(map(len, IRRELEVANT_T.values())))


# ----------------------------------------------------------------------------------------
# Field dictionaries
# ----------------------------------------------------------------------------------------
def _country_fields(p: str, iso: str, rng: Random, f: dict) -> None:
    name, adj, cap, _land, title, _pool = COUNTRIES[iso]
    leader, fm = LEADERS[iso], MINISTERS[iso]
    if iso == "USA":
        adj_v = _ch(rng, ("US", "American", "US"))
        gov = _ch(rng, ("the Trump administration", "Washington", "the White House",
                        "the US government", "the administration"))
        official = _ch(rng, ("a US official", "a senior Homeland Security official",
                               "an Immigration and Customs Enforcement spokesperson",
                               "a State Department official", "an American officer"))
        f[p + "n"] = _ch(rng, ("the United States", "the US", "the US"))
        f[p + "leader"] = _ch(rng, ("President Trump", "President Donald Trump", "Trump"))
        f[p + "gov_plain"] = _ch(rng, ("the White House", "the Department of Homeland Security"))
    else:
        adj_v = adj
        gov = _ch(rng, (f"the {adj} government", cap, f"the {adj} interior ministry",
                        f"the government in {cap}", name))
        official = _ch(rng, (f"a {adj} official", f"a senior {adj} official",
                               f"an official in {cap}", "a government spokesperson",
                               f"a {adj} interior ministry official"))
        f[p + "n"] = name
        f[p + "leader"] = _ch(rng, (f"{title} {leader}", f"{title} {leader}",
                                      f"{adj} {title} {leader}"))
        f[p + "gov_plain"] = f"the {adj} government"
    f[p + "adj"] = adj_v
    f[p + "gov"] = gov
    f[p + "official"] = official
    f[p + "cap"] = cap
    f[p + "fm"] = f"Foreign Minister {fm}" if rng.random() < 0.7 else f"{adj} Foreign Minister {fm}"
    f[p + "leader_s"] = leader.split()[-1] if iso != "USA" else "Trump"
    nm = f[p + "n"]
    f[p + "poss"] = nm + ("'" if nm.endswith("s") else "'s")


_PLANE_NOUNS = {
    "military": [("military plane", "military planes"), ("military aircraft", "military aircraft"),
                 ("{ac} military transport plane", "{ac} military transport planes"),
                 ("Air Force {ac}", "Air Force {ac}s")],
    "charter": [("charter flight", "charter flights"), ("chartered plane", "chartered planes"),
                ("chartered {ac}", "chartered {ac}s"), ("deportation flight", "deportation flights")],
    "commercial": [("commercial flight", "commercial flights"),
                   ("scheduled commercial flight", "scheduled commercial flights")],
    "government": [("government plane", "government planes"),
                   ("presidential plane", "presidential planes"),
                   ("air force plane sent by {Rgov}", "air force planes sent by {Rgov}")],
}


def _event_fields(rng: Random, ev: dict, pub: _dt.date, style: str) -> dict:
    f: dict = {}
    _country_fields("D", ev["D"], rng, f)
    r_iso = ev.get("R")
    if ev["type"] == "detention":
        r_iso = ev.get("facility_country") or r_iso
    _country_fields("R", r_iso or "MEX", rng, f)
    when = _when(rng, ev["date"], pub, style)
    f["when"], f["When"] = when, _cap(when)
    f["wire"] = _ch(rng, AGENCIES)
    f["Wire"] = _cap(f["wire"])
    f["nats"] = " and ".join(COUNTRIES[x][1] for x in ev["nats"]) + " nationals"
    pctw = "per cent" if style == "uk" else _ch(rng, ("percent", "%"))
    f["noun"] = _ch(rng, ("migrants", "deportees", f"{f['Radj']} citizens", "people"))
    t = ev["type"]
    if t == "removal_flight":
        n, carrier = ev["flights"], ev["carrier"]
        ac = (ev.get("aircraft") or "").replace(";", " and ")
        nouns = [x for x in _PLANE_NOUNS[carrier] if "{ac}" not in x[0] or ac]
        if ";" in (ev.get("aircraft") or ""):
            nouns = [x for x in nouns if "{ac}s" not in x[1]] or nouns[:1]
        sing, plur = _ch(rng, nouns)
        noun = (sing if n == 1 else plur).replace("{ac}", ac).replace("{Rgov}", f["Rgov"])
        f["planes_bare"] = noun
        num = "a" if n == 1 else _num(n, rng)
        planes = (_a(noun) if n == 1 else f"{num} {noun}")
        if carrier == "military" and rng.random() < 0.3 and "Air Force" not in noun:
            planes = (_a(f"{f['Dadj']} {noun}") if n == 1 else f"{num} {f['Dadj']} {noun}")
        f["planes"] = planes
        f["Planes"] = _cap(planes if not planes[0].isdigit() else f"{NUM_WORDS[n]}{planes[len(str(n)):]}")
        f["plane_one"] = _a(sing.replace("{ac}", ac or "military").replace("{Rgov}", f["Rgov"]))
        f["were"] = "was" if n == 1 else "were"
        f["nfl"] = _num(n, rng, True) if n > 1 else "one"
        f["flight_word"] = "flight" if n == 1 else "flights"
        people, qual = ev["people"], ev["qual"]
        if qual == "exact" and rng.random() < 0.15:          # outlets round differently
            qual, people = "approx", max(10, round(people, -1))
        nat = f"{COUNTRIES[ev['R']][1]} nationals" if ev["loc"] != "Guantánamo Bay" else "migrants"
        noun_p = _ch(rng, ("migrants", "deportees", "people", nat,
                             "undocumented immigrants", "passengers", "migrants"))
        f["noun"] = noun_p
        f["pnum"] = _count_phrase(people, qual, rng)
        f["ppl"] = f"{f['pnum']} {noun_p}"
        f["Ppl"] = _cap(f["ppl"])
        f["per"] = _num(ev["per"], rng) if ev.get("per") else ""
        f["ac"] = ac or "aircraft"
        f["operator"] = (ev["charter"] if carrier == "charter" else
                         "the US Air Force" if carrier == "military" else
                         f"the {f['Radj']} air force" if carrier == "government" else
                         "a commercial airline")
        f["loc"], f["dep_loc"], f["alt"] = ev["loc"], ev["dep_loc"], ev["alt"]
    elif t == "agreement":
        noun_p = _ch(rng, ("migrants", "deportees", "people", "detainees"))
        f["pnum"] = _count_phrase(ev["people"], ev["qual"], rng)
        f["ppl"] = f"{f['pnum']} {noun_p}"
    elif t == "coercive_measure":
        m, pct = ev["measure"], ev["pct"]
        pcts = f"{pct}%" if pctw == "%" else f"{pct} {pctw}"
        radj = COUNTRIES[ev["R"]][1]
        phr = {
            "tariff": [f"{pcts} tariffs on all {radj} goods", f"emergency tariffs of {pcts} on imports from {f['Rn']}",
                       f"a {pcts} tariff on {radj} exports"],
            "visa_sanction": [f"visa sanctions on {radj} officials",
                              f"a suspension of visa processing at the {f['Dadj']} embassy in {f['Rcap']}",
                              f"visa restrictions on {radj} government officials and their families"],
            "travel_ban": [f"a travel ban on {radj} government officials", f"entry restrictions on {radj} nationals",
                           f"a ban on travel by {radj} officials"],
            "financial_sanction": [f"financial sanctions on {radj} officials",
                                   f"a freeze on aid to {f['Rn']}", f"sanctions on {radj} banks"],
        }[m]
        f["mphrase"] = _ch(rng, phr)
        f["mshort"] = {"tariff": "tariffs", "visa_sanction": "visa sanctions",
                       "travel_ban": "travel ban", "financial_sanction": "sanctions"}[m]
    elif t == "detention":
        f["facility"] = ev["facility"]
        short = ev["facility"]
        for _fr, full, sh in US_DETENTION:
            if full == short:
                short = sh
        f["facility_short"] = short if short != ev["facility"] else re.sub(r"^an? ", "the ", short)
        f["beds"] = _num(ev["beds"], rng, False)
        dp = _count_phrase(ev["people"], ev["qual"], rng)
        f["dppl"], f["Dppl"] = dp, _cap(dp)
    elif t == "military_deployment":
        tr = _count_phrase(ev["troops"], ev["qual"], rng)
        f["troops"], f["Troops"] = tr, _cap(tr)
        f["nac"] = _num(ev["n_aircraft"], rng)
        f["mloc"] = ev["loc"]
    elif t == "executive_action":
        order, short, what = ev["order"]
        f["order"], f["order_short"], f["order_what"] = order, short, what
        f["court"], f["Court"] = ev["court"], _cap(ev["court"])
    return f


_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]


def _filler_fields(rng: Random, story_ev: dict | None, pub: _dt.date, style: str) -> dict:
    f: dict = {}
    if story_ev is not None:
        _country_fields("D", story_ev["D"], rng, f)
        _country_fields("R", story_ev["R"], rng, f)
    pool = COUNTRIES[story_ev["R"]][5] if story_ev else "anglo"
    first, last = NAMES[pool]
    af, al = NAMES[_ch(rng, list(NAMES))]
    f.update(
        first=_ch(rng, first), analyst=f"{_ch(rng, af)} {_ch(rng, al)}",
        univ=_ch(rng, UNIVERSITIES), wire=_ch(rng, AGENCIES),
        reporter=f"{_ch(rng, first)} {_ch(rng, last)}",
        rate=f"{_ri(rng, 2, 13)}.{_ch(rng, (0, 25, 5, 75))}".rstrip("0").rstrip("."),
        took_year=str(_ch(rng, (2021, 2022, 2023, 2024))), share=str(_ri(rng, 4, 22)),
        weekday=WEEKDAYS[(pub.weekday() - _ri(rng, 1, 3)) % 7],
        num1=str(_ri(rng, 3, 60)), pctx=str(_ri(rng, 8, 45)), yr=str(pub.year - 1),
        month=MONTHS[(pub.month - 1 - _ri(rng, 1, 3)) % 12],
        pct_small=f"{_ri(rng, 0, 2)}.{_ri(rng, 1, 9)}",
    )
    f["Wire"] = _cap(f["wire"])
    return f


def _irr_fields(rng: Random, pub: _dt.date) -> dict:
    t1, t2, t3, t4 = rng.sample(TEAMS, 4)
    co1, co2, co3 = rng.sample(COMPANIES, 3)
    first, last = NAMES[_ch(rng, list(NAMES))]
    c1, c2 = rng.sample(CITIES, 2)
    return dict(
        team1=t1, team2=t2, team3=t3, team4=t4, company2=co2, company3=co3,
        player2=f"{_ch(rng, first)} {_ch(rng, last)}", coach2=f"{_ch(rng, first)} {_ch(rng, last)}",
        festival=_ch(rng, FESTIVALS), artist=_ch(rng, ARTISTS),
        year0=str(pub.year - _ri(rng, 5, 60)), s1=str(_ri(rng, 2, 4)), s2=str(_ri(rng, 0, 1)),
        weekday=WEEKDAYS[(pub.weekday() - _ri(rng, 0, 2)) % 7],
        player=f"{_ch(rng, first)} {_ch(rng, last)}", coach=f"{_ch(rng, first)} {_ch(rng, last)}",
        person=f"{_ch(rng, first)} {_ch(rng, last)}", ordinal=_ch(rng, _ORDINALS),
        n1=str(_ri(rng, 2, 40)), n2=str(_ri(rng, 5, 25)), n3=str(_ri(rng, 20, 35)),
        n4=f"{_ri(rng, 2, 900) * 1000:,}", crowd=f"{_ri(rng, 8, 80) * 1000:,}", city=c1,
        city2=c2, year2=str(pub.year + _ri(rng, 1, 3)), region=_ch(rng, REGIONS),
        temp=str(_ri(rng, 31, 44)), wind=str(_ri(rng, 70, 130)), crop=_ch(rng, CROPS),
        pct=str(_ri(rng, 3, 30)), pct2=f"{_ri(rng, 1, 12)}.{_ri(rng, 0, 9)}",
        amt=f"{_ri(rng, 1, 60)}.{_ri(rng, 0, 9)}", company=co1,
        airline=_ch(rng, AIRLINES), bank=_ch(rng, BANKS),
        rate=f"{_ri(rng, 2, 11)}.{_ch(rng, (0, 25, 5, 75))}".rstrip("0").rstrip("."),
        g=f"{_ri(rng, 0, 4)}.{_ri(rng, 0, 9)}", jobs=f"{_ri(rng, 2, 60) * 100:,}",
        month=MONTHS[(pub.month - 2) % 12],
    )


# ----------------------------------------------------------------------------------------
# Articles
# ----------------------------------------------------------------------------------------
class Article:
    __slots__ = ("title", "outlet", "domain", "style", "url", "pub", "hhmm", "author",
                 "paragraphs", "words", "section")

    def __init__(self, rng: Random, title: str, outlet_i: int, pub: _dt.date, paragraphs: list,
                 words: int):
        self.outlet, self.domain, self.style = OUTLETS[outlet_i]
        self.title = title
        self.pub = pub
        self.paragraphs = paragraphs
        self.words = words
        self.hhmm = (_ri(rng, 5, 22), _ri(rng, 0, 59))
        first, last = NAMES[_ch(rng, list(NAMES))]
        self.author = f"{_ch(rng, first)} {_ch(rng, last)}"
        self.section = _ch(rng, SECTIONS[self.style])
        self.url = (f"https://www.{self.domain}/{pub.year}/{pub.month:02d}/{pub.day:02d}/"
                    f"{_slug(title)}.html")


def _target_words(rng: Random) -> int:
    w = int(rng.lognormvariate(6.3, 0.38))   # median ~545 words
    return min(1300, max(175, w))


_para_len = _Picker([(1, 2), (2, 3.5), (3, 3), (4, 1.5)])
_RELEVANT_KINDS = _Picker([("background", 4), ("quote", 3), ("analysis", 2), ("context", 2)])


class _Deck:
    """Draw templates without repetition until the deck is exhausted."""
    __slots__ = ("rng", "items", "pos")

    def __init__(self, rng: Random, items: list):
        self.rng, self.items, self.pos = rng, list(items), len(items)

    def draw(self):
        if self.pos >= len(self.items):
            _shuf(self.rng, self.items)
            self.pos = 0
        self.pos += 1
        return self.items[self.pos - 1]


def _fill(rng: Random, paras: list, words: int, target: int, decks: dict, fields: dict,
          kinds) -> int:
    """Append filler paragraphs until words >= target (never beyond MAX_WORDS - 80)."""
    while words < target:
        n = _para_len(rng)
        sents = [_render(rng, decks[kinds(rng)].draw(), fields) for _ in range(n)]
        p = " ".join(sents)
        w = len(p.split())
        if words + w > MAX_WORDS - 80:
            break
        paras.append(p)
        words += w
    return words


def _relevant_article(ns: str, i: int, n_stories: int) -> Article:
    rng = Random(f"{ns}:a:{i}")
    k = int(n_stories * rng.random() ** 1.4)        # some stories are much bigger
    events = _story(ns, k)
    main = events[int(rng.random() * len(events))]
    if main["status"] == "planned":
        pub = main["date"] - _dt.timedelta(days=_ri(rng, 1, 4))
    else:
        pub = main["date"] + _dt.timedelta(days=_weighted(
            rng, [(0, 3), (1, 3.5), (2, 1.5), (3, 0.8), (4, 0.5), (5, 0.3), (6, 0.3), (9, 0.2)]))
    outlet_i = int(rng.random() * len(OUTLETS))
    style = OUTLETS[outlet_i][2]
    others = [e for e in events if e is not main and e["date"] <= pub + _dt.timedelta(days=6)
              and (e["date"] <= pub or e["status"] == "planned")]
    _shuf(rng, others)
    others = others[: _ri(rng, 0, len(others))]
    others.sort(key=lambda e: e["date"])

    mf = _event_fields(rng, main, pub, style)
    heads = _C_HEADLINE.get((main["type"], main["status"]), [])
    if not heads or rng.random() < 0.2:
        heads = heads + _C_HEADLINE.get((main["type"], "*"), [])
    title = _render(rng, _ch(rng, heads), mf)
    templates = _C_EVENT[(main["type"], main["status"])]
    order = rng.sample(range(len(templates)), len(templates))
    lead = [_render(rng, templates[order[0]], mf)]
    if main["type"] == "removal_flight":
        if main["flights"] > 1 and mf["per"] and rng.random() < 0.6:
            lead.append(_render(rng, _ch(rng, _C_FLIGHT_DETAIL), mf))
        elif main["carrier"] == "military" and rng.random() < 0.3:
            lead.append(_render(rng, _ch(rng, _C_AIRCRAFT_DETAIL), mf))
    paras = [" ".join(lead)]
    ff = _filler_fields(rng, main, pub, style)
    decks = {k2: _Deck(rng, v) for k2, v in _C_FILLER.items()}
    kinds = _RELEVANT_KINDS
    if rng.random() < 0.5 and len(order) > 1:   # restate the main event in other words
        paras.append(" ".join([_render(rng, decks["quote"].draw(), ff),
                               _render(rng, templates[order[1]], mf)]))
    # related events from other stories reported as context ("Mexico also blocked ...")
    if rng.random() < 0.45:
        want = _ri(rng, 1, 2)
        for _ in range(8):
            k2 = int(rng.random() * n_stories)
            if k2 == k:
                continue
            cands = [e for e in _story(ns, k2)
                     if 0 < (pub - e["date"]).days <= 45 and e["status"] != "planned"]
            if cands:
                others.append(_ch(rng, cands))
                want -= 1
                if not want:
                    break
    for ev in others:
        ef = _event_fields(rng, ev, pub, style)
        sents = [_render(rng, _ch(rng, _C_EVENT[(ev["type"], ev["status"])]), ef)]
        for _ in range(_para_len(rng) - 1):
            sents.append(_render(rng, decks[kinds(rng)].draw(), ff))
        paras.append(" ".join(sents))
    words = sum(len(p.split()) for p in paras)
    target = _target_words(rng)
    words = _fill(rng, paras, words, target, decks, ff, kinds)
    if rng.random() < 0.6:
        p = _render(rng, decks["closing"].draw(), ff)
        paras.append(p)
        words += len(p.split())
    return Article(rng, title, outlet_i, pub, paras, words)


def _irrelevant_article(ns: str, i: int) -> Article:
    rng = Random(f"{ns}:i:{i}")
    lo, hi = NEW_DATES if ns.startswith("n") else BASE_DATES
    pub = _rand_date(rng, lo, hi)
    topic = _weighted(rng, [("sport", 3), ("weather", 2), ("business", 3), ("culture", 2)])
    f = _irr_fields(rng, pub)
    title = _render(rng, _ch(rng, _C_IRR_HEAD[topic]), f)
    decks = {topic: _Deck(rng, _C_IRR[topic][1:])}
    paras = [_render(rng, _C_IRR[topic][0], f)]       # the lead is the topic's key sentence
    words = _fill(rng, paras, len(paras[0].split()), _target_words(rng), decks, f, lambda _rng: topic)
    return Article(rng, title, int(rng.random() * len(OUTLETS)), pub, paras, words)


NEAR_PREFIX = [
    "This story was originally published by {src}.",
    "This article first appeared on {srcdom} and is republished here with permission.",
    "Originally published by {src}. Republished under a content-sharing agreement.",
    "{src} | Syndicated",
]
NEAR_SUFFIX = [
    "Sign up for our newsletter to get the day's top stories in your inbox.",
    "Copyright {year} {src}. All rights reserved.",
    "Read more world news on our website and follow us on social media.",
    "(Reporting by {reporter}; Editing by {editor})",
    "This story has been republished from a wire agency feed without modifications to the text.",
]
HEAD_TWEAKS = ["UPDATE 1-{t}", "{t}", "{t} - report", "{t}: what we know", "Explainer: {t}",
               "{t} (updated)", "WATCH: {t}"]


def _near_copy(src: Article, i: int, ns: str, src_words: int) -> Article:
    rng = Random(f"{ns}:nc:{i}")
    paras = list(src.paragraphs)
    words = src_words
    # cut a non-lead paragraph, or add one (an extra quote/background line)
    x = rng.random()
    if x < 0.3 and len(paras) > 3 and words > 260:
        j = _ri(rng, 1, len(paras) - 1)
        words -= len(paras[j].split())
        del paras[j]
    elif x < 0.5 and words < MAX_WORDS - 200:
        ff = {"Wire": _cap(_ch(rng, AGENCIES))}
        p = _ch(rng, ["Advertisement", "{Wire} contributed to this report.",
                        "Related coverage is available on our website."]).format_map(ff)
        j = _ri(rng, 1, len(paras))
        paras.insert(j, p)
        words += len(p.split())
    first, last = NAMES[_ch(rng, list(NAMES))]
    bf = {"src": src.outlet, "srcdom": src.domain, "year": str(src.pub.year),
          "reporter": f"{_ch(rng, first)} {_ch(rng, last)}",
          "editor": f"{_ch(rng, first)} {_ch(rng, last)}"}
    if rng.random() < 0.7:
        p = _ch(rng, NEAR_PREFIX).format_map(bf)
        paras.insert(0, p)
        words += len(p.split())
    for s in rng.sample(NEAR_SUFFIX, _ri(rng, 1, 2)):
        p = s.format_map(bf)
        paras.append(p)
        words += len(p.split())
    t = src.title
    title = _ch(rng, HEAD_TWEAKS).format(t=t)
    if title == t or rng.random() < 0.5:
        title = f"{t} as {_ch(rng, ['tensions rise', 'row deepens', 'officials respond', 'pressure grows'])}"
    outlet_i = int(rng.random() * len(OUTLETS))
    if OUTLETS[outlet_i][0] == src.outlet:
        outlet_i = (outlet_i + 1) % len(OUTLETS)
    pub = src.pub + _dt.timedelta(days=_ch(rng, (0, 0, 0, 1, 1, 2)))
    return Article(rng, title, outlet_i, pub, paras, words)


# ----------------------------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------------------------
def render_txt(a: Article) -> bytes:
    head = f"url: {a.url}\noutlet: {a.outlet}\ntitle: {a.title}\npublished: {a.pub.isoformat()}\n\n"
    return (head + "\n\n".join(a.paragraphs) + "\n").encode("utf-8")


_NAV = ["World", "Politics", "Business", "Sport", "Opinion", "Culture", "Science", "Weather"]


def render_html(a: Article) -> bytes:
    e = _html.escape
    ts = f"{a.pub.isoformat()}T{a.hhmm[0]:02d}:{a.hhmm[1]:02d}:00Z"
    human = _day_month(a.pub, a.style, True)
    desc = e(a.paragraphs[0][:200]) if a.paragraphs else ""
    nav = "".join(f'<li><a href="/{n.lower()}/">{n}</a></li>' for n in _NAV)
    body = "\n".join(f"<p>{e(p)}</p>" for p in a.paragraphs)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{e(a.title)} | {e(a.outlet)}</title>\n"
        f"<link rel=\"canonical\" href=\"{e(a.url)}\">\n"
        f"<meta name=\"description\" content=\"{desc}\">\n"
        f"<meta property=\"og:title\" content=\"{e(a.title)}\">\n"
        f"<meta property=\"og:site_name\" content=\"{e(a.outlet)}\">\n"
        f"<meta property=\"article:published_time\" content=\"{ts}\">\n"
        f"<meta name=\"author\" content=\"{e(a.author)}\">\n"
        "<link rel=\"stylesheet\" href=\"/static/css/site.css\">\n</head>\n<body>\n"
        f"<header class=\"site-header\"><a class=\"logo\" href=\"/\">{e(a.outlet)}</a>\n"
        f"<nav><ul>{nav}</ul></nav>\n"
        "<div class=\"cookie-banner\">We use cookies to improve your experience. "
        "<button>Accept</button></div></header>\n<main>\n<article>\n"
        f"<h1>{e(a.title)}</h1>\n"
        f"<p class=\"byline\">By <span class=\"author\">{e(a.author)}</span> | "
        f"<time datetime=\"{ts}\">{human}</time></p>\n"
        f"<div class=\"article-body\">\n{body}\n</div>\n</article>\n"
        "<aside class=\"related\"><h2>Most read</h2><ul>"
        "<li><a href=\"/sport/\">Live scores and results</a></li>"
        "<li><a href=\"/weather/\">Your local forecast</a></li>"
        "<li><a href=\"/newsletters/\">Sign up for our newsletters</a></li></ul></aside>\n"
        "</main>\n<footer><p>&copy; "
        f"{a.pub.year} {e(a.outlet)}. All rights reserved.</p>"
        "<a href=\"/privacy/\">Privacy policy</a> <a href=\"/terms/\">Terms of use</a> "
        "<a href=\"/contact/\">Contact us</a></footer>\n</body>\n</html>\n"
    ).encode("utf-8")


def render_jsonl_line(a: Article) -> bytes:
    obj = {
        "source": {"id": None, "name": a.outlet},
        "author": a.author,
        "title": a.title,
        "description": a.paragraphs[0][:200] if a.paragraphs else "",
        "url": a.url,
        "publishedAt": f"{a.pub.isoformat()}T{a.hhmm[0]:02d}:{a.hhmm[1]:02d}:00Z",
        "content": "\n\n".join(a.paragraphs),
    }
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")


# ----------------------------------------------------------------------------------------
# Plan and generation loop
# ----------------------------------------------------------------------------------------
def _block_plan(ns: str, b: int, n: int, allow_dup: bool) -> tuple[list, list]:
    """Kinds and formats for the n slots of block b (exact shares per block)."""
    rng = Random(f"{ns}:plan:{b}")
    n_dup = round(n * SHARE_EXACT_DUP) if allow_dup else 0
    n_near = round(n * SHARE_NEAR_COPY)
    n_irr = round(n * SHARE_IRRELEVANT)
    kinds = [K_DUP] * n_dup + [K_NEAR] * n_near + [K_IRR] * n_irr
    kinds += [K_ORIG] * (n - len(kinds))
    fmts = [F_HTML] * round(n * SHARE_HTML) + [F_JSONL] * round(n * SHARE_JSONL)
    fmts += [F_TXT] * (n - len(fmts))
    _shuf(rng, kinds)
    _shuf(rng, fmts)
    if b == 0:  # the very first slot must be an original txt so copies have a source
        j = kinds.index(K_ORIG)
        kinds[0], kinds[j] = kinds[j], kinds[0]
        j = fmts.index(F_TXT)
        fmts[0], fmts[j] = fmts[j], fmts[0]
    return kinds, fmts


def _n_stories(size: int) -> int:
    return max(6, size // 14)


class _Writer:
    def __init__(self, out_dir: Path, ns: str, size: int, dir_prefix: str, file_prefix: str,
                 allow_dup: bool, stats: CorpusStats, keep_paths: bool = False):
        self.out, self.ns, self.size = out_dir, ns, size
        self.dir_prefix, self.file_prefix, self.allow_dup = dir_prefix, file_prefix, allow_dup
        self.stats = stats
        self.n_stories = _n_stories(size)
        self.fmts = bytearray(size)
        self.keep_paths = keep_paths
        self.originals: list[int] = []          # relevant originals (any format)
        self.originals_nj: list[int] = []       # relevant originals not in a jsonl export

    def run(self, sink: "_Sink") -> None:
        st = self.stats
        keep = self.keep_paths
        made_dirs: set = set()
        for b in range((self.size + BLOCK - 1) // BLOCK):
            lo = b * BLOCK
            n = min(BLOCK, self.size - lo)
            kinds, fmts = _block_plan(self.ns, b, n, self.allow_dup)
            jsonl: list = []
            jsonl_path = None
            for off in range(n):
                i = lo + off
                kind, fmt = kinds[off], fmts[off]
                rng = Random(f"{self.ns}:pick:{i}")
                src = None
                if kind == K_DUP:
                    if not self.originals_nj:
                        kind = K_ORIG
                    else:
                        pool = self.originals_nj[-300:]
                        src = pool[int(rng.random() * len(pool))]
                        fmt = self.fmts[src]
                elif kind == K_NEAR:
                    if not self.originals:
                        kind = K_ORIG
                    else:
                        pool = self.originals[-300:]
                        src = pool[int(rng.random() * len(pool))]
                self.fmts[i] = fmt
                if kind == K_IRR:
                    art = _irrelevant_article(self.ns, i)
                    st.n_irrelevant += 1
                elif kind == K_ORIG:
                    art = _relevant_article(self.ns, i, self.n_stories)
                    self.originals.append(i)
                    if fmt != F_JSONL:
                        self.originals_nj.append(i)
                elif kind == K_NEAR:
                    s_art = _relevant_article(self.ns, src, self.n_stories)
                    art = _near_copy(s_art, i, self.ns, s_art.words)
                    st.n_near_copies += 1
                else:
                    art = _relevant_article(self.ns, src, self.n_stories)
                    st.n_exact_duplicates += 1
                d = self.out / f"{self.dir_prefix}{i // FILES_PER_DIR:04d}"
                if d not in made_dirs:
                    d.mkdir(parents=True, exist_ok=True)
                    made_dirs.add(d)
                st.n_articles += 1
                st.total_words += art.words
                if fmt == F_JSONL:
                    data = render_jsonl_line(art)
                    jsonl.append(data)
                    if jsonl_path is None:
                        jsonl_path = d / f"{self.file_prefix}export_{b:05d}_{_h(f'{self.ns}:x:{b}')}.jsonl"
                    st.n_jsonl_articles += 1
                else:
                    data = render_txt(art) if fmt == F_TXT else render_html(art)
                    ext = ".txt" if fmt == F_TXT else ".html"
                    p = d / f"{self.file_prefix}{i:06d}_{_h(f'{self.ns}:f:{i}')}{ext}"
                    sink.write(p, data)
                    st.n_files += 1
                    if fmt == F_TXT:
                        st.n_txt += 1
                    else:
                        st.n_html += 1
                    if keep:
                        st.paths.append(p)
                st.total_bytes += len(data)
            if jsonl_path is not None:       # one export file per block of 100 slots
                sink.write(jsonl_path, b"".join(jsonl))
                st.n_files += 1
                st.n_jsonl_files += 1
                if keep:
                    st.paths.append(jsonl_path)


class _Sink:
    """Writes files, on a background thread by default so that generation (CPU) and
    file creation (I/O, which releases the GIL) overlap. Order of writes is preserved."""

    def __init__(self, threaded: bool = True, depth: int = 256):
        self.error: BaseException | None = None
        self.q: queue.Queue | None = None
        if threaded:
            self.q = queue.Queue(maxsize=depth)
            self.t = threading.Thread(target=self._loop, name="corpus-writer", daemon=True)
            self.t.start()

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        with open(path, "wb") as fh:
            fh.write(data)

    def _loop(self) -> None:
        q = self.q
        while True:
            item = q.get()
            if item is None:
                return
            if self.error is None:
                try:
                    self._put(*item)
                except BaseException as exc:  # reported by close()
                    self.error = exc

    def write(self, path: Path, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        if self.q is None:
            self._put(path, data)
        else:
            self.q.put((path, data))

    def close(self) -> None:
        if self.q is not None:
            self.q.put(None)
            self.t.join()
        if self.error is not None:
            raise self.error


def _run(writer: "_Writer", threaded: bool) -> None:
    sink = _Sink(threaded)
    try:
        writer.run(sink)
    finally:
        sink.close()
        _story.cache_clear()


def _check_out_dir(out_dir: Path, force: bool) -> None:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(f"{out_dir} exists and is not a directory")
        if any(out_dir.iterdir()) and not force:
            raise FileExistsError(
                f"output directory {out_dir} exists and is not empty; "
                "choose another directory or pass --force (force=True) to write into it")
    out_dir.mkdir(parents=True, exist_ok=True)


def generate_corpus(out_dir: Path, size: int, seed: int = 0, force: bool = False,
                    threaded: bool = True) -> CorpusStats:
    """Write `size` articles into out_dir (subfolders 0000/, 0001/, ... of 1,000 slots).

    Refuses a non-empty out_dir unless force=True (which writes over files of the same
    name and leaves other files alone). Same (size, seed) gives byte-identical files.
    threaded=True writes files on one background thread (overlaps disk I/O with
    generation); the output is the same either way.
    """
    if size < 1:
        raise ValueError("size must be >= 1")
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, force)
    t0, c0 = time.perf_counter(), time.process_time()
    stats = CorpusStats()
    _run(_Writer(out_dir, f"s{seed}", size, "", "", True, stats), threaded)
    stats.seconds = round(time.perf_counter() - t0, 3)
    stats.cpu_seconds = round(time.process_time() - c0, 3)
    return stats


def add_new_articles(out_dir: Path, count: int, seed: int) -> list[Path]:
    """Add `count` new distinct articles (incremental batch) in new subfolders.

    Uses a seed space disjoint from generate_corpus (stories dated after the base corpus),
    writes into out_dir/new-s<seed>-0000/ (...), and never touches existing files. Shares of
    irrelevant articles, near-copies (of articles in the same batch) and formats are as in
    the base corpus; there are no exact duplicates. Raises FileExistsError if the batch
    folder for this seed already exists.
    """
    if count < 1:
        raise ValueError("count must be >= 1")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise FileNotFoundError(f"{out_dir} is not a directory")
    prefix = f"new-s{seed}-"
    existing = [p for p in out_dir.iterdir() if p.name.startswith(prefix)]
    if existing:
        raise FileExistsError(f"{existing[0]} already exists: a batch with seed {seed} was "
                              "already added; use another seed")
    stats = CorpusStats()
    _run(_Writer(out_dir, f"n{seed}", count, prefix, f"n{seed}_", False, stats, True), True)
    return stats.paths


# ----------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, help="number of articles to generate")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--force", action="store_true", help="write into a non-empty directory")
    ap.add_argument("--no-writer-thread", action="store_true",
                    help="write files on the main thread (slower on slow disks, same output)")
    ap.add_argument("--add", type=int, metavar="COUNT",
                    help="instead of a new corpus, add COUNT new articles to --out (seed space of --seed)")
    args = ap.parse_args(argv)
    try:
        if args.add is not None:
            t0 = time.perf_counter()
            paths = add_new_articles(args.out, args.add, args.seed)
            print(json.dumps({"added_files": len(paths), "articles": args.add,
                              "seconds": round(time.perf_counter() - t0, 3)}))
            return 0
        if args.size is None:
            ap.error("--size is required (or --add COUNT)")
        stats = generate_corpus(args.out, args.size, args.seed, force=args.force,
                                threaded=not args.no_writer_thread)
    except (FileExistsError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(stats.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
