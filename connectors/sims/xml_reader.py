"""Read a SIMS CommandReporter XML export (`SuperStarReport/Record`) into normalised students.

CommandReporter writes one `Record` per combination of a pupil's addresses × telephones × emails,
each column as an element named after its caption with XML escapes (`Person_x0020_ID`). This reader
streams the file through defusedxml's parser with a target of its own (`_Report`) that builds no
element tree: each record comes out as a list of its column values, then is dropped. Rows
are grouped by Person ID and the repeated sub-rows collapsed: by their row id (Address ID, Telephone
ID, Email ID) when the report has one, else by their values. Pupils come out in the order they first
appear.

A nightly export is a new file with mostly the same pupils, so reading it is most of a re-import's
cost (issue 16, `bench/sims_bench.py`): the per-column and per-row work here is kept to a few
operations each.
"""
import re
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

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

# A record's values are a list in this order (None for an empty or absent column); each part is a slice of it.
RECORD_FIELDS = ("person_id", *PERSON_FIELDS, "sen_provision", *ADDRESS_FIELDS, *TELEPHONE_FIELDS, *EMAIL_FIELDS)
_INDEX = {name: index for index, name in enumerate(RECORD_FIELDS)}
_PERSON = slice(_INDEX[PERSON_FIELDS[0]], _INDEX[PERSON_FIELDS[-1]] + 1)
_SEN = _INDEX["sen_provision"]
_ADDRESS = slice(_INDEX[ADDRESS_FIELDS[0]], _INDEX[ADDRESS_FIELDS[-1]] + 1)
_TELEPHONE = slice(_INDEX[TELEPHONE_FIELDS[0]], _INDEX[TELEPHONE_FIELDS[-1]] + 1)
_EMAIL = slice(_INDEX[EMAIL_FIELDS[0]], _INDEX[EMAIL_FIELDS[-1]] + 1)
assert sorted(RECORD_FIELDS) == sorted(DEFAULT_CAPTIONS)

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


def _parser_for(head, target):
    """A defused parser; a file that says UTF-16 but is written in 8-bit bytes is read as UTF-8.

    .NET tools write `encoding="utf-16"` into the declaration of XML they build in memory, and a
    file saved from that as UTF-8 keeps the declaration, which expat refuses outright. UTF-16 files themselves are recognised by expat (with or
    without a byte-order mark) from their first bytes.
    """
    looks_utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) > 1 and 0 in head[:2])
    encoding = "utf-8" if not looks_utf16 and _DECLARES_UTF16.match(head) else None
    return DefusedXMLParser(target=target, encoding=encoding, forbid_dtd=True)


class _Columns(dict):
    """element name → the index of its value in a record (None: not kept), worked out by `index_of` the
    first time a name is met; its keys are the element names met, in order."""

    def __init__(self, index_of):
        super().__init__()
        self._index_of = index_of

    def __missing__(self, tag):
        index = self[tag] = self._index_of(tag)
        return index


class _Report:
    """The parser's target for a CommandReporter report: each <Record> becomes a list of `width` values, each
    column's trimmed text at `columns[tag]` (None when empty), in `records` until the reader takes them.

    It builds no element tree, so memory stays flat, and it has no `start`: the parser would call one for
    every element, which would be a good part of the reading's cost. So every element but a Record and
    the root is a column, and a column's text is the text the parser gave since the element before it
    ended: the whitespace an indented file has between elements is trimmed away, and a CommandReporter
    record holds nothing else between its columns. `_Root` checks the root element.
    """

    def __init__(self, columns, width):
        self.columns = columns
        self.records = []
        self._width = width
        self._record = [None] * width
        self._text = None

    def data(self, text):
        self._text = text if self._text is None else self._text + text

    def end(self, tag):
        if tag == RECORD:
            self.records.append(self._record)
            self._record = [None] * self._width
        elif tag != ROOT:
            index = self.columns[tag]
            text = self._text
            if index is not None and text is not None:
                text = text.strip()
                if text:
                    self._record[index] = text
        self._text = None

    def close(self):
        return None


class _Root:
    """The target of a second parser that reads the file's first bytes only until the root element starts,
    to refuse a file that is not a CommandReporter report before any of it is read as records."""

    def __init__(self):
        self.tag = None

    def start(self, tag, attrib):
        if self.tag is None:
            self.tag = tag

    def close(self):
        return None


