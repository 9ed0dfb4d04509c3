"""Deterministic, realistic seed data for the PulseBack sandbox.

Everything here is a pure function of a ``random.Random`` instance, so a given
seed always yields the same accounts and items. Generation is tuned to make a
100,000-item account in well under two seconds.
"""

from __future__ import annotations

import functools
import random
import time
import unicodedata
from bisect import bisect
from itertools import accumulate

DAY = 86400.0

#: Demo logins of the default sandbox: (email, password, business name).
#: These are sandbox-only credentials, documented on purpose.
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("bistro@sandbox.pulseback.test", "sandbox-bistro", "Bistro Verde"),
    ("dental@sandbox.pulseback.test", "sandbox-dental", "Bright Smile Dental"),
    ("garage@sandbox.pulseback.test", "sandbox-garage", "Northside Auto Repair"),
    ("salon@sandbox.pulseback.test", "sandbox-salon", "Salon Lumière"),
    ("hotel@sandbox.pulseback.test", "sandbox-hotel", "Hotel Seeblick"),
]

#: Business kind and number of seeded items of each demo account.
DEMO_PROFILES: dict[str, tuple[str, int]] = {
    "bistro@sandbox.pulseback.test": ("restaurant", 360),
    "dental@sandbox.pulseback.test": ("dental", 220),
    "garage@sandbox.pulseback.test": ("garage", 180),
    "salon@sandbox.pulseback.test": ("salon", 260),
    "hotel@sandbox.pulseback.test": ("hotel", 300),
}

STATUSES = ("new", "reviewed", "resolved")
SENTIMENTS = ("positive", "neutral", "negative")
SOURCES = ("widget", "phone", "email", "pos_integration", "toast_integration", "qr_code")
_SOURCE_WEIGHTS = (38, 8, 14, 20, 14, 6)

COMMON_THEMES = ("service", "staff", "wait time", "price", "cleanliness", "parking")
KIND_THEMES: dict[str, tuple[str, ...]] = {
    "restaurant": ("food quality", "ambience", "portion size", "drinks", "menu variety", "noise"),
    "dental": ("treatment", "pain management", "booking", "hygiene", "explanations"),
    "garage": ("repair quality", "communication", "honesty", "turnaround", "booking"),
    "salon": ("haircut", "colour", "stylist", "booking", "ambience"),
    "hotel": ("room", "breakfast", "location", "noise", "check-in", "wifi"),
    "generic": ("value", "quality", "ambience", "booking"),
}

# Ratings skew J-shaped, as public review data does.
_RATINGS = (5, 4, 3, 2, 1)
_RATING_CUM = list(accumulate((46, 24, 11, 7, 12)))

_POSITIVE = (
    "Great service, food was excellent!",
    "Friendly staff and a spotless place. Will come back.",
    "Quick, professional and very reasonably priced.",
    "Best experience I've had in months, thank you!",
    "Loved it 😍👍",
    "¡Excelente atención! El personal fue muy amable.",
    "Service impeccable, je recommande vivement.",
    "Sehr freundliches Personal, kurze Wartezeit. Wir kommen gerne zurück!",
    "スタッフがとても親切でした。また来ます！",
    "Atendimento excelente, voltarei com certeza.",
    "Tutto perfetto, personale gentilissimo.",
    "Top! Alles bestens, gerne wieder.",
)
_NEUTRAL = (
    "It was okay. Nothing special.",
    "Decent, but the wait was a bit long.",
    "Average experience, prices are fair.",
    "Correcto, aunque un poco caro.",
    "Pas mal, mais le parking est compliqué.",
    "Ganz okay, aber etwas laut.",
    "普通でした。",
    "Fine overall. Parking was hard to find.",
)
_NEGATIVE = (
    "Waited 45 minutes and nobody apologised.",
    "Overpriced and the place was not clean.",
    "Staff were rude when I asked a simple question.",
    "Very disappointed. Won't be back.",
    "Terrible. 👎",
    "Muy mala experiencia, nadie nos atendió.",
    "Service très lent et personnel désagréable.",
    "Unfreundlich und viel zu teuer. Nie wieder, schade für das schöne Lokal.",
    "予約したのに1時間も待たされました。",
    "Booked online, arrived, and they had no record of it!!!",
)
#: Text that breaks naive renderers, CSV/spreadsheet exports and parsers.
TRICKY_COMMENTS = (
    "<script>alert(1)</script>",
    "The <b>bold</b> choice was the right one",
    '<img src=x onerror="alert(document.cookie)"> nice place',
    '=HYPERLINK("http://example.com/claim","Click here")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "=1+1 stars would be generous",
    "Line one\nLine two\r\nLine three",
    'She said "great" \\ then left\ttab',
    "مطعم رائع وخدمة ممتازة",
    "Zero\u200bwidth\u00a0and nbsp; “smart quotes” ‘and’ … façade",
    "Robert'); DROP TABLE feedback;--",
    "👍" * 40,
    "Long story. " * 120,
)

_FIRST = (
    "John",
    "Maria",
    "Jean",
    "Hans",
    "Aiko",
    "Liam",
    "Sofia",
    "Lucas",
    "Emma",
    "Mateo",
    "Chloé",
    "Lukas",
    "Yuki",
    "Olivia",
    "Noah",
    "Fatima",
    "Priya",
    "Jürgen",
    "Zoë",
    "Seán",
    "Ana",
    "Kenji",
    "Ingrid",
    "Ahmed",
    "Grace",
)
_LAST = (
    "Doe",
    "García",
    "Dupont",
    "Müller",
    "Tanaka",
    "Smith",
    "Rossi",
    "Silva",
    "O'Brien",
    "Nguyen",
    "Kowalski",
    "Johansson",
    "Haddad",
    "Patel",
    "Okafor",
    "Brown",
    "Schmidt",
    "Moreau",
    "Fernández",
    "Kim",
)
_JA_NAMES = ("山田 太郎", "佐藤 花子", "鈴木 一郎")
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "correo.example")

