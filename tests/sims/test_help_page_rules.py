"""Every rule of the SIMS help page (reference/sims-student-sync.txt), one test each, named for it."""
import datetime

from store.models import Organisation, RunProblem, Student
from sync import students
from tests import factories as f

from . import exports as x
from .conftest import account

# What Data is Imported?


def test_admissions_number_is_mapped_to_the_school_identifier(school, import_pupils):
    import_pupils(school, [x.pupil("1001", admission_number="004567")])
    assert account(school, "1001").admission_number == "004567"


def test_date_of_birth_is_mapped_to_the_date_of_birth_field(school, import_pupils):
    import_pupils(school, [x.pupil("1001", dob="23/05/2011")])
    assert account(school, "1001").dob == datetime.date(2011, 5, 23)


def test_forename_is_mapped_to_forename(school, import_pupils):
    import_pupils(school, [x.pupil("1001", forename="Amélie")])
    assert account(school, "1001").forename == "Amélie"


def test_free_school_meal_status_is_mapped_to_free_school_meals(school, import_pupils):
    import_pupils(school, [x.pupil("1001", fsm="T"), x.pupil("1002", fsm="No"), x.pupil("1003", fsm=None)])
    assert [account(school, p).fsm for p in ("1001", "1002", "1003")] == [True, False, None]


def test_gender_is_mapped_to_gender(school, import_pupils):
    import_pupils(school, [x.pupil("1001", gender="F")])
    assert account(school, "1001").gender.name == "Female"


def test_home_address_is_a_single_address_of_type_h(school, import_pupils):
    pupil = x.pupil("1001", addresses=[
        x.address(type="W", street="Office Park"),
        x.address(type="H", house_name="Rose Cottage", house_number="14", street="Mill Lane", town="Otley", county="West Yorkshire", postcode="LS21 3CD"),
    ])
    import_pupils(school, [pupil])
    assert account(school, "1001").address == "Rose Cottage, 14, Mill Lane, Otley, West Yorkshire"


def test_home_postcode_is_the_postcode_of_the_mapped_address(school, import_pupils):
    pupil = x.pupil("1001", addresses=[x.address(type="W", postcode="LS1 9ZZ"), x.address(type="H", postcode="LS21 3CD")])
    import_pupils(school, [pupil])
    assert account(school, "1001").postcode == "LS21 3CD"


def test_home_telephone_is_a_single_telephone_of_type_h(school, import_pupils):
    pupil = x.pupil("1001", telephones=[x.telephone(type="M", number="07700 1"), x.telephone(type="H", number="0113 1")])
    import_pupils(school, [pupil])
    assert account(school, "1001").home_phone == "0113 1"


def test_mobile_telephone_is_a_single_telephone_of_type_m(school, import_pupils):
    pupil = x.pupil("1001", telephones=[x.telephone(type="H", number="0113 1"), x.telephone(type="M", number="07700 1")])
    import_pupils(school, [pupil])
    assert account(school, "1001").mobile == "07700 1"


def test_person_id_is_mapped_to_third_party_id(school, import_pupils):
    import_pupils(school, [x.pupil("000777")])
    assert Student.get(Student.organisation == school).person_id == "000777"


def test_personal_email_address_is_a_single_email_of_type_h(school, import_pupils):
    pupil = x.pupil("1001", emails=[x.email(type="W", address="w@x.example"), x.email(type="H", address="h@x.example")])
    import_pupils(school, [pupil])
    assert account(school, "1001").personal_email == "h@x.example"


def test_preferred_email_type_is_mapped_to_the_email_communication_preference(school, import_pupils):
    pupil = x.pupil("1001", emails=[x.email(type="H", address="h@x.example"), x.email(type="W", address="w@x.example", primary="T")])
    import_pupils(school, [pupil])
    assert account(school, "1001").email_preference == "Work"


def test_sen_provisions_are_mapped_to_sen_information(school, import_pupils):
    import_pupils(school, [x.pupil("1001", sen=["K - SEN Support", "E - EHC Plan"])])
    assert account(school, "1001").sen_information == "K - SEN Support; E - EHC Plan"


def test_surname_is_mapped_to_surname(school, import_pupils):
    import_pupils(school, [x.pupil("1001", surname="O'Neil")])
    assert account(school, "1001").surname == "O'Neil"


def test_work_email_address_is_a_single_email_of_type_w(school, import_pupils):
    pupil = x.pupil("1001", emails=[x.email(type="H", address="h@x.example"), x.email(type="W", address="w@x.example")])
    import_pupils(school, [pupil])
    assert account(school, "1001").work_email == "w@x.example"


# Leavers


