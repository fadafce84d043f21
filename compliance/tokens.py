"""Safety-check tokens: how Sign In App proves, per SIA connection, that it may ask the safety check.

A token's secret is `tsc_` + 32 random bytes (URL-safe base64). Only its sha256 is stored, so a leaked
database does not leak working tokens; the secret is shown once, when it is created, and is pasted into
Sign In App (the sandbox keeps it on its account as `central_record_token`). A token answers only about
its own connection's groups and members, and stops working the moment it is revoked.
"""
import datetime
import hashlib
import secrets
from typing import NamedTuple

from peewee import OperationalError

from store.db import database, is_postgres
from store.models import AuditEvent, SafetyCheckToken, SiaConnection, now

SECRET_PREFIX = "tsc_"
SHOWN_PREFIX_LENGTH = len(SECRET_PREFIX) + 6
# last_used_at is written at most this often per token, so a morning rush is not a stream of writes.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class TokenError(Exception):
    """A token action that cannot be done; the message says why and what to do."""


def _hash(secret):
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _subject(token):
    return f"safety_check_token:{token.id}"


def _audit_view(token):
    return {"connection": token.connection_id, "name": token.name, "prefix": token.prefix}


def create(connection, *, actor, name=""):
    """Issue a token for `connection`; returns (token, secret). The secret is never stored or shown again."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = SafetyCheckToken.create(
        connection=connection,
        name=name.strip(),
        token_hash=_hash(secret),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        created_by=getattr(actor, "email", actor) or "",
    )
    AuditEvent.record(
        "safety_token.create", actor=actor, organisation=connection.organisation_id, subject=_subject(token),
        after=_audit_view(token),
    )
    return token, secret


def revoke(token, *, actor, reason=""):
    """Stop `token` working at once; revoking twice is refused with the date of the first revocation."""
    if token.revoked_at is not None:
        raise TokenError(
            f"Token {token.prefix}… was already revoked on {token.revoked_at:%d %b %Y %H:%M} by "
            f"{token.revoked_by or 'someone'}; nothing to do."
        )
    token.revoked_at = now()
    token.revoked_by = getattr(actor, "email", actor) or ""
    token.save(only=[SafetyCheckToken.revoked_at, SafetyCheckToken.revoked_by])
    AuditEvent.record(
        "safety_token.revoke", actor=actor, organisation=token.connection.organisation_id, subject=_subject(token),
        before=_audit_view(token), reason=reason,
    )
    return token


def could_be_secret(secret):
    """Whether `secret` has the shape of a token's secret (whether it is one, only the store knows)."""
    return bool(secret) and secret.startswith(SECRET_PREFIX)


def hash_of(secret):
    """The stored hash of `secret`, or None when it cannot be a token's secret at all."""
    return _hash(secret) if could_be_secret(secret) else None


def token_columns():
    """What a sign-in reads of a token and its connection, by name (read back by `token_of`)."""
    return (
        SafetyCheckToken.id.alias("token_id"),
        SafetyCheckToken.prefix.alias("token_prefix"),
        SafetyCheckToken.last_used_at.alias("token_last_used_at"),
        SiaConnection.id.alias("connection_id"),
        SiaConnection.name.alias("connection_name"),
    )


def live_token(select, token_hash):
    """`select` (from SafetyCheckToken) joined to the token's connection, for the live token whose hash is
    `token_hash`: a revoked token is never found."""
    return select.join(SiaConnection).where(
        (SafetyCheckToken.token_hash == token_hash) & SafetyCheckToken.revoked_at.is_null()
    )


class ConnectionOfToken(NamedTuple):
    id: int
    name: str


class LiveToken(NamedTuple):
    """A live token as a sign-in reads it, with its connection's id and name."""

    id: int
    prefix: str
    last_used_at: datetime.datetime | None
    connection: ConnectionOfToken


def _note_used(token_id, moment):
    """Write the token's last use, unless that would wait for another writer: then leave it unwritten.

    Bookkeeping must never fail or hold up a sign-in, and the next sign-in with the token writes it
    again. On SQLite the statement runs with the connection's busy timeout at zero, so a database
    another connection is writing to refuses it at once (instead of after the timeout, with an error)
    and it is skipped. On PostgreSQL the row is updated only if it can be locked at once (`SKIP LOCKED`:
    a token being revoked meanwhile is left alone). Inside a transaction the write simply joins it.
    """
    update = SafetyCheckToken.update(last_used_at=moment)
    if is_postgres():
        free = SafetyCheckToken.select(SafetyCheckToken.id).where(SafetyCheckToken.id == token_id)
        update.where(SafetyCheckToken.id.in_(free.for_update("FOR UPDATE SKIP LOCKED"))).execute()
        return
    update = update.where(SafetyCheckToken.id == token_id)
    db = database.obj
    if db.in_transaction():
        update.execute()
        return
    timeout = db.pragma("busy_timeout")
    db.pragma("busy_timeout", 0)
    try:
        update.execute()
    except OperationalError:  # the database is locked by another writer: skip the bookkeeping
        pass
    finally:
        db.pragma("busy_timeout", timeout)


def token_of(row):
    """The `LiveToken` of a row read with `token_columns()`; notes when it was last used."""
    last_used_at, moment = row["token_last_used_at"], now()
    if last_used_at is None or moment - last_used_at >= LAST_USED_RESOLUTION:
        _note_used(row["token_id"], moment)
        last_used_at = moment
    connection = ConnectionOfToken(row["connection_id"], row["connection_name"])
    return LiveToken(row["token_id"], row["token_prefix"], last_used_at, connection)


def authenticate(secret):
    """The live token whose secret this is, with its connection's id and name, or None.

    Notes when it was last used. The safety check itself reads the token in its own query
    (`compliance.decision.check_sign_in_with_token`); this is for everything else.
    """
    token_hash = hash_of(secret)
    if token_hash is None:
        return None
    row = live_token(SafetyCheckToken.select(*token_columns()), token_hash).dicts().first()
    return None if row is None else token_of(row)
