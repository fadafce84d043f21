"""Browser tests: the app served by werkzeug on 127.0.0.1 in a thread, driven by Debian's Chromium.

Under CI=true a missing Chromium fails the run; it is never skipped.
"""
import os
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.sandbox.helpers import serve

CHROMIUM = os.environ.get("TETHER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium) or set TETHER_CHROMIUM.")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def live_server(app):
    """The test app served on a free port of 127.0.0.1; yields its base URL."""
    with serve(app) as url:
        yield url


@pytest.fixture(scope="session")
def axe():
    return Axe()


def assert_accessible(axe, page):
    """axe-core finds no violations on the page as it stands."""
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()
