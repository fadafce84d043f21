"""Read a SIMS CommandReporter XML export (`SuperStarReport/Record`) into normalised students.

CommandReporter writes one `Record` per combination of a pupil's addresses × telephones × emails,
each column as an element named after its caption with XML escapes (`Person_x0020_ID`). This reader
streams the file with defusedxml's iterparse, clearing each record once read, groups rows by Person
ID and collapses the repeated sub-rows: by their row id (Address ID, Telephone ID, Email ID) when the
report has one, else by their values. Pupils come out in the order they first appear.
"""
import re
from xml.etree.ElementTree import ParseError, TreeBuilder
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from .normalise import (
    Address,
    Email,
    SenProvision,
    SimsFileError,
    SimsStudent,
    Telephone,
    boolean,
    caption_key,
    date,
    decode_name,
)

ROOT = "SuperStarReport"
RECORD = "Record"

# The report the README tells schools to build: field → caption.
DEFAULT_CAPTIONS = {
    "person_id": "Person ID",
    "admission_number": "Adno",
    "forename": "Forename",
    "surname": "Surname",
    "dob": "DOB",
    "gender": "Gender",
    "fsm": "FSM Eligible",
    "sen_provision": "SEN Provision",
    "address_id": "Address ID",
    "address_type": "Address Type",
    "address_start_date": "Address Start Date",
    "house_number": "House Number",
    "house_name": "House Name",
    "street": "Street",
    "town": "Town",
    "county": "County",
    "postcode": "Postcode",
    "telephone_id": "Telephone ID",
    "telephone_type": "Telephone Type",
    "telephone_number": "Telephone Number",
    "telephone_main": "Telephone Main",
    "telephone_primary": "Telephone Primary",
    "email_id": "Email ID",
    "email_type": "Email Type",
    "email_address": "Email Address",
    "email_main": "Email Main",
    "email_primary": "Email Primary",
    # Read only when the organisation's username policy is the Active Directory username.
    "ad_username": "AD Username",
}

PERSON_FIELDS = ("admission_number", "ad_username", "forename", "surname", "dob", "gender", "fsm")
ADDRESS_FIELDS = (
    "address_id", "address_type", "address_start_date", "house_number", "house_name", "street", "town", "county",
    "postcode",
)
TELEPHONE_FIELDS = ("telephone_id", "telephone_type", "telephone_number", "telephone_main", "telephone_primary")
EMAIL_FIELDS = ("email_id", "email_type", "email_address", "email_main", "email_primary")

_TRUNCATED = {
    expat.errors.XML_ERROR_NO_ELEMENTS,
    expat.errors.XML_ERROR_UNCLOSED_TOKEN,
    expat.errors.XML_ERROR_PARTIAL_CHAR,
    expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
}
_DECLARES_UTF16 = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding\s*=\s*["']utf-16["']""", re.IGNORECASE)

EXPORT_AGAIN = "Export the report again from SIMS CommandReporter as XML and use that file."


def caption_fields(captions=None):
    """caption key → field, from the defaults overridden by a school's own `captions` (field → caption)."""
    mapping = dict(DEFAULT_CAPTIONS)
    unknown = sorted(set(captions or {}) - set(DEFAULT_CAPTIONS))
    if unknown:
        raise SimsFileError(
            f"the caption mapping names unknown fields {', '.join(unknown)}; "
            f"map only these: {', '.join(DEFAULT_CAPTIONS)}"
        )
    mapping.update(captions or {})
    return {caption_key(caption): name for name, caption in mapping.items()}


def _parser_for(head):
    """A defused parser; a file that says UTF-16 but is written in 8-bit bytes is read as UTF-8.

    .NET tools write `encoding="utf-16"` into the declaration of XML they build in memory, and a
    file saved from that as UTF-8 keeps the declaration, which expat refuses outright. UTF-16 files themselves are recognised by expat (with or
    without a byte-order mark) from their first bytes.
    """
    looks_utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) > 1 and 0 in head[:2])
    encoding = "utf-8" if not looks_utf16 and _DECLARES_UTF16.match(head) else None
    return DefusedXMLParser(target=TreeBuilder(), encoding=encoding, forbid_dtd=True)


