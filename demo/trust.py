"""The demo trust (issue 2, part 5): both sides of the integration, seeded in one transaction.

Tether's side is a trust with two schools, their profile types, check types, rating systems, mapping
rule, existing Central Record profiles (most staff already there, so the first import produces
duplicates to merge), leavers, check records of which some have expired, and the demo logins. The
Sign In App side is a sandbox account whose key and secret match the trust's connection, with linked
and unlinked, repeat and standard groups, archived members and portal users: this module describes
it, and `sandbox.demo` writes it into the sandbox's own tables. Organisation 1 is the first school.

Everything is drawn from `random.Random(DEMO_SEED)` with dates relative to today, so two seeds on the
same day give the same demo.
"""
import calendar
import datetime
import os
import random
import secrets

import sandbox.demo
from compliance import templates, tokens
from connectors.sia.client import SANDBOX_BASE_URL
from store import setup
from store.db import database, empty_tables
from sync import organisations as organisation_service
from store.models import (
    DEFAULT_PROFILE_TYPES,
    MODELS,
    AuditEvent,
    CheckRecord,
    CheckType,
    Gender,
    Organisation,
    Profile,
    ProfileType,
    RatingSystem,
    RatingTemplate,
    RatingTemplateRequirement,
    SiaConnection,
    SupportGrant,
    Trust,
    User,
    UserOrganisation,
    now,
)

DEMO_SEED = 2024
ACTOR = "tether demo seed"
SUPPORT_EMAIL = "support@tether.test"
TRUST_NAME = "Northgate Learning Trust"
SCHOOLS = (
    {"name": "Oakfield Academy", "urn": "137421", "domain": "oakfield.sch.uk", "admin": "admin@school-one.test"},
    {"name": "Riverside Primary School", "urn": "142876", "domain": "riverside.sch.uk", "admin": "admin@school-two.test"},
)
STAFF_SIZE = (120, 30)  # members of each school's Staff group

CHECK_TYPES = (
    # code, name, validity in months (None: does not expire)
    ("identity", "Identity", None),
    ("right_to_work", "Right to work in the UK", None),
    ("enhanced_dbs", "Enhanced DBS", 36),
    ("barred_list", "Barred list", None),
    ("prohibition", "Prohibition from teaching", None),
    ("overseas", "Overseas checks", None),
    ("qualifications", "Qualifications", None),
    ("section_128", "Section 128 (management)", None),
    ("medical_fitness", "Medical fitness", 12),
)

# What each profile type must have to be ready, per rating system.
INSPECTOR_READY = {
    "Teaching Staff": ("identity", "right_to_work", "enhanced_dbs", "barred_list", "prohibition", "overseas",
                       "qualifications"),
    "Support Staff": ("identity", "right_to_work", "enhanced_dbs", "barred_list", "overseas"),
    "Governors": ("identity", "enhanced_dbs", "section_128"),
    "Agency Staff": ("identity", "right_to_work", "enhanced_dbs", "barred_list", "prohibition"),
    "Contractors": ("identity", "enhanced_dbs"),
    "Volunteers": ("identity", "enhanced_dbs"),
}
SCHOOL_READY = {
    **INSPECTOR_READY,
    "Teaching Staff": INSPECTOR_READY["Teaching Staff"] + ("medical_fitness",),
    "Support Staff": INSPECTOR_READY["Support Staff"] + ("medical_fitness",),
    "Contractors": ("identity", "enhanced_dbs", "right_to_work"),
}
# The trust's rating-system templates: both schools inherit them (compliance/templates.py).
RATING_SYSTEMS = (("Inspector Ready", INSPECTOR_READY), ("School Ready", SCHOOL_READY))
# The checks a demo profile of each type gets a record for: whatever any rating system asks of it.
REQUIRED_CHECKS = {
    type_name: sorted({code for _, requirements in RATING_SYSTEMS for code in requirements.get(type_name, ())})
    for type_name in DEFAULT_PROFILE_TYPES
}

EVIDENCE = {
    "identity": "Passport seen and copied",
    "right_to_work": "Passport (UK) seen",
    "enhanced_dbs": "Certificate number 00{:08d}",
    "barred_list": "Checked with the DBS certificate",
    "prohibition": "Teacher services check, no prohibition",
    "overseas": "Certificate of good conduct",
    "qualifications": "Degree certificate and QTS seen",
    "section_128": "Section 128 check through TRA",
    "medical_fitness": "Occupational health questionnaire",
}

