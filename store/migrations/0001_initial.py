"""The first schema: every model of DESIGN §2.

Models here are frozen copies, deliberately independent of store.models, so this file keeps meaning
the same schema however the application models change later.
"""
from peewee import *


def up(migrator, db):
    class Trust(Model):
        name = CharField()
        class Meta:
            database = db
            table_name = 'trust'
    db.create_tables([Trust])

    class Organisation(Model):
        name = CharField()
        trust = ForeignKeyField(Trust, null=True, on_delete='SET NULL')
        urn = CharField(null=True)
        settings = TextField(default='{}')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'organisation'
    db.create_tables([Organisation])

    class AuditEvent(Model):
        at = DateTimeField(index=True)
        actor = CharField(default='')
        organisation = ForeignKeyField(Organisation, null=True, on_delete='SET NULL')
        action = CharField(index=True)
        subject = CharField(default='')
        before = TextField(null=True)
        after = TextField(null=True)
        reason = TextField(default='')
        class Meta:
            database = db
            table_name = 'audit_event'
    db.create_tables([AuditEvent])

    class ProfileType(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        name = CharField()
        position = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'profile_type'
            indexes = ((('organisation', 'name'), True),)
    db.create_tables([ProfileType])

    class Profile(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        profile_type = ForeignKeyField(ProfileType)
        forename = CharField()
        surname = CharField()
        email = CharField(null=True)
        mobile = CharField(null=True)
        role = CharField(null=True)
        dob = DateField(null=True)
        start_date = DateField(null=True)
        leaving_date = DateField(null=True)
        status = CharField(default='active', constraints=[Check("status in ('active', 'deleted', 'merged')")])
        deleted_at = DateTimeField(null=True)
        merged_into = ForeignKeyField('self', null=True, on_delete='SET NULL')
        source = CharField(default='manual', constraints=[Check("source in ('manual', 'sia', 'mis')")])
        version = IntegerField(default=1)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'profile'
            indexes = ((('organisation', 'status'), False), (('organisation', 'surname', 'forename'), False), (('email',), False))
    db.create_tables([Profile])

    class CheckType(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        code = CharField()
        name = CharField()
        validity_months = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'check_type'
            indexes = ((('organisation', 'code'), True),)
    db.create_tables([CheckType])

    class CheckRecord(Model):
        profile = ForeignKeyField(Profile, on_delete='CASCADE')
        check_type = ForeignKeyField(CheckType, on_delete='CASCADE')
        completed_on = DateField(null=True)
        expires_on = DateField(null=True)
        evidence = TextField(default='')
        not_required = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'check_record'
            indexes = ((('profile', 'check_type'), False),)
    db.create_tables([CheckRecord])

    class SiaConnection(Model):
        organisation = ForeignKeyField(Organisation, null=True, on_delete='CASCADE')
        trust = ForeignKeyField(Trust, null=True, on_delete='CASCADE')
        name = CharField(default='Sign In App')
        base_url = CharField()
        api_key = CharField()
        api_secret = CharField()
        kind = CharField(default='http', constraints=[Check("kind in ('http', 'sandbox')")])
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'sia_connection'
            constraints = [Check('(organisation_id IS NULL) <> (trust_id IS NULL)')]
    db.create_tables([SiaConnection])

    class Exclusion(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        connection = ForeignKeyField(SiaConnection, on_delete='CASCADE')
        sia_member_id = IntegerField()
        display_name = CharField(default='')
        reason = TextField(default='')
        created_at = DateTimeField()
        created_by = CharField(default='')
        restored_at = DateTimeField(null=True)
        restored_by = CharField(null=True)
        class Meta:
            database = db
            table_name = 'exclusion'
    db.create_tables([Exclusion])
    migrator.migrate(migrator.add_index(
        'exclusion', ('organisation_id', 'connection_id', 'sia_member_id'), unique=True,
        where=SQL('restored_at IS NULL'), name='exclusion_one_active_per_member'))

    class FieldMapping(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        source_field = CharField()
        target_field = CharField()
        direction = CharField(constraints=[Check("direction in ('to_scr', 'to_sia')")])
        apply = CharField(default='always', constraints=[Check("apply in ('always', 'on_create')")])
        class Meta:
            database = db
            table_name = 'field_mapping'
            indexes = ((('organisation', 'direction', 'target_field'), True),)
    db.create_tables([FieldMapping])

    class Gender(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        code = CharField()
        name = CharField()
        class Meta:
            database = db
            table_name = 'gender'
            indexes = ((('organisation', 'code'), True),)
    db.create_tables([Gender])

    class SiaGroup(Model):
        connection = ForeignKeyField(SiaConnection, on_delete='CASCADE')
        sia_id = IntegerField()
        name = CharField()
        type = CharField()
        organisation = ForeignKeyField(Organisation, null=True, on_delete='SET NULL')
        settings = TextField(default='{}')
        seen_at = DateTimeField()
        gone_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'sia_group'
            indexes = ((('connection', 'sia_id'), True),)
    db.create_tables([SiaGroup])

    class SiaMember(Model):
        connection = ForeignKeyField(SiaConnection, on_delete='CASCADE')
        sia_id = IntegerField()
        group = ForeignKeyField(SiaGroup, on_delete='CASCADE')
        personal_fields = TextField(default='{}')
        archived = BooleanField(default=False)
        sia_updated_at = CharField(null=True)
        digest = CharField(default='')
        seen_at = DateTimeField()
        gone_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'sia_member'
            indexes = ((('connection', 'sia_id'), True), (('group',), False))
    db.create_tables([SiaMember])

    class Link(Model):
        profile = ForeignKeyField(Profile, on_delete='CASCADE')
        sia_member = ForeignKeyField(SiaMember, on_delete='CASCADE')
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        linked_at = DateTimeField()
        linked_by = CharField(default='')
        severed_at = DateTimeField(null=True)
        sever_reason = CharField(null=True)
        class Meta:
            database = db
            table_name = 'link'
    db.create_tables([Link])
    # One active link per profile and per member, enforced by the database.
    migrator.migrate(
        migrator.add_index('link', ('profile_id',), unique=True,
                           where=SQL('severed_at IS NULL'), name='link_one_active_per_profile'),
        migrator.add_index('link', ('sia_member_id',), unique=True,
                           where=SQL('severed_at IS NULL'), name='link_one_active_per_member'),
        migrator.add_index('link', ('organisation_id', 'severed_at'), name='link_organisation_severed_at'))

    class MappingRule(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        profile_type = ForeignKeyField(ProfileType, on_delete='CASCADE')
        expression = TextField()
        position = IntegerField(default=0)
        enabled = BooleanField(default=True)
        updated_at = DateTimeField()
        updated_by = CharField(default='')
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'mapping_rule'
            indexes = ((('organisation', 'position'), False),)
    db.create_tables([MappingRule])

    class MergeRecord(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        kept = ForeignKeyField(Profile, on_delete='CASCADE')
        removed = ForeignKeyField(Profile, on_delete='CASCADE')
        before = TextField(default='{}')
        choices = TextField(default='{}')
        at = DateTimeField()
        by = CharField(default='')
        undone_at = DateTimeField(null=True)
        undone_by = CharField(null=True)
        class Meta:
            database = db
            table_name = 'merge_record'
    db.create_tables([MergeRecord])

    class Notification(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        kind = CharField()
        subject = CharField(default='')
        message = TextField()
        at = DateTimeField()
        read_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'notification'
            indexes = ((('organisation', 'read_at'), False),)
    db.create_tables([Notification])

    class RatingSystem(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        name = CharField()
        ready_colour = CharField(default='#1b7f3b')
        not_ready_colour = CharField(default='#b42318')
        enabled = BooleanField(default=True)
        mandatory = BooleanField(default=False)
        position = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'rating_system'
            indexes = ((('organisation', 'name'), True),)
    db.create_tables([RatingSystem])

    class RatingRequirement(Model):
        rating_system = ForeignKeyField(RatingSystem, on_delete='CASCADE')
        profile_type = ForeignKeyField(ProfileType, on_delete='CASCADE')
        check_type = ForeignKeyField(CheckType, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'rating_requirement'
            indexes = ((('rating_system', 'profile_type', 'check_type'), True),)
    db.create_tables([RatingRequirement])

    class SyncRun(Model):
        organisation = ForeignKeyField(Organisation, null=True, on_delete='CASCADE')
        kind = CharField()
        trigger = CharField(default='manual')
        status = CharField(default='running')
        dry_run = BooleanField(default=False)
        started_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        done = IntegerField(default=0)
        total = IntegerField(default=0)
        counts = TextField(default='{}')
        details = TextField(default='{}')
        error = TextField(null=True)
        actor = CharField(default='')
        class Meta:
            database = db
            table_name = 'sync_run'
            indexes = ((('organisation', 'kind', 'started_at'), False),)
    db.create_tables([SyncRun])

    class RunLease(Model):
        organisation_id = IntegerField(default=0)
        kind = CharField()
        holder = CharField()
        run = ForeignKeyField(SyncRun, null=True, on_delete='SET NULL')
        acquired_at = DateTimeField()
        expires_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'run_lease'
            indexes = ((('organisation_id', 'kind'), True),)
    db.create_tables([RunLease])

    class RunProblem(Model):
        run = ForeignKeyField(SyncRun, on_delete='CASCADE')
        external_id = CharField(default='')
        name = CharField(default='')
        code = CharField()
        message = TextField()
        class Meta:
            database = db
            table_name = 'run_problem'
    db.create_tables([RunProblem])

    class Student(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        person_id = CharField()
        admission_number = CharField(null=True)
        username = CharField()
        forename = CharField()
        surname = CharField()
        dob = DateField(null=True)
        gender = ForeignKeyField(Gender, null=True, on_delete='SET NULL')
        fsm = BooleanField(null=True)
        address = TextField(null=True)
        postcode = CharField(null=True)
        home_phone = CharField(null=True)
        mobile = CharField(null=True)
        personal_email = CharField(null=True)
        work_email = CharField(null=True)
        email_preference = CharField(null=True)
        sen_information = TextField(null=True)
        enabled = BooleanField(default=True)
        disabled_at = DateTimeField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'student'
            indexes = ((('organisation', 'person_id'), True), (('organisation', 'username'), True), (('organisation', 'enabled'), False))
    db.create_tables([Student])

    class User(Model):
        email = CharField(unique=True)
        name = CharField(default='')
        password_hash = CharField()
        role = CharField(constraints=[Check("role in ('support', 'admin', 'viewer')")])
        active = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class UserOrganisation(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'user_organisation'
            indexes = ((('user', 'organisation'), True),)
    db.create_tables([UserOrganisation])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('user_organisation'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('student'))
    migrator.migrate(migrator.drop_table('run_problem'))
    migrator.migrate(migrator.drop_table('run_lease'))
    migrator.migrate(migrator.drop_table('sync_run'))
    migrator.migrate(migrator.drop_table('rating_requirement'))
    migrator.migrate(migrator.drop_table('rating_system'))
    migrator.migrate(migrator.drop_table('notification'))
    migrator.migrate(migrator.drop_table('merge_record'))
    migrator.migrate(migrator.drop_table('mapping_rule'))
    migrator.migrate(migrator.drop_table('link'))
    migrator.migrate(migrator.drop_table('sia_member'))
    migrator.migrate(migrator.drop_table('sia_group'))
    migrator.migrate(migrator.drop_table('gender'))
    migrator.migrate(migrator.drop_table('field_mapping'))
    migrator.migrate(migrator.drop_table('exclusion'))
    migrator.migrate(migrator.drop_table('sia_connection'))
    migrator.migrate(migrator.drop_table('check_record'))
    migrator.migrate(migrator.drop_table('check_type'))
    migrator.migrate(migrator.drop_table('profile'))
    migrator.migrate(migrator.drop_table('profile_type'))
    migrator.migrate(migrator.drop_table('audit_event'))
    migrator.migrate(migrator.drop_table('organisation'))
    migrator.migrate(migrator.drop_table('trust'))
