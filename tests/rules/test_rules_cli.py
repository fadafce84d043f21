"""`tether rules check` and `tether rules explain`: output and exit codes as DESIGN §10 says."""

import json

from click.testing import CliRunner

from console.commands.rules import rules

MEMBER = json.dumps({"group": "Staff", "role": "Teacher of Maths"})


def run(*args):
    return CliRunner().invoke(rules, list(args))


def test_check_valid_rule_prints_canonical_form_and_exits_0():
    result = run("check", "GROUP == 'Staff' AND role !~ teacher")
    assert result.exit_code == 0
    assert result.stdout == "group == Staff and role !~ teacher\n"
    assert result.stderr == ""


def test_check_invalid_rule_exits_2_with_message_and_caret_on_stderr():
    result = run("check", "group ==")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: expected a value after '==', e.g. Staff or \"Support Staff\" (line 1, column 9)\n"
        "group ==\n"
        "        ^\n"
    )


def test_check_warns_about_unknown_groups_and_still_exits_0():
    result = run("check", "group == Contractor", "--groups", "Contractors", "--groups", "Staff")
    assert result.exit_code == 0
    assert result.stdout == "group == Contractor\n"
    assert result.stderr.startswith(
        "warning: no linked group called 'Contractor'; did you mean 'Contractors'? (line 1, column 10)\n"
    )


def test_check_json_reports_validity_and_warnings():
    result = run("check", "group == Contractor", "--groups", "Contractors", "--json")
    document = json.loads(result.stdout)
    assert document["valid"] and document["canonical"] == "group == Contractor"
    assert document["warnings"][0]["column"] == 10


def test_check_json_reports_an_invalid_rule_and_exits_2():
    result = run("check", "rol == x", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["message"] == "unknown field 'rol'; did you mean 'role'?"


def test_explain_match_prints_trace_and_exits_0():
    result = run("explain", "group == Staff", "--member", MEMBER)
    assert result.exit_code == 0
    assert result.stdout == 'match: group == Staff\n  true   group == Staff  (group is "Staff")\n'


def test_explain_no_match_exits_1():
    result = run("explain", "group == Staff and role !~ teacher", "--member", MEMBER)
    assert result.exit_code == 1
    assert result.stdout.startswith("no match: group == Staff and role !~ teacher\n")
    assert '    false  role !~ teacher  (role is "Teacher of Maths")' in result.stdout


def test_explain_json_prints_the_trace_document():
    result = run("explain", "role ~ maths", "--member", MEMBER, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["trace"]["actual"] == "Teacher of Maths"


def test_explain_bad_rule_exits_2():
    result = run("explain", "group = Staff", "--member", MEMBER)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unexpected '='; use '==' to compare (line 1, column 7)")


def test_explain_bad_json_exits_2():
    result = run("explain", "group == Staff", "--member", "{group: Staff}")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --member is not valid JSON: Expecting property name enclosed in double")


def test_explain_member_must_be_an_object():
    result = run("explain", "group == Staff", "--member", "[1]")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --member must be a JSON object")


def test_explain_needs_a_member():
    assert run("explain", "group == Staff").exit_code == 2


def test_check_refuses_a_rule_with_too_many_comparisons_with_exit_2():
    result = run("check", " or ".join(f"role==r{index}" for index in range(150)))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: a rule may have at most 100 comparisons; this one has 150; split it into several rules (line 1"
    )