FIRST_NAMES = (
    "Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Noah", "Sophie", "Jack", "Grace", "Leo",
    "Emily", "Oscar", "Poppy", "Charlie", "Freya", "Thomas", "Evie", "James", "Ella", "William", "Ruby",
    "Henry", "Chloe", "Alfie", "Lucy", "Joseph", "Hannah", "Samuel", "Aisha", "Mohammed", "Priya", "Arjun",
    "Fatima", "Yusuf", "Zara", "Ibrahim", "Amara", "Kwame", "Chiamaka", "Tunde", "Siobhan", "Ciaran",
    "Niamh", "Rhys", "Cerys", "Dylan", "Eilidh", "Callum", "Morag", "Fraser", "Agnieszka", "Tomasz",
    "Rebecca", "David", "Sarah", "Paul", "Helen", "Mark", "Claire", "Andrew", "Karen", "Stephen", "Julie",
    "Richard", "Nicola", "Gareth", "Joanne", "Martin", "Lisa", "Simon", "Rachel", "Neil", "Emma", "Sunita",
    "Rajesh", "Mei", "Wei", "Hollie", "Bethany", "Declan", "Shannon", "Kieran",
)
SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
    "Patel", "Khan", "Begum", "Ahmed", "Hussain", "Singh", "Kaur", "Shah", "Okafor", "Adeyemi", "Mensah",
    "Osei", "O'Connor", "O'Neill", "Murphy", "Kelly", "MacDonald", "Campbell", "Stewart", "Fraser",
    "Morgan", "Hughes", "Lewis", "Price", "Griffiths", "Nowak", "Kowalski", "Chen", "Wong", "Nguyen",
    "Harris", "Martin", "Cooper", "Ward", "Turner", "Hill", "Baker", "Carter", "Phillips", "Mitchell",
    "Parker", "Bennett", "Collins", "Edwards", "Shaw", "Lloyd", "Ellis", "Fletcher", "Marshall", "Holmes",
    "Barnes", "Knight", "Hunt", "Palmer", "Dixon", "Foster", "Gibson", "Fox", "Webb", "Rose",
)
SUBJECTS = (
    ("Maths", 8), ("English", 8), ("Science", 9), ("History", 3), ("Geography", 3), ("Computing", 2),
    ("Art", 2), ("Music", 2), ("PE", 4), ("Modern Foreign Languages", 3), ("Religious Education", 2),
    ("Design and Technology", 2), ("Drama", 1), ("Business Studies", 1),
)
SECONDARY_SUPPORT = (
    ("Teaching Assistant", 18), ("Higher Level Teaching Assistant", 4), ("Learning Support Assistant", 4),
    ("Cover Supervisor", 3), ("Pastoral Manager", 2), ("Office Manager", 1), ("Receptionist", 2),
    ("Finance Officer", 1), ("Data Manager", 1), ("Exams Officer", 1), ("Attendance Officer", 1),
    ("HR Officer", 1), ("School Business Manager", 1), ("Caretaker", 1), ("Site Manager", 1), ("Cleaner", 3),
    ("IT Technician", 2), ("Science Technician", 2), ("Librarian", 1), ("Catering Manager", 1),
    ("Midday Supervisor", 4),
)
SECONDARY_LEADERS = (
    ("Headteacher", None), ("Deputy Headteacher", None), ("Deputy Headteacher", None),
    ("Assistant Headteacher", None), ("Assistant Headteacher", None), ("SENCo", "Inclusion"),
)
PRIMARY_ROLES = (
    ("Headteacher", 1, "Teaching Staff"), ("Deputy Headteacher", 1, "Teaching Staff"),
    ("Class Teacher", 12, "Teaching Staff"), ("Teaching Assistant", 9, "Support Staff"),
    ("School Administrator", 2, "Support Staff"), ("Caretaker", 1, "Support Staff"),
    ("Midday Supervisor", 3, "Support Staff"), ("Cook", 1, "Support Staff"),
)
CONTRACTORS = (
    ("Electrician", "Brightwire Electrical Ltd"), ("Electrician", "Brightwire Electrical Ltd"),
    ("Plumber", "Northgate Plumbing & Heating"), ("Gas Engineer", "Northgate Plumbing & Heating"),
    ("Catering Engineer", "KitchenCare Services"), ("IT Engineer", "Classroom Tech Solutions"),
    ("IT Engineer", "Classroom Tech Solutions"), ("Grounds Maintenance", "Greenway Grounds"),
    ("Grounds Maintenance", "Greenway Grounds"), ("Fire Safety Engineer", "Sentinel Fire Protection"),
    ("Window Cleaner", "ClearView Cleaning"), ("Decorator", "Hale & Sons Decorating"),
)
VOLUNTEER_ROLES = ("Reading volunteer", "Trip helper", "Library volunteer", "Breakfast club helper", "PTA volunteer")
# The account's custom personal fields, keyed as Sign In App keys them: its own opaque ids, with labels.
DEPARTMENT = {"key": "c3YQ5d9wQi", "label": "Department", "type": "text"}
COMPANY = {"key": "Rb7Kx2NqTf", "label": "Company", "type": "text"}
DBS_ON_FILE = {"key": "kP0sQ2vLxe", "label": "DBS on file", "type": "boolean"}
PERSONAL_FIELDS = (DEPARTMENT, COMPANY, DBS_ON_FILE)

