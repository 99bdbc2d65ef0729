"""Password hashes: Argon2id with parameters OWASP recommends, older hashes still accepted.

docs/threat-model.md ("Passwords are stored as Argon2id hashes"): OWASP's Password Storage
Cheat Sheet names Argon2id first, with five settings it calls an equal level of defence that
only trade memory for passes (19 MiB and two passes, 12 MiB and three, 9 MiB and four, …).
We take 12 MiB, three passes, one lane: a login takes no more of a core than with 19 MiB and
two passes, and 7 MiB less of a web worker at that moment, which is where a worker peaks
(issue 14's tenth round, bench/README.md). argon2-cffi (the reference implementation's
bindings) does the work. A hash made with other parameters (the 19 MiB setting stored until
then included) still verifies and is stored anew at the next login. Before issue 14,
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

# OWASP Password Storage Cheat Sheet, Argon2id: m = 12 MiB, t = 3, p = 1 (the same defence
# as its m = 19 MiB, t = 2, p = 1, with less memory for the moment of a login).
MEMORY_KIB = 12 * 1024
TIME_COST = 3
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
