"""SQLite statements run without letting go of the GIL: the safety check's path at the morning rush.

Python 3.11's sqlite3 module lets go of the GIL around every call into SQLite — preparing, stepping,
resetting, even asking how many columns a row has — about eight times for a one-row query. Under
concurrent requests each of those is a hand-over of the GIL to another thread and a wait to get it
back, and that costs far more than SQLite's own work: at the morning rush a `SELECT 1` cost the
safety check an eighth of its throughput (bench/safety_bench.py). Here a statement is run through
`ctypes.PyDLL`, which keeps the GIL for each call, on the *same* libsqlite3 the sqlite3 module has
loaded: one copy of SQLite in the process, so its file locks stay coherent (two copies of SQLite in
one process can corrupt a database: https://www.sqlite.org/howtocorrupt.html#multiple_copies).

One connection per database and process, shared by every thread under a lock (held only while a
statement runs, which never waits for anything): its page cache stays warm, because the notifications
the safety check writes go through it too. It never waits for a lock either — its busy timeout is
zero, since waiting while holding the GIL would stop every thread, and stall for good a thread of this
process that holds the write lock and needs the GIL to finish. Whatever it cannot do at once (the
database is locked, a constraint fails, any error) it leaves undone (a statement on its own is atomic)
and `run` answers None: the caller runs the statement through the sqlite3 module instead, which waits
for locks with the GIL let go and raises the error as usual.

`available(db)` is False where this cannot hold: not SQLite, an in-memory database, a sqlite3 module
with SQLite linked into it (no shared library to find), or another SQLite version than the module's.
"""
import ctypes
import datetime
import os
import sqlite3
import threading
import weakref

from peewee import SqliteDatabase

from .db import SQLITE_PRAGMAS

SQLITE_OK, SQLITE_ROW, SQLITE_DONE = 0, 100, 101
SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL = 1, 2, 3, 4, 5
SQLITE_OPEN_READWRITE, SQLITE_OPEN_NOMUTEX = 0x02, 0x8000
_TRANSIENT = ctypes.c_void_p(-1)  # SQLite copies bound text and blobs


def _library_path():
    """The file of the libsqlite3 the sqlite3 module has loaded, or None (linked in, or not Linux)."""
    import _sqlite3  # noqa: F401  (loaded, so its libsqlite3 is mapped)

    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split(None, 5)[5].strip() for line in maps if "libsqlite3" in line and "/" in line}
    except OSError:
        return None
    return paths.pop() if len(paths) == 1 else None


