"""The profiles, students and diagnostics search boxes answer any text: the first ten words are searched,
each by its first 100 characters, % and _ match themselves, and the page says what was left out."""
import pytest

from store.models import Student
from tests import factories as f

PAGES = ["profiles", "students", "diagnostics"]


@pytest.fixture
def school(db):
    org = f.organisation("Hill School")
    f.user("admin@hill.test", "admin", [org])
    staff = f.group(f.connection(org), org)
    for forename, surname in (("Percy", "Half_50%"), ("Fifi", "Halfx500")):
        f.profile(org, forename, surname)
        f.member(staff, f"{forename} {surname}")
        Student.create(organisation=org, person_id=forename, username=forename.lower(), forename=forename, surname=surname)
    return org


def search(client, org, box, text):
    client.login("admin@hill.test")
    response = client.get(f"/organisations/{org.id}/{box}", query_string={"q": text})
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("box", PAGES)
def test_search_of_79_words_searches_the_first_ten_and_says_so(client, school, box):
    status, body = search(client, school, box, " ".join(["percy"] * 79))
    assert status == 200
    assert "Percy" in body and "Only the first 10 words were searched." in body


@pytest.mark.parametrize("box", PAGES)
def test_search_of_a_50000_character_word_searches_its_first_100(client, school, box):
    status, body = search(client, school, box, "x" * 50_000)
    assert status == 200
    assert "Words longer than 100 characters were searched by their first 100." in body


@pytest.mark.parametrize("text", ["50%", "f_5"])
@pytest.mark.parametrize("box", PAGES)
def test_percent_and_underscore_in_a_search_match_themselves(client, school, box, text):
    status, body = search(client, school, box, text)
    assert status == 200
    assert "Percy" in body and "Fifi" not in body


@pytest.mark.parametrize("box", PAGES)
def test_search_holding_a_nul_character_is_refused_in_words(client, school, box):
    status, body = search(client, school, box, "per\x00cy")
    assert status == 400
    assert "NUL character" in body


def test_a_form_holding_a_nul_character_is_refused_in_words(client, school):
    response = client.post("/login", data={"email": "admin@hill.test\x00", "password": "password"})
    assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)


def test_the_explain_search_answers_a_50000_character_word(client, school):
    client.login("admin@hill.test")
    response = client.get(f"/organisations/{school.id}/rules/explain", query_string={"q": "x" * 50_000})
    assert response.status_code == 200
    assert "Words longer than 100 characters were searched by their first 100." in response.get_data(as_text=True)


@pytest.mark.parametrize("text", ["x" * 50_000, "²", "١", "9" * 40])
def test_every_other_search_box_and_page_number_answers_any_text(client, school, text):
    f.user("support@tether.test", "support")
    f.support_access(school)
    client.login("support@tether.test")
    urls = [
        ("/users/", {"q": text}), (f"/organisations/{school.id}/exclusions", {"q": text}),
        ("/audit", {"actor": text, "subject": text, "organisation": text}),
        (f"/organisations/{school.id}/profiles", {"page": text}), (f"/organisations/{school.id}/audit", {"page": text}),
    ]
    for url, query in urls:
        assert client.get(url, query_string=query).status_code == 200, url


def test_a_page_beyond_the_last_shows_the_last(client, school):
    status, body = search(client, school, "profiles", "")
    huge = client.get(f"/organisations/{school.id}/profiles", query_string={"page": str(2**63 - 1)})
    assert status == huge.status_code == 200 and "Percy" in huge.get_data(as_text=True)
