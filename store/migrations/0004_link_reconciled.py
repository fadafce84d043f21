"""Link.reconciled: the state an import last found or left a link's two sides in agreement.

`<member digest>:<fingerprint of the profile's mapped values>:<field mapping fingerprint>`, written by
the SIA import (sync.plan.reconciled_as). While all three are unchanged, the next import knows the
member is `unchanged` without working out and comparing its fields again. NULL (every existing
link) means "compare": the first import after this migration fills it in.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('link', 'reconciled', CharField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('link', 'reconciled'))