def _load():
    path = _library_path()
    if path is None:
        return None
    lib = ctypes.PyDLL(path)  # the already-loaded library: dlopen hands back the same copy
    p, i, c = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
    signatures = {
        "sqlite3_libversion": (c, []),
        "sqlite3_open_v2": (i, [c, ctypes.POINTER(p), i, c]),
        "sqlite3_close_v2": (i, [p]),
        "sqlite3_exec": (i, [p, c, p, p, p]),
        "sqlite3_prepare_v2": (i, [p, c, i, ctypes.POINTER(p), p]),
        "sqlite3_finalize": (i, [p]),
        "sqlite3_reset": (i, [p]),
        "sqlite3_step": (i, [p]),
        "sqlite3_bind_null": (i, [p, i]),
        "sqlite3_bind_int64": (i, [p, i, ctypes.c_int64]),
        "sqlite3_bind_double": (i, [p, i, ctypes.c_double]),
        "sqlite3_bind_text": (i, [p, i, c, i, p]),
        "sqlite3_bind_blob": (i, [p, i, c, i, p]),
        "sqlite3_column_count": (i, [p]),
        "sqlite3_column_type": (i, [p, i]),
        "sqlite3_column_int64": (ctypes.c_int64, [p, i]),
        "sqlite3_column_double": (ctypes.c_double, [p, i]),
        "sqlite3_column_text": (p, [p, i]),
        "sqlite3_column_blob": (p, [p, i]),
        "sqlite3_column_bytes": (i, [p, i]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    if lib.sqlite3_libversion().decode() != sqlite3.sqlite_version:
        return None
    # A single text column read as bytes in one call (a packed row's JSON never holds a NUL byte).
    lib.column_text_bytes = lib["sqlite3_column_text"]
    lib.column_text_bytes.restype, lib.column_text_bytes.argtypes = c, [p, i]
    return lib


_LIB = _load()
if _LIB is not None:  # the calls of every statement, looked up once
    _step, _reset, _bind_int64, _bind_text = _LIB.sqlite3_step, _LIB.sqlite3_reset, _LIB.sqlite3_bind_int64, _LIB.sqlite3_bind_text
    _column_type, _column_text, _column_bytes = _LIB.sqlite3_column_type, _LIB.sqlite3_column_text, _LIB.sqlite3_column_bytes


def _bindable(value):
    """A value as the sqlite3 module would bind it (its default adapters for dates and datetimes)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class _Connection:
    """The process's own connection to one database file, used under `lock`."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.statements = {}
        handle = ctypes.c_void_p()
        status = _LIB.sqlite3_open_v2(os.fsencode(path), ctypes.byref(handle), SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, None)
        self.handle = handle
        if status != SQLITE_OK:
            self.close()
            raise OSError(f"SQLite could not open {path} (code {status})")
        pragmas = {**SQLITE_PRAGMAS, "busy_timeout": 0}
        pragmas.pop("journal_mode", None)  # the file's own, set by the sqlite3 module's connections
        for name, value in pragmas.items():
            _LIB.sqlite3_exec(handle, f"PRAGMA {name} = {value}".encode(), None, None, None)

    def close(self):
        for statement, _ in self.statements.values():
            _LIB.sqlite3_finalize(statement)
        self.statements.clear()
        if self.handle:
            _LIB.sqlite3_close_v2(self.handle)
            self.handle = None

    def _statement(self, sql):
        """(statement, number of columns) of `sql`, prepared at its first use; None if SQLite refuses it."""
        prepared = self.statements.get(sql)
        if prepared is None:
            statement = ctypes.c_void_p()
            if _LIB.sqlite3_prepare_v2(self.handle, sql.encode(), -1, ctypes.byref(statement), None) != SQLITE_OK:
                return None
            prepared = self.statements[sql] = (statement, _LIB.sqlite3_column_count(statement))
        return prepared

    @staticmethod
    def _bind(statement, params):
        for index, value in enumerate(params, 1):
            if type(value) is not int and type(value) is not str:  # the common two need no adapting
                value = _bindable(value)
            if isinstance(value, int):
                status = _bind_int64(statement, index, value)
            elif isinstance(value, str):
                data = value.encode()
                status = _bind_text(statement, index, data, len(data), _TRANSIENT)
            elif value is None:
                status = _LIB.sqlite3_bind_null(statement, index)
            elif isinstance(value, float):
                status = _LIB.sqlite3_bind_double(statement, index, value)
            elif isinstance(value, (bytes, bytearray, memoryview)):
                data = bytes(value)
                status = _LIB.sqlite3_bind_blob(statement, index, data, len(data), _TRANSIENT)
            else:
                return False  # a type only the sqlite3 module (and its adapters) knows
            if status != SQLITE_OK:
                return False
        return True

    @staticmethod
    def _row(statement, columns):
        row = []
        for i in range(columns):
            kind = _column_type(statement, i)
            if kind == SQLITE_TEXT:
                row.append(ctypes.string_at(_column_text(statement, i), _column_bytes(statement, i)).decode())
            elif kind == SQLITE_INTEGER:
                row.append(_LIB.sqlite3_column_int64(statement, i))
            elif kind == SQLITE_FLOAT:
                row.append(_LIB.sqlite3_column_double(statement, i))
            elif kind == SQLITE_BLOB:
                pointer = _LIB.sqlite3_column_blob(statement, i)
                row.append(ctypes.string_at(pointer, _column_bytes(statement, i)) if pointer else b"")
            else:
                row.append(None)
        return tuple(row)

    def run(self, sql, params, text=False):
        """Every row of one statement, or None when it could not run to the end here (nothing done).

        With `text`, the statement selects one column, never NULL and without NUL bytes, and each row is
        that column's UTF-8 bytes.
        """
        with self.lock:
            prepared = self._statement(sql)
            if prepared is None:
                return None
            statement, columns = prepared
            try:
                if not self._bind(statement, params):
                    return None
                rows = []
                while True:
                    status = _step(statement)
                    if status == SQLITE_ROW:
                        rows.append(_LIB.column_text_bytes(statement, 0) if text else self._row(statement, columns))
                    elif status == SQLITE_DONE:
                        return rows
                    else:
                        return None
            finally:
                _reset(statement)  # every parameter is bound again at the next run


_CONNECTIONS = weakref.WeakKeyDictionary()  # peewee database -> _Connection, or None: never direct
_UNSEEN = object()
# A forked child opens its own: SQLite connections must not cross a fork.
os.register_at_fork(after_in_child=_CONNECTIONS.clear)
_OPENING = threading.Lock()


def available(db):
    return (
        _LIB is not None
        and isinstance(db, SqliteDatabase)
        and db.database not in ("", ":memory:")
        and not str(db.database).startswith("file:")
    )


def connection(db):
    """The process's direct connection to `db`'s file, opened at first use; None where unavailable."""
    found = _CONNECTIONS.get(db, _UNSEEN)
    if found is not _UNSEEN:
        return found
    with _OPENING:
        found = _CONNECTIONS.get(db, _UNSEEN)
        if found is _UNSEEN:
            found = None
            if available(db):
                try:
                    found = _Connection(db.database)
                except OSError:
                    found = None
            _CONNECTIONS[db] = found  # None: this database is never run directly
            if found is not None:
                weakref.finalize(db, found.close)
    return found


def run(db, sql, params, text=False):
    """The rows of `sql` run directly on `db` (with `text`, as `_Connection.run` says), or None: run it
    through the sqlite3 module instead.

    Never for a thread inside a transaction: its statements belong to its own connection.
    """
    if db.in_transaction():
        return None
    direct = connection(db)
    return None if direct is None else direct.run(sql, params, text)


def close(db):
    """Close the direct connection to `db`, if one is open (with the database's other connections)."""
    found = _CONNECTIONS.pop(db, None)
    if found is not None:
        with found.lock:
            found.close()
