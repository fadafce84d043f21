"""The SIMS readers: CommandReporter XML and Tether JSON become normalised students; bad files are refused.

Pure: no database.
"""
import datetime
from pathlib import Path

import pytest

from connectors.sims import SimsFileError, read_export, report_captions
from connectors.sims.normalise import boolean, date, decode_name

from . import exports as x

FIXTURES = Path(__file__).parent / "fixtures"


def read(path, **options):
    return read_export(path, **options).students


def family(with_ids):
    """A pupil with two addresses, three telephones and two emails: 12 rows in CommandReporter."""
    ids = iter(range(1, 100)) if with_ids else iter([None] * 100)
    return x.pupil(
        "1001",
        addresses=[x.address(next(ids), "H", "2019-09-01", street="Old Road"), x.address(next(ids), "H", "2021-09-01")],
        telephones=[x.telephone(next(ids), "H", "0113 1"), x.telephone(next(ids), "M", "07700 1"), x.telephone(next(ids), "M", "07700 2")],
        emails=[x.email(next(ids), "H", "ada@home.example"), x.email(next(ids), "W", "ada@work.example")],
    )


@pytest.mark.parametrize("with_ids", [True, False], ids=["with row ids", "without row ids"])
def test_cross_product_rows_collapse_to_one_student_with_each_sub_row_once(tmp_path, with_ids):
    path = x.write_xml(tmp_path, [family(with_ids), x.pupil("1002", forename="Grace")])
    export = read_export(path)
    assert export.rows == 12 + 1
    first, second = export.students
    assert [a.street for a in first.addresses] == ["Old Road", "High Street"]
    assert [t.number for t in first.telephones] == ["0113 1", "07700 1", "07700 2"]
    assert [e.address for e in first.emails] == ["ada@home.example", "ada@work.example"]
    assert second.forename == "Grace" and len(second.emails) == 1


def test_sub_rows_with_the_same_values_but_different_row_ids_are_kept_apart(tmp_path):
    twins = x.pupil("1001", telephones=[x.telephone(1, "M", "07700 1"), x.telephone(2, "M", "07700 1")])
    (student,) = read(x.write_xml(tmp_path, [twins]))
    assert len(student.telephones) == 2


def test_pupil_with_no_telephone_has_the_telephone_columns_empty(tmp_path):
    (student,) = read(x.write_xml(tmp_path, [x.pupil("1001", telephones=[])]))
    assert student.telephones == () and len(student.emails) == 1


def test_rows_of_one_pupil_need_not_be_next_to_each_other(tmp_path):
    ann, bob = x.pupil("1", forename="Ann"), x.pupil("2", forename="Bob")
    ann_again = x.pupil("1", forename="Ann", emails=[x.email(address="ann@two.example")])
    (tmp_path / "s.xml").write_text(x.commandreporter_xml([ann, bob, ann_again]))
    students = read(tmp_path / "s.xml")
    assert [s.person_id for s in students] == ["1", "2"]
    assert [e.address for e in students[0].emails] == ["pupil1@school.example", "ann@two.example"]


def test_a_value_longer_than_a_read_of_the_file_is_read_whole(tmp_path):
    # The reader takes the file 64 KiB at a time, so this street's text reaches the parser in pieces.
    street = "Long & Winding Road " * 5_000
    (student,) = read(x.write_xml(tmp_path, [x.pupil("1001", addresses=[x.address(street=street)])]))
    assert student.addresses[0].street == street.strip()


def test_an_indented_export_reads_as_the_same_pupils_and_other_elements_are_not_records(tmp_path):
    compact = x.commandreporter_xml([x.pupil("1001"), x.pupil("1002", forename="Grace")])
    indented = (
        compact.replace("<SuperStarReport>", "<SuperStarReport>\n  <Title>Students</Title>")
        .replace("><", ">\n      <")
        .replace("<Record>", "<Record>\n      <House_x0020_Name />")
    )
    (tmp_path / "indented.xml").write_text(indented)
    assert read(tmp_path / "indented.xml") == read(x.write_xml(tmp_path, [x.pupil("1001"), x.pupil("1002", forename="Grace")]))


def test_a_sample_exports_captions_are_its_columns_in_the_order_first_met(tmp_path):
    path = x.write_xml(tmp_path, [x.pupil("1001", telephones=[]), x.pupil("1002", sen=["K - SEN Support"])])
    with open(path, "rb") as stream:
        captions = report_captions(stream)
    assert captions == [
        "Person ID", "Adno", "Forename", "Surname", "DOB", "Gender", "FSM Eligible", "Address Type",
        "Address Start Date", "House Number", "Street", "Town", "Postcode", "Email Type", "Email Address",
        "Email Main", "Email Primary", "SEN Provision", "Telephone Type", "Telephone Number", "Telephone Main",
        "Telephone Primary",
    ]


