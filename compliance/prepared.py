"""Queries the safety check runs at every sign-in, with their SQL built by peewee once and then reused.

Generating a query's SQL, and setting up peewee's row wrapper for its answer, costs more than SQLite or
PostgreSQL take to run it; a sign-in runs several, so at the morning rush that was most of the work. A
`Prepared` query is an ordinary peewee query written with `Slot`s where the values go. Its SQL is
generated once per database; each call sends that SQL with the values in the slots' places, and each
row comes back as a tuple of the selected fields' Python values (each field's own `python_value`, as
peewee's `.tuples()` would give them).
"""
import threading
import weakref

from peewee import Node

from store.db import database


class Slot(Node):
    """A named placeholder in a prepared query, filled by the value of that name at each call.

    Values go to the database driver as they are, so pass what the column holds (int, str, …).
    """

    def __init__(self, name):
        self.name = name

    def __sql__(self, ctx):
        ctx._values.append(self)
        return ctx.literal(ctx.state.param or "?")


class Prepared:
    """A peewee query built by `build()` (a function, so it is built for whichever database is bound)."""

    def __init__(self, build):
        self._build = build
        self._compiled = weakref.WeakKeyDictionary()  # database -> (sql, params, converters)
        self._lock = threading.Lock()

    def _compiled_for(self, db):
        compiled = self._compiled.get(db)
        if compiled is None:
            with self._lock:
                query = self._build()
                sql, params = query.sql()
                converters = [getattr(column, "python_value", None) for column in query._returning or ()]
                compiled = self._compiled[db] = (sql, params, converters)
        return compiled

    def _run(self, values):
        db = database.obj
        sql, params, converters = self._compiled_for(db)
        cursor = db.execute_sql(sql, [values[p.name] if isinstance(p, Slot) else p for p in params])
        return cursor, converters

    def rows(self, **values):
        """Every row, as a tuple of the selected fields' Python values."""
        cursor, converters = self._run(values)
        pairs = list(enumerate(converters))
        return [
            tuple(convert(row[i]) if convert is not None else row[i] for i, convert in pairs)
            for row in cursor.fetchall()
        ]

    def first(self, **values):
        rows = self.rows(**values)
        return rows[0] if rows else None

    def execute(self, **values):
        """Run a write (insert, update) with these values."""
        self._run(values)
