"""Record ids as they arrive from outside (an API body, a command-line option, a URL): whole numbers.

Every id Tether stores is a 64-bit signed integer, so an id is a whole number in 1..2^63-1 written in
ASCII digits, or a JSON integer. Anything else — true/false, a fraction, '²' or '١' (digits that
Python's `int()` would read), a number beyond 64 bits (which a driver might wrap round to a small one),
thousands of digits — is refused here, before it is compared with anything in the database.
"""
MAX_ID = 2**63 - 1
_MAX_DIGITS = len(str(MAX_ID))


class InvalidId(ValueError):
    """An id that is not a whole number in 1..2^63-1; `field` names where it came from."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def parse_id(value, field):
    """`value` (an int, or a str of ASCII digits) as an id, or InvalidId naming `field`."""
    if type(value) is int:
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS:
        number = int(value)
    else:
        number = None
    if number is None or not 1 <= number <= MAX_ID:
        raise InvalidId(field, f"The {field} must be a whole number from 1 to {MAX_ID}, e.g. 1234; got {_shown(value)}.")
    return number


def _shown(value):
    """`value` for a message: cut short, and a huge number by its size (`repr` refuses over 4,300 digits)."""
    if type(value) is int and value.bit_length() > 64:
        return f"a number of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def is_id(value):
    """Whether `value` would be accepted by `parse_id` (a search box's text that may name a record)."""
    try:
        parse_id(value, "id")
    except InvalidId:
        return False
    return True


def as_id(value):
    """`parse_id` for werkzeug's `request.args.get(name, type=as_id)`: a value that is not an id is the
    default (werkzeug treats the ValueError raised as "not given")."""
    return parse_id(value, "id")
