"""`tether sync sia` and `tether sync push`: the contract scripts rely on (DESIGN §10)."""
import json

from sync.lease import acquire
from store.models import Profile
from tests import factories


def test_sync_sia_json_prints_the_run_id_status_and_counts(school, runner):
    school.member("Ada Lovelace")
    result = runner.invoke(args=["sync", "sia", "--org", str(school.org.id), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"run_id", "status", "counts"}
    assert body["status"] == "succeeded"
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "linked": 0, "excluded": 0,
                              "unmapped": 0, "leaver": 0, "gone": 0}


def test_sync_sia_dry_run_lists_the_decisions_and_changes_nothing(school, runner):
    school.member("Ada Lovelace")
    result = runner.invoke(args=["sync", "sia", "--org", str(school.org.id), "--dry-run"])
    assert result.exit_code == 0
    assert "created    Ada Lovelace: matches the mapping rule for Teaching Staff" in result.output
    assert "(dry run: nothing was changed)" in result.output
    assert Profile.select().count() == 0


def test_sync_sia_while_one_is_running_exits_1_saying_so(school, runner):
    with acquire(school.org.id, "sia_import", "the scheduler"):
        result = runner.invoke(args=["sync", "sia", "--org", str(school.org.id), "--json"])
    assert result.exit_code == 1
    assert result.stdout == "" and "already running" in result.stderr


def test_sync_sia_for_an_unknown_organisation_exits_2(ctx, runner):
    result = runner.invoke(args=["sync", "sia", "--org", "999"])
    assert result.exit_code == 2 and "no organisation with id 999" in result.stderr


def test_sync_sia_that_fails_exits_1_with_the_reason(school, runner):
    school.connection.set_secret("wrong")
    school.connection.save()
    result = runner.invoke(args=["sync", "sia", "--org", str(school.org.id), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "failed"
    assert "rejected the API key and secret" in result.stderr


def test_sync_push_creates_members_and_links_them(school, runner):
    runner.invoke(args=["sync", "sia", "--org", str(school.org.id)])
    factories.profile(school.org, "Grace", "Hopper", email="grace@school.test")
    factories.profile(school.org, "Val", "Volunteer", type_name="Volunteers")
    args = ["sync", "push", "--org", str(school.org.id), "--group", str(school.staff.id), "--type", "Teaching Staff", "--json"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == {"created": 1, "linked": 0, "held_back": 0, "failed": 0}
    again = runner.invoke(args=args)
    assert json.loads(again.stdout)["counts"] == {"created": 0, "linked": 0, "held_back": 0, "failed": 0}


def test_sync_push_to_a_group_not_linked_or_an_unknown_type_exits_2(school, runner):
    runner.invoke(args=["sync", "sia", "--org", str(school.org.id)])
    bad_group = runner.invoke(args=["sync", "push", "--org", str(school.org.id), "--group", "999", "--type", "Teaching Staff"])
    assert bad_group.exit_code == 2 and "is not a Repeat group linked to" in bad_group.stderr
    bad_type = runner.invoke(args=["sync", "push", "--org", str(school.org.id), "--group", str(school.staff.id), "--type", "Wizards"])
    assert bad_type.exit_code == 2 and "no profile type 'Wizards'" in bad_type.stderr