_ALL_COMMON = len(COMMON_THEMES)
_SOURCE_CUM = list(accumulate(_SOURCE_WEIGHTS))


_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (deterministic for a seed)."""
    h = "%032x" % ((rng.getrandbits(128) & _V4_CLEAR) | _V4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def iso_utc(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def sentiment_for(rating: int, r: float) -> tuple[str, float]:
    """Sentiment label and score (0..1) coherent with a rating; ``r`` in [0, 1)."""
    if rating >= 4:
        if r < (0.95 if rating == 5 else 0.85):
            return "positive", round(0.62 + 0.37 * r, 2)
        return "neutral", round(0.45 + 0.14 * r, 2)
    if rating == 3:
        if r < 0.7:
            return "neutral", round(0.40 + 0.2 * r, 2)
        return ("negative", round(0.25 + 0.1 * r, 2)) if r < 0.85 else ("positive", round(0.61 + 0.05 * r, 2))
    if r < 0.92:
        return "negative", round(0.02 + 0.35 * r, 2)
    return "neutral", round(0.40 + 0.1 * r, 2)


def _status_for_age(age_days: float, r: float) -> str:
    if age_days < 7:
        cut = (0.70, 0.95)
    elif age_days < 60:
        cut = (0.30, 0.65)
    else:
        cut = (0.08, 0.28)
    return "new" if r < cut[0] else ("reviewed" if r < cut[1] else "resolved")


@functools.lru_cache(maxsize=4096)
def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == " ").replace(" ", ".").strip(".")


def _person(rng: random.Random) -> tuple[str | None, str | None]:
    r = rng.random()
    if r < 0.05:
        name = _JA_NAMES[int(rng.random() * len(_JA_NAMES))]
    else:
        name = f"{_FIRST[int(rng.random() * len(_FIRST))]} {_LAST[int(rng.random() * len(_LAST))]}"
    slug = _ascii_slug(name) or f"guest{int(rng.random() * 10000)}"
    email = f"{slug}{int(rng.random() * 100)}@{_DOMAINS[int(rng.random() * len(_DOMAINS))]}"
    r2 = rng.random()
    if r2 < 0.15:
        name = None
    if 0.1 < r2 < 0.32:
        email = None
    return name, email


def _comment(rng: random.Random, sentiment: str) -> str | None:
    r = rng.random()
    if r < 0.08:
        return None
    if r < 0.15:
        return TRICKY_COMMENTS[int(rng.random() * len(TRICKY_COMMENTS))]
    pool = _POSITIVE if sentiment == "positive" else _NEUTRAL if sentiment == "neutral" else _NEGATIVE
    return pool[int(rng.random() * len(pool))]


def _themes(rng: random.Random, kind: str) -> list[str]:
    vocab = COMMON_THEMES + KIND_THEMES.get(kind, KIND_THEMES["generic"])
    r = rng.random()
    n = 0 if r < 0.1 else 1 if r < 0.55 else 2 if r < 0.88 else 3
    themes: list[str] = []
    for _ in range(n):
        t = vocab[int(rng.random() * len(vocab))]
        if t not in themes:
            themes.append(t)
    return themes


def make_item(
    rng: random.Random,
    *,
    created_ts: float,
    age_days: float,
    kind: str = "generic",
    rating: int | None = None,
) -> dict:
    """One realistic feedback item in the shape of the contract (section 3)."""
    if rating is None:
        rating = _RATINGS[bisect(_RATING_CUM, rng.random() * _RATING_CUM[-1])]
    sentiment, score = sentiment_for(rating, rng.random())
    name, email = _person(rng)
    return {
        "id": new_uuid(rng),
        "created_at": iso_utc(created_ts),
        "customer_name": name,
        "customer_email": email,
        "rating": rating,
        "comment": _comment(rng, sentiment),
        "sentiment": sentiment,
        "sentiment_score": score,
        "themes": _themes(rng, kind),
        "status": _status_for_age(age_days, rng.random()),
        "source": SOURCES[bisect(_SOURCE_CUM, rng.random() * _SOURCE_CUM[-1])],
    }


def generate_items(
    rng: random.Random,
    count: int,
    *,
    now: float,
    kind: str = "generic",
    span_days: float = 400.0,
) -> list[tuple[float, dict]]:
    """``count`` items created over the last ``span_days`` (denser recently).

    Returns ``(created_ts, item)`` pairs, newest first.
    """
    out = []
    span = span_days * DAY
    for _ in range(count):
        age = 60.0 + span * rng.random() ** 1.3
        ts = float(int(now - age))
        out.append((ts, make_item(rng, created_ts=ts, age_days=age / DAY, kind=kind)))
    out.sort(key=lambda pair: -pair[0])
    return out


def themes_from_comment(comment: str | None, kind: str = "generic") -> list[str]:
    """A crude keyword tagger for items created through the API."""
    if not comment:
        return []
    text = comment.lower()
    found = []
    keywords = {
        "service": ("service", "servicio", "atención", "bedienung"),
        "staff": ("staff", "personal", "personnel", "rude", "friendly"),
        "wait time": ("wait", "slow", "minutes", "lent", "warte"),
        "price": ("price", "expensive", "cheap", "overpriced", "teuer", "caro"),
        "cleanliness": ("clean", "dirty", "sucio", "sale"),
        "food quality": ("food", "meal", "dish", "comida"),
        "parking": ("parking", "parken"),
    }
    for theme, words in keywords.items():
        if any(w in text for w in words):
            found.append(theme)
    return found[:3]