def test_element_names_are_decoded_from_xml_escapes():
    assert decode_name("Person_x0020_ID") == "Person ID"
    assert decode_name("Date_x002F_Time_x0020_of_x0020_Birth") == "Date/Time of Birth"
    assert decode_name("Emoji_x0001F600_") == "Emoji😀"
    assert decode_name("Plain") == "Plain"


def test_captions_match_without_regard_to_case_or_spacing(tmp_path):
    xml = x.commandreporter_xml([x.pupil("1001")]).replace("Person_x0020_ID", "PERSON_x0020__x0020_id")
    (tmp_path / "s.xml").write_text(xml)
    assert read(tmp_path / "s.xml")[0].person_id == "1001"


def test_a_schools_own_captions_can_be_mapped(tmp_path):
    captions = {"person_id": "ID", "admission_number": "Admission Number", "forename": "Preferred Forename"}
    path = x.write_xml(tmp_path, [x.pupil("1001", forename="Ada")], captions=captions)
    (student,) = read(path, captions=captions)
    assert (student.person_id, student.admission_number, student.forename) == ("1001", "001001", "Ada")


def test_mapping_an_unknown_field_is_refused_with_the_known_ones(tmp_path):
    path = x.write_xml(tmp_path, [x.pupil()])
    with pytest.raises(SimsFileError, match="unknown fields colour; map only these: person_id"):
        read(path, captions={"colour": "Colour"})


def test_a_report_without_a_person_id_column_is_refused(tmp_path):
    path = x.write_xml(tmp_path, [x.pupil()], captions={"person_id": "Identifier"})
    with pytest.raises(SimsFileError, match="no 'Person ID' column .*Identifier"):
        read(path)


def test_identifiers_stay_strings_with_their_leading_zeros(tmp_path):
    (student,) = read(x.write_xml(tmp_path, [x.pupil("000123", admission_number="000456")]))
    assert (student.person_id, student.admission_number) == ("000123", "000456")


@pytest.mark.parametrize("value, expected", [
    ("T", True), ("F", False), ("true", True), ("False", False), ("Yes", True), ("no", False), ("1", True),
    ("0", False), ("", None),
])
def test_booleans_read_t_f_true_false_yes_no_and_1_0(value, expected):
    problems = []
    assert boolean(value, "FSM Eligible", problems) is expected
    assert problems == []


@pytest.mark.parametrize("value", ["2012-03-04", "2012-03-04T00:00:00", "2012-03-04T00:00:00+01:00", "04/03/2012"])
def test_dates_read_iso_dates_iso_date_times_and_dd_mm_yyyy(value):
    problems = []
    assert date(value, "DOB", problems) == datetime.date(2012, 3, 4)
    assert problems == []


def test_a_value_that_cannot_be_read_is_a_problem_of_that_record_not_of_the_file(tmp_path):
    path = x.write_xml(tmp_path, [x.pupil("1", dob="31/02/2012", fsm="maybe"), x.pupil("2")])
    bad, good = read(path)
    assert bad.problems == (
        "DOB '31/02/2012' is not a date; use YYYY-MM-DD or DD/MM/YYYY",
        "FSM Eligible 'maybe' is not yes or no; use T/F, True/False, Yes/No or 1/0",
    )
    assert good.problems == ()


def test_rows_that_disagree_about_a_pupil_make_the_record_invalid(tmp_path):
    xml = x.commandreporter_xml([x.pupil("1", forename="Ann"), x.pupil("1", forename="Anne", emails=[x.email(address="b@x.example")])])
    (tmp_path / "s.xml").write_text(xml)
    (student,) = read(tmp_path / "s.xml")
    assert "rows disagree on Forename ('Ann' and 'Anne')" in student.problems[0]


@pytest.mark.parametrize("encoding, bom", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-le", b""),
    ("utf-16-be", b"\xfe\xff"), ("utf-16-be", b""),
])
def test_utf8_and_utf16_files_are_read_with_or_without_a_byte_order_mark(tmp_path, encoding, bom):
    declaration = f'<?xml version="1.0" encoding="{encoding[:6]}"?>'
    xml = x.commandreporter_xml([x.pupil("1001", forename="Zoë")], declaration=declaration)
    path = tmp_path / "s.xml"
    path.write_bytes(bom + xml.encode(encoding))
    assert read(path)[0].forename == "Zoë"


