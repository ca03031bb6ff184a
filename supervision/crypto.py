"""Secrets at rest (a group robot's key, a webhook's signing secret): Fernet from ``cryptography``.

The key is FIELD_ENCRYPTION_KEY when set (a Fernet key, or any passphrase, stretched), otherwise one
derived from SECRET_KEY. A value that no longer decrypts (the key changed) reads as empty, and the
channel page asks for it again; it never raises into a page or a worker.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@cache
def _fernet(material: str) -> Fernet:
    # HKDF would do as well; a SHA-256 of a high-entropy secret is already a uniform 32-byte key.
    digest = hashlib.sha256(("supervision.crypto:" + material).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _box() -> Fernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY)


def encrypt(plain: str) -> str:
    """The encrypted text to store; "" stays "" (nothing set)."""
    if not plain:
        return ""
    return _box().encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    """The secret back, or "" when nothing was stored or it no longer decrypts."""
    if not stored:
        return ""
    try:
        return _box().decrypt(stored.encode()).decode()
    except (InvalidToken, ValueError):
        return ""
