"""Which of Hong Kong's 18 districts an address is in, from the district or a well-known
area named in it ("Flat B, 12/F, 8 Nathan Road, Mong Kok" -> Yau Tsim Mong)."""

from __future__ import annotations

import re
from functools import lru_cache

# District -> names that place an address in it (district name, areas, Chinese names).
# "North", "Eastern", "Southern" and "Islands" alone are ordinary words ("North Point"),
# so they count only as "... District".
_NAMES: dict[str, tuple[str, ...]] = {
    "Central and Western": (
        "Central and Western",
        "Central",
        "Sheung Wan",
        "Sai Ying Pun",
        "Kennedy Town",
        "Mid-Levels",
        "The Peak",
        "中西區",
        "中環",
        "上環",
        "西營盤",
        "堅尼地城",
    ),
    "Wan Chai": (
        "Wan Chai",
        "Causeway Bay",
        "Happy Valley",
        "Tai Hang",
        "灣仔",
        "銅鑼灣",
        "跑馬地",
    ),
    "Eastern": (
        "Eastern District",
        "North Point",
        "Quarry Bay",
        "Tai Koo",
        "Taikoo Shing",
        "Sai Wan Ho",
        "Shau Kei Wan",
        "Chai Wan",
        "Fortress Hill",
        "東區",
        "北角",
        "鰂魚涌",
        "太古",
        "筲箕灣",
        "柴灣",
    ),
    "Southern": (
        "Southern District",
        "Aberdeen",
        "Ap Lei Chau",
        "Stanley",
        "Repulse Bay",
        "Pok Fu Lam",
        "Wong Chuk Hang",
        "南區",
        "香港仔",
        "鴨脷洲",
        "赤柱",
        "薄扶林",
    ),
    "Yau Tsim Mong": (
        "Yau Tsim Mong",
        "Tsim Sha Tsui",
        "Mong Kok",
        "Yau Ma Tei",
        "Jordan",
        "Tai Kok Tsui",
        "Prince Edward",
        "油尖旺",
        "尖沙咀",
        "旺角",
        "油麻地",
        "佐敦",
        "大角咀",
    ),
    "Sham Shui Po": (
        "Sham Shui Po",
        "Cheung Sha Wan",
        "Lai Chi Kok",
        "Shek Kip Mei",
        "Mei Foo",
        "深水埗",
        "長沙灣",
        "荔枝角",
        "石硤尾",
        "美孚",
    ),
    "Kowloon City": (
        "Kowloon City",
        "Hung Hom",
        "To Kwa Wan",
        "Ho Man Tin",
        "Kowloon Tong",
        "Kai Tak",
        "九龍城",
        "紅磡",
        "土瓜灣",
        "何文田",
        "九龍塘",
        "啟德",
    ),
    "Wong Tai Sin": (
        "Wong Tai Sin",
        "Diamond Hill",
        "San Po Kong",
        "Lok Fu",
        "Tsz Wan Shan",
        "黃大仙",
        "鑽石山",
        "新蒲崗",
        "樂富",
        "慈雲山",
    ),
    "Kwun Tong": (
        "Kwun Tong",
        "Ngau Tau Kok",
        "Kowloon Bay",
        "Lam Tin",
        "Yau Tong",
        "Sau Mau Ping",
        "觀塘",
        "牛頭角",
        "九龍灣",
        "藍田",
        "油塘",
        "秀茂坪",
    ),
    "Kwai Tsing": (
        "Kwai Tsing",
        "Kwai Chung",
        "Kwai Fong",
        "Tsing Yi",
        "葵青",
        "葵涌",
        "葵芳",
        "青衣",
    ),
    "Tsuen Wan": ("Tsuen Wan", "Ma Wan", "荃灣", "馬灣"),
    "Tuen Mun": ("Tuen Mun", "屯門"),
    "Yuen Long": ("Yuen Long", "Tin Shui Wai", "Kam Tin", "元朗", "天水圍", "錦田"),
    "North": ("North District", "Sheung Shui", "Fanling", "Sha Tau Kok", "北區", "上水", "粉嶺"),
    "Tai Po": ("Tai Po", "大埔"),
    "Sha Tin": (
        "Sha Tin",
        "Shatin",
        "Ma On Shan",
        "Tai Wai",
        "Fo Tan",
        "沙田",
        "馬鞍山",
        "大圍",
        "火炭",
    ),
    "Sai Kung": ("Sai Kung", "Tseung Kwan O", "Hang Hau", "Po Lam", "西貢", "將軍澳", "坑口"),
    "Islands": (
        "Islands District",
        "Tung Chung",
        "Lantau",
        "Cheung Chau",
        "Discovery Bay",
        "Lamma",
        "Mui Wo",
        "離島",
        "東涌",
        "大嶼山",
        "長洲",
        "愉景灣",
        "南丫島",
    ),
}
DISTRICTS: tuple[str, ...] = tuple(_NAMES)


@lru_cache
def _pattern() -> re.Pattern[str]:
    # Longest names first, so "Kowloon City" wins over a shorter name inside it.
    names = sorted((n for names in _NAMES.values() for n in names), key=len, reverse=True)
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"[\s-]+") for n in names)
    return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])", re.IGNORECASE)


@lru_cache
def _district_of_name() -> dict[str, str]:
    return {_key(n): district for district, names in _NAMES.items() for n in names}


def _key(name: str) -> str:
    return re.sub(r"[\s-]+", " ", name).casefold()


def find_district(address: str) -> str | None:
    """The district an address names, or None when it names none we know."""
    match = _pattern().search(address or "")
    return _district_of_name()[_key(match.group(0))] if match else None
