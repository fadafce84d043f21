"""`tether diagnose --org ID QUERY [--json]`: the console's answer on the command line."""
import json

from sync import links


def test_diagnose_prints_the_causes_and_exits_1(runner, school):
    links.decouple(school.ada, "admin@hill.test")
    result = runner.invoke(args=["diagnose", "--org", str(school.org.id), "ada"])
    assert result.exit_code == 1
    assert "Ada Lovelace — " in result.output and "[decoupled] Decoupled from Sign In App" in result.output
    assert "fix (console, for support): Re-link to Ada Lovelace" in result.output


def test_diagnose_json_gives_every_cause_with_its_fix(runner, school):
    links.decouple(school.ada, "admin@hill.test")
    result = runner.invoke(args=["diagnose", "--org", str(school.org.id), "--json", "ADA"])
    answer = json.loads(result.stdout)
    [person] = answer["people"]
    decoupled = next(c for c in person["causes"] if c["code"] == "decoupled")
    assert decoupled["fix"]["intent"] == "relink" and decoupled["fix"]["roles"] == ["support"]
    assert person["profiles"][0]["id"] == school.ada.id and person["members"][0]["sia_id"] == school.member.sia_id


def test_diagnose_exits_0_when_everyone_found_syncs_normally(runner, school):
    result = runner.invoke(args=["diagnose", "--org", str(school.org.id), "lovelace"])
    assert result.exit_code == 0, result.output
    assert "Syncing normally; green shield shown when ready." in result.output


def test_diagnose_refuses_an_unknown_organisation(runner, school):
    result = runner.invoke(args=["diagnose", "--org", "999", "ada"])
    assert result.exit_code == 2 and "no organisation with id 999" in result.stderr
