"""Trust rating-system templates, and a group's rating selection that is the group's own (DESIGN §6).

- `rating_template` and `rating_template_requirement`: a trust's rating systems, whose requirements
  name profile types and check types by name and code.
- `rating_system.template_id`: a school's copy of its trust's template (read-only in the school).
- `rating_system.mandatory` goes: a group that selects rating systems checks exactly those (the
  set-up help: "select just one rating system if required"), so "mandatory" had no meaning left.
  SQLite drops the column in place (ALTER TABLE … DROP COLUMN), so migration 0005's triggers stay.
"""
from peewee import *


def up(migrator, db):
    class Trust(Model):
        class Meta:
            database = db
            table_name = 'trust'

    class RatingTemplate(Model):
        trust = ForeignKeyField(Trust, on_delete='CASCADE')
        name = CharField()
        ready_colour = CharField(default='#1b7f3b')
        not_ready_colour = CharField(default='#b42318')
        enabled = BooleanField(default=True)
        position = IntegerField(default=0)

        class Meta:
            database = db
            table_name = 'rating_template'
            indexes = ((('trust', 'name'), True),)

    class RatingTemplateRequirement(Model):
        template = ForeignKeyField(RatingTemplate, on_delete='CASCADE')
        profile_type = CharField()
        check_code = CharField()
        check_name = CharField()
        validity_months = IntegerField(null=True)

        class Meta:
            database = db
            table_name = 'rating_template_requirement'
            indexes = ((('template', 'profile_type', 'check_code'), True),)

    db.create_tables([RatingTemplate, RatingTemplateRequirement])
    migrator.migrate(
        migrator.add_column('rating_system', 'template_id', ForeignKeyField(
            RatingTemplate, field=RatingTemplate.id, null=True, on_delete='CASCADE')),
        migrator.drop_column('rating_system', 'mandatory'),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.add_column('rating_system', 'mandatory', BooleanField(default=False)),
        migrator.drop_column('rating_system', 'template_id'),
        migrator.drop_table('rating_template_requirement'),
        migrator.drop_table('rating_template'),
    )
