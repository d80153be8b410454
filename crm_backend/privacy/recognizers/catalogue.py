"""Shop, mall and brand names: what a retailer's messages are full of, never personal data.

Plain data, no Presidio import. The allow-list drops a detection lying inside one of these
names and a name detection that runs into a brand ("Dyson Bluetooth" read as a person). The
brands are the product catalogue's; given names that are also brands ("Apple") are left out,
because "Apple Chan" is a person.
"""

from __future__ import annotations

MALLS = (
    "Festival Walk", "Times Square", "Langham Place", "apm", "Harbour City", "New Town Plaza",
    "Telford Plaza", "iSquare", "Cityplaza", "MOKO", "Pacific Place", "IFC Mall", "ifc mall",
    "Elements", "MegaBox", "K11", "K11 Musea", "Olympian City", "Tuen Mun Town Plaza",
    "YOHO Mall", "Tsuen Wan Plaza", "Plaza Hollywood", "Hysan Place", "Lee Gardens",
    "Lee Garden", "Citygate", "Maritime Square", "Metroplaza", "Kwai Chung Plaza", "Mikiki",
    "Popcorn", "Sino Centre", "Dragon Centre", "Golden Computer Centre", "Windsor House",
    "Hopewell Mall", "East Point City", "PopWalk", "T.O.P", "Nina Mall", "V city",
    "Fortune City One",
)  # fmt: skip

BRANDS = (
    "Philips", "Panasonic", "Dyson", "Samsung", "Sony", "Xiaomi", "Tefal", "Toshiba", "Sharp",
    "Zojirushi", "Midea", "LG", "Electrolux", "Lenovo", "Huawei", "Oppo", "Vivo",
    "Bosch", "Siemens", "Hitachi", "Mitsubishi", "Daikin", "Gree", "Haier", "Hisense", "TCL",
    "Braun", "Breville", "Delonghi", "De'Longhi", "Nespresso", "Kenwood", "Russell Hobbs",
    "Morphy Richards", "Thermos", "Iris Ohyama", "Roborock", "Ecovacs", "iRobot",
    "Dreame", "Anker", "Belkin", "Logitech", "Razer", "Asus", "Acer", "Dell", "HP", "MSI",
    "Canon", "Nikon", "Fujifilm", "GoPro", "DJI", "Bose", "JBL", "Sennheiser",
    "Harman Kardon", "Yamaha", "Denon", "Nintendo", "PlayStation", "Xbox", "Garmin", "Fitbit",
    "Casio", "Seiko", "Whirlpool", "Miele", "Smeg", "Rasonic", "German Pool", "Imarflex",
    "Cuckoo", "Coway", "Blueair", "Sharp Plasmacluster", "Lock & Lock", "Zwilling", "WMF",
    # The software whose names start our own log lines ("Uvicorn running on ...").
    "Uvicorn", "Sanic", "Rasa", "FastAPI", "SQLAlchemy", "Alembic", "Presidio", "spaCy",
)  # fmt: skip