def test_a_student_who_ceases_to_be_current_is_disabled_at_the_next_sync(school, import_pupils):
    import_pupils(school, [x.pupil(str(n)) for n in range(1, 21)])
    result = import_pupils(school, [x.pupil(str(n)) for n in range(1, 20)])
    assert result.counts["disabled"] == 1
    leaver = account(school, "20")
    assert not leaver.enabled and leaver.disabled_at is not None


def test_disabling_a_student_clears_none_of_their_data(school, import_pupils):
    import_pupils(school, [x.pupil(str(n), forename=f"Pupil{n}") for n in range(1, 21)])
    before = account(school, "20").__data__.copy()
    import_pupils(school, [x.pupil(str(n), forename=f"Pupil{n}") for n in range(1, 20)])
    after = account(school, "20").__data__
    kept = {k for k in before if k not in ("enabled", "disabled_at", "updated_at")}
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}


def test_a_student_who_returns_is_enabled_again(school, import_pupils):
    everyone = [x.pupil(str(n)) for n in range(1, 21)]
    import_pupils(school, everyone)
    import_pupils(school, everyone[:-1])
    result = import_pupils(school, everyone)
    assert result.counts["reenabled"] == 1
    returner = account(school, "20")
    assert returner.enabled and returner.disabled_at is None


# Contact preferences


def test_preferred_contact_method_is_only_imported_when_the_account_is_first_created(school, import_pupils):
    personal = x.pupil("1001", emails=[x.email(type="H", address="a@x.example", primary="T")])
    work = x.pupil("1001", emails=[x.email(type="W", address="a@x.example", primary="T")])
    import_pupils(school, [personal])
    result = import_pupils(school, [work])
    student = account(school, "1001")
    assert student.email_preference == "Personal"
    assert student.work_email == "a@x.example" and result.counts["updated"] == 1


# Gender


def test_gender_is_only_mapped_if_a_matching_gender_is_found(school, import_pupils):
    import_pupils(school, [x.pupil("1001", gender="Male"), x.pupil("1002", gender="m"), x.pupil("1003", gender="X")])
    assert [account(school, p).gender_id is not None for p in ("1001", "1002", "1003")] == [True, True, False]


def test_gender_is_not_added_when_the_organisation_has_no_matching_gender(db, import_pupils):
    bare = f.organisation("No Genders School")
    import_pupils(bare, [x.pupil("1001", gender="F")])
    assert account(bare, "1001").gender is None


# Several home addresses, telephones, emails


def test_of_several_home_addresses_the_one_with_the_most_recent_start_date_is_mapped(school, import_pupils):
    pupil = x.pupil("1001", addresses=[
        x.address(type="H", start="2015-09-01", street="First Street"),
        x.address(type="H", start="2023-04-17", street="Latest Street", postcode="LS2 2BB"),
        x.address(type="H", start="19/06/2019", street="Middle Street"),
        x.address(type="W", start="2024-01-01", street="Work Street"),
    ])
    import_pupils(school, [pupil])
    student = account(school, "1001")
    assert (student.address, student.postcode) == ("1, Latest Street, Leeds", "LS2 2BB")


def test_of_several_telephones_the_one_marked_primary_is_selected(school, import_pupils):
    pupil = x.pupil("1001", telephones=[
        x.telephone(type="M", number="07700 1", main="T"), x.telephone(type="M", number="07700 2", primary="T"),
    ])
    import_pupils(school, [pupil])
    assert account(school, "1001").mobile == "07700 2"


def test_of_several_telephones_without_a_primary_the_one_marked_main_is_selected(school, import_pupils):
    pupil = x.pupil("1001", telephones=[x.telephone(type="H", number="0113 1"), x.telephone(type="H", number="0113 2", main="T")])
    import_pupils(school, [pupil])
    assert account(school, "1001").home_phone == "0113 2"


def test_of_several_telephones_neither_primary_nor_main_the_first_is_selected(school, import_pupils):
    pupil = x.pupil("1001", telephones=[x.telephone(type="H", number="0113 1"), x.telephone(type="H", number="0113 2")])
    import_pupils(school, [pupil])
    assert account(school, "1001").home_phone == "0113 1"


def test_of_several_emails_the_one_marked_primary_is_selected(school, import_pupils):
    pupil = x.pupil("1001", emails=[x.email(address="a@x.example", main="T"), x.email(address="b@x.example", primary="T")])
    import_pupils(school, [pupil])
    assert account(school, "1001").personal_email == "b@x.example"


def test_of_several_emails_without_a_primary_the_one_marked_main_is_selected(school, import_pupils):
    pupil = x.pupil("1001", emails=[x.email(type="W", address="a@x.example"), x.email(type="W", address="b@x.example", main="T")])
    import_pupils(school, [pupil])
    assert account(school, "1001").work_email == "b@x.example"


