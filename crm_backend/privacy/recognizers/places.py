"""Hong Kong district and area names: part of an address, but not personal data on their own.

Plain data, no Presidio import (the allow-list uses it before anything heavy is loaded).
"""

from __future__ import annotations

import re

# Districts and the areas people name in addresses (and shops are named after).
DISTRICTS = (
    "Central and Western", "Wan Chai", "Eastern", "Southern", "Yau Tsim Mong", "Sham Shui Po",
    "Kowloon City", "Wong Tai Sin", "Kwun Tong", "Kwai Tsing", "Tsuen Wan", "Tuen Mun",
    "Yuen Long", "Tai Po", "Sha Tin", "Sai Kung", "Islands", "Central", "Mong Kok", "Mongkok",
    "Causeway Bay", "Tsim Sha Tsui", "Admiralty", "Sheung Wan", "Sai Ying Pun", "Kennedy Town",
    "Mid-Levels", "Happy Valley", "Tin Hau", "Fortress Hill", "North Point", "Quarry Bay",
    "Tai Koo", "Sai Wan Ho", "Shau Kei Wan", "Chai Wan", "Siu Sai Wan", "Heng Fa Chuen",
    "Aberdeen", "Ap Lei Chau", "Wong Chuk Hang", "Pok Fu Lam", "Stanley", "Repulse Bay",
    "Yau Ma Tei", "Jordan", "Prince Edward", "Tai Kok Tsui", "Hung Hom", "To Kwa Wan",
    "Ho Man Tin", "Kowloon Tong", "Kowloon Bay", "Ngau Tau Kok", "Lam Tin", "Yau Tong",
    "Cheung Sha Wan", "Lai Chi Kok", "Mei Foo", "Shek Kip Mei", "Diamond Hill", "San Po Kong",
    "Lok Fu", "Tseung Kwan O", "Kwai Chung", "Kwai Fong", "Tsing Yi", "Tin Shui Wai",
    "Fanling", "Sheung Shui", "Tai Wai", "Fo Tan", "Ma On Shan", "Tung Chung",
    "Discovery Bay", "Lantau", "Kowloon", "Hong Kong", "New Territories", "Hong Kong Island",
)  # fmt: skip


def names_pattern(names: tuple[str, ...]) -> str:
    """A regex alternation of ``names``, longest first, any run of spaces between words."""
    ordered = sorted(names, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in ordered) + ")"