PORTAL_USERS = (
    {"name": "Dawn Whitfield", "email": "d.whitfield@northgate.org.uk", "role": "primary"},
    {"name": "Imran Qureshi", "email": "i.qureshi@northgate.org.uk", "role": "admin"},
    {"name": "Office Oakfield", "email": "office@oakfield.sch.uk", "role": "manager"},
)
VISITOR_ROLES = ("Parent", "Educational psychologist", "School nurse", "Ofsted inspector", "Local authority adviser")


class DemoAlreadySeeded(Exception):
    """The database already holds data the demo would collide with."""


def demo_emails():
    return [SUPPORT_EMAIL] + [school["admin"] for school in SCHOOLS]


def logins(password):
    """The demo logins that exist, each `{role, email, password, organisation}`, for printing."""
    users = {user.email: user for user in User.select().where(User.email.in_(demo_emails()))}
    result = []
    for email in demo_emails():
        user = users.get(email)
        if user is None:
            continue
        organisation = (
            Organisation.select().join(UserOrganisation).where(UserOrganisation.user == user).first()
        )
        result.append(
            {
                "role": user.role,
                "email": email,
                "password": password,
                "organisation": organisation.name if organisation else "the schools that opened support access",
            }
        )
    return result


def existing_data():
    """What is already in the database that seeding would collide with, in words; empty when none."""
    found = []
    for count, label in (
        (Trust.select().count(), "trust"),
        (Organisation.select().count(), "organisation"),
        (sandbox.demo.account_count(), "Sign In App sandbox account"),
    ):
        if count:
            found.append(f"{count} {label}{'s' if count != 1 else ''}")
    clashing = User.select().where(User.email.in_(demo_emails())).count()
    if clashing:
        found.append(f"{clashing} of the demo logins")
    return found


def wipe():
    """Delete every row of Tether's and the sandbox's tables (not the migration history); ids start
    from 1 again, so the first school is organisation 1 again."""
    empty_tables(MODELS)
    sandbox.demo.wipe()


def seed(force=False, password=None):
    """Seed the demo trust on both sides, in one transaction, and return a summary to print.

    Refuses with `DemoAlreadySeeded` when the database already has organisations, a sandbox account
    or the demo logins, unless `force`, which wipes every Tether and sandbox table first.
    """
    password = password or os.environ.get("TETHER_DEMO_PASSWORD") or secrets.token_urlsafe(12)
    with database.atomic():
        found = existing_data()
        if found and not force:
            raise DemoAlreadySeeded(
                f"The database already has data ({', '.join(found)}), so the demo was not seeded. "
                "Run `tether demo seed --force` to delete everything and seed the demo again."
            )
        if force:
            wipe()
        summary = _Demo(random.Random(DEMO_SEED), datetime.date.today()).build()
        summary["logins"] = _create_logins(summary["organisation_ids"], password)
        _get_started(summary["organisation_ids"])
        AuditEvent.record("demo_seeded", actor=ACTOR, subject=TRUST_NAME, after=summary["counts"])
    return summary


def _create_logins(organisation_ids, password):
    """The demo logins, all with `password`, each hashed with a salt of its own."""
    _create_login(SUPPORT_EMAIL, "Tether Support", "support", password)
    for school, organisation_id in zip(SCHOOLS, organisation_ids):
        admin = _create_login(school["admin"], f"{school['name']} admin", "admin", password)
        UserOrganisation.create(user=admin, organisation=organisation_id)
    return logins(password)


