"""Custom fields by label: Sign In App keys a custom field with the account's own id (c3YQ5d9wQi), the
school names it by its label (custom."Department"), and values keep the type Sign In App gives them."""
from rules import CustomField, CustomFields, compile_rule, validate

DEPARTMENT, DBS, SERVICE = "c3YQ5d9wQi", "kP0sQ2vLxe", "n7Hq2LmZa1"
FIELDS = CustomFields([
    CustomField(DEPARTMENT, "Department", "text"),
    CustomField(DBS, "DBS on file", "boolean"),
    CustomField(SERVICE, "Years of service", "number"),
])
CHEMIST = {"group": "Staff", "custom": {DEPARTMENT: "Science", DBS: True, SERVICE: 12}}
HISTORIAN = {"group": "Staff", "custom": {DEPARTMENT: "History", DBS: False, SERVICE: 3.5}}


def test_a_rule_naming_a_field_by_its_label_reads_the_members_value_under_its_key():
    rule = compile_rule('custom."Department" ~ science', FIELDS)
    assert rule.matches(CHEMIST) and not rule.matches(HISTORIAN)
    assert rule.canonical == 'custom."Department" ~ science'
    # Without the account's definitions the label is just a name no member has.
    assert not compile_rule('custom."Department" ~ science').matches(CHEMIST)


def test_a_rule_is_saved_by_key_and_shown_by_the_label_sign_in_app_gives_now():
    typed = 'group == Staff\n  and custom."Department" ~ science  and CUSTOM.department != ""'
    saved = compile_rule(typed, FIELDS).keyed_text
    assert saved == f'group == Staff\n  and custom.{DEPARTMENT} ~ science  and custom.{DEPARTMENT} != ""'
    renamed = CustomFields([CustomField(DEPARTMENT, "Faculty"), CustomField(DBS, "DBS on file", "boolean")])
    rule = compile_rule(saved, renamed)
    assert rule.matches(CHEMIST)
    assert rule.labelled_text == 'group == Staff\n  and custom."Faculty" ~ science  and custom."Faculty" != ""'
    assert 'custom."Faculty" ~ science' in rule.canonical
    assert rule.warnings() == []
    # The old label is no longer known: a rule still typed with it is warned about, and matches nobody.
    stale = compile_rule('custom."Department" ~ science', renamed)
    assert not stale.matches(CHEMIST)
    assert [w.message for w in stale.warnings()] == [
        'Sign In App has no custom field called custom."Department"; the rule reads it as empty'
    ]


def test_a_yes_no_field_compares_with_true_or_false_and_explains_itself_so():
    on_file = compile_rule('custom."DBS on file" == true', FIELDS)
    assert on_file.matches(CHEMIST) and not on_file.matches(HISTORIAN)
    assert compile_rule('custom."dbs ON file" == FALSE', FIELDS).matches(HISTORIAN)
    assert '(custom."DBS on file" is "true")' in str(on_file.explain(CHEMIST))
    assert on_file.explain(CHEMIST).comparisons[0].to_dict()["label"] == "DBS on file"
    assert [w.message for w in validate('custom."DBS on file" == yes', fields=FIELDS)] == [
        "custom.\"DBS on file\" is a yes/no field: compare it with true or false, not 'yes'"
    ]


def test_a_number_field_compares_as_its_text():
    assert compile_rule('custom."Years of service" == 12', FIELDS).matches(CHEMIST)
    assert compile_rule('custom."Years of service" ^= 1', FIELDS).matches(CHEMIST)
    assert compile_rule('custom."Years of service" == "3.5"', FIELDS).matches(HISTORIAN)
    assert not compile_rule('custom."Years of service" == 12.0', FIELDS).matches(CHEMIST)


def test_an_unknown_field_is_a_warning_with_the_nearest_label_not_an_error():
    rule = compile_rule('custom."Departmnet" ~ science or custom.c3YQ5d9wQi == history', FIELDS)
    assert rule.matches(HISTORIAN) and not rule.matches(CHEMIST)
    (warning,) = rule.warnings()
    assert warning.message == ('Sign In App has no custom field called custom."Departmnet"; the rule reads it as '
                               'empty; did you mean custom."Department"?')
    assert (warning.line, warning.column) == (1, 1)
    assert rule.keyed_text == f'custom."Departmnet" ~ science or custom.{DEPARTMENT} == history'


def test_without_the_accounts_definitions_keys_work_and_labels_are_warned_about():
    unknown = CustomFields(None)
    assert compile_rule(f"custom.{DEPARTMENT} ~ science", unknown).matches(CHEMIST)
    assert validate(f"custom.{DEPARTMENT} ~ science", fields=unknown) == []
    (warning,) = validate('custom."Department" ~ science', fields=unknown)
    assert warning.message.startswith('Sign In App has not said which custom fields it has, so custom."Department"')
    assert compile_rule('custom."Department" ~ science', unknown).keyed_text == 'custom."Department" ~ science'
