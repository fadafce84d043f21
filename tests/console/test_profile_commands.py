"""`tether profiles create` and `tether profiles set-leaving-date` (DESIGN §10)."""
import datetime
import json

from store.models import AuditEvent, Link, Profile
from sync import leavers
from sync.linking import create_link
from tests import factories as f

TODAY = datetime.date.today()


def run(runner, *args):
    return runner.invoke(args=["profiles", *map(str, args)])


def test_create_prints_the_new_profiles_id_as_json(db, runner):
    org = f.organisation("Hill School")
    result = run(runner, "create", "--org", org.id, "--first-name", "Grace", "--last-name", "Hopper",
                 "--email", "grace@hill.test", "--type", "Support Staff", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"id"}
    grace = Profile.get_by_id(body["id"])
    assert (grace.name, grace.email, grace.profile_type.name, grace.source) == (
        "Grace Hopper", "grace@hill.test", "Support Staff", "manual")
    assert AuditEvent.get(AuditEvent.action == "profile.create").actor == "cli"
    plain = run(runner, "create", "--org", org.id, "--first-name", "Alan", "--last-name", "Turing")
    assert plain.exit_code == 0 and "(Teaching Staff) in Hill School" in plain.stdout


def test_create_refuses_bad_input_with_exit_2_and_says_why(db, runner):
    org = f.organisation("Hill School")
    result = run(runner, "create", "--org", org.id, "--first-name", "Grace", "--last-name", "Hopper",
                 "--email", "grace", "--type", "Dinner Ladies")
    assert result.exit_code == 2 and result.stdout == ""
    assert "“grace” is not an email address" in result.stderr
    assert "Choose one of Hill School's profile types: Teaching Staff" in result.stderr
    assert run(runner, "create", "--org", 999, "--first-name", "G", "--last-name", "H").exit_code == 2
    assert Profile.select().count() == 0


def test_set_leaving_date_severs_the_link_and_none_makes_a_returner_who_is_not_relinked(db, runner):
    org = f.organisation("Hill School")
    ada = f.profile(org, "Ada", "Lovelace")
    member = f.member(f.group(f.connection(org), org), "Ada Lovelace")
    create_link(ada, member, "import")
    left = run(runner, "set-leaving-date", ada.id, TODAY.isoformat(), "--json")
    assert left.exit_code == 0, left.output
    body = json.loads(left.stdout)
    assert (body["leaver"], body["leaving_date"], body["returned"]) == (True, TODAY.isoformat(), False)
    assert Link.get_by_id(body["severed_link"]).sever_reason == "leaver"
    back = run(runner, "set-leaving-date", ada.id, "none")
    assert back.exit_code == 0
    assert "has no leaving date now and is active; the link is not re-established: ask support to re-link it" in back.stdout
    assert Link.active_for_profile(ada) is None
    assert [r.profile.id for r in leavers.returners(org)] == [ada.id]


def test_set_leaving_date_refuses_a_bad_date_an_unknown_profile_and_a_deleted_one(db, runner):
    org = f.organisation("Hill School")
    ada = f.profile(org, "Ada", "Lovelace", start_date=datetime.date(2020, 9, 1))
    bad = run(runner, "set-leaving-date", ada.id, "31/02/2025")
    assert bad.exit_code == 2 and "31/02/2025 is not a real date" in bad.stderr
    early = run(runner, "set-leaving-date", ada.id, "2019-07-31")
    assert early.exit_code == 2 and "before Ada Lovelace's start date 01 Sep 2020" in early.stderr
    assert run(runner, "set-leaving-date", 999, "none").exit_code == 2
    Profile.update(status="deleted", deleted_at=datetime.datetime.now()).where(Profile.id == ada.id).execute()
    deleted = run(runner, "set-leaving-date", ada.id, "2025-07-31")
    assert deleted.exit_code == 1 and "is deleted, so it cannot be edited" in deleted.stderr
    assert Profile.get_by_id(ada.id).leaving_date is None