def test_of_several_emails_neither_primary_nor_main_the_first_is_selected(school, import_pupils):
    pupil = x.pupil("1001", emails=[x.email(address="a@x.example"), x.email(address="b@x.example")])
    import_pupils(school, [pupil])
    assert account(school, "1001").personal_email == "a@x.example"


# Email preference


def test_email_preference_is_the_type_of_the_primary_email(school, import_pupils):
    pupil = x.pupil("1001", emails=[x.email(type="H", address="a@x.example", main="T"), x.email(type="W", address="b@x.example", primary="T")])
    import_pupils(school, [pupil])
    assert account(school, "1001").email_preference == "Work"


def test_email_preference_without_a_primary_is_the_type_of_the_main_email(school, import_pupils):
    pupil = x.pupil("1001", emails=[x.email(type="H", address="a@x.example"), x.email(type="W", address="b@x.example", main="T")])
    import_pupils(school, [pupil])
    assert account(school, "1001").email_preference == "Work"


def test_email_preference_defaults_to_personal(school, import_pupils):
    pupil = x.pupil("1001", emails=[x.email(type="W", address="a@x.example"), x.email(type="W", address="b@x.example")])
    import_pupils(school, [pupil])
    assert account(school, "1001").email_preference == "Personal"


# Usernames


def test_username_is_the_admissions_number_when_the_school_chose_it(school, import_pupils):
    school.settings = {"username_policy": "admission_number"}
    school.save()
    import_pupils(school, [x.pupil("1001", admission_number="004567")])
    assert account(school, "1001").username == "004567"


def test_a_student_without_an_admissions_number_falls_back_to_their_email_as_username(school, import_pupils):
    school.settings = {"username_policy": "admission_number"}
    school.save()
    guest = x.pupil("1001", admission_number=None, emails=[x.email(address="guest@x.example")])
    import_pupils(school, [guest])
    assert account(school, "1001").username == "guest@x.example"


def test_username_is_the_active_directory_username_when_the_school_chose_it(school, import_pupils, tmp_path):
    school.settings = {"username_policy": "ad_username"}
    school.save()
    result = import_pupils(school, [x.pupil("1001", ad_username="ALovelace"), x.pupil("1002", ad_username=None)])
    assert account(school, "1001").username == "ALovelace"
    [problem] = result.problems
    assert (problem.external_id, problem.code) == ("1002", "missing_ad_username")
    assert "has no Active Directory username (the report's 'AD Username' column)" in problem.message
    assert "or choose another username policy under Organisation settings" in problem.message
    # A school's own caption for the column, and a Tether JSON export, are read alike.
    school.settings = {**school.settings, "sims_captions": {"ad_username": "Network Login"}}
    school.save()
    own = x.write_xml(tmp_path, [x.pupil("1001", ad_username="ada.l")], name="own.xml", captions={"ad_username": "Network Login"})
    students.import_file(school, own, actor="test")
    assert account(school, "1001").username == "ada.l"
    students.import_file(school, x.write_json(tmp_path, [x.pupil("1001", ad_username="ada.lovelace")]), actor="test")
    assert account(school, "1001").username == "ada.lovelace"


def test_username_by_default_is_the_primary_email_else_main_else_first(school, import_pupils):
    pupils = [
        x.pupil("1", emails=[x.email(type="W", address="a1@x.example"), x.email(type="H", address="p1@x.example", primary="T")]),
        x.pupil("2", emails=[x.email(type="W", address="a2@x.example"), x.email(type="H", address="m2@x.example", main="T")]),
        x.pupil("3", emails=[x.email(type="W", address="f3@x.example"), x.email(type="H", address="s3@x.example")]),
    ]
    import_pupils(school, pupils)
    assert [account(school, p).username for p in "123"] == ["p1@x.example", "m2@x.example", "f3@x.example"]


# Final check


def test_after_the_sync_every_enabled_account_not_in_the_export_is_disabled(school, import_pupils):
    import_pupils(school, [x.pupil(str(n)) for n in range(1, 21)])
    # An account the export never listed (say, made by hand) is caught by the final check too.
    Student.create(organisation=school, person_id="manual", username="manual", forename="M", surname="M")
    result = import_pupils(school, [x.pupil(str(n)) for n in range(1, 20)], confirm_disable=True)
    assert result.counts["disabled"] == 2
    enabled = {s.person_id for s in Student.select().where((Student.organisation == school) & Student.enabled)}
    assert enabled == {str(n) for n in range(1, 20)}


# What records won't be imported


