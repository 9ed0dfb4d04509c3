"""Credentials at rest: Fernet encryption with key rotation, and a value that will not print itself.

``CREDENTIALS_KEYS`` lists Fernet keys: the first encrypts, any of them
decrypts. To rotate, put a new key first, run ``manage.py rotate_credentials``
(which re-encrypts every stored secret with it), then drop the old key.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys):
    return MultiFernet([Fernet(key.strip().encode()) for key in keys])


def fernet():
    return _fernet(tuple(settings.CREDENTIALS_KEYS))


class Secret:
    """A decrypted secret. Its repr and str never show the value; ``reveal()`` does."""

    __slots__ = ("_value",)

    def __init__(self, value):
        self._value = value

    def reveal(self):
        return self._value

    def __repr__(self):
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self):
        return hash(self._value)

    def __bool__(self):
        return bool(self._value)


class CredentialsKeyError(RuntimeError):
    pass


def encrypt(value):
    return fernet().encrypt(value.encode()).decode()


def decrypt(token):
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise CredentialsKeyError(
            "a stored credential cannot be decrypted with any key in CREDENTIALS_KEYS"
        ) from None


def rotate(token):
    return fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees a :class:`Secret` (or None/empty)."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return None
        return Secret(decrypt(value))

    def to_python(self, value):
        if value is None or isinstance(value, Secret):
            return value
        return Secret(value)

    def get_prep_value(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, Secret):
            value = value.reveal()
        return encrypt(value)