def test_a_utf8_file_that_declares_utf16_is_read_as_utf8(tmp_path):
    xml = x.commandreporter_xml([x.pupil("1001", forename="Zoë")], declaration='<?xml version="1.0" encoding="utf-16"?>')
    path = tmp_path / "s.xml"
    path.write_bytes(xml.encode("utf-8"))
    assert read(path)[0].forename == "Zoë"


def test_the_sample_commandreporter_export_is_read():
    students = read(FIXTURES / "commandreporter-utf16.xml")
    assert [(s.person_id, s.admission_number, s.name) for s in students] == [
        ("4711", "003012", "Amélie O'Neil"),
        ("4712", "003013", "Tomasz Nowak"),
    ]
    amelie = students[0]
    assert [a.start_date for a in amelie.addresses] == [datetime.date(2016, 9, 1), datetime.date(2023, 4, 17)]
    assert [(t.type, t.primary) for t in amelie.telephones] == [("H", False), ("M", True)]
    assert amelie.sen_provisions[0].description == "K - SEN Support"


BAD_FILES = {
    "an XML bomb": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        "<SuperStarReport><Record><Forename>&lol2;</Forename></Record></SuperStarReport>",
        "declares a DTD or XML entities",
    ),
    "an external entity": (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><SuperStarReport>&x;</SuperStarReport>',
        "declares a DTD or XML entities",
    ),
    "a truncated file": (
        x.commandreporter_xml([x.pupil("1"), x.pupil("2")])[:-60],
        "ends too early .*cut short",
    ),
    "a file that is not XML": ("Person ID,Forename\n1001,Ada\n", "neither XML nor JSON"),
    "broken XML": ("<SuperStarReport><Record></Forename></SuperStarReport>", "not well-formed XML"),
    "a file whose root is not SuperStarReport": (
        '<?xml version="1.0"?><Students><Record/></Students>',
        "root element is <Students>, not <SuperStarReport>",
    ),
    "a file whose root comes after a comment longer than one read of the file": (
        '<?xml version="1.0"?><!--' + "x" * 70_000 + '--><Students><Record><Person_x0020_ID>1</Person_x0020_ID></Record></Students>',
        "root element is <Students>, not <SuperStarReport>",
    ),
    "an empty file": ("", "the file is empty"),
    "JSON that is not valid": ('{"students": [', "not valid JSON"),
    "JSON without a students list": ('{"pupils": []}', 'no "students" list'),
    "JSON nested 100,000 deep": ("[" * 100_000 + "]" * 100_000, "nests deeper than 32 levels; it is not a Tether JSON export"),
}


@pytest.mark.parametrize("content, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_is_refused_with_one_clear_error(tmp_path, content, message):
    path = tmp_path / "export"
    path.write_text(content)
    with pytest.raises(SimsFileError, match=message) as refused:
        read(path)
    assert "export" in str(refused.value).lower() or "json" in str(refused.value).lower()


def test_brackets_inside_json_strings_do_not_count_as_nesting(tmp_path):
    path = tmp_path / "students.json"
    path.write_text('{"students": [{"person_id": "1", "forename": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"{{"}]}')
    assert [s.forename for s in read(path)] == ['[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["{{']


def test_xml_in_a_json_named_file_is_recognised_by_its_content(tmp_path):
    path = tmp_path / "students.json"
    path.write_text(x.commandreporter_xml([x.pupil("1001")]))
    assert read_export(path).format == "xml"


def test_tether_json_reads_the_same_students_as_the_xml(tmp_path):
    pupils = [family(with_ids=False), x.pupil("1002", sen=["E - EHC Plan"], fsm="T")]
    from_xml = read(x.write_xml(tmp_path, pupils))
    from_json = read(x.write_json(tmp_path, pupils))
    assert [(s.where, s.problems) for s in from_json] == [("student 1", ()), ("student 2", ())]
    strip = lambda s: (s.person_id, s.admission_number, s.name, s.dob, s.fsm, s.addresses, s.telephones, s.emails,  # noqa: E731
                       [p.label() for p in s.sen_provisions])
    assert [strip(s) for s in from_json] == [strip(s) for s in from_xml]


def test_json_numbers_and_booleans_are_read_as_identifiers_and_flags(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"students": [{"person_id": 1001, "fsm": true, "emails": [{"address": "a@x.example", "primary": 1}]}, 7]}')
    student, not_an_object = read(path)
    assert (student.person_id, student.fsm, student.emails[0].primary) == ("1001", True, True)
    assert not_an_object.problems == ("it is not a JSON object",)