def test_a_record_with_no_forename_is_not_imported(school, import_pupils):
    result = import_pupils(school, [x.pupil("1001", forename=None), x.pupil("1002")])
    assert [(p.external_id, p.code) for p in result.problems] == [("1001", "missing_forename")]
    assert result.counts["created"] == 1 and result.counts["failed"] == 1


def test_a_record_with_no_email_address_is_not_imported(school, import_pupils):
    result = import_pupils(school, [x.pupil("1001", emails=[])])
    assert [(p.external_id, p.code) for p in result.problems] == [("1001", "missing_email")]
    assert not Student.select().exists()


def test_a_record_with_no_surname_is_not_imported(school, import_pupils):
    result = import_pupils(school, [x.pupil("1001", surname=None)])
    assert [(p.external_id, p.code) for p in result.problems] == [("1001", "missing_surname")]


def test_records_that_error_are_kept_with_their_errors_so_they_can_be_fixed(school, import_pupils):
    result = import_pupils(school, [x.pupil("1001", forename=None, surname=None, dob="not a date")])
    stored = [(p.external_id, p.code) for p in RunProblem.select().where(RunProblem.run == result.run).order_by(RunProblem.id)]
    assert stored == [("1001", "invalid_record"), ("1001", "missing_forename"), ("1001", "missing_surname")]
    assert "DOB 'not a date' is not a date" in result.problems[0].message
    assert "Person 1001" in result.problems[0].message and "SIMS" in result.problems[0].message


# Common reasons for failure


def test_when_creating_a_user_whose_username_is_already_in_use_the_record_is_not_imported(school, import_pupils):
    import_pupils(school, [x.pupil("1001", emails=[x.email(address="shared@x.example")])])
    result = import_pupils(school, [
        x.pupil("1001", emails=[x.email(address="shared@x.example")]),
        x.pupil("1002", emails=[x.email(address="SHARED@x.example")]),
    ])
    assert [(p.external_id, p.code) for p in result.problems] == [("1002", "username_in_use")]
    assert "person 1001" in result.problems[0].message.lower()
    assert Student.select().count() == 1


def test_an_existing_student_whose_new_email_is_in_use_keeps_the_old_username_and_gets_the_other_updates(
    school, import_pupils
):
    import_pupils(school, [
        x.pupil("1001", emails=[x.email(address="ada@x.example")]),
        x.pupil("1002", emails=[x.email(address="taken@x.example")]),
    ])
    result = import_pupils(school, [
        x.pupil("1001", surname="Byron", emails=[x.email(address="TAKEN@x.example")]),
        x.pupil("1002", emails=[x.email(address="taken@x.example")]),
    ])
    ada = account(school, "1001")
    assert (ada.username, ada.surname, ada.enabled) == ("ada@x.example", "Byron", True)
    assert account(school, "1002").username == "taken@x.example"
    assert result.status == "succeeded" and result.counts["updated"] == 1 and result.counts["failed"] == 0
    assert [(p.external_id, p.code) for p in result.problems] == [("1001", "username_in_use")]
    assert "keeps the username 'ada@x.example'" in result.problems[0].message
    assert "person 1002" in result.problems[0].message.lower()
    stored = RunProblem.select().where(RunProblem.run == result.run.id)
    assert [(p.external_id, p.code) for p in stored] == [("1001", "username_in_use")]


def test_under_the_admissions_number_policy_a_clashing_new_number_keeps_the_old_username(school, import_pupils):
    school.settings = {"username_policy": "admission_number"}
    school.save()
    import_pupils(school, [x.pupil("1001", admission_number="0001"), x.pupil("1002", admission_number="0002")])
    result = import_pupils(school, [
        x.pupil("1001", admission_number="0002", forename="Adah"),
        x.pupil("1002", admission_number="0002"),
    ])
    ada = account(school, "1001")
    assert (ada.username, ada.admission_number, ada.forename) == ("0001", "0002", "Adah")
    assert [(p.external_id, p.code) for p in result.problems] == [("1001", "username_in_use")]


def test_a_username_already_used_by_a_console_account_is_in_use(school, import_pupils):
    f.user("head@school.example", "admin", [school])
    result = import_pupils(school, [x.pupil("1001", emails=[x.email(address="Head@school.example")])])
    assert [p.code for p in result.problems] == ["username_in_use"]
    assert "console user" in result.problems[0].message


def test_students_of_another_school_may_share_a_username(school, import_pupils):
    # A dual-registered pupil has no admission number at one school and the same email at both.
    other = Organisation.create(name="Partner School")
    import_pupils(other, [x.pupil("555", emails=[x.email(address="dual@x.example")])])
    result = import_pupils(school, [x.pupil("1001", emails=[x.email(address="dual@x.example")])])
    assert result.problems == [] and result.counts["created"] == 1