def _get_started(organisation_ids):
    """The set-up help's "Get Started" steps, done for every demo school so the demo is usable at once:
    each school's admin requested the integration and opened support access (for the longest period a
    school may choose, so a demo left running keeps working), and support recorded the Sign In App
    Primary User's confirmation. Outside open access support would see none of the demo's pages."""
    support = User.by_email(SUPPORT_EMAIL)
    primary = next(user for user in PORTAL_USERS if user["role"] == "primary")
    for school, organisation_id in zip(SCHOOLS, organisation_ids):
        organisation = Organisation.get_by_id(organisation_id)
        admin = User.by_email(school["admin"])
        setup.request_integration(organisation, admin, "Set up by the demo seed.")
        setup.open_support_access(organisation, admin, SupportGrant.MAX_DAYS)
        setup.record_confirmation(organisation, support, primary["name"], now().date())


def _create_login(email, name, role, password):
    user = User(email=email, name=name, role=role)
    user.set_password(password)
    user.save()
    return user


def add_months(day, months):
    """`day` moved by whole months, clamped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class _Demo:
    """Builds the demo; holds the random source and the day it is built for."""

    def __init__(self, rng, today):
        self.rng = rng
        self.today = today
        self.used_names = set()
        self.profile_types = {}  # organisation id -> {name: ProfileType}
        self.check_types = {}  # organisation id -> {code: CheckType}
        self.counts = {"profiles": 0, "check_records": 0, "sandbox_groups": 0, "sandbox_members": 0}
        # Check records are inserted in bulk at the end: a round trip each would be slow.
        self.check_records = []
        self.sandbox_groups = []  # what sandbox.demo.seed_account creates, described as it is drawn

    def days_ago(self, low, high):
        return self.today - datetime.timedelta(days=self.rng.randint(low, high))

    def person(self, domain):
        while True:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(SURNAMES)
            if (first, last) not in self.used_names:
                self.used_names.add((first, last))
                break
        local = f"{first[0]}.{last}".lower().replace("'", "")
        mobile = f"07700 900{self.rng.randint(0, 999):03d}"
        return {"first": first, "last": last, "email": f"{local}@{domain}", "mobile": mobile}

    def build(self):
        trust = organisation_service.create_trust(TRUST_NAME, actor=ACTOR)
        organisations = [self.organisation(trust, school) for school in SCHOOLS]
        self.rating_templates(trust, organisations)
        connection = SiaConnection.new(
            trust=trust,
            name=f"{TRUST_NAME} Sign In App",
            base_url=SANDBOX_BASE_URL,
            api_key=f"demo-{secrets.token_hex(8)}",
            secret=secrets.token_urlsafe(24),
            kind="sandbox",
        )
        # The sandbox presents a safety-check token Tether issued, as a real Sign In App account would
        # once someone pasted it in: "Sign in" in the demo works from the first start.
        _token, secret = tokens.create(connection, actor="demo", name="Sandbox sign-in")
        self.school_one(organisations[0], SCHOOLS[0]["domain"])
        self.school_two(organisations[1], SCHOOLS[1]["domain"])
        for start in range(0, len(self.check_records), 500):
            CheckRecord.insert_many(self.check_records[start : start + 500]).execute()
        sandbox.demo.seed_account(
            name=TRUST_NAME,
            api_key=connection.api_key,
            api_secret=connection.secret,
            central_record_token=secret,
            central_record_safety_check=True,  # the demo school has done step 5 of the set-up help
            portal_users=PORTAL_USERS,
            personal_fields=PERSONAL_FIELDS,
            groups=self.sandbox_groups,
        )
        return {
            "trust_id": trust.id,
            "organisation_ids": [o.id for o in organisations],
            "organisations": [{"id": o.id, "name": o.name} for o in organisations],
            "connection_id": connection.id,
            "counts": self.counts,
        }

    # -- Central Record ------------------------------------------------------------------------

    def rating_templates(self, trust, organisations):
        checks = {code: (name, months) for code, name, months in CHECK_TYPES}
        for position, (name, requirements) in enumerate(RATING_SYSTEMS):
            template = RatingTemplate.create(trust=trust, name=name, position=position)
            RatingTemplateRequirement.insert_many([
                {"template": template.id, "profile_type": type_name, "check_code": code, "check_name": checks[code][0],
                 "validity_months": checks[code][1]}
                for type_name, codes in requirements.items() for code in codes
            ]).execute()
        for organisation in organisations:
            templates.inherit(organisation)

    def organisation(self, trust, school):
        organisation = organisation_service.create_organisation(trust, school["name"], school["urn"], actor=ACTOR)
        types = {t.name: t for t in ProfileType.select().where(ProfileType.organisation == organisation)}
        checks = {
            code: CheckType.create(organisation=organisation, code=code, name=name, validity_months=months)
            for code, name, months in CHECK_TYPES
        }
        Gender.create(organisation=organisation, code="M", name="Male")
        Gender.create(organisation=organisation, code="F", name="Female")
        self.profile_types[organisation.id] = types
        self.check_types[organisation.id] = checks
        return organisation

    def profile(self, organisation, type_name, person, *, role=None, email=None, leaving_date=None):
        start = self.days_ago(60, 365 * 15)
        profile = Profile.create(
            organisation=organisation,
            profile_type=self.profile_types[organisation.id][type_name],
            forename=person["first"],
            surname=person["last"],
            email=email if email is not None else person["email"],
            mobile=person["mobile"],
            role=role,
            dob=self.days_ago(365 * 22, 365 * 64),
            start_date=start,
            leaving_date=leaving_date,
            source="manual",
        )
        self.counts["profiles"] += 1
        for code in REQUIRED_CHECKS[type_name]:
            self.check_record(profile, self.check_types[organisation.id][code], start)
        return profile

    def check_record(self, profile, check_type, start):
        """Most checks in date; some missing, some expired, some about to expire."""
        if self.rng.random() < 0.05:
            return
        not_required = check_type.code == "overseas" and self.rng.random() < 0.85
        if check_type.code == "enhanced_dbs":
            completed = self.days_ago(20, 1080) if self.rng.random() < 0.85 else self.days_ago(1100, 1800)
        elif check_type.code == "medical_fitness":
            completed = self.days_ago(10, 350) if self.rng.random() < 0.8 else self.days_ago(370, 600)
        else:
            completed = min(start, self.days_ago(30, 400))
        expires = add_months(completed, check_type.validity_months) if check_type.validity_months else None
        evidence = EVIDENCE[check_type.code].format(self.rng.randint(0, 99_999_999))
        self.check_records.append(
            {
                "profile": profile.id,
                "check_type": check_type.id,
                "completed_on": None if not_required else completed,
                "expires_on": None if not_required else expires,
                "evidence": "" if not_required else evidence,
                "not_required": not_required,
            }
        )
        self.counts["check_records"] += 1

    # -- Sign In App -----------------------------------------------------------------------------

    def group(self, name, type, organisation=None, **settings):
        self.counts["sandbox_groups"] += 1
        group = {
            "name": name, "type": type, "organisation_id": organisation.id if organisation else None,
            **settings, "members": [],
        }
        self.sandbox_groups.append(group)
        return group

    def member(self, group, person, role, archived=False, custom=None):
        """A member of `group`; `custom` maps a custom field's definition key to the member's value."""
        self.counts["sandbox_members"] += 1
        fields = {
            "name": f"{person['first']} {person['last']}",
            "role": role,
            "email": person["email"],
            "mobile": person["mobile"],
            **(custom or {}),
        }
        group["members"].append({"personal_fields": fields, "archived": archived})

    def secondary_staff_roles(self):
        """(role, department, profile type) for the first school's Staff group, STAFF_SIZE[0] of them."""
        roles = [(role, department, "Teaching Staff") for role, department in SECONDARY_LEADERS]
        for subject, count in SUBJECTS:
            roles.append((f"Head of {subject}", subject, "Teaching Staff"))
            roles.extend((f"Teacher of {subject}", subject, "Teaching Staff") for _ in range(count - 1))
        for role, count in SECONDARY_SUPPORT:
            roles.extend((role, None, "Support Staff") for _ in range(count))
        while len(roles) < STAFF_SIZE[0]:
            roles.append(("Teaching Assistant", None, "Support Staff"))
        return roles[: STAFF_SIZE[0]]

    def staff(self, group, organisation, domain, roles, *, leavers, archived):
        """The Staff group and the Central Record profiles most of its members already have."""
        order = list(range(len(roles)))
        self.rng.shuffle(order)
        leaver_indexes = set(order[:leavers])
        archived_indexes = set(order[:archived])  # they left: archived in Sign In App too
        future_leaver = order[leavers]
        for index, (role, department, type_name) in enumerate(roles):
            person = self.person(domain)
            # Most staff have their DBS certificate on file in Sign In App; every tenth has not yet.
            custom = {DBS_ON_FILE["key"]: index % 10 != 9}
            if department:
                custom[DEPARTMENT["key"]] = department
            self.member(group, person, role, archived=index in archived_indexes, custom=custom)
            member = group["members"][-1]
            if index % 4 != 3:  # most staff signed in on one of the last five days (drawn without the random source)
                signed_in = datetime.datetime.combine(self.today - datetime.timedelta(days=index % 5),
                                                      datetime.time(7, 30 + index % 30), datetime.timezone.utc)
                member["last_in"] = signed_in.isoformat().replace("+00:00", "Z")
                member["last_out"] = (signed_in + datetime.timedelta(hours=9)).isoformat().replace("+00:00", "Z")
            if index % 8 == 7 and index not in leaver_indexes:
                if group.get("mis_sync"):  # drawn without the random source, so the rest of the demo is as before
                    member["mis"] = {"date_of_birth": self.today - datetime.timedelta(days=365 * 25 + 37 * index),
                                     "start_date": self.today - datetime.timedelta(days=14),
                                     "leaving_date": None}
                continue  # a new starter: only in Sign In App, so the first import creates them
            email = None
            if index % 16 == 3:
                email = f"{person['first']}.{person['last']}{self.rng.randint(1, 99)}@gmail.com".lower().replace("'", "")
            if index in leaver_indexes:
                leaving_date = self.days_ago(14, 240)
            elif index == future_leaver:
                leaving_date = self.today + datetime.timedelta(days=30)
            else:
                leaving_date = None
            profile = self.profile(organisation, type_name, person, role=role, email=email, leaving_date=leaving_date)
            if group.get("mis_sync"):  # the school's MIS agrees with Central Record
                member["mis"] = {"date_of_birth": profile.dob, "start_date": profile.start_date,
                                 "leaving_date": profile.leaving_date}

    def central_record_only(self, organisation, domain, people):
        """Profiles Sign In App does not have yet: what "Push all" would send."""
        for type_name, role, count in people:
            for _ in range(count):
                self.profile(organisation, type_name, self.person(domain), role=role)

    def school_one(self, organisation, domain):
        # The Staff group has MIS data through Sign In App's Wonde connection ("MIS sync (Wonde)" in the sandbox).
        staff = self.group("Staff", "returning", organisation, rating_check="all", safety_check="reject", mis_sync=True)
        self.staff(staff, organisation, domain, self.secondary_staff_roles(), leavers=4, archived=2)

        contractors = self.group(
            "Contractors", "returning", organisation, rating_check="selected",
            rating_systems=[RatingSystem.get(organisation=organisation, name="Inspector Ready").id],
            safety_check="allow",
        )
        for index, (role, company) in enumerate(CONTRACTORS):
            domain_part = company.split()[0].lower().replace("&", "")
            person = self.person(f"{domain_part}.co.uk")
            self.member(contractors, person, role, custom={COMPANY["key"]: company})
            if index % 2 == 0:
                self.profile(organisation, "Contractors", person, role=role)

        volunteers = self.group("Volunteers", "returning", allow_ipad_self_add=True)
        for index in range(8):
            self.member(volunteers, self.person("example.org.uk"), VOLUNTEER_ROLES[index % len(VOLUNTEER_ROLES)])

        visitors = self.group("Visitors", "non-returning")
        for index in range(5):
            self.member(visitors, self.person("example.org.uk"), VISITOR_ROLES[index % len(VISITOR_ROLES)])
        self.group("Deliveries", "delivery")

        self.central_record_only(
            organisation, domain,
            (("Governors", "Governor", 5), ("Agency Staff", "Supply Teacher", 3), ("Volunteers", "Reading volunteer", 2)),
        )
        for _ in range(2):
            self.profile(organisation, "Support Staff", self.person(domain), role="Teaching Assistant",
                         leaving_date=self.days_ago(30, 400))

    def school_two(self, organisation, domain):
        # Members may add themselves on the iPad: the duplicates page names it as the likely cause of new ones.
        staff = self.group(
            "Staff", "returning", organisation, rating_check="all", safety_check="allow", allow_ipad_self_add=True,
        )
        roles = [(role, None, type_name) for role, count, type_name in PRIMARY_ROLES for _ in range(count)]
        self.staff(staff, organisation, domain, roles[: STAFF_SIZE[1]], leavers=2, archived=1)
        self.group("Visitors", "non-returning")
        self.central_record_only(organisation, domain, (("Governors", "Governor", 4),))
