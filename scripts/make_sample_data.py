"""Deterministic generator of a sample CSV of New York City short-term-rental listings.

The rows are synthetic, but shaped like a public NYC listings snapshot: the same
sixteen columns, similar borough and room-type shares, skewed prices and review
counts, and awkward free-text titles (commas, double quotes, line breaks, accents,
emoji, CJK) so CSV handling gets a real workout. The same ``--rows`` and ``--seed``
always produce a byte-identical file, and a million rows take seconds.

Run it from the project root::

    python scripts/make_sample_data.py                  # 1,000 rows, seed 42
    python scripts/make_sample_data.py --rows 1000000 --seed 7 --out data/big.csv

or import it::

    from make_sample_data import make_listings, write_listings

    frame = make_listings(rows=500, seed=1)
    write_listings("data/sample_listings.csv", rows=500, seed=1)
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

DEFAULT_ROWS = 1_000
DEFAULT_SEED = 42
DEFAULT_OUT = Path("data/sample_listings.csv")

COLUMNS = [
    "id",
    "name",
    "host_id",
    "host_name",
    "neighbourhood_group",
    "neighbourhood",
    "latitude",
    "longitude",
    "room_type",
    "price",
    "minimum_nights",
    "number_of_reviews",
    "last_review",
    "reviews_per_month",
    "calculated_host_listings_count",
    "availability_365",
]

# The day the snapshot pretends to be taken; no review is dated after it.
REFERENCE_DATE = np.datetime64("2019-07-08", "D")

# Per-neighbourhood scatter and price levels come from their own fixed seed, so they
# stay put whatever --seed the caller picks; only the listings drawn change.
_VOCAB_SEED = 20190708


class _Borough(NamedTuple):
    name: str
    share: float
    # A rough bounding box: generated points never leave it, so a listing always
    # sits in its own borough's part of the map.
    lat: tuple[float, float]
    lon: tuple[float, float]
    # Neighbourhood i (most popular first) is drawn with weight (i + 1) ** -exponent.
    exponent: float
    # (name, approximate centre latitude, approximate centre longitude)
    neighbourhoods: tuple[tuple[str, float, float], ...]
    landmarks: tuple[str, ...]


# The flatter exponent for the small boroughs keeps their long tail of
# neighbourhoods present in a 20,000-row sample.
_GROUPS = (
    _Borough(
        "Manhattan",
        0.44,
        (40.70, 40.88),
        (-74.02, -73.90),
        1.0,
        (
            ("Harlem", 40.8116, -73.9465),
            ("Upper West Side", 40.7870, -73.9754),
            ("Hell's Kitchen", 40.7638, -73.9918),
            ("East Village", 40.7265, -73.9815),
            ("Upper East Side", 40.7736, -73.9566),
            ("Midtown", 40.7549, -73.9840),
            ("East Harlem", 40.7957, -73.9389),
            ("Washington Heights", 40.8417, -73.9394),
            ("Lower East Side", 40.7150, -73.9843),
            ("Chelsea", 40.7465, -74.0014),
            ("West Village", 40.7358, -74.0036),
            ("Financial District", 40.7075, -74.0113),
            ("Murray Hill", 40.7479, -73.9757),
            ("Chinatown", 40.7158, -73.9970),
            ("Greenwich Village", 40.7336, -73.9991),
            ("SoHo", 40.7233, -74.0030),
            ("Inwood", 40.8677, -73.9212),
            ("Kips Bay", 40.7423, -73.9801),
            ("Gramercy", 40.7368, -73.9845),
            ("Morningside Heights", 40.8100, -73.9625),
            ("Nolita", 40.7230, -73.9950),
            ("Theater District", 40.7590, -73.9845),
            ("Tribeca", 40.7163, -74.0086),
            ("Little Italy", 40.7191, -73.9973),
            ("Flatiron District", 40.7411, -73.9897),
            ("Two Bridges", 40.7110, -73.9940),
            ("NoHo", 40.7265, -73.9925),
            ("Battery Park City", 40.7115, -74.0160),
            ("Roosevelt Island", 40.7617, -73.9500),
            ("Civic Center", 40.7138, -74.0040),
            ("Stuyvesant Town", 40.7316, -73.9778),
            ("Marble Hill", 40.8762, -73.9105),
        ),
        ("Central Park", "Times Square", "Columbia", "the High Line", "Empire State"),
    ),
    _Borough(
        "Brooklyn",
        0.41,
        (40.57, 40.74),
        (-74.04, -73.86),
        1.0,
        (
            ("Williamsburg", 40.7081, -73.9571),
            ("Bedford-Stuyvesant", 40.6872, -73.9418),
            ("Bushwick", 40.6958, -73.9171),
            ("Crown Heights", 40.6694, -73.9422),
            ("Greenpoint", 40.7305, -73.9515),
            ("Flatbush", 40.6415, -73.9594),
            ("Clinton Hill", 40.6896, -73.9661),
            ("Prospect-Lefferts Gardens", 40.6592, -73.9499),
            ("Park Slope", 40.6710, -73.9814),
            ("East Flatbush", 40.6413, -73.9360),
            ("Fort Greene", 40.6897, -73.9745),
            ("Prospect Heights", 40.6775, -73.9692),
            ("Sunset Park", 40.6455, -74.0124),
            ("South Slope", 40.6630, -73.9850),
            ("Boerum Hill", 40.6848, -73.9845),
            ("Carroll Gardens", 40.6795, -73.9992),
            ("Gowanus", 40.6733, -73.9903),
            ("Kensington", 40.6391, -73.9720),
            ("Cobble Hill", 40.6861, -73.9962),
            ("Brooklyn Heights", 40.6960, -73.9936),
            ("East New York", 40.6590, -73.8819),
            ("Flatlands", 40.6216, -73.9329),
            ("Windsor Terrace", 40.6539, -73.9754),
            ("Canarsie", 40.6402, -73.9060),
            ("Sheepshead Bay", 40.5910, -73.9440),
            ("Bay Ridge", 40.6264, -74.0299),
            ("Brownsville", 40.6636, -73.9103),
            ("Cypress Hills", 40.6826, -73.8752),
            ("Borough Park", 40.6337, -73.9966),
            ("Downtown Brooklyn", 40.6945, -73.9860),
            ("Midwood", 40.6204, -73.9600),
            ("Red Hook", 40.6734, -74.0080),
            ("Gravesend", 40.5973, -73.9765),
            ("DUMBO", 40.7033, -73.9881),
            ("Columbia St", 40.6870, -74.0030),
            ("Bensonhurst", 40.6049, -73.9940),
            ("Dyker Heights", 40.6214, -74.0097),
            ("Brighton Beach", 40.5777, -73.9614),
            ("Vinegar Hill", 40.7037, -73.9823),
            ("Navy Yard", 40.7003, -73.9701),
            ("Coney Island", 40.5755, -73.9860),
            ("Manhattan Beach", 40.5784, -73.9387),
            ("Bergen Beach", 40.6207, -73.9091),
            ("Bath Beach", 40.6018, -74.0005),
            ("Mill Basin", 40.6093, -73.9170),
            ("Sea Gate", 40.5775, -74.0090),
            ("Fort Hamilton", 40.6140, -74.0320),
        ),
        ("Prospect Park", "the L train", "Barclays Center", "McCarren Park"),
    ),
    _Borough(
        "Queens",
        0.12,
        (40.55, 40.80),
        (-73.96, -73.71),
        1.0,
        (
            ("Astoria", 40.7644, -73.9235),
            ("Long Island City", 40.7447, -73.9485),
            ("Flushing", 40.7580, -73.8303),
            ("Ridgewood", 40.7043, -73.9018),
            ("Sunnyside", 40.7433, -73.9196),
            ("Ditmars Steinway", 40.7746, -73.9090),
            ("Woodside", 40.7454, -73.9034),
            ("Jamaica", 40.7027, -73.7890),
            ("Elmhurst", 40.7365, -73.8780),
            ("Jackson Heights", 40.7557, -73.8831),
            ("East Elmhurst", 40.7618, -73.8693),
            ("Forest Hills", 40.7181, -73.8448),
            ("Rego Park", 40.7260, -73.8620),
            ("Maspeth", 40.7294, -73.9066),
            ("Richmond Hill", 40.6958, -73.8272),
            ("Corona", 40.7450, -73.8642),
            ("Springfield Gardens", 40.6644, -73.7620),
            ("Queens Village", 40.7197, -73.7441),
            ("Kew Gardens", 40.7140, -73.8310),
            ("St. Albans", 40.6946, -73.7632),
            ("Woodhaven", 40.6901, -73.8566),
            ("Bayside", 40.7640, -73.7710),
            ("Middle Village", 40.7173, -73.8810),
            ("Far Rockaway", 40.6005, -73.7540),
            ("South Ozone Park", 40.6764, -73.8140),
            ("Ozone Park", 40.6794, -73.8507),
            ("Fresh Meadows", 40.7335, -73.7930),
            ("Arverne", 40.5925, -73.7970),
            ("Rockaway Beach", 40.5860, -73.8150),
            ("Briarwood", 40.7094, -73.8153),
            ("Glendale", 40.7016, -73.8723),
            ("Cambria Heights", 40.6947, -73.7384),
            ("Laurelton", 40.6710, -73.7470),
            ("Jamaica Estates", 40.7177, -73.7830),
            ("College Point", 40.7870, -73.8460),
            ("Kew Gardens Hills", 40.7300, -73.8220),
            ("Rosedale", 40.6620, -73.7360),
            ("Whitestone", 40.7940, -73.8100),
            ("Hollis", 40.7110, -73.7620),
            ("Howard Beach", 40.6571, -73.8430),
            ("Bellerose", 40.7240, -73.7200),
            ("Jamaica Hills", 40.7120, -73.7990),
            ("Bayswater", 40.6080, -73.7630),
            ("Little Neck", 40.7630, -73.7320),
            ("Edgemere", 40.5960, -73.7730),
            ("Douglaston", 40.7680, -73.7460),
            ("Belle Harbor", 40.5760, -73.8490),
            ("Holliswood", 40.7230, -73.7630),
            ("Neponsit", 40.5720, -73.8580),
            ("Breezy Point", 40.5590, -73.9260),
            ("Bay Terrace", 40.7810, -73.7780),
        ),
        ("JFK", "LaGuardia", "Flushing Meadows", "the 7 train"),
    ),
    _Borough(
        "Bronx",
        0.02,
        (40.80, 40.91),
        (-73.93, -73.78),
        0.5,
        (
            ("Mott Haven", 40.8091, -73.9229),
            ("Concourse", 40.8340, -73.9210),
            ("Longwood", 40.8240, -73.8940),
            ("Kingsbridge", 40.8780, -73.9050),
            ("Wakefield", 40.8940, -73.8560),
            ("Fordham", 40.8610, -73.8900),
            ("Port Morris", 40.8010, -73.9130),
            ("Williamsbridge", 40.8780, -73.8620),
            ("University Heights", 40.8600, -73.9130),
            ("Highbridge", 40.8370, -73.9260),
            ("Allerton", 40.8650, -73.8590),
            ("Mount Hope", 40.8480, -73.9030),
            ("Norwood", 40.8760, -73.8790),
            ("Concourse Village", 40.8270, -73.9170),
            ("Pelham Bay", 40.8500, -73.8330),
            ("Parkchester", 40.8380, -73.8600),
            ("Riverdale", 40.8900, -73.9120),
            ("Soundview", 40.8250, -73.8680),
            ("Morris Park", 40.8520, -73.8500),
            ("Tremont", 40.8470, -73.8950),
            ("East Morrisania", 40.8290, -73.8930),
            ("Claremont Village", 40.8380, -73.9050),
            ("Bronxdale", 40.8520, -73.8660),
            ("Clason Point", 40.8130, -73.8590),
            ("Belmont", 40.8550, -73.8880),
            ("Throgs Neck", 40.8180, -73.8220),
            ("Westchester Square", 40.8400, -73.8440),
            ("Hunts Point", 40.8130, -73.8850),
            ("Morris Heights", 40.8500, -73.9180),
            ("Schuylerville", 40.8290, -73.8290),
            ("Van Nest", 40.8450, -73.8670),
            ("Melrose", 40.8220, -73.9140),
            ("Fieldston", 40.8920, -73.9000),
            ("Baychester", 40.8700, -73.8350),
            ("Olinville", 40.8720, -73.8670),
            ("Castle Hill", 40.8180, -73.8490),
            ("Pelham Gardens", 40.8620, -73.8420),
            ("Edenwald", 40.8860, -73.8370),
            ("Morrisania", 40.8280, -73.9060),
            ("West Farms", 40.8400, -73.8800),
            ("Unionport", 40.8290, -73.8500),
            ("Mount Eden", 40.8420, -73.9150),
            ("City Island", 40.8470, -73.7870),
            ("North Riverdale", 40.9060, -73.9030),
            ("Spuyten Duyvil", 40.8810, -73.9170),
            ("Eastchester", 40.8850, -73.8300),
            ("Co-op City", 40.8740, -73.8290),
            ("Woodlawn", 40.8980, -73.8670),
        ),
        ("Yankee Stadium", "the Bronx Zoo", "Fordham University"),
    ),
    _Borough(
        "Staten Island",
        0.01,
        (40.50, 40.65),
        (-74.24, -74.05),
        0.3,
        (
            ("St. George", 40.6437, -74.0790),
            ("Tompkinsville", 40.6360, -74.0780),
            ("Stapleton", 40.6270, -74.0780),
            ("Concord", 40.6060, -74.0830),
            ("Arrochar", 40.5980, -74.0700),
            ("Clifton", 40.6200, -74.0760),
            ("Great Kills", 40.5540, -74.1510),
            ("Randall Manor", 40.6340, -74.1030),
            ("Port Richmond", 40.6350, -74.1290),
            ("Mariners' Harbor", 40.6330, -74.1560),
            ("New Springville", 40.5850, -74.1600),
            ("South Beach", 40.5858, -74.0720),
            ("Rosebank", 40.6130, -74.0700),
            ("West Brighton", 40.6330, -74.1130),
            ("Grant City", 40.5800, -74.1060),
            ("Midland Beach", 40.5720, -74.0930),
            ("Shore Acres", 40.6100, -74.0660),
            ("Grymes Hill", 40.6190, -74.0910),
            ("Dongan Hills", 40.5880, -74.0960),
            ("Silver Lake", 40.6270, -74.0950),
            ("Todt Hill", 40.6030, -74.1060),
            ("New Brighton", 40.6420, -74.0950),
            ("Bull's Head", 40.6080, -74.1620),
            ("Huguenot", 40.5370, -74.1920),
            ("Castleton Corners", 40.6140, -74.1210),
            ("Emerson Hill", 40.6070, -74.0960),
            ("Eltingville", 40.5440, -74.1640),
            ("Graniteville", 40.6200, -74.1540),
            ("Howland Hook", 40.6380, -74.1860),
            ("Lighthouse Hill", 40.5760, -74.1370),
            ("Oakwood", 40.5600, -74.1180),
            ("Arden Heights", 40.5560, -74.1740),
            ("Westerleigh", 40.6170, -74.1350),
            ("Fort Wadsworth", 40.6040, -74.0600),
            ("Prince's Bay", 40.5230, -74.2030),
            ("Richmondtown", 40.5710, -74.1450),
            ("Rossville", 40.5470, -74.2120),
            ("Tottenville", 40.5100, -74.2370),
            ("Willowbrook", 40.6030, -74.1380),
            ("Woodrow", 40.5410, -74.1930),
            ("New Dorp", 40.5730, -74.1170),
            ("New Dorp Beach", 40.5660, -74.1040),
            ("Charleston", 40.5300, -74.2300),
        ),
        ("the Ferry", "Snug Harbor", "the Staten Island Mall"),
    ),
)

# Hard limits of the real snapshot; every generated point stays inside them.
LAT_RANGE = (40.50, 40.92)
LON_RANGE = (-74.24, -73.71)

ROOM_TYPES = ("Entire home/apt", "Private room", "Shared room")
# Manhattan leans to whole apartments and the outer boroughs to rooms, the way the
# real data does; the mix is chosen so the citywide split stays 52 / 46 / 2 %.
_ENTIRE_SHARE = (0.61, 0.475, 0.37, 0.35, 0.47)
_SHARED_SHARE = 0.02
_ROOM_PRICE_MEDIAN = (160.0, 70.0, 45.0)
_GROUP_PRICE_FACTOR = (1.12, 0.92, 0.82, 0.78, 0.82)

# Title parts. Everything here is plain ASCII without commas, quotes or line breaks,
# so those features appear exactly as often as the rates below say.
_ADJECTIVES = (
    "Cozy ",
    "Sunny ",
    "Spacious ",
    "Charming ",
    "Bright ",
    "Modern ",
    "Beautiful ",
    "Quiet ",
    "Lovely ",
    "Stylish ",
    "Huge ",
    "Renovated ",
    "Luxury ",
    "Clean ",
    "Comfortable ",
    "Affordable ",
    "Large ",
    "Amazing ",
    "Gorgeous ",
    "Peaceful ",
    "Chic ",
    "Elegant ",
    "Cute ",
    "Airy ",
    "Classic ",
    "Cozy & Bright ",
    "Newly Renovated ",
    "Artsy ",
    "Hip ",
    "Perfect ",
    "",
    "",
    "",
)
_UNITS = (
    (
        "Apartment",
        "Apt",
        "1BR",
        "2BR",
        "3BR",
        "Studio",
        "Loft",
        "Townhouse",
        "Duplex",
        "Condo",
        "Brownstone",
        "1 Bedroom Apt",
        "Garden Apt",
        "Penthouse",
        "Flat",
        "Home",
    ),
    (
        "Private Room",
        "Room",
        "Bedroom",
        "Private Bedroom",
        "Room w/ Private Bath",
        "Queen Room",
        "Guest Room",
        "Master Bedroom",
        "room",
    ),
    (
        "Shared Room",
        "Bunk Bed",
        "Bed in Shared Room",
        "Couch",
        "Hostel Bed",
        "Dorm Bed",
    ),
)
_HOOD_CONNECTORS = (" in ", " in the heart of ", " in prime ", " - ", " | ", " near ")
_NEAR_CONNECTORS = (" near ", " by ", " steps from ", " close to ", " minutes to ")
_GENERIC_PLACES = ("NYC", "the city", "the subway", "Manhattan")
_SUFFIXES = (
    "",
    " near subway",
    "!",
    " w/ balcony",
    " (monthly)",
    " w/ backyard",
    " + rooftop",
    " for 2",
    " - quiet block",
    " NYC",
)
_SUFFIX_WEIGHTS = (0.6, 0.07, 0.07, 0.04, 0.04, 0.04, 0.04, 0.03, 0.03, 0.04)
_COMMA_SUFFIXES = (
    ", near subway",
    ", great location",
    ", close to everything",
    ", 30 day min",
    ", W/D in unit",
    ", sleeps 4",
    ", quiet, clean",
)
_NICKNAMES = ("The Nest", "Hidden Gem", "Artist's Loft", "Treehouse", "Blue Room")
_TAGLINES = (
    "Close to subway",
    "No parties please",
    "Monthly discounts",
    "Self check-in",
    "Great for families",
    "Fast Wi-Fi",
    "Long stays welcome",
)
_NON_ASCII_PREFIXES = ("✨ ", "★ ", "☀️ ", "🌿 ", "🏙️ ", "♛ ")
_NON_ASCII_SUFFIXES = (
    " ✨",
    " ♥",
    " 🗽",
    " 🌳",
    " – quiet block",
    " – très chic",
    " · rooftop",
    " – ideal para familias",
    " (se habla español)",
    " 近地铁",
    " 安静舒适",
    " 駅近",
    " 조용한 방",
    " für Familien",
)

# Shares measured on a real 20,000-row sample.
_P_COMMA = 0.14
_P_NON_ASCII = 0.025
_P_QUOTE = 0.003
_P_LINE_BREAK = 0.003
_P_MISSING_NAME = 0.0005
_P_MISSING_HOST_NAME = 0.0005
# Some hosts type in capitals; this only varies the text, not the shares above.
_P_UPPER = 0.03

_HOST_NAMES = (
    "Michael",
    "David",
    "John",
    "Alex",
    "Sarah",
    "Daniel",
    "Maria",
    "Jessica",
    "Mark",
    "Anna",
    "Laura",
    "Chris",
    "James",
    "Jennifer",
    "Emily",
    "Andrew",
    "Robert",
    "Jason",
    "Lisa",
    "Kevin",
    "Nicole",
    "Eric",
    "Brian",
    "Rachel",
    "Carlos",
    "Sofia",
    "Ana",
    "Karen",
    "Tom",
    "Paul",
    "Anthony",
    "Elizabeth",
    "Mike",
    "Joseph",
    "Steven",
    "Amy",
    "Matthew",
    "Stephanie",
    "Kim",
    "Jenny",
    "Olivia",
    "Peter",
    "Melissa",
    "Ryan",
    "Samantha",
    "Patrick",
    "Adam",
    "Juan",
    "Luis",
    "Aisha",
    "Fatima",
    "Wei",
    "Yuki",
    "Hiroshi",
    "Priya",
    "Raj",
    "Olga",
    "Ivan",
    "Kwame",
    "Ngozi",
    "Mohammed",
    "Leah",
    "Noah",
    "Ethan",
    "Grace",
    "Hannah",
    "Anna & Mark",
    "Sam And Jo",
    "The Smiths",
    "José",
    "Zoë",
    "Renée",
    "Søren",
    "Björn",
    "François",
    "Chloé",
    "Ángel",
    "Jürgen",
    "Noémie",
    "Mónica",
    "Agnès",
    "Łukasz",
    "美玲",
    "Jae-won",
)
_COMPANY_NAMES = (
    "Harbor Stays (NYC)",
    "Corporate Housing",
    "Urban Nest Rentals",
    "Five Boroughs Suites",
    "Skyline Homes",
    "Brownstone Hospitality",
    "Metro Furnished Apts",
    "Hudson & East",
    "City Keys",
    "Stay Local NYC",
)
# Hosts this large are run as businesses, so they get company-style names.
_COMPANY_MIN_LISTINGS = 20

# Portfolio sizes of the big operators; a listing's calculated_host_listings_count
# is its host's size citywide, which a sample may only partly contain.
_BIG_PORTFOLIOS = (23, 25, 28, 30, 32, 33, 34, 37, 39, 43, 47, 49, 50, 52, 65, 87)
_HUGE_PORTFOLIOS = (91, 96, 103, 121, 232, 327)

# (nights, weight). 1 and 2 nights together just pass half, which puts the median
# at 2; the 30-night bump is the city's short-term-rental rule showing through.
_MIN_NIGHTS = (
    (1, 0.27),
    (2, 0.25),
    (3, 0.16),
    (4, 0.065),
    (5, 0.06),
    (6, 0.015),
    (7, 0.04),
    (10, 0.015),
    (14, 0.01),
    (15, 0.01),
    (20, 0.006),
    (21, 0.005),
    (25, 0.002),
    (28, 0.008),
    (29, 0.004),
    (30, 0.075),
    (31, 0.006),
    (45, 0.003),
    (60, 0.007),
    (90, 0.005),
    (120, 0.002),
    (180, 0.003),
    (365, 0.003),
)


@lru_cache(maxsize=1)
def _geography() -> dict[str, np.ndarray]:
    """Per-neighbourhood arrays, built once from the fixed vocabulary seed."""
    rng = np.random.default_rng(_VOCAB_SEED)
    names, group, prob, lat, lon, spread = [], [], [], [], [], []
    for g, borough in enumerate(_GROUPS):
        hoods = borough.neighbourhoods
        weights = np.arange(1, len(hoods) + 1, dtype=float) ** -borough.exponent
        names.extend(h[0] for h in hoods)
        lat.extend(h[1] for h in hoods)
        lon.extend(h[2] for h in hoods)
        group.extend([g] * len(hoods))
        prob.extend(borough.share * weights / weights.sum())
        # Scatter in degrees of latitude: a few hundred metres to about a kilometre.
        spread.extend(rng.uniform(0.003, 0.008, len(hoods)))
    prob_arr = np.asarray(prob)
    prob_arr /= prob_arr.sum()
    # Centre the neighbourhood price levels on the listing-weighted average so they
    # spread prices without moving the citywide median.
    log_price_factor = rng.normal(0.0, 0.12, len(names))
    log_price_factor -= prob_arr @ log_price_factor
    return {
        "name": np.asarray(names, dtype=object),
        "group": np.asarray(group),
        "prob": prob_arr,
        "lat": np.asarray(lat),
        "lon": np.asarray(lon),
        "spread": np.asarray(spread),
        # Some neighbourhoods are simply dearer than their borough's norm.
        "price_factor": np.exp(log_price_factor),
        "lat_box": np.asarray([b.lat for b in _GROUPS]),
        "lon_box": np.asarray([b.lon for b in _GROUPS]),
    }


def _pick(
    rng: np.random.Generator,
    vocab: tuple[object, ...],
    n: int,
    p: tuple[float, ...] | None = None,
) -> np.ndarray:
    vocab_arr = np.asarray(vocab, dtype=object)
    if p is None:
        return vocab_arr[rng.integers(0, len(vocab), n)]
    weights = np.asarray(p, dtype=float)
    return vocab_arr[rng.choice(len(vocab), n, p=weights / weights.sum())]


def _titles(
    rng: np.random.Generator,
    hood_names: np.ndarray,
    group: np.ndarray,
    room: np.ndarray,
) -> np.ndarray:
    n = len(room)
    unit = np.empty(n, dtype=object)
    for r, units in enumerate(_UNITS):
        mask = room == r
        unit[mask] = _pick(rng, units, int(mask.sum()))

    landmark = np.empty(n, dtype=object)
    for g, borough in enumerate(_GROUPS):
        mask = group == g
        landmark[mask] = _pick(rng, borough.landmarks, int(mask.sum()))

    place_kind = rng.random(n)
    by_hood = place_kind < 0.7
    place = np.where(
        by_hood,
        hood_names,
        np.where(place_kind < 0.9, landmark, _pick(rng, _GENERIC_PLACES, n)),
    )
    connector = np.where(
        by_hood, _pick(rng, _HOOD_CONNECTORS, n), _pick(rng, _NEAR_CONNECTORS, n)
    )
    suffix = _pick(rng, _SUFFIXES, n, _SUFFIX_WEIGHTS)

    # Commas come either from the joint ("Loft, Williamsburg") or from the tail.
    has_comma = rng.random(n) < _P_COMMA
    comma_in_joint = rng.random(n) < 0.5
    comma_joint = np.where(by_hood, ", ", ", near ")
    connector = np.where(has_comma & comma_in_joint, comma_joint, connector)
    suffix = np.where(
        has_comma & ~comma_in_joint, _pick(rng, _COMMA_SUFFIXES, n), suffix
    )

    prefix = _pick(rng, _ADJECTIVES, n)
    has_quote = rng.random(n) < _P_QUOTE
    quoted = '"' + _pick(rng, _NICKNAMES, n) + '" '
    prefix = np.where(has_quote, quoted, prefix)

    has_non_ascii = rng.random(n) < _P_NON_ASCII
    non_ascii_first = rng.random(n) < 0.4
    prefix = np.where(
        has_non_ascii & non_ascii_first,
        _pick(rng, _NON_ASCII_PREFIXES, n) + prefix,
        prefix,
    )
    suffix = np.where(
        has_non_ascii & ~non_ascii_first,
        suffix + _pick(rng, _NON_ASCII_SUFFIXES, n),
        suffix,
    )

    has_line_break = rng.random(n) < _P_LINE_BREAK
    suffix = np.where(has_line_break, suffix + "\n" + _pick(rng, _TAGLINES, n), suffix)

    titles = prefix + unit + connector + place + suffix
    shout = np.flatnonzero(rng.random(n) < _P_UPPER)
    titles[shout] = [titles[i].upper() for i in shout]
    titles[rng.random(n) < _P_MISSING_NAME] = None
    return titles


def _hosts(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return each listing's host index and that host's citywide listing count."""
    kind = rng.random(n)
    mid_sizes = np.arange(2, 21)
    mid_weights = mid_sizes**-1.8
    count = np.where(
        kind < 0.62,
        1,
        np.where(
            kind < 0.93,
            rng.choice(mid_sizes, n, p=mid_weights / mid_weights.sum()),
            np.where(
                kind < 0.985,
                rng.choice(_BIG_PORTFOLIOS, n),
                rng.choice(_HUGE_PORTFOLIOS, n),
            ),
        ),
    )
    # Deal listings of each size out to hosts in batches of that size, so a host's
    # listings all carry the same count and never outnumber it.
    order = np.lexsort((rng.random(n), count))
    sorted_count = count[order]
    new_size = np.empty(n, dtype=bool)
    new_size[:1] = True
    new_size[1:] = sorted_count[1:] != sorted_count[:-1]
    size_start = np.maximum.accumulate(np.where(new_size, np.arange(n), 0))
    slot = (np.arange(n) - size_start) // sorted_count
    new_host = new_size.copy()
    new_host[1:] |= slot[1:] != slot[:-1]
    host = np.empty(n, dtype=np.int64)
    host[order] = np.cumsum(new_host) - 1
    return host, count


