"""Fixtures for the sandbox tests: an account with groups, and a client that speaks the client API."""
import pytest

from . import helpers


class ApiClient:
    """The Flask test client with the client API's headers already set for one account."""

    def __init__(self, client, owner):
        self.client = client
        self.owner = owner

    def request(self, method, path, **kwargs):
        kwargs.setdefault("headers", helpers.headers(self.owner))
        return self.client.open(helpers.API + path, method=method, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)


@pytest.fixture
def owner(db):
    return helpers.account()


@pytest.fixture
def api(client, owner):
    return ApiClient(client, owner)
