"""The sandbox served on 127.0.0.1 by werkzeug in a thread, behind a middleware that injects faults."""
import json
import socket
import time

import pytest

from tests.sandbox import helpers


class Faults:
    """WSGI middleware: each queued fault spoils one request, in order; then requests pass through.

    A fault is an HTTP status to answer with instead of the sandbox (e.g. 503), a (status, headers)
    pair (e.g. (429, {"Retry-After": "1"})), or ("slow", seconds) to wait before answering, so a client
    with a shorter read timeout gives up. A faulty request never
    reaches the sandbox, so nothing runs against the database after the test has moved on.
    """

    def __init__(self, app):
        self.app = app
        self.queue = []
        self.requests = []

    def __call__(self, environ, start_response):
        self.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        fault = self.queue.pop(0) if self.queue else None
        if fault is None:
            return self.app(environ, start_response)
        headers = {}
        if isinstance(fault, tuple) and fault[0] == "slow":
            time.sleep(fault[1])
            fault = 504
        elif isinstance(fault, tuple):
            fault, headers = fault
        body = json.dumps({"message": "Injected failure."}).encode()
        start_response(f"{fault} Injected", [("Content-Type", "application/json"), *headers.items()])
        return [body]


@pytest.fixture
def faults(app):
    return Faults(app.wsgi_app)


@pytest.fixture
def server_url(faults):
    with helpers.serve(faults) as url:
        yield url


@pytest.fixture
def api_url(server_url):
    return server_url + helpers.API


@pytest.fixture
def owner(db):
    return helpers.account()


@pytest.fixture
def sleeps():
    """The backoff delays a client asked for, recorded instead of slept."""
    return []


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/client-api/v1"
