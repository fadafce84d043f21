"""Fixtures for diagnostics: the school of `helpers.build_school`, where each test breaks one thing."""
import pytest

from .helpers import build_school


@pytest.fixture
def school(db):
    return build_school()
