"""Builders for sandbox data, and a werkzeug server on 127.0.0.1 in a thread, for sandbox and connector tests."""
import base64
import itertools
import threading
from contextlib import contextmanager

from werkzeug.serving import make_server

from sandbox.models import SandboxAccount, SandboxGroup, SandboxMember, SandboxPortalUser

API = "/sandbox/client-api/v1"
_seq = itertools.count(1)


def account(name="Test Trust", key=None, secret="s3cret"):
    return SandboxAccount.create(name=name, api_key=key or f"key-{next(_seq)}", api_secret=secret)


def group(owner, name="Staff", type="returning", **settings):
    return SandboxGroup.create(account=owner, name=name, type=type, **settings)


def members(in_group, count, **extra):
    """`count` members named Person 1…count, in id order; returns nothing (bulk insert)."""
    rows = [
        {"group": in_group.id, "personal_fields": {"name": f"Person {n}", "email": f"person{n}@school.test", **extra}}
        for n in range(1, count + 1)
    ]
    for batch in range(0, len(rows), 100):
        SandboxMember.insert_many(rows[batch : batch + 100]).execute()


def member(in_group, name="Ada Lovelace", archived=False, **fields):
    return SandboxMember.create(group=in_group, personal_fields={"name": name, **fields}, archived=archived)


def portal_user(owner, name="Pat Primary", email="pat@trust.test", role="primary"):
    return SandboxPortalUser.create(account=owner, name=name, email=email, role=role)


def headers(owner=None, *, key=None, secret=None, accept="application/json", content_type="application/json"):
    """Request headers for the client API: Basic auth as `owner` (or the key/secret given), Accept and
    Content-Type (the docs require both on every request)."""
    result = {}
    if accept:
        result["Accept"] = accept
    if content_type:
        result["Content-Type"] = content_type
    key = key if key is not None else (owner.api_key if owner else None)
    secret = secret if secret is not None else (owner.api_secret if owner else None)
    if key is not None:
        result["Authorization"] = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    return result


@contextmanager
def serve(wsgi_app):
    """Serve `wsgi_app` on 127.0.0.1 on a free port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
