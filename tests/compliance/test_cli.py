"""`tether safety-check` prints the API's answer; `tether tokens` creates, lists and revokes tokens."""
import json

import pytest

from compliance import tokens
from store.models import Notification, SafetyCheckToken

from .conftest import make_ready


def test_safety_check_prints_the_same_answer_as_the_api(runner, client, school, secret):
    make_ready(school)
    args = ["safety-check", "--org", school.org.id, "--member", school.member.sia_id, "--group", school.group.sia_id]
    result = runner.invoke(args=[str(a) for a in args])
    assert result.exit_code == 0, result.output
    api = client.post(
        "/api/v1/safety-check", json={"member_id": school.member.sia_id, "group_id": school.group.sia_id},
        headers={"Authorization": f"Bearer {secret}"}, csrf=False,
    ).json
    assert json.loads(result.output) == api


def test_safety_check_exits_1_on_a_reject_without_notifying_anyone(runner, school):
    result = runner.invoke(args=["safety-check", "--org", str(school.org.id), "--member", str(school.member.sia_id), "--group", str(school.group.sia_id)])
    assert result.exit_code == 1
    answer = json.loads(result.output)
    assert (answer["decision"], answer["notify"]) == ("reject", True)
    assert Notification.select().count() == 0


def test_safety_check_for_an_unknown_group_exits_2_saying_what_to_do(runner, school):
    result = runner.invoke(args=["safety-check", "--org", str(school.org.id), "--member", "1", "--group", "999999"])
    assert result.exit_code == 2
    assert "no group 999999" in result.output and "Link the group to an organisation in Sign In App" in result.output


def test_safety_check_for_an_unknown_organisation_exits_2(runner, db):
    result = runner.invoke(args=["safety-check", "--org", "999", "--member", "1", "--group", "2"])
    assert result.exit_code == 2
    assert "no organisation with id 999" in result.output


def test_tokens_create_prints_a_working_secret_and_revoke_stops_it(runner, school):
    result = runner.invoke(args=["tokens", "create", "--connection", str(school.connection.id), "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert tokens.authenticate(created["token"]).id == created["id"]
    listed = runner.invoke(args=["tokens", "list"]).output
    assert created["prefix"] in listed and "active" in listed
    assert runner.invoke(args=["tokens", "revoke", "--id", str(created["id"])]).exit_code == 0
    assert tokens.authenticate(created["token"]) is None
    again = runner.invoke(args=["tokens", "revoke", "--id", str(created["id"])])
    assert again.exit_code == 1 and "already revoked" in again.output
    assert SafetyCheckToken.select().count() == 1


@pytest.mark.parametrize("value", ["18446744073709551617", "9223372036854775808", "²", "١", "0", "-1", "1.0", "", "9" * 5000])
def test_safety_check_refuses_anything_but_an_id_with_exit_2_naming_the_option(runner, school, value):
    ids = {"--org": str(school.org.id), "--member": str(school.member.sia_id), "--group": str(school.group.sia_id)}
    for option in ids:
        args = {**ids, option: value}
        result = runner.invoke(args=["safety-check", *[part for pair in args.items() for part in pair]])
        assert result.exit_code == 2, (option, result.output)
        assert f"'{option}'" in result.stderr and "whole number from 1 to 9223372036854775807" in result.stderr
        assert result.stdout == ""