class _Pupil:
    """The rows of one pupil gathered so far, raw, before their values are typed."""

    __slots__ = ("person", "sen", "addresses", "telephones", "emails", "conflicts", "first_row")

    def __init__(self, row):
        self.person = {}
        self.sen = {}
        self.addresses = {}
        self.telephones = {}
        self.emails = {}
        self.conflicts = {}
        self.first_row = row

    def add(self, values):
        person = self.person
        for name in PERSON_FIELDS:
            value = values.get(name)
            if value is None:
                continue
            known = person.get(name)
            if known is None:
                person[name] = value
            elif known != value:
                self.conflicts.setdefault(name, value)
        sen = values.get("sen_provision")
        if sen is not None:
            self.sen[sen] = None
        _collect(self.addresses, values, ADDRESS_FIELDS)
        _collect(self.telephones, values, TELEPHONE_FIELDS)
        _collect(self.emails, values, EMAIL_FIELDS)

    def student(self, person_id, captions):
        problems = []
        person = self.person
        for name, other in self.conflicts.items():
            problems.append(
                f"its rows disagree on {captions[name]} ('{person[name]}' and '{other}'); "
                "each Person ID must be one pupil"
            )
        addresses = tuple(
            Address(
                type=kind,
                start_date=date(start, captions["address_start_date"], problems),
                house_number=number,
                house_name=house_name,
                street=street,
                town=town,
                county=county,
                postcode=postcode,
            )
            for _, kind, start, number, house_name, street, town, county, postcode in self.addresses.values()
        )
        telephones = tuple(
            Telephone(
                type=kind,
                number=number,
                main=bool(boolean(main, captions["telephone_main"], problems)),
                primary=bool(boolean(primary, captions["telephone_primary"], problems)),
            )
            for _, kind, number, main, primary in self.telephones.values()
        )
        emails = tuple(
            Email(
                type=kind,
                address=address,
                main=bool(boolean(main, captions["email_main"], problems)),
                primary=bool(boolean(primary, captions["email_primary"], problems)),
            )
            for _, kind, address, main, primary in self.emails.values()
        )
        return SimsStudent(
            person_id=person_id,
            admission_number=person.get("admission_number"),
            ad_username=person.get("ad_username"),
            forename=person.get("forename"),
            surname=person.get("surname"),
            dob=date(person.get("dob"), captions["dob"], problems),
            gender=person.get("gender"),
            fsm=boolean(person.get("fsm"), captions["fsm"], problems),
            sen_provisions=tuple(SenProvision(description=label) for label in self.sen),
            addresses=addresses,
            telephones=telephones,
            emails=emails,
            problems=tuple(problems),
            where=f"row {self.first_row}",
        )


def _collect(seen, values, names):
    """Keep one copy of a sub-row: by its row id when present, else by all its values."""
    row = tuple(values.get(name) for name in names)
    if any(row):
        seen.setdefault(row[0] or row, row)


def _records(stream):
    """Each <Record> element of a CommandReporter XML export read from the binary `stream`, in order; the
    document read so far is cleared once the caller is done with each.

    Raises SimsFileError when the file is not XML, is cut short, declares entities or a DTD (an XML
    bomb), or is not a CommandReporter report.
    """
    head = stream.read(512)
    stream.seek(-len(head), 1)
    root = None
    try:
        for event, element in iterparse(stream, events=("start", "end"), parser=_parser_for(head)):
            if event == "start":
                if root is None:
                    root = element
                    if element.tag != ROOT:
                        raise SimsFileError(
                            f"the file's root element is <{decode_name(element.tag)}>, not <{ROOT}>: it is not a "
                            f"CommandReporter export. {EXPORT_AGAIN}"
                        )
                continue
            if element.tag != RECORD:
                continue
            yield element
            root.clear()
    except DefusedXmlException:
        raise SimsFileError(
            "the file declares a DTD or XML entities, which a SIMS export never does, so it is refused for safety. "
            + EXPORT_AGAIN
        ) from None
    except ParseError as error:
        raise SimsFileError(_parse_error_message(error, root is not None)) from None


def read_xml(stream, captions=None):
    """Students of a CommandReporter XML export read from the binary `stream`; returns (students, rows).

    Raises SimsFileError as `_records` does, and when the report has no Person ID column.
    """
    fields = caption_fields(captions)
    names = {**DEFAULT_CAPTIONS, **(captions or {})}
    tag_fields = {}
    pupils = {}
    rows = 0
    for element in _records(stream):
        rows += 1
        values = {}
        for child in element:
            tag = child.tag
            name = tag_fields.get(tag, False)
            if name is False:
                name = tag_fields[tag] = fields.get(caption_key(decode_name(tag)))
            if name is not None:
                value = child.text
                if value is not None:
                    value = value.strip()
                    if value:
                        values[name] = value
        _add_row(pupils, values, rows)
    if rows and "person_id" not in tag_fields.values():
        found = ", ".join(sorted({decode_name(tag) for tag in tag_fields})) or "none"
        raise SimsFileError(
            f"the report has no '{names['person_id']}' column (its columns are: {found}). Add Person ID to the "
            "CommandReporter report, or map your caption for it in the organisation's SIMS captions."
        )
    return [pupil.student(key if isinstance(key, str) else None, names) for key, pupil in pupils.items()], rows


def report_captions(stream):
    """The captions of a CommandReporter XML export's columns (decoded, in the order first met), from the
    binary `stream`. A column that is empty in every row is not written by CommandReporter, so is not here.
    Raises SimsFileError as `read_xml` does."""
    seen = {}
    for element in _records(stream):
        for child in element:
            if child.tag not in seen:
                seen[child.tag] = decode_name(child.tag)
    return list(dict.fromkeys(seen.values()))


def _add_row(pupils, values, row):
    person_id = values.get("person_id")
    # Rows without a Person ID cannot be grouped with their pupil's other rows: each distinct pupil
    # among them becomes one record that fails as invalid, so the school sees it and can fix it.
    key = person_id or (None, *(values.get(name) for name in PERSON_FIELDS))
    pupil = pupils.get(key)
    if pupil is None:
        pupil = pupils[key] = _Pupil(row)
    pupil.add(values)


def _parse_error_message(error, started):
    line, column = error.position
    reason = expat.errors.messages.get(error.code, str(error))
    if started and reason in _TRUNCATED:
        return (
            f"the file ends too early (line {line}, column {column}): it looks cut short, perhaps by a copy or "
            f"an upload that did not finish. {EXPORT_AGAIN}"
        )
    if not started:
        return f"the file is not XML ({reason} at line {line}, column {column}). {EXPORT_AGAIN}"
    return f"the file is not well-formed XML ({reason} at line {line}, column {column}). {EXPORT_AGAIN}"