class _Pupil:
    """The rows of one pupil gathered so far, raw, before their values are typed."""

    __slots__ = ("person", "last_person", "sen", "addresses", "telephones", "emails", "conflicts", "first_row")

    def __init__(self, row):
        self.person = {}
        self.last_person = None
        self.sen = {}
        self.addresses = {}
        self.telephones = {}
        self.emails = {}
        self.conflicts = {}
        self.first_row = row

    def add(self, record):
        # A pupil's rows repeat the person columns: a row that repeats the previous one adds nothing.
        person = record[_PERSON]
        if person != self.last_person:
            self.last_person = person
            known = self.person
            for name, value in zip(PERSON_FIELDS, person):
                if value is None:
                    continue
                first = known.get(name)
                if first is None:
                    known[name] = value
                elif first != value:
                    self.conflicts.setdefault(name, value)
        sen = record[_SEN]
        if sen is not None:
            self.sen[sen] = None
        _collect(self.addresses, record, _ADDRESS)
        _collect(self.telephones, record, _TELEPHONE)
        _collect(self.emails, record, _EMAIL)

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


def _collect(seen, record, part):
    """Keep one copy of the sub-row at `part` of a record (row id first): by its row id when present, else by
    all its values."""
    row_id = record[part.start]
    if row_id is None:
        row = tuple(record[part])
        if any(row):
            seen.setdefault(row, row)
    elif row_id not in seen:
        seen[row_id] = tuple(record[part])


def _records(stream, columns, width=0):
    """Each <Record> of a CommandReporter XML export read from the binary `stream`, in order, as a list of
    `width` values: each column's trimmed text at the index `columns[element name]` gives (a `_Columns`),
    None for an empty column.

    Raises SimsFileError when the file is not XML, is cut short, declares entities or a DTD (an XML
    bomb), or is not a CommandReporter report.
    """
    head = stream.read(512)
    stream.seek(-len(head), 1)
    report, root = _Report(columns, width), _Root()
    parser, probe = _parser_for(head, report), _parser_for(head, root)
    records = report.records
    try:
        while True:
            chunk = stream.read(64 * 1024)
            if not chunk:
                break
            if probe is not None:
                try:
                    probe.feed(chunk)
                except (ParseError, DefusedXmlException):
                    pass  # `parser` refuses the same bytes just below, saying why
                if root.tag is not None:
                    probe = None
                    if root.tag != ROOT:
                        raise SimsFileError(
                            f"the file's root element is <{decode_name(root.tag)}>, not <{ROOT}>: it is not a "
                            f"CommandReporter export. {EXPORT_AGAIN}"
                        )
            parser.feed(chunk)
            yield from records
            records.clear()
        parser.close()
        yield from records
    except DefusedXmlException:
        raise SimsFileError(
            "the file declares a DTD or XML entities, which a SIMS export never does, so it is refused for safety. "
            + EXPORT_AGAIN
        ) from None
    except ParseError as error:
        raise SimsFileError(_parse_error_message(error, root.tag is not None)) from None


def read_xml(stream, captions=None):
    """Students of a CommandReporter XML export read from the binary `stream`; returns (students, rows).

    Raises SimsFileError as `_records` does, and when the report has no Person ID column.
    """
    fields = caption_fields(captions)
    names = {**DEFAULT_CAPTIONS, **(captions or {})}
    columns = _Columns(lambda tag: _INDEX.get(fields.get(caption_key(decode_name(tag)))))
    pupils = {}
    rows = 0
    for record in _records(stream, columns, len(RECORD_FIELDS)):
        rows += 1
        _add_row(pupils, record, rows)
    if rows and _INDEX["person_id"] not in columns.values():
        found = ", ".join(sorted({decode_name(tag) for tag in columns})) or "none"
        raise SimsFileError(
            f"the report has no '{names['person_id']}' column (its columns are: {found}). Add Person ID to the "
            "CommandReporter report, or map your caption for it in the organisation's SIMS captions."
        )
    return [pupil.student(key if isinstance(key, str) else None, names) for key, pupil in pupils.items()], rows


def report_captions(stream):
    """The captions of a CommandReporter XML export's columns (decoded, in the order first met), from the
    binary `stream`. A column that is empty in every row is not written by CommandReporter, so is not here.
    Raises SimsFileError as `read_xml` does."""
    columns = _Columns(lambda tag: None)
    for _ in _records(stream, columns):
        pass
    return list(dict.fromkeys(decode_name(tag) for tag in columns))


def _add_row(pupils, record, row):
    person_id = record[_INDEX["person_id"]]
    # Rows without a Person ID cannot be grouped with their pupil's other rows: each distinct pupil
    # among them becomes one record that fails as invalid, so the school sees it and can fix it.
    key = person_id or (None, *record[_PERSON])
    pupil = pupils.get(key)
    if pupil is None:
        pupil = pupils[key] = _Pupil(row)
    pupil.add(record)


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
