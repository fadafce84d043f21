"""Fixtures for the sync engine: an app context, a school with a sandbox Sign In App, a way to run imports."""
import pytest

from connectors.sia import client_for
from sync import sia_import
from tests.connectors.conftest import closed_port_url  # noqa: F401  (a fixture)

from . import helpers


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def school(ctx):
    return helpers.school()


@pytest.fixture
def run_import(ctx):
    """Run an import of a School as the CLI would, through the sandbox in this app."""

    def run(built, **options):
        options.setdefault("actor", "test")
        options.setdefault("client", client_for(built.connection, wsgi_app=ctx))
        return sia_import.import_organisation(built.org, **options)

    return run
