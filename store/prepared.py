"""A query whose SQL peewee generates once per database, then run again with new values: the sign-in's.

Generating the SQL of the safety check's one query (a token, a group, a member, a link, a profile and
its check records, joined) costs peewee more than SQLite or PostgreSQL take to run it; at the morning
rush that would be most of each sign-in's work, and so would an insert's for the notifications it
writes. A `Prepared` query is an ordinary peewee select (or insert) in which `param(name)` stands where
a value goes. Its SQL and parameters come from `query.sql()` once per database; each run sends that SQL
through `Database.execute_sql` with the values in the placeholders' places, and reads every row as a
dict by the selected columns' aliases (every column has one), each field's value converted by the
field's own `python_value`, as peewee's `.dicts()` would give it. A column that is not a field (a
subquery, a function, a cast) comes back as the driver gives it.

`packed=True`, on SQLite: each row travels as one JSON object of its columns by name, read back into
the same dict. Python 3.11's sqlite3 module lets go of the GIL around the reading of every column of a
row, and under concurrent requests each hand-over of the GIL to another thread costs more than the read
itself; the sign-in's row has two dozen columns (bench/safety_bench.py: 0.47 of ping's throughput
unpacked, 0.51 packed, one run each). PostgreSQL's rows are read as they are.
"""
import threading
import weakref

import orjson
from peewee import Alias, Field, Select, Value, fn

from .db import database, is_postgres


class _Placeholder:
    def __init__(self, name):
        self.name = name


def param(name):
    """Where the value called `name` goes in a `Prepared` query, given at each run.

    The value goes to the database driver as it is (no field's `db_value`), so pass what the column
    holds: an int, a str."""
    return Value(_Placeholder(name), converter=False)


def _named(column):
    """(name, converter) of a selected column: its alias, and the field's `python_value` for a field (None,
    the driver's value, for anything else)."""
    if not isinstance(column, Alias):
        raise ValueError(f"Name every column of a prepared query with .alias(name), e.g. {column}.alias('...').")
    field = column.unalias()
    return column.name, field.python_value if isinstance(field, Field) else None


class Prepared:
    """The query `build()` returns (a function, so it is built for whichever database is bound)."""

    def __init__(self, build, *, packed=False):
        self._build = build
        self._packed = packed
        self._built = weakref.WeakKeyDictionary()  # database -> (sql, params, [(name, converter)], packed)
        self._lock = threading.Lock()

    def _built_for(self, db):
        built = self._built.get(db)
        if built is None:
            with self._lock:
                query = self._build()
                columns = [_named(column) for column in query.selected_columns] if isinstance(query, Select) else []
                packed = self._packed and not is_postgres()
                if packed:
                    named = [part for column in query.selected_columns for part in (Value(column.name), column.unalias())]
                    query = query.select(fn.json_object(*named))
                sql, params = query.sql()
                built = self._built[db] = (sql, params, columns, packed)
        return built

    def _run(self, values):
        db = database.obj
        sql, params, columns, packed = self._built_for(db)
        cursor = db.execute_sql(sql, [values[p.name] if isinstance(p, _Placeholder) else p for p in params])
        return cursor, columns, packed

    def execute(self, **values):
        """Run the query (an insert) with these values."""
        self._run(values)

    def rows(self, **values):
        """Every row, as {column name: Python value}."""
        cursor, columns, packed = self._run(values)
        if packed:
            by_name = [orjson.loads(row[0]) for row in cursor.fetchall()]
        else:
            names = [name for name, _ in columns]
            by_name = [dict(zip(names, row)) for row in cursor.fetchall()]
        return [
            {name: row[name] if convert is None or row[name] is None else convert(row[name]) for name, convert in columns}
            for row in by_name
        ]

    def first(self, **values):
        rows = self.rows(**values)
        return rows[0] if rows else None
