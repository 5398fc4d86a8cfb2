"""Blind indexes: keyed HMACs of normalised values for exact-match search.

Encrypted columns cannot be searched in SQL. An HMAC-SHA256 under its own key
(HYPOTEKY_BLIND_INDEX_KEY, never the encryption key) lets the database find
equal values without holding anything that reveals them.
"""

import hashlib
import hmac
import unicodedata

from django.conf import settings

from .birth_number import normalize_birth_number


def normalize_name(value: str) -> str:
    """Case, accents and spacing do not matter when searching for a person."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(without_accents.casefold().split())


def normalize_email(value: str) -> str:
    return (value or "").strip().casefold()


def blind_index(kind: str, normalized: str) -> str:
    """Hex HMAC of one normalised value; the kind keeps equal strings of
    different fields apart. Empty values have no index."""
    if not normalized:
        return ""
    key = settings.BLIND_INDEX_KEY.encode()
    message = f"{kind}:{normalized}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def name_index(value: str) -> str:
    return blind_index("name", normalize_name(value))


def email_index(value: str) -> str:
    return blind_index("email", normalize_email(value))


def birth_number_index(value: str) -> str:
    return blind_index("birth_number", normalize_birth_number(value))


def search_indexes(term: str) -> list[str]:
    """Every index a free-text search term could match, one per kind."""
    candidates = {name_index(term), email_index(term), birth_number_index(term)}
    return sorted(c for c in candidates if c)
