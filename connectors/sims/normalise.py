"""The normalised student every SIMS reader produces, and how raw export values become typed values.

A reader never decides anything about accounts: it only turns an export into `SimsStudent`s whose
values are typed (dates, booleans) and whose identifiers stay strings (admission numbers keep their
leading zeros). A value that cannot be read does not stop the file: it is noted in the student's
`problems`, and the import reports that record as `invalid_record`.
"""
import datetime
import re
from dataclasses import dataclass, field


class SimsFileError(Exception):
    """The export as a whole cannot be read; the message says what is wrong and what to do."""


@dataclass(frozen=True, slots=True)
class Address:
    type: str | None = None
    start_date: datetime.date | None = None
    house_number: str | None = None
    house_name: str | None = None
    street: str | None = None
    town: str | None = None
    county: str | None = None
    postcode: str | None = None

    LINES = ("house_name", "house_number", "street", "town", "county")

    def one_line(self):
        """The address lines (not the postcode) joined with ", "; None when every line is empty."""
        parts = [getattr(self, name) for name in self.LINES]
        return ", ".join(part for part in parts if part) or None


@dataclass(frozen=True, slots=True)
class Telephone:
    type: str | None = None
    number: str | None = None
    primary: bool = False
    main: bool = False


@dataclass(frozen=True, slots=True)
class Email:
    type: str | None = None
    address: str | None = None
    primary: bool = False
    main: bool = False


@dataclass(frozen=True, slots=True)
class SenProvision:
    code: str | None = None
    description: str | None = None
    start_date: datetime.date | None = None

    def label(self):
        if self.code and self.description and self.code != self.description:
            return f"{self.code} - {self.description}"
        return self.description or self.code


@dataclass(frozen=True, slots=True)
class SimsStudent:
    """One pupil as the export describes them. `where` says where in the file the record came from."""

    person_id: str | None
    admission_number: str | None = None
    ad_username: str | None = None  # an Active Directory username, when the school's report has the column
    forename: str | None = None
    surname: str | None = None
    dob: datetime.date | None = None
    gender: str | None = None
    fsm: bool | None = None
    sen_provisions: tuple = ()
    addresses: tuple = ()
    telephones: tuple = ()
    emails: tuple = ()
    problems: tuple = ()
    where: str = ""

    @property
    def name(self):
        return " ".join(part for part in (self.forename, self.surname) if part)


@dataclass(frozen=True, slots=True)
class Export:
    """A whole export read: its format, its students in file order, how many rows or entries it had."""

    format: str
    students: tuple
    rows: int
    sha256: str = field(default="", compare=False)


def text(value):
    """A trimmed string, or None for an absent or blank value. Numbers become their decimal text."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = str(value).strip()
    return value or None


_TRUE = {"t", "true", "yes", "y", "1"}
_FALSE = {"f", "false", "no", "n", "0"}


def boolean(value, caption, problems):
    """T/F, True/False, Yes/No, 1/0 in any case; None when blank. Anything else is noted as a problem."""
    if isinstance(value, bool):
        return value
    value = text(value)
    if value is None:
        return None
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    problems.append(f"{caption} '{value}' is not yes or no; use T/F, True/False, Yes/No or 1/0")
    return None


_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")


def date(value, caption, problems):
    """An ISO date, an ISO date-time (the time is dropped) or DD/MM/YYYY; None when blank."""
    value = text(value)
    if value is None:
        return None
    match = _DMY.fullmatch(value)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
        if len(value) == 10:
            return datetime.date.fromisoformat(value)
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        problems.append(f"{caption} '{value}' is not a date; use YYYY-MM-DD or DD/MM/YYYY")
        return None


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4}|[0-9A-Fa-f]{8})_")


def decode_name(name):
    """An XML element name as CommandReporter wrote its caption: `Person_x0020_ID` → `Person ID`."""
    if "_x" not in name:
        return name
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), name)


def caption_key(caption):
    """Captions compare without regard to case or repeated spaces: `person  id` matches `Person ID`."""
    return " ".join(caption.split()).lower()
