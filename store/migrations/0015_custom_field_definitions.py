"""SiaConnection.custom_fields: the account's custom personal field definitions, as last read.

Sign In App keys custom personal fields with the account's own opaque ids (e.g. c3YQ5d9wQi); the
definitions ([{key, label, type}], docs/design.md §3, partner part) give each its label and type, so
rules, explain and field mapping can name a field as the school does. Read with the groups at every
import and page load; NULL when Sign In App has not said (no definitions endpoint, or never read).
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('sia_connection', 'custom_fields', TextField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('sia_connection', 'custom_fields'))
