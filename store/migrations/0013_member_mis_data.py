"""SiaMember.mis: the MIS data Sign In App's Wonde connection gives a member (docs/design.md §3, §5).

`{"date_of_birth", "start_date", "leaving_date"}` as Sign In App last sent them (ISO dates or null), kept
on the shadow beside its personal fields so a member on an unchanged page (read from its shadow) still
has them. NULL for a member whose group has no MIS data (every existing shadow).
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('sia_member', 'mis', TextField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('sia_member', 'mis'))
