"""Word lists for Hong Kong customer names and e-mail addresses (no real people)."""

from __future__ import annotations

# Romanised (HK Government / Cantonese) family names with rough relative frequencies.
FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Chan", 8.0), ("Wong", 7.5), ("Lee", 5.5), ("Cheung", 4.0), ("Lau", 3.5),
    ("Ho", 3.2), ("Ng", 3.0), ("Leung", 3.0), ("Lam", 3.0), ("Tang", 2.2),
    ("Cheng", 1.6), ("Chow", 1.6), ("Yeung", 1.4), ("Tsang", 1.3), ("Lai", 1.3),
    ("Yip", 1.2), ("Kwok", 1.2), ("Ma", 1.2), ("Lo", 1.1), ("Mak", 1.0),
    ("Fung", 1.0), ("Choi", 1.0), ("Tse", 1.0), ("Chu", 1.0), ("Law", 0.9),
    ("Tam", 0.9), ("Chung", 0.9), ("Siu", 0.8), ("Kwan", 0.8), ("Yuen", 0.8),
    ("Hui", 0.8), ("So", 0.7), ("Poon", 0.7), ("Wu", 0.7), ("Chiu", 0.7),
    ("Au", 0.6), ("Fong", 0.6), ("Wan", 0.6), ("Ko", 0.6), ("Yu", 0.6),
    ("Ip", 0.5), ("Mok", 0.5), ("Kong", 0.5), ("Liu", 0.5), ("Pang", 0.5),
    ("Tong", 0.5), ("Lui", 0.5), ("Chong", 0.4), ("Sze", 0.3), ("Ngai", 0.3),
    ("Yiu", 0.3), ("Luk", 0.3), ("Man", 0.3), ("Kam", 0.3), ("Szeto", 0.2),
    ("Cheuk", 0.2), ("Shek", 0.2), ("Keung", 0.2), ("Wai", 0.2), ("Lung", 0.2),
)  # fmt: skip

CANTONESE_GIVEN_NAMES: tuple[str, ...] = (
    "Tai Man", "Siu Ming", "Ka Yan", "Wing Sze", "Chi Keung", "Ka Ho", "Hoi Yan",
    "Wai Lun", "Mei Ling", "Pui Shan", "Kwok Wai", "Chun Kit", "Tsz Ching", "Hiu Tung",
    "Yuk Lan", "Man Yee", "Ka Wai", "Wing Yan", "Chi Wai", "Kin Man", "Suet Ying",
    "Lok Yin", "Tsz Hin", "Cheuk Hei", "Ho Yin", "Sze Wing", "Wai Man", "Kam Fai",
    "Siu Fong", "Mei Kuen", "Lai Ping", "Yuk Ming", "Chun Wai", "Ka Ming", "Hoi Ting",
    "Tsz Yan", "Yan Ting", "Wing Kei", "Pak Hei", "Chi Hang", "King Fai", "Wai Kit",
    "Shuk Fan", "So Fun", "Kit Ying", "Oi Lam", "Hiu Yan", "Ching Man", "Yee Man",
    "Ka Lok", "Chun Hei", "Hin Lun", "Long Yin", "Tsz Lok", "Sum Yi", "Wan Ki",
    "Kwan Ho", "Man Kit", "Shing Fung", "Yiu Wah", "Sau Ling", "Fung Yee", "Lai Kuen",
    "Wing Hong", "Kai Ming", "Hon Wai", "Chi Ho", "Cheuk Yin", "Nga Man", "Hoi Lam",
)  # fmt: skip

ENGLISH_GIVEN_NAMES: tuple[str, ...] = (
    "Kelvin", "Winnie", "Ivan", "Carmen", "Kenneth", "Venus", "Ricky", "Cherry",
    "Alvin", "Candy", "Jacky", "Karen", "Raymond", "Joyce", "Eric", "Mandy", "Tommy",
    "Fiona", "Gary", "Vivian", "Patrick", "Yvonne", "Dickson", "Queenie", "Edmond",
    "Phoebe", "Stanley", "Bonnie", "Terence", "Grace", "Alan", "Cathy", "Marco",
    "Angel", "Wilson", "Maggie", "Jason", "Iris", "Calvin", "Peggy", "Derek", "Kitty",
    "Samuel", "Crystal", "Vincent", "Shirley", "Anson", "Ada", "Dennis", "Elaine",
    "Felix", "Gloria", "Henry", "Jessie", "Matthew", "Natalie", "Oscar", "Rebecca",
    "Simon", "Tiffany", "Wallace", "Zoe", "Boris", "Connie", "Hugo", "Janice",
    "Keith", "Lydia", "Nelson", "Olivia", "Sunny", "Ken", "Michelle", "Tony", "Sharon",
)  # fmt: skip

EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.hk", "example.net")
# Share of e-mails per domain (same order as EMAIL_DOMAINS).
EMAIL_DOMAIN_WEIGHTS: tuple[int, ...] = (55, 30, 15)
