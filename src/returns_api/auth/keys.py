"""API key material: ``rk_`` + 43 url-safe characters (256 bits), stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "rk_"
DISPLAY_PREFIX_LENGTH = 10  # "rk_" + 7 characters: enough to tell keys apart in a list


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    # A fast hash is right here: the key is 256 random bits, not a guessable password.
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[:DISPLAY_PREFIX_LENGTH]
