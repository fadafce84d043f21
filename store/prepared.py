"""Queries the safety check runs at every sign-in, with their SQL built by peewee once and then reused.

Generating a query's SQL, and setting up peewee's row wrapper for its answer, costs more than SQLite or
PostgreSQL take to run it; a sign-in runs several, so at the morning rush that was most of the work. A
`Prepared` query is an ordinary peewee query written with `Slot`s where the values go. Its SQL is
generated once per database; each call sends that SQL with the values in the slots' places, and each
row comes back as a tuple of the selected fields' Python values (each field's own `python_value`, as
peewee's `.tuples()` would give them).

Converting a row is most of what is left once the SQL is built, so each column gets the cheapest
converter that gives the same value: none for integer and text columns (SQLite and psycopg already
answer `int` and `str`), `bool` for booleans, ISO dates parsed directly, JSON parsed by orjson (where
that reads the same value), and the field's own `python_value` for anything else.

On SQLite a statement runs on `store.direct`'s connection, which keeps the GIL (Python 3.11's sqlite3
lets go of it around every call into SQLite, and under concurrent requests each hand-over costs more
than SQLite's own work), and through peewee where that connection cannot run it. Rows and columns
still cost a call into SQLite each: `json_rows` folds the rows of a (sub)query into one value, and a
`packed` query sends each row as one JSON array, so a sign-in is one value fetched in one step; both
are read back as the same tuples.
"""
import datetime
import json
import re
import threading
import time
import weakref

import orjson
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    ForeignKeyField,
    Function,
    IntegerField,
    Model,
    Node,
    SQL,
    SelectQuery,
    TextField,
    fn,
)

from . import direct
from .db import JSONField, database, is_postgres


def partial(model, **values):
    """A `model` instance holding only `values`: a prepared row's fields, without the defaults peewee
    computes for every other column (`created_at=now()` and the like), which no reader of a row needs.

    Each value goes straight into the instance's data, as a row read from the database would, instead
    of through each field's descriptor (most of the cost of building an instance). A foreign key may be
    given its id or the related instance; anything else that is not a field goes through peewee.
    """
    fields = model._meta.fields
    data, related, rest = {}, {}, None
    for name, value in values.items():
        field = fields.get(name)
        if field is None:
            rest = rest or {}
            rest[name] = value
        elif isinstance(value, Model):
            data[name] = getattr(value, field.rel_field.name)
            related[name] = value
        else:
            data[name] = value
    instance = model.__new__(model)
    instance.__data__, instance._dirty, instance.__rel__ = data, set(), related
    for name, value in (rest or {}).items():
        setattr(instance, name, value)
    return instance


class Slot(Node):
    """A named placeholder in a prepared query, filled by the value of that name at each call.

    Values go to the database driver as they are, so pass what the column holds (int, str, …).
    """

    def __init__(self, name):
        self.name = name

    def __sql__(self, ctx):
        ctx._values.append(self)
        return ctx.literal(ctx.state.param or "?")


def _identity_for_driver(field):
    """Whether the driver's answer for this column is already the field's Python value."""
    if type(field).python_value is not Field.python_value:
        return False
    adapt = type(field).adapt
    return (isinstance(field, IntegerField) and adapt is IntegerField.adapt) or (
        isinstance(field, (CharField, TextField)) and adapt is CharField.adapt
    )


def _iso(parse, length=None):
    """A converter trying `parse` (fromisoformat) on text of `length` (any, when None) before `slow`."""
    def with_fallback(slow):
        def convert(value):
            if type(value) is str and (length is None or len(value) == length):
                try:
                    return parse(value)
                except ValueError:
                    pass
            return slow(value)

        return convert

    return with_fallback


_date = _iso(datetime.date.fromisoformat, length=10)
_datetime = _iso(datetime.datetime.fromisoformat)


_LONG_NUMBER = re.compile(r"\d{19}")


def _json(value):
    """`JSONField.python_value` of stored JSON text, parsed by orjson where that gives the same value. Not
    where it would not: orjson reads an integer beyond 64 bits as a float (text with a run of 19 digits
    anywhere goes to the json module, to be safe), and refuses NaN and Infinity."""
    if _LONG_NUMBER.search(value) is None:
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            pass
    return json.loads(value)


def converter(column):
    """The function that turns the driver's (non-NULL) value of `column` into its Python value, or None
    when the driver's value already is it. Matches `column.python_value` on every value a database gives.

    A function converts with the `python_value` it was given (if any), a scalar subquery as its column.
    """
    if isinstance(column, Function):
        return column._python_value
    if isinstance(column, SelectQuery):
        returning = column._returning or ()
        return converter(returning[0]) if len(returning) == 1 else None
    python_value = getattr(column, "python_value", None)
    if python_value is None:
        return None  # an expression, not a field: peewee's .tuples() leaves it as it is too
    field = column
    while isinstance(field, ForeignKeyField) and type(field).python_value is ForeignKeyField.python_value:
        field = field.rel_field
    if _identity_for_driver(field):
        return None
    if type(field).python_value is Field.python_value:
        if type(field).adapt is BooleanField.adapt:
            return bool
        if type(field).adapt is DateField.adapt:
            return _date(field.python_value)
        if type(field).adapt is DateTimeField.adapt:
            return _datetime(field.python_value)
    if type(field).python_value is JSONField.python_value:
        return _json
    return python_value


