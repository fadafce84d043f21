"""Fixtures for the SIMS tests: a school with the default genders, and importing pupils into it."""
import itertools

import pytest

from store.models import Gender, Student
from sync import students
from tests import factories as f

from . import exports as x

_files = itertools.count(1)


@pytest.fixture
def school(db):
    org = f.organisation("Leeds Academy")
    Gender.create(organisation=org, code="M", name="Male")
    Gender.create(organisation=org, code="F", name="Female")
    return org


@pytest.fixture
def import_pupils(tmp_path):
    """import_pupils(org, pupils, **options) → the ImportResult of importing them as CommandReporter XML."""

    def run(org, pupils, **options):
        path = x.write_xml(tmp_path, pupils, name=f"export-{next(_files)}.xml")
        return students.import_file(org, path, actor="test", **options)

    return run


def account(org, person_id):
    return Student.get((Student.organisation == org) & (Student.person_id == person_id))
