"""Indexes for the console's lists at 50,000 profiles: each reads one organisation's newest rows, or its
rows in name order, a page at a time — an index in that order answers without sorting them all.

Plain index names as peewee derives them from the models' Meta, like 0001.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_index('audit_event', ('organisation_id', 'at')),
        migrator.add_index('notification', ('organisation_id', 'at')),
        migrator.add_index('student', ('organisation_id', 'surname', 'forename')))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('audit_event', 'audit_event_organisation_id_at'),
        migrator.drop_index('notification', 'notification_organisation_id_at'),
        migrator.drop_index('student', 'student_organisation_id_surname_forename'))
