"""Password hashes (workflow/platform/passwords.py): Argon2id with OWASP's parameters; hashes
werkzeug made before (scrypt, pbkdf2) still log in once and are then stored anew."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from workflow.models import User
from workflow.platform import passwords
from workflow.platform.extensions import db

ARGON2ID = "$argon2id$v=19$m=12288,t=3,p=1$"


def test_a_new_hash_is_argon2id_with_owasps_parameters_and_a_salt():
    first, second = passwords.hash_password("hemligt"), passwords.hash_password("hemligt")
    assert first.startswith(ARGON2ID) and second.startswith(ARGON2ID)
    assert first != second  # salted
    assert passwords.verify_password(first, "hemligt")
    assert not passwords.verify_password(first, "Hemligt")
    assert not passwords.needs_rehash(first)


def test_werkzeug_hashes_still_verify_and_ask_to_be_stored_anew():
    for method in ("scrypt", "pbkdf2:sha256"):
        old = generate_password_hash("hemligt", method=method)
        assert passwords.verify_password(old, "hemligt")
        assert not passwords.verify_password(old, "fel")
        assert passwords.needs_rehash(old)


def test_other_argon2_parameters_ask_to_be_stored_anew():
    from argon2 import PasswordHasher

    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("hemligt")
    assert passwords.verify_password(weaker, "hemligt") and passwords.needs_rehash(weaker)


def test_no_hash_and_a_broken_hash_never_match():
    assert not passwords.verify_password(None, "")
    assert not passwords.verify_password("", "x")
    assert not passwords.verify_password("$argon2id$inte-en-hash", "x")
    assert not passwords.needs_rehash(None)
    assert passwords.needs_rehash("$argon2id$inte-en-hash")


def _stored(app, username: str) -> str:
    with app.app_context():
        return db.session.scalar(select(User.password_hash).where(User.username == username))


def _store(app, username: str, value: str) -> None:
    with app.app_context():
        db.session.execute(db.update(User).where(User.username == username)
                           .values(password_hash=value))
        db.session.commit()


def test_a_login_with_an_old_scrypt_hash_stores_an_argon2id_hash(app, client):
    _store(app, "chef", generate_password_hash("demo", method="scrypt"))
    answer = client.post("/login", data={"username": "chef", "password": "demo"})
    assert answer.status_code == 302
    upgraded = _stored(app, "chef")
    assert upgraded.startswith(ARGON2ID) and passwords.verify_password(upgraded, "demo")
    client.post("/logout")
    assert client.post("/login", data={"username": "chef", "password": "demo"}
                       ).status_code == 302
    assert _stored(app, "chef") == upgraded  # a current hash is left as it is


def test_a_login_with_the_earlier_19_mib_argon2id_hash_stores_the_current_one(app, client):
    """Hashes stored before the move to 12 MiB and three passes still log in, once more."""
    from argon2 import PasswordHasher

    earlier = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash("demo")
    assert earlier.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    _store(app, "chef", earlier)
    assert client.post("/login", data={"username": "chef", "password": "demo"}
                       ).status_code == 302
    upgraded = _stored(app, "chef")
    assert upgraded.startswith(ARGON2ID) and passwords.verify_password(upgraded, "demo")


def test_a_failed_login_leaves_an_old_hash_alone(app, client):
    old = generate_password_hash("demo", method="scrypt")
    _store(app, "chef", old)
    assert client.post("/login", data={"username": "chef", "password": "fel"}
                       ).status_code == 401
    assert _stored(app, "chef") == old


def test_an_api_token_login_also_stores_the_new_hash(app, client):
    _store(app, "chef", generate_password_hash("demo", method="pbkdf2:sha256"))
    answer = client.post("/api/v1/tokens", json={"username": "chef", "password": "demo"})
    assert answer.status_code == 201
    assert _stored(app, "chef").startswith(ARGON2ID)
