"""TETHER_SANDBOX: on (the default, for `make run`) mounts the Sign In App sandbox; off (production)
unmounts its pages and its API, and a `sandbox` connection then says so in words instead of failing."""
import pytest

from app import create_app
from connectors.sia import client as sia_client
from tests import factories as f
from tests.conftest import TetherClient


@pytest.fixture
def sandbox_off(db, monkeypatch, tmp_path):
    # The app that mounts the sandbox is remembered by the connector: put back whichever app was there.
    previous = sia_client.sandbox_served_from()
    monkeypatch.setenv("TETHER_SANDBOX", "off")
    monkeypatch.setenv("TETHER_INSTANCE_PATH", str(tmp_path))
    app = create_app({
        "TESTING": True, "DATABASE": db, "DATABASE_URL": "bound-by-test", "AUTO_MIGRATE": False,
        "SECRET_KEY": "test-secret", "TETHER_SCHEDULER": False,
    })
    app.test_client_class = TetherClient
    yield app
    sia_client.serve_sandbox_from(previous)


def test_the_sandbox_is_mounted_unless_told_off(app):
    assert app.config["TETHER_SANDBOX"] is True
    assert {rule.rule for rule in app.url_map.iter_rules()} >= {"/sandbox/", "/sandbox/client-api/v1/groups"}


def test_sandbox_off_unmounts_its_pages_and_its_api(sandbox_off):
    f.user("support@tether.test", "support")
    client = sandbox_off.test_client()
    client.login("support@tether.test")
    assert sandbox_off.config["TETHER_SANDBOX"] is False
    assert client.get("/sandbox/").status_code == 404
    assert client.get("/sandbox/client-api/v1/groups", headers={"Accept": "application/json"}).status_code == 404


def test_a_sandbox_connection_with_the_sandbox_off_says_so_and_the_pages_still_load(sandbox_off):
    org = f.organisation("Hill School")
    f.user("admin@hill.test", "admin", [org])
    f.group(f.connection(org, name="Hill demo"), org, name="Staff")
    client = sandbox_off.test_client()
    client.login("admin@hill.test")
    response = client.get(f"/organisations/{org.id}/rules/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<td>Staff</td>" in page
    assert "Connection &#39;Hill demo&#39; is the Sign In App sandbox" in page
    assert "does not mount it (TETHER_SANDBOX=off" in page
