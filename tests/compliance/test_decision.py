"""The §6 decision table, every combination of its inputs, against an independent reading of §6.

`expected` restates DESIGN §6 field by field ("when is there a shield?", "when is sign-in refused?"),
not branch by branch as `decide` does, so the two can disagree when one of them is wrong.
"""
import datetime
import itertools

import pytest

from compliance.decision import UNAVAILABLE_MESSAGE, check_sign_in, decide
from store.models import CheckRecord, Notification, Organisation

from .conftest import TODAY, make_ready, set_group

TOGGLES = (True, False)
SAFETY_CHECKS = ("dont_check", "reject", "allow")
RATING_CHECKS = ("all", "none", "selected")
MEMBERS = ("ready", "not_ready", "unavailable")
TABLE = list(itertools.product(TOGGLES, SAFETY_CHECKS, RATING_CHECKS, MEMBERS))


def expected(toggle, safety_check, rating_check, member):
    # "The organisation-wide toggle off = dont_check everywhere."
    mode = safety_check if toggle else "dont_check"
    # dont_check: allow, no shield. rating_check none: no shield, not_checked. Either way nothing is looked at.
    looked_at = mode != "dont_check" and rating_check != "none"
    status = "not_checked"
    if looked_at:
        status = {"ready": "compliant", "not_ready": "not_compliant", "unavailable": "unavailable"}[member]
    return {
        "status": status,
        # The green shield means: compliant in the systems the group checks.
        "shield": looked_at and member == "ready",
        # reject: "reject when not ready" — and an unavailable member is not known to be ready.
        "decision": "reject" if looked_at and mode == "reject" and member != "ready" else "allow",
        # "Allow-when-not-ready and every reject create a Notification."
        "notify": looked_at and member != "ready",
    }


def test_the_table_covers_every_combination_of_inputs():
    assert len(TABLE) == 2 * 3 * 3 * 3 == len(set(TABLE))


@pytest.mark.parametrize("toggle, safety_check, rating_check, member", TABLE)
def test_decide_follows_design_section_6(toggle, safety_check, rating_check, member):
    result = decide(check_enabled=toggle, safety_check=safety_check, rating_check=rating_check, member=member)
    assert result._asdict() == expected(toggle, safety_check, rating_check, member)


@pytest.mark.parametrize("bad", [{"safety_check": "maybe"}, {"rating_check": "some"}, {"member": "unknown"}])
def test_decide_refuses_values_outside_the_table(bad):
    values = {"check_enabled": True, "safety_check": "reject", "rating_check": "all", "member": "ready", **bad}
    with pytest.raises(ValueError):
        decide(**values)


def _arrange(school, toggle, safety_check, rating_check, member):
    Organisation.update(settings={"safety_check_enabled": toggle}).where(Organisation.id == school.org.id).execute()
    set_group(school.group, safety_check=safety_check, rating_check=rating_check, rating_systems=[school.inspector_ready.id])
    CheckRecord.delete().execute()
    if member == "ready":
        make_ready(school)
    elif member == "not_ready":
        # Ready in School Ready's other check only: Inspector Ready (the selected one) is not met either.
        CheckRecord.create(profile=school.profile, check_type=school.rtw, completed_on=TODAY)
    return school.member.sia_id if member != "unavailable" else 987654


def test_the_service_answers_the_whole_table_from_the_store(school):
    for toggle, safety_check, rating_check, member in TABLE:
        member_id = _arrange(school, toggle, safety_check, rating_check, member)
        before = Notification.select().count()
        answer = check_sign_in(school.connection, member_id, school.group.sia_id)
        want = expected(toggle, safety_check, rating_check, member)
        case = (toggle, safety_check, rating_check, member)
        assert {k: answer[k] for k in want} == want, case
        assert Notification.select().count() - before == (1 if want["notify"] else 0), case
        if want["status"] == "unavailable":
            assert answer["message"] == UNAVAILABLE_MESSAGE, case
        if want["status"] in ("compliant", "not_compliant"):
            checked = [s["name"] for s in answer["rating_systems"]]
            assert checked == (["Inspector Ready"] if rating_check == "selected" else ["School Ready", "Inspector Ready"]), case
        else:
            assert answer["rating_systems"] == [], case


def test_a_reject_notifies_the_school_with_what_is_missing(school):
    answer = check_sign_in(school.connection, school.member.sia_id, school.group.sia_id)
    assert answer["decision"] == "reject"
    note = Notification.get()
    assert (note.organisation_id, note.kind, note.subject) == (school.org.id, "safety_reject", "Sign-in refused: Ada Lovelace")
    assert "missing Enhanced DBS, Right to work" in note.message and "group Staff" in note.message


def test_allow_mode_signs_in_a_person_who_is_not_ready_and_warns_the_school(school):
    set_group(school.group, safety_check="allow")
    answer = check_sign_in(school.connection, school.member.sia_id, school.group.sia_id)
    assert (answer["status"], answer["decision"], answer["shield"], answer["notify"]) == ("not_compliant", "allow", False, True)
    assert Notification.get().kind == "safety_warning"


def test_a_group_that_selects_just_one_rating_system_checks_exactly_that_one(school):
    """Set-up help: "Select rating systems to check - This will give you the option to select just one
    rating system if required." Inspector Ready is ready, School Ready is not: the group selected only
    Inspector Ready, so the person is compliant."""
    CheckRecord.create(profile=school.profile, check_type=school.dbs, completed_on=datetime.date.today())
    set_group(school.group, rating_check="selected", rating_systems=[school.inspector_ready.id])
    answer = check_sign_in(school.connection, school.member.sia_id, school.group.sia_id)
    assert (answer["status"], [s["name"] for s in answer["rating_systems"]]) == ("compliant", ["Inspector Ready"])


def test_a_disabled_rating_system_is_not_checked(school):
    make_ready(school)
    CheckRecord.delete().where(CheckRecord.check_type == school.rtw).execute()
    school.school_ready.enabled = False
    school.school_ready.save()
    answer = check_sign_in(school.connection, school.member.sia_id, school.group.sia_id)
    assert (answer["status"], [s["name"] for s in answer["rating_systems"]]) == ("compliant", ["Inspector Ready"])


def test_a_group_whose_selection_leaves_no_enabled_system_is_not_checked(school):
    set_group(school.group, rating_check="selected", rating_systems=[])
    answer = check_sign_in(school.connection, school.member.sia_id, school.group.sia_id)
    assert (answer["status"], answer["decision"]) == ("not_checked", "allow")
    assert answer["message"] == "Group Staff has no enabled rating system to check."


def test_a_group_not_linked_to_an_organisation_is_not_checked(school):
    school.group.organisation = None
    school.group.save()
    answer = check_sign_in(school.connection, 987654, school.group.sia_id)
    assert (answer["status"], answer["decision"], answer["notify"]) == ("not_checked", "allow", False)
    assert "not linked to a Central Record organisation" in answer["message"]


def test_readiness_is_judged_on_the_sign_in_date(school):
    CheckRecord.create(profile=school.profile, check_type=school.dbs, completed_on=TODAY, expires_on=TODAY + datetime.timedelta(days=2))
    CheckRecord.create(profile=school.profile, check_type=school.rtw, completed_on=TODAY)
    assert check_sign_in(school.connection, school.member.sia_id, school.group.sia_id)["status"] == "compliant"
    later = TODAY + datetime.timedelta(days=2)
    answer = check_sign_in(school.connection, school.member.sia_id, school.group.sia_id, on=later)
    assert answer["status"] == "not_compliant"
    assert answer["rating_systems"][0]["expired"] == ["Enhanced DBS"]
