"""Build the labelled privacy evaluation corpus: ``messages.jsonl`` beside this script.

    .venv/bin/python tests/privacy_corpus/build_corpus.py [--seed 20261003] [--out PATH]

Deterministic (seeded): the same seed writes the same file, byte for byte. Every value is made
up: names come from the word lists below, e-mail domains are example.com / example.hk /
example.org / example.net, IP addresses mostly come from the documentation and private ranges,
card numbers and IBANs are random digits with their check digits computed here (Luhn, mod 97),
HKIDs are random letters and digits with the check digit computed here. None is a real person's.

Each line is one JSON object:

    {"id": "m0001", "kind": "complaint", "text": "...",
     "entities": [{"start": 11, "end": 23, "type": "PERSON"}]}

``type`` uses the scrubber's names: PERSON, EMAIL_ADDRESS, PHONE_NUMBER, HKID, CREDIT_CARD,
IP_ADDRESS, IBAN_CODE, ADDRESS. Labelling rules:

- A title is not part of a name: in "Mr Chan" only "Chan" is labelled.
- A phone number's span includes its country code and brackets: "(852) 9123 4567".
- An HKID's span includes its check digit and brackets: "A123456(3)". An HKID whose check digit
  is wrong is a mistyped number, not an identity card number: it is NOT labelled (the scrubber
  validates the check digit, as the issue asks), and the message it sits in counts as clean.
- An address's span runs from the flat/floor (or the first part given) to the last part given,
  district and region included: "Flat 5, 12/F, Block B, 23 Nathan Road, Mong Kok".
- Complaint refs, order numbers (also written without their ORD- prefix after "order"),
  customer numbers, SKUs, prices, dates, times, shop and mall names, masked card numbers
  ("card ending 1234") and district names on their own are not personal data.

Messages with no entity ("kind": "clean") must come out of the scrubber unchanged.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "messages.jsonl"
HOLDOUT_SOURCE = HERE / "holdout_source.txt"
HOLDOUT_OUT = HERE / "holdout.jsonl"
MARK = re.compile(r"\[\[([A-Z_]+)\|(.+?)\]\]")
DEFAULT_SEED = 20261003
N_PERSONAL = 380
N_CLEAN = 130
MIN_PER_TYPE = 40

# --- word lists (all names invented combinations) --------------------------------------------

SURNAMES = ["Chan", "Wong", "Lee", "Cheung", "Lau", "Ng", "Leung", "Ho", "Lam", "Tsang", "Yeung",
            "Kwok", "Mak", "Fung", "Tam", "Siu", "Chow", "Lai", "Tang", "Chu", "Yip", "Poon",
            "Tse", "Kwan", "Law", "Choi", "Yuen", "Man", "Lo", "Ma"]  # fmt: skip
GIVEN_CANTONESE = ["Tai Man", "Pui Shan", "Ka Yan", "Wing Kei", "Siu Ming", "Chi Keung",
                   "Mei Ling", "Hoi Yan", "Ka Ho", "Wai Lun", "Suet Ying", "Kwok Wing",
                   "Lok Yi", "Chun Hei", "Tsz Ching", "Man Kit", "Yuk Lan", "Ho Yin",
                   "Sze Wan", "Kin Fai"]  # fmt: skip
GIVEN_ENGLISH = ["Kelvin", "Ivy", "Mandy", "Peter", "Janet", "Winnie", "Carmen", "Jason",
                 "Eric", "Sharon", "Alan", "Yoyo", "Candy", "Ricky", "Fiona", "Gigi", "Ken",
                 "Priscilla", "Raymond", "Stephanie", "Angus", "Venus", "Wilson", "Queenie",
                 "Terence", "Joyce", "Dickson", "Kitty"]  # fmt: skip
OTHER_NAMES = ["Maria Santos", "Priya Sharma", "James Whitfield", "Sarah O'Connell",
               "Rahul Mehta", "Joy Dela Cruz", "Ahmed Qureshi", "Olivia Brennan",
               "Marisol Reyes", "Daniel Hartley", "Siti Rahmawati", "Thomas Becker"]  # fmt: skip
CHINESE_SURNAMES = "陳黃李張劉吳梁何林曾楊郭麥馮譚蕭周黎鄧朱"
CHINESE_GIVEN = ["大文", "小明", "美玲", "嘉欣", "偉倫", "志強", "詠琪", "家豪", "雪瑩", "俊傑",
                 "凱琳", "子晴"]  # fmt: skip
TITLES = ["Mr", "Mr.", "Ms", "Ms.", "Mrs", "Miss", "Dr"]

LOCAL_PARTS: list[Callable[[str, str], str]] = [
    lambda g, s: f"{g}.{s}",
    lambda g, s: f"{g}{s}",
    lambda g, s: f"{g[0]}{s}",
    lambda g, s: f"{g}_{s}",
    lambda g, s: f"{s}.{g}",
    lambda g, s: f"{g}.{s}{random.randint(1, 99)}",
    lambda g, s: f"{g}{random.randint(1970, 2005)}",
    lambda g, s: f"{s}{g[0]}{random.randint(10, 999)}",
    lambda g, s: f"{g}+crm",
]
EMAIL_DOMAINS = ["example.com", "example.hk", "example.com.hk", "example.org", "example.net",
                 "mail.example.com", "example.co.uk", "staff.example.hk"]  # fmt: skip

STREETS = ["Nathan Road", "Hennessy Road", "King's Road", "Queen's Road Central",
           "Tung Choi Street", "Shanghai Street", "Castle Peak Road", "Sai Yeung Choi Street South",
           "Ma Tau Wai Road", "Des Voeux Road West", "Electric Road", "Tai Po Road",
           "Lockhart Rd", "Jaffe Rd", "Po On Road", "Kwun Tong Road", "Sha Tsui Road",
           "Prince Edward Road West", "Argyle Street", "Chatham Road South", "Fa Yuen Street",
           "Canal Road East", "Java Road", "Temple Street", "Waterloo Rd", "Pokfulam Road",
           "Tsing Yi Road", "Tuen Mun Heung Sze Wui Road", "Yuen Long On Ning Road",
           "Kam Tin Road", "Wong Nai Chung Road", "Bonham Road"]  # fmt: skip
BUILDINGS = ["Harbour View Garden", "Golden Pearl Mansion", "Sunshine Court",
             "Grand Horizon", "Kwai Fong Plaza", "Mei Foo Sun Chuen", "Taikoo Shing",
             "City One Shatin", "Laguna City", "Whampoa Garden", "Amoy Gardens",
             "Kingswood Villas", "Tai Hing Gardens", "Richland Gardens", "Metro Harbour View",
             "Park Island", "Lucky Building", "Fortune Centre", "Wah Fu Estate",
             "Lok Fu Estate", "Fu Shin Estate", "Kornhill", "Heng Fa Chuen", "Ocean Shores",
             "Beverly Hill", "Ka Wai Chuen", "Cheerful Mansion", "Hoi Tat Building"]  # fmt: skip
DISTRICTS = ["Mong Kok", "Wan Chai", "Tsuen Wan", "Kwun Tong", "Tuen Mun", "Sha Tin",
             "Tai Koo", "Causeway Bay", "Sham Shui Po", "Yau Ma Tei", "North Point", "Aberdeen",
             "Tseung Kwan O", "Kowloon City", "Yuen Long", "Tai Po", "Hung Hom", "Jordan",
             "Sai Ying Pun", "Happy Valley", "Tin Shui Wai", "Ma On Shan",
             "Kwai Chung"]  # fmt: skip
REGIONS = ["Kowloon", "Hong Kong", "N.T.", "New Territories", "HK", "Kln"]
VILLAGES = ["Tai Po Tau Village", "Nam Wai Village", "Pak Tam Chung Village",
            "Sheung Tsuen Village", "Lam Tsuen San Tsuen"]  # fmt: skip
CHINESE_ADDRESS_PARTS = [("九龍", "旺角", "彌敦道"), ("香港", "灣仔", "軒尼詩道"),
                         ("新界", "沙田", "大埔道"), ("九龍", "深水埗", "長沙灣道"),
                         ("香港", "北角", "英皇道"), ("新界", "荃灣", "青山公路")]  # fmt: skip

STORES = ["Mong Kok", "Causeway Bay", "Tsim Sha Tsui", "Sha Tin", "Central"]
MALLS = ["Festival Walk", "Times Square", "Langham Place", "apm", "Harbour City",
         "New Town Plaza", "Telford Plaza", "iSquare", "Cityplaza", "MOKO"]  # fmt: skip
PRODUCTS = ["air fryer", "rice cooker", "55-inch TV", "robot vacuum", "kettle", "dehumidifier",
            "power bank", "blender", "hair dryer", "induction cooker", "air purifier",
            "Bluetooth speaker", "electric fan", "microwave", "soundbar", "coffee machine",
            "water filter", "laptop", "tablet", "washing machine"]  # fmt: skip
BRANDS = ["Philips", "Panasonic", "Dyson", "Samsung", "Sony", "Xiaomi", "Tefal", "Toshiba",
          "Sharp", "Zojirushi", "Midea", "LG", "Electrolux", "Lenovo", "Apple"]  # fmt: skip
SKU_CODES = ["ELE", "HOM", "KIT", "AUD", "COM", "APP"]
CHINESE_FILLERS = ["唔該", "麻煩你", "你好", "多謝", "好急", "點解", "搞掂未", "我想投訴",
                   "幫幫手", "請盡快"]  # fmt: skip


# --- generators for values -------------------------------------------------------------------


def luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(random.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:  # the digit next to the check digit is doubled
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return body + str((10 - total % 10) % 10)


def hkid_check(prefix: str) -> str:
    body = prefix.rjust(8)
    values = [36 if c == " " else int(c) if c.isdigit() else ord(c) - 55 for c in body]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def iban_complete(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    return f"{country}{98 - number % 97:02d}{bban}"


def digits(n: int) -> str:
    return "".join(random.choice(string.digits) for _ in range(n))


def letters(n: int) -> str:
    return "".join(random.choice(string.ascii_uppercase) for _ in range(n))


def person() -> tuple[str, str]:
    """(how the name is written, given name for e-mails)."""
    s, c, e = random.choice(SURNAMES), random.choice(GIVEN_CANTONESE), random.choice(GIVEN_ENGLISH)
    form = random.randrange(9)
    if form == 0:
        return f"{s} {c}", c.split()[0]
    if form == 1:
        return f"{e} {s}", e
    if form == 2:
        return f"{s.upper()} {c}", c.split()[0]
    if form == 3:
        return f"{e} {s} {c}", e
    if form == 4:
        return f"{c} {s}", c.split()[0]
    if form == 5:
        return random.choice(OTHER_NAMES), "x"
    if form == 6:
        return f"{s} {c}, {e}", e  # "Chan Tai Man, Kelvin" as on HK forms
    if form == 7:
        return f"{e} {c.replace(' ', '-')} {s}", e
    return f"{s} {e}", e


def given_name() -> str:
    return random.choice(GIVEN_ENGLISH)


def email() -> str:
    g = random.choice(GIVEN_ENGLISH + [c.replace(" ", "") for c in GIVEN_CANTONESE]).lower()
    s = random.choice(SURNAMES).lower()
    value = f"{random.choice(LOCAL_PARTS)(g, s)}@{random.choice(EMAIL_DOMAINS)}"
    return value.upper() if random.random() < 0.05 else value


def hk_phone() -> str:
    number = random.choice("2356789") + digits(7)
    a, b = number[:4], number[4:]
    return random.choice([
        f"{a} {b}", f"{a}{b}", f"{a}-{b}", f"+852 {a} {b}", f"+852-{a}-{b}", f"+852{a}{b}",
        f"(852) {a} {b}", f"(+852) {a}{b}", f"852 {a} {b}", f"00852 {a} {b}", f"+852 {a}-{b}",
        f"852-{a}{b}", f"{a} {b}", f"{a}{b}",
    ])  # fmt: skip


def intl_phone() -> str:
    return random.choice([
        lambda: f"+86 13{random.randint(0, 9)} {digits(4)} {digits(4)}",
        lambda: f"+86 15{random.choice('0125789')}{digits(8)}",
        lambda: f"+44 20 7946 {digits(4)}",
        lambda: f"+44 7700 9{digits(5)}",
        lambda: f"+1 212 {random.randint(200, 999)} {digits(4)}",
        lambda: f"+1 (415) {random.randint(200, 999)}-{digits(4)}",
        lambda: f"+65 {random.choice('689')}{digits(3)} {digits(4)}",
        lambda: f"+61 4{digits(2)} {digits(3)} {digits(3)}",
        lambda: f"+63 917 {digits(3)} {digits(4)}",
        lambda: f"+853 6{digits(3)} {digits(4)}",
    ])()  # fmt: skip


def phone() -> str:
    return intl_phone() if random.random() < 0.15 else hk_phone()


def hkid_parts() -> tuple[str, str]:
    prefix = letters(2 if random.random() < 0.25 else 1) + digits(6)
    return prefix, hkid_check(prefix)


def hkid() -> str:
    prefix, check = hkid_parts()
    return random.choice(
        [f"{prefix}({check})", f"{prefix}({check})", f"{prefix}{check}", f"{prefix} ({check})"]
    )


def bad_hkid() -> str:
    prefix, check = hkid_parts()
    wrong = random.choice([c for c in "0123456789A" if c != check])
    return random.choice([f"{prefix}({wrong})", f"{prefix}{wrong}"])


def card() -> str:
    kind = random.randrange(7)
    if kind == 6:  # American Express: 4-6-5
        number = luhn_complete(random.choice(["34", "37"]), 15)
        sep = random.choice([" ", "-", ""])
        return sep.join([number[:4], number[4:10], number[10:]])
    prefix = ["4", "5" + random.choice("12345"), "62", "35" + random.choice("2345678"),
              "4", str(random.randint(2221, 2720))][kind]  # fmt: skip
    number = luhn_complete(prefix, 16)
    sep = random.choice([" ", " ", "-", ""])
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


def ip() -> str:
    kind = random.randrange(7)
    if kind == 0:
        return f"192.168.{random.randint(0, 255)}.{random.randint(1, 254)}"
    if kind == 1:
        return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
    if kind == 2:
        return f"203.0.113.{random.randint(1, 254)}"
    if kind == 3:
        return f"198.51.100.{random.randint(1, 254)}"
    if kind == 4:
        return f"172.{random.randint(16, 31)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
    groups = [f"{random.randint(0, 65535):x}" for _ in range(4)]
    if kind == 5:
        return f"2001:db8:{groups[0]}::{groups[1]}:{groups[2]}"
    return f"fe80::{groups[0]}:{groups[1]}:{groups[2]}:{groups[3]}"


IBAN_FORMATS: list[Callable[[], tuple[str, str]]] = [
    lambda: ("GB", letters(4) + digits(14)),
    lambda: ("DE", digits(18)),
    lambda: ("FR", digits(23)),
    lambda: ("NL", letters(4) + digits(10)),
    lambda: ("CH", digits(17)),
    lambda: ("ES", digits(20)),
    lambda: ("IT", letters(1) + digits(22)),
    lambda: ("IE", letters(4) + digits(14)),
]


def iban() -> str:
    value = iban_complete(*random.choice(IBAN_FORMATS)())
    if random.random() < 0.6:
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return value


def address() -> str:
    n = random.randint(1, 399)
    street = f"{n} {random.choice(STREETS)}"
    if random.random() < 0.15:
        street = f"{n}-{n + 2 * random.randint(1, 4)} {random.choice(STREETS)}"
    flat = random.choice([f"Flat {random.randint(1, 30)}{random.choice('ABCDEFGH')}",
                          f"Flat {random.choice('ABCDEFGH')}", f"Room {random.randint(101, 3512)}",
                          f"Rm {random.randint(1, 30)}", f"Unit {random.randint(101, 2810)}",
                          f"Flat {random.randint(1, 30)}"])  # fmt: skip
    fl = random.randint(1, 48)
    floor = random.choice([f"{fl}/F", f"{fl}/F", f"{fl}/F.", f"{fl}th Floor", "G/F", f"{fl}/f"])
    block = random.choice([f"Block {random.choice('ABCDEF')}", f"Blk {random.randint(1, 12)}",
                           f"Tower {random.randint(1, 9)}",
                           f"Twr {random.randint(1, 9)}"])  # fmt: skip
    building, district = random.choice(BUILDINGS), random.choice(DISTRICTS)
    region = random.choice(REGIONS)
    form = random.randrange(12)
    parts: list[str]
    if form == 0:
        parts = [flat, floor, block, building, street, district, region]
    elif form == 1:
        parts = [flat, floor, building, street]
    elif form == 2:
        parts = [floor, street, district]
    elif form == 3:
        parts = [flat, floor, block, building]
    elif form == 4:
        parts = [street, district]
    elif form == 5:
        parts = [flat, floor, building, district]
    elif form == 6:
        parts = [flat, floor, block, building, district, region]
    elif form == 7:
        parts = [floor, street]
    elif form == 8:
        return f"House {random.randint(1, 60)}, {random.choice(VILLAGES)}, {district}, N.T."
    elif form == 9:
        region_zh, district_zh, street_zh = random.choice(CHINESE_ADDRESS_PARTS)
        return (
            f"{region_zh}{district_zh}{street_zh}{n}號{random.randint(1, 30)}樓"
            f"{random.choice('ABCDEF')}室"
        )
    elif form == 10:
        return ", ".join([flat, floor, block, building, street, district]).lower()
    else:
        parts = [flat, floor, street, district]
    return random.choice([", ", ", ", " "]).join(parts) if form != 0 else ", ".join(parts)


def chinese_name() -> str:
    return random.choice(CHINESE_SURNAMES) + random.choice(CHINESE_GIVEN)


# --- non-personal fillers --------------------------------------------------------------------


def filler(kind: str) -> str:
    if kind == "order":
        return f"ORD-{random.randint(1, 99999999):08d}"
    if kind == "order_bare":  # customers often drop the prefix
        return f"{random.randint(20000000, 99999999)}"
    if kind == "cmp":
        return f"CMP-{random.randint(1, 999999):06d}"
    if kind == "cust":
        return f"C{random.randint(1, 999999):06d}"
    if kind == "sku":
        return f"SKU-{random.choice(SKU_CODES)}-{random.randint(1, 99999):05d}"
    if kind == "price":
        amount = random.choice([random.randint(20, 999), random.randint(1000, 29999)])
        cents = random.choice(["", ".00", f".{random.randint(10, 99)}"])
        grouped = f"{amount:,}"
        return random.choice([f"HK${grouped}{cents}", f"${amount}", f"HKD {amount}",
                              f"HK$ {grouped}", f"{amount} HKD", f"HKD{grouped}{cents}",
                              f"${grouped}{cents}"])  # fmt: skip
    if kind == "date":
        d, m, y = random.randint(1, 28), random.randint(1, 12), random.choice([2025, 2026])
        month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                 "Dec"][m - 1]  # fmt: skip
        long_month = ["January", "February", "March", "April", "May", "June", "July", "August",
                      "September", "October", "November", "December"][m - 1]  # fmt: skip
        return random.choice([f"{d} {month} {y}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}",
                              f"{long_month} {d}", f"{d} {long_month}", f"{d}/{m}",
                              f"{month} {d}, {y}"])  # fmt: skip
    if kind == "time":
        h, mi = random.randint(9, 21), random.choice([0, 15, 30, 45, 5, 50])
        return random.choice(
            [f"{h}:{mi:02d}", f"{h % 12 or 12}pm" if h > 12 else f"{h}am", f"{h:02d}{mi:02d}"]
        )
    if kind == "store":
        return random.choice(STORES)
    if kind == "mall":
        return random.choice(MALLS)
    if kind == "product":
        return random.choice(PRODUCTS)
    if kind == "brand":
        return random.choice(BRANDS)
    if kind == "n":
        return str(random.randint(2, 45))
    if kind == "last4":
        return digits(4)
    if kind == "zh":
        return random.choice(CHINESE_FILLERS)
    raise KeyError(kind)


ENTITY_MAKERS: dict[str, tuple[str, Callable[[], str]]] = {
    "name": ("PERSON", lambda: person()[0]),
    "given": ("PERSON", given_name),
    "surname": ("PERSON", lambda: random.choice(SURNAMES)),
    "zh_name": ("PERSON", chinese_name),
    "zh_surname": ("PERSON", lambda: random.choice(CHINESE_SURNAMES)),
    "email": ("EMAIL_ADDRESS", email),
    "phone": ("PHONE_NUMBER", phone),
    "hk_phone": ("PHONE_NUMBER", hk_phone),
    "intl_phone": ("PHONE_NUMBER", intl_phone),
    "hkid": ("HKID", hkid),
    "card": ("CREDIT_CARD", card),
    "ip": ("IP_ADDRESS", ip),
    "iban": ("IBAN_CODE", iban),
    "address": ("ADDRESS", address),
}
FILLER_MAKERS: dict[str, Callable[[], str]] = {"bad_hkid": bad_hkid, "title": lambda: "Mr"}

# --- templates -------------------------------------------------------------------------------
# {slot} is an entity (see ENTITY_MAKERS), {:kind} a filler. {title} picks a title.

PERSONAL_TEMPLATES = {
    "complaint": [
        "My name is {name} and I want to complain about order {:order}. Nobody has called me back.",
        "Hi, this is {name}. The {:product} I bought at {:store} on {:date} stopped working. "
        "Please call {phone}.",
        "I ordered a {:product} ({:sku}) for {:price} and it never arrived. Deliver to {address}.",
        "The courier could not find {address}?? I was home all day on {:date}!!",
        "complaint {:cmp}: still no reply. you can reach me on {phone} after {:time}",
        "{title} {surname} at the {:store} shop was very rude to my mother. I want a manager to "
        "call me at {phone}.",
        "I was charged twice on my card {card} for order {:order} ({:price} each).",
        "Why did you send the invoice to {email}? That is my old address, use {email} instead.",
        "The delivery guy left my {:product} outside {address} in the rain. Ref {:cmp}.",
        "I paid {:price} with {card} at {:mall} and the receipt shows a different amount.",
        "Please refund the deposit to my bank account, IBAN {iban}. Order {:order}.",
        "Still waiting for the refund of {:price}. My IBAN is {iban} (account name {name}).",
        "I called your hotline 5 times. My mobile is {phone}, name {name}, customer no {:cust}.",
        "Your staff {given} told me the {:brand} {:product} had 2 years warranty, now you say 1.",
        "my wife {name} bought it for me, her email is {email}, please send the warranty there",
        "The technician came to {address} but did not bring the parts. Call me {phone}",
        "I want to speak to {title} {surname} again, he promised a replacement by {:date}.",
        "Order {:order} was delivered to the wrong flat. My address is {address}, not the one "
        "next door.",
        "Complaint about {:sku}: it overheats. Contact: {name}, {phone}, {email}.",
        "I asked {given} at the counter and she said to email {email}. No answer after {:n} days.",
        "{:zh}!! order {:order} 仲未到, 電話 {phone}",
        "我叫{zh_name}, the {:product} from {:store} is broken, please call {phone}",
        "{zh_surname}先生 called about {:cmp}, 佢話 the refund of {:price} never arrived",
        "送貨地址: {address}. 麻煩你 deliver before {:date}.",
        "你好, my email 係 {email}, 請send the e-receipt for order {:order}",
        "PLEASE CALL ME BACK ON {hk_phone} ABOUT {:cmp} - {name}",
        "The card {card} was charged {:price} but the order {:order} was cancelled.",
        "I have been a member since 2015 ({:cust}) and this is how you treat me? - {name}",
        "wrong item delivered to {address}. i ordered {:sku} not this",
        "Dear team, I am {name}. Please note my new number {phone}; the old one is cancelled.",
        "Refund to card ending {:last4} please, not to {card} which is my husband's.",
        "I'm {given}, the one who complained at {:store} yesterday. Reach me on {phone}.",
        "Your website logged me out and showed someone else's order from IP {ip}?!",
        "Hello?? Is anyone reading these. {name}, {phone}. Order {:order} {:price}",
        "I returned the {:product} on {:date}. Please send the {:price} to {iban}, I no longer "
        "use the card.",
        "Someone logged into my account from {ip} and changed my address! I am in {:store}.",
        "My account shows a login from {ip} at {:time} that was not me.",
        "You charged {card} instead of my other card {card}. Fix it.",
        "bank details for the refund: {iban} / account holder {name}",
    ],
    "profile_update": [
        "Please update my phone number to {phone}.",
        "Change my email to {email} please",
        "New address: {address}",
        "I moved. Please deliver to {address} from now on.",
        "Update my contact: {name}, {phone}, {email}",
        "my hkid is {hkid}, please link it to my membership",
        "HKID {hkid}, name {name}. I need the invoice re-issued in my name.",
        "For the warranty registration: {name}, HKID no. {hkid}, tel {phone}",
        "Can you change the account holder to {name}? Her HKID is {hkid}.",
        "Please remove {email} and use {email} for e-receipts.",
        "Mobile {hk_phone} (whatsapp), office {hk_phone}",
        "I have a new overseas number: {intl_phone}",
        "For refunds use IBAN {iban}, bank account in my name {name}",
        "Billing address is {address}; delivery address is {address}",
        "update phone {phone} thx",
        "Spell my name correctly please: {name}, not {name}.",
        "I entered my HKID as {bad_hkid} by mistake, the correct one is {hkid}.",
        "Please save my card {card} for future orders.",
        "The form says my HKID {hkid} is already registered?",
        "My daughter {name} ({email}) can collect the parcel at {:store}.",
        "請更新我的電話: {phone}",
        "身份證號碼 {hkid}, 電話 {phone}",
        "新地址 {address}, 多謝",
        "please use {email} — the {email} mailbox is full",
        "Contact person: {title} {surname}, {hk_phone}",
        "I live at {address}, 9/F is the wrong floor on my record",
        "My bank changed. New IBAN for refunds: {iban}",
        "HKID card no. {hkid} and a copy of the receipt for {:order}, as you asked.",
        "Why do you need my ID? Fine: {hkid}. Now please process {:cmp}.",
        "For the instalment plan: {name}, {hkid}, {address}",
        "Replace the saved card with {card}, expiry 09/29.",
        "Please whitelist my office IP {ip} for the business account {:cust}.",
    ],
    "staff_note": [
        "Customer {name} ({:cust}) called about {:cmp}. Callback on {phone} after {:time}.",
        "Verified identity with HKID {hkid}. Refund of {:price} approved for {:order}.",
        "Login attempts from {ip} and {ip} within 2 minutes; account {:cust} locked.",
        "Chargeback on card {card}, order {:order}, amount {:price}. Escalated to finance.",
        "Customer asked refund to IBAN {iban}; forwarded to finance with {:cmp}.",
        "Spoke to {title} {surname} ({phone}). Agreed replacement {:sku} by {:date}.",
        "Site visit to {address} booked for {:date} {:time}. Technician: {given}.",
        "Email bounced: {email}. Tried {phone}, no answer.",
        "Fraud check: order {:order} placed from {ip}, card {card}, ship-to {address}.",
        "Per {given} (supervisor), waive delivery fee for {:cmp}.",
        "Customer insists HKID on file is {hkid}, our record shows {bad_hkid} (typo). Fixed.",
        "cs note - {name} called 3x re {:order}, pls call back {phone}",
        "Handed over to {given} in the {:store} shop. Customer email {email}.",
        "API errors from {ip} for {:cust}; not personal data related.",
        "Session {:cust} IP {ip}, user agent Chrome 120. Password reset sent to {email}.",
        "Escalation: {name} threatens to go to the Consumer Council over {:cmp}.",
        "Customer read out card number {card} on the call - advised not to; note redacted?",
        "Refund via bank transfer: {iban}. Name on account {name}.",
        "Courier reports {address} has no such flat. Asked customer to confirm on {phone}.",
        "Delivered to {address} on {:date}; signed by {given}.",
        "follow up {:cmp} w/ {title} {surname} re {:brand} {:product}",
        "Duplicate account: {email} and {email} both belong to {:cust}.",
        "Blocked IP {ip} after 20 failed logins.",
        "Customer gave HKID {hkid} but refused to give phone. Use email {email}.",
        "Called {phone} and {phone}, both no answer. Will try {:date}.",
        "ID checked at {:store} counter: {hkid} matches the member record {:cust}.",
        "Web order {:order} flagged: billing card {card}, checkout IP {ip}.",
        "Refund for {:cmp} cannot go back to the card (expired). Customer gave IBAN {iban}.",
        "Finance: transfer {:price} to {iban} (beneficiary {name}), ref {:cmp}.",
        "Repeated password resets for {:cust} from {ip}; last good login from {ip}.",
        "Admin console access from {ip} outside office hours, ticket {:cmp}.",
        "Customer dictated IBAN {iban} twice, second time as {iban}; used the second.",
        "Card {card} declined 3 times, customer then paid with {card}.",
        "IP {ip} placed 14 orders in 10 minutes (bot?). Orders cancelled incl. {:order}.",
    ],
}

CLEAN_TEMPLATES = [
    "Complaint {:cmp} about order {:order} for customer {:cust}.",
    "Order {:order} was late by {:n} days.",
    "The {:sku} {:product} and {:sku} both failed within a week.",
    "It cost {:price}, the shelf said {:price} and the receipt says {:price}.",
    "Bought on {:date}, delivered {:date}, refunded {:date}.",
    "Staff at the {:store} shop ignored me for twenty minutes at the counter.",
    "The salesperson at {:store} was rude when I asked about the warranty.",
    "The {:brand} {:product} I bought at {:mall} is making a loud noise.",
    "Can I exchange the {:product} at the {:store} branch? I bought it on {:date}.",
    "Order {:order} shows delivered at {:time} on {:date} but nothing arrived.",
    "My order number is {:order_bare}, please check the status.",
    "order {:order_bare} still not shipped, paid {:price}",
    "Invoice no. {:order_bare} has the wrong amount: {:price} instead of {:price}.",
    "Tracking number SF{:order_bare}{:last4} has not moved since {:date}.",
    "I was charged twice, {:price} on {:date} at {:time}.",
    "The {:product} ({:sku}) is {:price} at {:mall} but {:price} online??",
    "Paid with the card ending {:last4}, total {:price}.",
    "Card ending in {:last4} was charged {:price} for {:order}.",
    "The {:store} shop closes at {:time} but the website says 10pm.",
    "{:zh}, order {:order} 幾時到? 已經等咗 {:n} 日",
    "我想問 {:sku} 有冇貨 at {:store}, 價錢 {:price}",
    "{:cmp}: customer accepted a voucher of {:price}. Closed on {:date}.",
    "Follow-up on {:cmp} done, customer satisfied with the {:brand} replacement.",
    "Replacement {:sku} sent from the {:mall} store, ETA {:date}.",
    "Refund of {:price} processed for {:order} on {:date}.",
    "Customer {:cust} upgraded to gold tier after {:price} spend.",
    "Stock check: {:n} units of {:sku} at {:store}, 0 at {:mall}.",
    "The {:product} arrived with a cracked lid. Box was fine. {:order}.",
    "Why is the {:brand} {:product} {:price} here and HK$ 200 cheaper at {:mall}?",
    "Delivery slot {:time}-{:time} on {:date} please, for {:order}.",
    "Warranty for {:sku} is 12 months from {:date}.",
    "Points balance is 12,450 after order {:order}; expected 13,000.",
    "Model KD-55X85L, serial 4K{:order_bare}, screen flickers after {:n} minutes.",
    "Queue at {:store} was 45 minutes at {:time}, only 2 counters open.",
    "The {:mall} store gave me {:price} store credit instead of cash.",
    "Promo code SAVE20 did not apply to {:order}; the price stayed {:price}.",
    "Ticket {:cmp} reopened: the {:product} failed again on {:date}.",
    "Order qty 3 but only 2 delivered ({:sku}).",
    "Price match request: {:price} vs {:price} for {:sku}.",
    "So I went to {:store}, then {:mall}, and neither had the {:product}.",
    "The lift to the {:store} shop has been out of order for a week.",
    "App version 3.2.1 crashes at checkout with order {:order}.",
    "Refund reference {:order_bare} from the bank for {:price}.",
    "Receipt {:order_bare} dated {:date}, total {:price}.",
    "Delivered {:date} at {:time}; the box for {:order} was wet.",
    "Escalated {:cmp} to the {:store} shop manager. SLA due {:date} {:time}.",
    "The agent on counter 3 handled {:cmp} well, customer said thanks.",
    "Customer says the {:brand} {:product} in {:mall} was a display unit.",
    "Code 1234 5678 9012 on the {:mall} voucher is not valid, the app says.",
    "I bought 2 x {:sku} at {:price} each, total should be lower.",
    "Order {:order}, {:n} items, {:price}, paid by FPS.",
    "{:order} {:order} {:order} all delayed, {:date}.",
    "Is the {:store} shop open on {:date}? Public holiday.",
    "the {:product} is 2200W but the box says 1800W",
    "Energy label grade 1, {:n} litres, {:price} after discount.",
    "Ext. 2301 at head office handles {:cmp}.",
    "Opening hours 10:00-22:00 at {:mall}, {:store} until 21:30.",
    "55 inch or 65 inch? Budget {:price}.",
    "Chat closed at {:time} by agent, ref {:cmp}.",
    "Size 42 shoes, code {:sku}, exchange at {:store} on {:date}.",
]

TITLE_SLOT = re.compile(r"\{title\}")
SLOT = re.compile(r"\{(:?)([a-z_0-9]+)\}")


def fill(template: str) -> tuple[str, list[dict[str, object]]]:
    out: list[str] = []
    entities: list[dict[str, object]] = []
    position = 0
    length = 0
    for match in SLOT.finditer(template):
        literal = template[position : match.start()]
        out.append(literal)
        length += len(literal)
        is_filler, slot = match.group(1) == ":", match.group(2)
        if slot == "title":
            value, label = random.choice(TITLES), None
        elif is_filler:
            value, label = filler(slot), None
        elif slot in FILLER_MAKERS:
            value, label = FILLER_MAKERS[slot](), None
        else:
            label, make = ENTITY_MAKERS[slot]
            value = make()
        if label is not None:
            entities.append({"start": length, "end": length + len(value), "type": label})
        out.append(value)
        length += len(value)
        position = match.end()
    out.append(template[position:])
    return "".join(out), entities


def build(seed: int) -> list[dict[str, object]]:
    random.seed(seed)
    messages: list[dict[str, object]] = []
    personal = [(kind, t) for kind, ts in PERSONAL_TEMPLATES.items() for t in ts]
    order: list[tuple[str, str]] = []
    while len(order) < N_PERSONAL:
        batch = list(personal)
        random.shuffle(batch)
        order.extend(batch)
    for kind, template in order[:N_PERSONAL]:
        text, entities = fill(template)
        messages.append({"kind": kind, "text": text, "entities": entities})
    clean_order: list[str] = []
    while len(clean_order) < N_CLEAN:
        clean_batch = list(CLEAN_TEMPLATES)
        random.shuffle(clean_batch)
        clean_order.extend(clean_batch)
    for template in clean_order[:N_CLEAN]:
        text, entities = fill(template)
        assert not entities, template
        messages.append({"kind": "clean", "text": text, "entities": []})
    random.shuffle(messages)
    for index, message in enumerate(messages, start=1):
        message["id"] = f"m{index:04d}"
        if not message["entities"]:
            message["kind"] = "clean"
    return [
        {"id": m["id"], "kind": m["kind"], "text": m["text"], "entities": m["entities"]}
        for m in messages
    ]


def holdout(source: Path = HOLDOUT_SOURCE) -> list[dict[str, object]]:
    """The hand-written held-out messages: ``[[TYPE|value]]`` marks an entity."""
    messages: list[dict[str, object]] = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, entities, position = "", [], 0
        for match in MARK.finditer(line):
            text += line[position : match.start()]
            entities.append(
                {"start": len(text), "end": len(text) + len(match[2]), "type": match[1]}
            )
            text += match[2]
            position = match.end()
        text += line[position:]
        kind = "holdout" if entities else "clean"
        messages.append({"id": f"h{len(messages) + 1:03d}", "kind": kind, "text": text,
                         "entities": entities})  # fmt: skip
    return messages


def write(messages: list[dict[str, object]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for message in messages:
            handle.write(json.dumps(message, ensure_ascii=False) + "\n")


def type_counts(messages: list[dict[str, object]]) -> Counter[str]:
    return Counter(
        str(e["type"])
        for m in messages
        for e in m["entities"]  # type: ignore[attr-defined]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    messages = build(args.seed)
    counts = type_counts(messages)
    clean = sum(1 for m in messages if not m["entities"])
    short = {t: counts[t] for t in ENTITY_TYPES if counts[t] < MIN_PER_TYPE}
    if short or clean < 100:
        raise SystemExit(f"corpus too thin: {short}, {clean} clean messages")
    write(messages, args.out)
    print(f"{len(messages)} messages ({clean} clean) -> {args.out}")
    for entity_type in ENTITY_TYPES:
        print(f"  {entity_type:<14} {counts[entity_type]}")
    if args.out == DEFAULT_OUT:
        held_out = holdout()
        write(held_out, HOLDOUT_OUT)
        print(f"{len(held_out)} held-out messages -> {HOLDOUT_OUT}")


ENTITY_TYPES = ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "HKID", "CREDIT_CARD", "IP_ADDRESS",
                "IBAN_CODE", "ADDRESS")  # fmt: skip

if __name__ == "__main__":
    main()