def _converted(rows, converters):
    """Each row as a tuple, each non-NULL value that has a converter (`converters`: (index, function)
    pairs) converted."""
    converted = []
    for row in rows:
        row = list(row)
        for i, convert in converters:
            value = row[i]
            if value is not None:
                row[i] = convert(value)
        converted.append(tuple(row))
    return converted


def json_rows(*columns):
    """An aggregate of every row's `columns` as one JSON array, read back as a list of tuples of the
    columns' Python values (as `Prepared.rows` gives them), in no particular order."""
    converters = [(i, convert) for i, convert in enumerate(converter(column) for column in columns) if convert]

    def convert_rows(rows):
        return _converted(rows, converters)

    if is_postgres():
        # psycopg parses json itself; json_agg of no rows is NULL, hence the COALESCE.
        return fn.COALESCE(fn.json_agg(fn.json_build_array(*columns)), SQL("'[]'::json")).python_value(convert_rows)

    def read(value):
        # Text, or (inside a packed row, where SQLite may pass the aggregate on as JSON) the list itself.
        return convert_rows(orjson.loads(value) if isinstance(value, str) else value)

    return fn.json_group_array(fn.json_array(*columns)).python_value(read)


_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_ ]*")


def _inlined(sql, params):
    """`sql` with its constant parameters (whole numbers, plain words: a `LIMIT 1`, a name) written into
    it, and the parameters left; binding each costs a call into SQLite at every run. Unchanged when the
    text holds a `?` that is not a parameter's."""
    pieces = sql.split("?")
    if len(pieces) != len(params) + 1:
        return sql, params
    text, kept = [pieces[0]], []
    for param, piece in zip(params, pieces[1:]):
        if type(param) is int and -(2**63) <= param < 2**63:
            text.append(str(param))
        elif type(param) is str and _PLAIN_TEXT.fullmatch(param):
            text.append(f"'{param}'")
        else:
            text.append("?")
            kept.append(param)
        text.append(piece)
    return "".join(text), kept


class Prepared:
    """A peewee query built by `build()` (a function, so it is built for whichever database is bound).

    `packed=True` (for a query of one or a few rows of many columns): on SQLite each row travels as one
    JSON array of its columns and is unpacked here into the same tuple, one call into SQLite instead of
    one per column. PostgreSQL's rows are read as they are.
    """

    def __init__(self, build, *, packed=False):
        self._build = build
        self._packed = packed
        self._compiled = weakref.WeakKeyDictionary()  # database -> (sql, params, converters, packed)
        self._lock = threading.Lock()

    def _compiled_for(self, db):
        compiled = self._compiled.get(db)
        if compiled is None:
            with self._lock:
                query = self._build()
                columns = list(query._returning or ())
                packed = self._packed and len(columns) > 1 and not is_postgres()
                if packed:
                    # JSON columns go in as strings, each parsed by its converter: cheaper than SQLite's
                    # json() parsing and writing them out again to nest them. (A `json_rows` aggregate may
                    # nest as JSON or as a string, by SQLite version; its reader takes either.)
                    query = query.select(fn.json_array(*columns))
                sql, params = query.sql()
                if not is_postgres():
                    sql, params = _inlined(sql, params)
                converters = tuple(
                    (i, convert) for i, convert in enumerate(converter(c) for c in columns) if convert is not None
                )
                compiled = self._compiled[db] = (sql, params, converters, packed)
        return compiled

    def _run(self, values):
        """The statement's rows (a packed statement's: each row's JSON), run holding the GIL where
        `store.direct` can, else by peewee."""
        db = database.obj
        sql, params, converters, packed = self._compiled_for(db)
        params = [values[p.name] if isinstance(p, Slot) else p for p in params]
        started = time.perf_counter()
        rows = direct.run(db, sql, params, text=packed)
        if rows is None:
            rows = db.execute_sql(sql, params).fetchall()
            if packed:
                rows = [row[0] for row in rows]
        else:  # logged and hooked as peewee does its own statements
            db._log_query(sql, params)
            if db.query_hooks:
                db._notify_hooks(sql, params, started, None)
        return rows, converters, packed

    def rows(self, **values):
        """Every row, as a tuple of the selected fields' Python values."""
        rows, converters, packed = self._run(values)
        if packed:
            rows = [orjson.loads(row) for row in rows]
        if not converters:
            return [tuple(row) for row in rows]
        return _converted(rows, converters)

    def first(self, **values):
        rows = self.rows(**values)
        return rows[0] if rows else None

    def execute(self, **values):
        """Run a write (insert, update) with these values."""
        self._run(values)
