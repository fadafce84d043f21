"""Sign In App: the protocol sync reads through, and the HTTP client that implements it."""
from .client import (
    SiaAuthError,
    SiaClient,
    SiaError,
    SiaNotFound,
    SiaRejected,
    SiaSecretUnreadable,
    SiaThrottled,
    SiaUnreachable,
    client_for,
    serve_sandbox_from,
)
from .protocol import Group, Member, PageMemory, PageRead, PersonalField, PortalUser, SiaSource

__all__ = [
    "Group",
    "Member",
    "PageMemory",
    "PageRead",
    "PersonalField",
    "PortalUser",
    "SiaAuthError",
    "SiaClient",
    "SiaError",
    "SiaNotFound",
    "SiaRejected",
    "SiaSecretUnreadable",
    "SiaSource",
    "SiaThrottled",
    "SiaUnreachable",
    "client_for",
    "serve_sandbox_from",
]
