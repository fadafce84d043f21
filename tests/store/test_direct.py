"""store.direct: SQLite statements run keeping the GIL, on the sqlite3 module's own libsqlite3.

SQLite only, by nature: the direct connection is an SQLite connection.
"""
import datetime
import shutil
import sqlite3
import threading

import pytest
from peewee import IntegrityError, SqliteDatabase

import store
from store import direct
from store.db import close_all, open_database
from store.models import Notification
from store.prepared import Prepared, Slot
from tests import factories as f


@pytest.fixture
def sqlite_db(sqlite_template, tmp_path):
    path = tmp_path / "tether.db"
    shutil.copy(sqlite_template, path)
    database = open_database(str(path))
    store.database.initialize(database)
    database.connect()
    yield database
    close_all(database)


def _stdlib(database):
    """A plain sqlite3 connection to the same file: what the sqlite3 module reads and writes."""
    return sqlite3.connect(database.database, isolation_level=None, check_same_thread=False)


def test_the_direct_connection_runs_on_the_sqlite3_modules_own_library(sqlite_db):
    """One copy of SQLite in the process: two copies would not see each other's file locks."""
    with open("/proc/self/maps") as maps:
        libraries = {line.split(None, 5)[5].strip() for line in maps if "libsqlite3" in line and "/" in line}
    assert len(libraries) == 1
    assert direct.available(sqlite_db)
    assert direct._LIB.sqlite3_libversion().decode() == sqlite3.sqlite_version


def test_rows_read_the_same_as_through_the_sqlite3_module(sqlite_db):
    sqlite_db.execute_sql("CREATE TABLE sample (i INTEGER, r REAL, t TEXT, b BLOB, n TEXT)")
    rows = [
        (1, 1.5, "Zoë Ødegaard — 漢字", b"\x00\xff", None),
        (-(2**63), -0.0, "", b"", None),
        (2**63 - 1, 1e300, "x" * 10_000, bytes(range(256)), None),
    ]
    sqlite_db.execute_sql("INSERT INTO sample VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)", [v for r in rows for v in r])
    sql = "SELECT i, r, t, b, n FROM sample ORDER BY rowid"
    assert direct.run(sqlite_db, sql, []) == _stdlib(sqlite_db).execute(sql).fetchall() == rows


def test_a_packed_row_is_read_as_the_utf8_bytes_of_its_json(sqlite_db):
    sqlite_db.execute_sql("CREATE TABLE sample (t TEXT, j TEXT)")
    sqlite_db.execute_sql("INSERT INTO sample VALUES (?, ?)", ["Zoë \u0000 漢字 \"quoted\"", '{"a": [1, "ü"]}'])
    sql = "SELECT json_array(t, j, 1.5, NULL) FROM sample"
    (expected,) = _stdlib(sqlite_db).execute(sql).fetchone()
    assert direct.run(sqlite_db, sql, [], text=True) == [expected.encode()]


def test_values_are_stored_as_the_sqlite3_module_stores_them(sqlite_db):
    sqlite_db.execute_sql("CREATE TABLE sample (v)")
    values = [True, False, 7, 2.25, "text", b"bytes", None, datetime.date(2026, 2, 28), datetime.datetime(2026, 2, 28, 7, 45, 1, 250)]
    plain = _stdlib(sqlite_db)
    for value in values:
        assert direct.run(sqlite_db, "INSERT INTO sample (v) VALUES (?)", [value]) == []
        plain.execute("INSERT INTO sample (v) VALUES (?)", [value])
    stored = plain.execute("SELECT v, typeof(v) FROM sample ORDER BY rowid").fetchall()
    assert stored[0::2] == stored[1::2]
    assert len(stored) == 2 * len(values)


def test_a_locked_database_is_left_to_the_sqlite3_module_which_waits_for_it(sqlite_db):
    """The direct connection never waits holding the GIL: a locked database gets None at once, and the
    Prepared statement then runs through peewee, which waits for the lock with the GIL let go."""
    assert direct.run(sqlite_db, "PRAGMA busy_timeout", []) == [(0,)]
    org = f.organisation("Hill School")
    holder = _stdlib(sqlite_db)
    holder.execute("BEGIN IMMEDIATE")
    insert = "INSERT INTO notification (organisation_id, kind, subject, message, at) VALUES (?, 'x', '', 'held', '2026-01-01')"
    assert direct.run(sqlite_db, insert, [org.id]) is None
    released = threading.Timer(0.3, holder.execute, ["COMMIT"])
    released.start()
    write = Prepared(
        lambda: Notification.insert(organisation=Slot("org"), kind="x", subject="", message="waited", at="2026-01-01")
    )
    write.execute(org=org.id)
    released.join()
    assert [n.message for n in Notification.select()] == ["waited"]


def test_a_statement_that_fails_raises_as_peewee_would_and_writes_nothing(sqlite_db):
    write = Prepared(
        lambda: Notification.insert(organisation=Slot("org"), kind="x", subject="", message="m", at="2026-01-01")
    )
    with pytest.raises(IntegrityError):
        write.execute(org=424242)  # no such organisation: the foreign key refuses it
    assert Notification.select().count() == 0


def test_inside_a_transaction_statements_run_on_the_threads_own_connection(sqlite_db):
    read = Prepared(lambda: Notification.select(Notification.message).where(Notification.kind == Slot("kind")))
    org = f.organisation("Hill School")
    with sqlite_db.atomic() as transaction:
        Notification.create(organisation=org, kind="x", message="not committed yet")
        assert read.rows(kind="x") == [("not committed yet",)]
        transaction.rollback()
    assert read.rows(kind="x") == []


def test_many_threads_share_the_direct_connection(sqlite_db):
    org = f.organisation("Hill School")
    write = Prepared(
        lambda: Notification.insert(organisation=Slot("org"), kind=Slot("kind"), subject="", message="m", at="2026-01-01")
    )
    count = Prepared(lambda: Notification.select(Notification.id).where(Notification.kind == Slot("kind")))
    seen, errors = [], []

    def work(n):
        try:
            for i in range(100):
                write.execute(org=org.id, kind=f"thread-{n}")
                seen.append((n, len(count.rows(kind=f"thread-{n}")) == i + 1))
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen) == 800 and all(ok for _, ok in seen)
    assert Notification.select().count() == 800


def test_an_in_memory_database_is_never_run_directly():
    assert not direct.available(SqliteDatabase(":memory:"))
    assert direct.connection(SqliteDatabase(":memory:")) is None


def test_the_direct_connection_closes_with_the_database(sqlite_db):
    assert direct.connection(sqlite_db) is direct.connection(sqlite_db)
    close_all(sqlite_db)
    assert sqlite_db not in direct._CONNECTIONS
