"""Secrets at rest: a Sign In App connection's API secret is kept sealed (DESIGN §12).

The key is derived from the app's SECRET_KEY with HKDF-SHA256 and the value sealed with Fernet
(AES-128-CBC + HMAC-SHA256, from `cryptography`), so the database alone never gives the secret away.
The app hands its SECRET_KEY over once as it starts (`use_key`), as it binds its database.

A secret sealed under another SECRET_KEY cannot be read: `unseal` raises `SecretUnreadable` with what
to do about it (re-enter the secret), never a bare cryptography error.
"""
import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"tether: sign in app connection secrets"
_fernet = None


class SecretUnreadable(Exception):
    """A sealed secret that this SECRET_KEY cannot open; the message says what to do."""


class NoKey(RuntimeError):
    """Nothing may be sealed or unsealed before the app has given its SECRET_KEY."""


def derive_key(secret_key):
    """The Fernet key for `secret_key` (text or bytes): HKDF-SHA256, no salt, Tether's own info."""
    raw = secret_key.encode() if isinstance(secret_key, str) else bytes(secret_key)
    if not raw:
        raise ValueError("SECRET_KEY is empty: secrets cannot be sealed without one.")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(raw)
    return base64.urlsafe_b64encode(derived)


def use_key(secret_key):
    """Seal and unseal with the key derived from `secret_key` from now on (create_app calls this)."""
    global _fernet
    _fernet = Fernet(derive_key(secret_key))


def _current():
    if _fernet is None:
        raise NoKey("No SECRET_KEY has been given to store.sealed.use_key; create the app first.")
    return _fernet


def seal(text):
    """`text` sealed under the current key, as ASCII text fit for a database column."""
    return _current().encrypt(text.encode("utf-8")).decode("ascii")


def unseal(token, *, what="this secret"):
    """The text sealed in `token`; `SecretUnreadable` naming `what` when this key cannot open it."""
    try:
        return _current().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        raise SecretUnreadable(
            f"{what} was saved under a different SECRET_KEY and cannot be read now. "
            "Re-enter the secret at Settings → Sign In App → Connection."
        ) from None


def is_sealed(value):
    """Whether `value` looks like a Fernet token (version byte 0x80), as opposed to a plain secret."""
    try:
        return base64.urlsafe_b64decode(value.encode("ascii"))[:1] == b"\x80"
    except (ValueError, UnicodeError):
        return False
