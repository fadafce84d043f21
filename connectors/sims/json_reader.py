"""Read a Tether JSON export (`{"students": [...]}`, DESIGN §7) into normalised students.

For exporters that can nest: each student carries its own lists of SEN provisions, addresses,
telephones and emails, so there is nothing to group. Values are read as leniently as the XML ones.
"""
import itertools
import json
import re

from .normalise import Address, Email, SenProvision, SimsFileError, SimsStudent, Telephone, boolean, date, text

EXAMPLE = '{"students": [{"person_id": "1234", "forename": "Ada", "surname": "Lovelace", "emails": [...]}]}'

# A Tether JSON export nests five levels ({"students": [{"emails": [{...}]}]}). Python's JSON reader
# recurses once per level and fails with a RecursionError near a thousand, so depth is checked first.
MAX_NESTING = 32
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_CHANGE = {"[": 1, "{": 1, "]": -1, "}": -1}


def read_json(stream):
    """Students of a Tether JSON export read from the binary `stream`; returns (students, entries)."""
    data = stream.read()
    try:
        document_text = data.decode(json.detect_encoding(data))
    except UnicodeDecodeError:
        raise SimsFileError("the file is not text in UTF-8 or UTF-16, so it cannot be JSON. Save it as UTF-8.") from None
    _refuse_deep_nesting(document_text)
    try:
        document = json.loads(document_text)
    except json.JSONDecodeError as error:
        raise SimsFileError(
            f"the file is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}). "
            f"A Tether JSON export looks like {EXAMPLE}"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("students"), list):
        raise SimsFileError(f"the JSON has no \"students\" list at its top. A Tether JSON export looks like {EXAMPLE}")
    entries = document["students"]
    return [_student(entry, position) for position, entry in enumerate(entries, start=1)], len(entries)


def _refuse_deep_nesting(document_text):
    """SimsFileError when brackets outside strings nest deeper than MAX_NESTING."""
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", document_text))
    depths = itertools.accumulate(_DEPTH_CHANGE[bracket] for bracket in brackets)
    if any(depth > MAX_NESTING for depth in depths):
        raise SimsFileError(
            f"the file nests deeper than {MAX_NESTING} levels; it is not a Tether JSON export. "
            f"A Tether JSON export looks like {EXAMPLE}"
        )


def _student(entry, position):
    where = f"student {position}"
    if not isinstance(entry, dict):
        return SimsStudent(person_id=None, problems=("it is not a JSON object",), where=where)
    problems = []
    return SimsStudent(
        person_id=text(entry.get("person_id")),
        admission_number=text(entry.get("admission_number")),
        ad_username=text(entry.get("ad_username")),
        forename=text(entry.get("forename")),
        surname=text(entry.get("surname")),
        dob=date(entry.get("dob"), "dob", problems),
        gender=text(entry.get("gender")),
        fsm=boolean(entry.get("fsm"), "fsm", problems),
        sen_provisions=tuple(
            SenProvision(
                code=text(item.get("code")),
                description=text(item.get("description")),
                start_date=date(item.get("start_date"), "sen_provisions.start_date", problems),
            )
            for item in _objects(entry, "sen_provisions", problems)
        ),
        addresses=tuple(
            Address(
                type=text(item.get("type")),
                start_date=date(item.get("start_date"), "addresses.start_date", problems),
                house_number=text(item.get("house_number")),
                house_name=text(item.get("house_name")),
                street=text(item.get("street")),
                town=text(item.get("town")),
                county=text(item.get("county")),
                postcode=text(item.get("postcode")),
            )
            for item in _objects(entry, "addresses", problems)
        ),
        telephones=tuple(
            Telephone(
                type=text(item.get("type")),
                number=text(item.get("number")),
                main=bool(boolean(item.get("main"), "telephones.main", problems)),
                primary=bool(boolean(item.get("primary"), "telephones.primary", problems)),
            )
            for item in _objects(entry, "telephones", problems)
        ),
        emails=tuple(
            Email(
                type=text(item.get("type")),
                address=text(item.get("address")),
                main=bool(boolean(item.get("main"), "emails.main", problems)),
                primary=bool(boolean(item.get("primary"), "emails.primary", problems)),
            )
            for item in _objects(entry, "emails", problems)
        ),
        problems=tuple(problems),
        where=where,
    )


def _objects(entry, key, problems):
    """The objects of a nested list; a list that is not one, or an item that is not an object, is a problem."""
    items = entry.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        problems.append(f"{key} is not a list")
        return []
    if not all(isinstance(item, dict) for item in items):
        problems.append(f"{key} holds something that is not an object")
    return [item for item in items if isinstance(item, dict)]
