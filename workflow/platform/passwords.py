"""Password hashes: Argon2id with the parameters OWASP recommends, older hashes still accepted.

docs/threat-model.md ("Passwords are stored as Argon2id hashes"): OWASP's Password Storage
Cheat Sheet names Argon2id first, with at least 19 MiB of memory, two passes and one lane.
argon2-cffi (the reference implementation's bindings) does the work. Before issue 14,
werkzeug's default scrypt (N = 2^15, r = 8, p = 1: 32 MiB a login, below OWASP's minimum for
that N) made every hash. Such hashes, and werkzeug's other forms (``scrypt:…``,
``pbkdf2:…``), still verify, and :func:`needs_rehash` says that the next successful login
should store a new one (people/accounts.py does).
"""
from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash as _werkzeug_check

# OWASP Password Storage Cheat Sheet, Argon2id: m = 19 MiB, t = 2, p = 1.
MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1
ARGON2_PREFIX = "$argon2"


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM)


def hash_password(password: str) -> str:
    """A new salted Argon2id hash of ``password`` (the PHC string, about 100 characters)."""
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``: an Argon2 hash, or one werkzeug made."""
    if not stored:
        return False
    if stored.startswith(ARGON2_PREFIX):
        try:
            return _hasher().verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    return _werkzeug_check(stored, password)


def needs_rehash(stored: str | None) -> bool:
    """Whether ``stored`` was made otherwise than :func:`hash_password` makes hashes now
    (werkzeug's scrypt, or Argon2 with other parameters)."""
    if not stored:
        return False
    if not stored.startswith(ARGON2_PREFIX):
        return True
    try:
        return _hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True