def make_listings(rows: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Return ``rows`` synthetic NYC listings; same arguments, same frame."""
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    geo = _geography()
    rng = np.random.default_rng(seed)
    n = rows

    # Ids are handed out in sign-up order, so the rows come out sorted by id; the
    # mean gap spreads them over the real snapshot's range, about 2.5k to 36M.
    listing_id = 2539 + np.cumsum(rng.integers(1, max(2, 72_000_000 // max(n, 1)), n))

    hood = rng.choice(len(geo["prob"]), n, p=geo["prob"])
    group = geo["group"][hood]

    lat_box = geo["lat_box"][group]
    lon_box = geo["lon_box"][group]
    lat = geo["lat"][hood] + rng.normal(0.0, 1.0, n) * geo["spread"][hood]
    # A degree of longitude is only ~0.76 of a degree of latitude this far north.
    lon = geo["lon"][hood] + rng.normal(0.0, 1.0, n) * geo["spread"][hood] * 1.3
    lat = np.clip(np.clip(lat, lat_box[:, 0], lat_box[:, 1]), *LAT_RANGE)
    lon = np.clip(np.clip(lon, lon_box[:, 0], lon_box[:, 1]), *LON_RANGE)

    u = rng.random(n)
    entire = np.asarray(_ENTIRE_SHARE)[group]
    room = np.where(u < entire, 0, np.where(u < entire + _SHARED_SHARE, 2, 1))

    log_price = (
        np.log(np.asarray(_ROOM_PRICE_MEDIAN)[room])
        + np.log(np.asarray(_GROUP_PRICE_FACTOR)[group])
        + np.log(geo["price_factor"][hood])
        + rng.normal(0.0, 0.55, n)
    )
    price = np.exp(log_price)
    # Hosts like round numbers: about half the prices land on a multiple of 5.
    price = np.where(rng.random(n) < 0.5, np.rint(price / 5) * 5, np.rint(price))
    # A sliver of placeholder prices and luxury listings make the tails.
    price = np.where(rng.random(n) < 0.003, rng.integers(0, 10, n), price)
    luxury = np.rint(np.exp(rng.uniform(np.log(400), np.log(10_000), n)) / 50) * 50
    price = np.where(rng.random(n) < 0.005, luxury, price)
    price = np.clip(price, 0, 10_000).astype(np.int64)

    nights, nights_weights = zip(*_MIN_NIGHTS, strict=True)
    minimum_nights = np.where(
        rng.random(n) < 0.001,
        rng.integers(1, 1251, n),
        _pick(rng, nights, n, nights_weights),
    ).astype(np.int64)

    # A fifth never got a review; the rest follow a lognormal whose median of 7.4
    # puts the overall median at 5. Draws past the cap fold back, not pile up at it.
    reviews = np.ceil(np.exp(rng.normal(np.log(7.4), 1.4, n))).astype(np.int64)
    reviews = np.where(reviews > 600, 1 + reviews % 600, reviews)
    reviews = np.where(rng.random(n) < 0.20, 0, reviews)
    reviewed = reviews > 0

    # About 15 reviews a month is as busy as a single listing plausibly gets.
    months = np.exp(rng.normal(np.log(14.0), 1.0, n))
    months = np.maximum(np.maximum(months, reviews / 15.0), 1.0)
    rpm = np.maximum(np.round(reviews / months, 2), 0.01)
    reviews_per_month = np.where(reviewed, rpm, np.nan)

    # Listings reviewed often were reviewed recently.
    days_ago = rng.exponential(1.0, n) * 40.0 / np.sqrt(np.maximum(rpm, 0.02))
    days_ago = np.minimum(days_ago, 2900).astype(np.int64)
    last_review = np.datetime_as_string(REFERENCE_DATE - days_ago, unit="D")
    last_review = np.where(reviewed, last_review.astype(object), None)

    host, host_count = _hosts(rng, n)
    n_hosts = int(host.max()) + 1 if n else 0
    # Host ids span about 2.4k to 270M like the real ones, in no particular order.
    host_ids = 2438 + np.cumsum(
        rng.integers(1, max(2, 540_000_000 // max(n_hosts, 1)), n_hosts)
    )
    host_ids = rng.permutation(host_ids)
    big_host = np.zeros(n_hosts, dtype=bool)
    big_host[host] = host_count >= _COMPANY_MIN_LISTINGS
    # A few first names are far commoner than the rest, as in any city directory.
    name_weights = tuple(1.0 / (rank + 5) for rank in range(len(_HOST_NAMES)))
    person = _pick(rng, _HOST_NAMES, n_hosts, name_weights)
    company = _pick(rng, _COMPANY_NAMES, n_hosts)
    host_names = np.where(big_host, company, person)
    host_names[rng.random(n_hosts) < _P_MISSING_HOST_NAME] = None

    availability = np.where(
        rng.random(n) < 0.35,
        0,
        np.where(rng.random(n) < 0.11, 365, rng.integers(1, 365, n)),
    )

    titles = _titles(rng, geo["name"][hood], group, room)

    group_names = np.asarray([b.name for b in _GROUPS], dtype=object)
    frame = pd.DataFrame(
        {
            "id": listing_id.astype(np.int64),
            "name": titles,
            "host_id": host_ids[host].astype(np.int64),
            "host_name": host_names[host],
            "neighbourhood_group": group_names[group],
            "neighbourhood": geo["name"][hood],
            "latitude": np.round(lat, 5),
            "longitude": np.round(lon, 5),
            "room_type": np.asarray(ROOM_TYPES, dtype=object)[room],
            "price": price,
            "minimum_nights": minimum_nights,
            "number_of_reviews": reviews,
            "last_review": last_review,
            "reviews_per_month": reviews_per_month,
            "calculated_host_listings_count": host_count.astype(np.int64),
            "availability_365": availability.astype(np.int64),
        },
        columns=COLUMNS,
    )
    # pandas only infers its string dtype from values, so an empty frame would
    # otherwise get object columns where a non-empty one gets str.
    text = ["name", "host_name", "neighbourhood_group", "neighbourhood"]
    text += ["room_type", "last_review"]
    return frame.astype(dict.fromkeys(text, "str"))


def write_listings(
    path: str | os.PathLike[str],
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
) -> Path:
    """Write ``make_listings(rows, seed)`` to ``path`` as CSV and return the path.

    The file appears whole or not at all: it is written beside the target and
    renamed over it, so an interrupted run never leaves a truncated CSV behind.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame = make_listings(rows, seed)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        # newline="" and an explicit "\n" keep the bytes the same on every OS.
        with open(tmp, "x", encoding="utf-8", newline="") as handle:
            frame.to_csv(handle, index=False, lineterminator="\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a deterministic sample CSV of NYC short-term-rental "
        "listings."
    )
    parser.add_argument(
        "--rows",
        type=_non_negative_int,
        default=DEFAULT_ROWS,
        help=f"number of listings (default: {DEFAULT_ROWS})",
    )
    parser.add_argument(
        "--seed",
        type=_non_negative_int,
        default=DEFAULT_SEED,
        help=f"random seed; same rows and seed give the same bytes "
        f"(default: {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"CSV file to write; parent folders are created (default: {DEFAULT_OUT})",
    )
    args = parser.parse_args(argv)
    out = write_listings(args.out, args.rows, args.seed)
    print(f"wrote {args.rows} rows to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
