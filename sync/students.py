"""SIMS students: turn an export into student accounts by the rules of the SIMS help page (DESIGN §7).

`preview_file` says what an import would write, changing nothing; `import_file` plans the same way and
then applies the plan in one transaction, under the organisation's `sims_students` lease, recording a
SyncRun, its RunProblems and an AuditEvent. The CLI, the console and the drop-folder job all call these.

How a student's record is read (each rule is pinned by a test named for it):
- admission number → school identifier; person id → third-party id (`person_id`);
- home address: the type H address with the latest start date, as one line, and its postcode;
- home and mobile telephone, personal (H) and work (W) email: the one marked Primary, else Main, else the first;
- email preference: the type of the Primary email, else of the Main one, else Personal (set on creation only);
- gender: only when a Gender of that code or name exists for the organisation;
- username, by the organisation's SIMS username policy (`USERNAME_POLICIES`): the student's email
  (Primary, else Main, else the first; the default); the admission number, falling back to the email
  when there is none ("dual subsidiary and guest students do not have an admissions number"); or the
  Active Directory username the report carries (its `AD Username` column, or the caption mapped to it).
A record without forename, surname or email fails; so does one without an Active Directory username
under that policy, and a new student whose username another account already uses: another student of
the organisation, or a console user (whose email is their sign-in name). An existing student whose new
username is in use keeps the old one, gets the other updates, and the run carries a `username_in_use` warning.
"""
import dataclasses
import datetime
import functools
import os
from dataclasses import dataclass, field

from peewee import chunked

from connectors.sims import DEFAULT_CAPTIONS, SimsFileError, file_sha256, read_export
from store import database
from store.models import AuditEvent, Gender, RunProblem, Student, SyncRun, User, now

from . import runs
from .runs import Problem

KIND = "sims_students"
DEFAULT_GENDERS = (("M", "Male"), ("F", "Female"))
PROBLEM_CODES = (
    "missing_forename", "missing_surname", "missing_email", "missing_ad_username", "username_in_use", "invalid_record",
)
# The organisation setting `username_policy`: what a student's username is, in the settings page's words.
USERNAME_POLICIES = {
    "email": "Email address",
    "admission_number": "Admissions number",
    "ad_username": "Active Directory username",
}
COUNTS = ("created", "updated", "unchanged", "disabled", "reenabled", "failed")

# Fields an import keeps up to date; email_preference is written only when the account is created,
# because the student may change it online afterwards.
SYNCED_FIELDS = (
    "admission_number", "username", "forename", "surname", "dob", "gender", "fsm", "address", "postcode",
    "home_phone", "mobile", "personal_email", "work_email", "sen_information",
)

# A student's own text values (its addresses, telephones, emails and SEN provisions are read whole).
TEXT_FIELDS = ("person_id", "admission_number", "ad_username", "forename", "surname", "gender")
NUL = "\x00"

HOME = {"h", "home"}
MOBILE = {"m", "mobile"}
PERSONAL = {"h", "home", "personal"}
WORK = {"w", "work"}


@dataclass
class Plan:
    """What an import of one export would do to one organisation's students."""

    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    creates: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    reenables: list = field(default_factory=list)
    unchanged: int = 0
    failed: int = 0
    disables: list = field(default_factory=list)
    person_ids: set = field(default_factory=set)
    students_read: int = 0
    enabled_before: int = 0

    @property
    def counts(self):
        return {
            "created": len(self.creates),
            "updated": len(self.updates),
            "unchanged": self.unchanged,
            "disabled": len(self.disables),
            "reenabled": len(self.reenables),
            "failed": self.failed,
        }

    def halt_reason(self, threshold):
        """Why this plan must not go ahead unconfirmed, or None when it is safe."""
        if self.students_read == 0:
            return (
                f"The export has no students in it, so importing it would disable all {self.enabled_before} "
                "enabled students. Nothing was changed. Check the report in SIMS and export again, or confirm "
                "if the school really has no students."
            )
        would = len(self.disables)
        if self.enabled_before and would * 100 > threshold * self.enabled_before:
            share = would * 100 / self.enabled_before
            return (
                f"This export would disable {would} of {self.enabled_before} enabled students ({share:.0f} %), "
                f"more than the organisation's threshold of {threshold:g} %. Nothing was changed. Check that the "
                "export lists every current student, then confirm to disable them."
            )
        return None


@dataclass
class ImportResult:
    run: SyncRun
    status: str
    counts: dict
    problems: list
    message: str = ""

    @property
    def bad_file(self):
        return bool(self.run.details.get("bad_file"))

    def to_dict(self):
        return {
            "run_id": self.run.id,
            "status": self.status,
            "counts": self.counts,
            "problems": [problem.to_dict() for problem in self.problems],
        }


def _choose(items):
    """The item marked Primary, else the one marked Main, else the first (None for none)."""
    for item in items:
        if item.primary:
            return item
    for item in items:
        if item.main:
            return item
    return items[0] if items else None


def _of_type(items, types):
    return [item for item in items if (item.type or "").lower() in types]


def _email_preference(emails):
    for marked in ([e for e in emails if e.primary], [e for e in emails if e.main]):
        if marked:
            kind = (marked[0].type or "").lower()
            if kind in PERSONAL:
                return "Personal"
            if kind in WORK:
                return "Work"
    return "Personal"


def _home_address(addresses):
    homes = _of_type(addresses, HOME)
    if not homes:
        return None
    # The latest start date wins; an address without one counts as the oldest; ties keep file order.
    return max(reversed(homes), key=lambda address: address.start_date or datetime.date.min)


def _who(student):
    name = student.name
    if student.person_id:
        return f"Person {student.person_id}" + (f" ({name})" if name else "")
    return f"The record at {student.where}" + (f" ({name})" if name else "")


def _fields_holding_nul(student):
    """The names of the student's text values that hold a NUL character, which PostgreSQL refuses in text."""
    held = [name for name in TEXT_FIELDS if isinstance(value := getattr(student, name), str) and NUL in value]
    for kind in ("sen_provisions", "addresses", "telephones", "emails"):
        for item in getattr(student, kind):
            held += [
                f"{kind}.{name}"
                for name in _text_field_names(type(item))
                if isinstance(value := getattr(item, name), str) and NUL in value
            ]
    return list(dict.fromkeys(held))


@functools.cache
def _text_field_names(kind):
    """The names of the text fields of a reader's dataclass (Address, Telephone, …), looked up once per
    class: they are read for every item of every student of an export."""
    return tuple(f.name for f in dataclasses.fields(kind) if f.type == str | None)


def _record_problems(student, policy="email", captions=None):
    """The reasons this record cannot be imported, whatever the organisation holds. `captions` are the
    organisation's own CommandReporter captions, to name the column a value is missing from."""
    who = _who(student)
    problems = []
    held = _fields_holding_nul(student)
    if held:
        problems.append(("invalid_record", f"{who}: {', '.join(held)} holds a NUL character, which no account may "
                                           "hold; correct it in SIMS and export again"))
    if not student.person_id:
        problems.append(("invalid_record", f"{who} has no Person ID; add Person ID to the report in SIMS"))
    for reason in student.problems:
        problems.append(("invalid_record", f"{who}: {reason}; correct it in SIMS and export again"))
    if not student.forename:
        problems.append(("missing_forename", f"{who} has no forename; add it in SIMS and export again"))
    if not student.surname:
        problems.append(("missing_surname", f"{who} has no surname; add it in SIMS and export again"))
    if not any(email.address for email in student.emails):
        problems.append(
            ("missing_email", f"{who} has no email address; add one in SIMS, marked as primary, and export again")
        )
    if policy == "ad_username" and not student.ad_username:
        column = (captions or {}).get("ad_username") or DEFAULT_CAPTIONS["ad_username"]
        problems.append((
            "missing_ad_username",
            f"{who} has no Active Directory username (the report's '{column}' column), which the school's SIMS "
            "username policy makes their username; add it in SIMS and export again, or choose another username "
            "policy under Organisation settings",
        ))
    return problems


def account_fields(student, policy, genders):
    """(the student's account fields, the preview row) as an import would write them."""
    emails = [email for email in student.emails if email.address]
    telephones = [telephone for telephone in student.telephones if telephone.number]
    home = _home_address(student.addresses)
    home_phone = _choose(_of_type(telephones, HOME))
    mobile = _choose(_of_type(telephones, MOBILE))
    personal = _choose(_of_type(emails, PERSONAL))
    work = _choose(_of_type(emails, WORK))
    email = _choose(emails)
    gender_id, gender_code = genders.get((student.gender or "").lower(), (None, None))
    if policy == "admission_number" and student.admission_number:
        username = student.admission_number
    elif policy == "ad_username":
        username = student.ad_username
    else:
        username = email.address if email else None
    sen = "; ".join(label for label in (p.label() for p in student.sen_provisions) if label) or None
    fields = {
        "person_id": student.person_id,
        "admission_number": student.admission_number,
        "username": username,
        "forename": student.forename,
        "surname": student.surname,
        "dob": student.dob,
        "gender": gender_id,
        "fsm": student.fsm,
        "address": home.one_line() if home else None,
        "postcode": home.postcode if home else None,
        "home_phone": home_phone.number if home_phone else None,
        "mobile": mobile.number if mobile else None,
        "personal_email": personal.address if personal else None,
        "work_email": work.address if work else None,
        "email_preference": _email_preference(emails),
        "sen_information": sen,
    }
    row = {
        "person_id": fields["person_id"],
        "username": username,
        "school_identifier": fields["admission_number"],
        "forename": fields["forename"],
        "surname": fields["surname"],
        "dob": fields["dob"].isoformat() if fields["dob"] else None,
        "gender": gender_code,
        "fsm": fields["fsm"],
        "address": fields["address"],
        "postcode": fields["postcode"],
        "home_phone": fields["home_phone"],
        "mobile": fields["mobile"],
        "personal_email": fields["personal_email"],
        "work_email": fields["work_email"],
        "email_preference": fields["email_preference"],
        "sen_information": fields["sen_information"],
    }
    return fields, row


def _genders(organisation):
    """lower-case code or name → (Gender id, code); a new organisation's defaults when there is none."""
    if organisation is None:
        pairs = [(None, code, name) for code, name in DEFAULT_GENDERS]
    else:
        pairs = Gender.select(Gender.id, Gender.code, Gender.name).where(Gender.organisation == organisation).tuples()
    genders = {}
    for gender_id, code, name in pairs:
        genders.setdefault(name.lower(), (gender_id, code))
        genders[code.lower()] = (gender_id, code)
    return genders


def plan_import(organisation, export):
    """What importing `export` into `organisation` (None: a new organisation) would do. Reads only."""
    policy = organisation.setting("username_policy") if organisation else "email"
    captions = _captions(organisation)
    genders = _genders(organisation)
    existing = {}
    if organisation is not None:
        query = Student.select().where(Student.organisation == organisation).dicts()
        existing = {row["person_id"]: row for row in query}
    console_users = {email.lower() for (email,) in User.select(User.email).tuples()}

    plan = Plan(students_read=len(export.students))
    plan.enabled_before = sum(1 for row in existing.values() if row["enabled"])
    accepted = {}
    for student in export.students:
        problems = _record_problems(student, policy, captions)
        if student.person_id in plan.person_ids:
            problems.append(("invalid_record", f"{_who(student)} appears twice in the export; keep one record per pupil"))
        if student.person_id:
            plan.person_ids.add(student.person_id)
        if problems:
            _fail(plan, student, problems)
            continue
        accepted[student.person_id] = (student, *account_fields(student, policy, genders))

    _refuse_usernames_in_use(plan, accepted, existing, console_users)

    for person_id, (student, fields, row) in accepted.items():
        plan.rows.append(row)
        current = existing.get(person_id)
        if current is None:
            plan.creates.append(fields)
            continue
        changes = {name: fields[name] for name in SYNCED_FIELDS if fields[name] != current[name]}
        if not current["enabled"]:
            plan.reenables.append((current, {**changes, "enabled": True, "disabled_at": None}))
        elif changes:
            plan.updates.append((current, changes))
        else:
            plan.unchanged += 1
    plan.disables = [row for person_id, row in existing.items() if row["enabled"] and person_id not in plan.person_ids]
    return plan


def _fail(plan, student, problems):
    plan.failed += 1
    # Without NUL characters, so that the problem itself can be stored (see _fields_holding_nul).
    person_id, name = (student.person_id or "").replace(NUL, ""), student.name.replace(NUL, "")
    for code, message in problems:
        plan.problems.append(Problem(person_id, name, code, message.replace(NUL, "")))


def _refuse_usernames_in_use(plan, accepted, existing, console_users):
    """Settle each record whose new username another account already uses or another record claims first.

    A username is in use when an account other than this student's holds it: a student this run leaves
    as it is (absent, or failing), a console user, or an earlier record of this export. A student who
    already has the username keeps it. A new student with a username in use fails (the help: "when
    creating a new user, if the username is already in use the record won't be imported"); an existing
    student keeps their old username, gets the other updates, and the run carries a `username_in_use`
    warning. Failing a record keeps its old username, which can take a name from another record, so this
    repeats until nothing more changes.
    """
    while True:
        held = {
            row["username"].lower(): f"another student (person {row['person_id']}, {row['forename']} {row['surname']})"
            for person_id, row in existing.items()
            if person_id not in accepted
        }
        claimed = {}
        for person_id, (student, fields, row) in accepted.items():
            current = existing.get(person_id)
            if current is not None and current["username"].lower() == fields["username"].lower():
                claimed[fields["username"].lower()] = person_id
        refused = []
        for person_id, (student, fields, row) in accepted.items():
            username = fields["username"].lower()
            owner = claimed.setdefault(username, person_id)
            if owner == person_id:
                if username in held:
                    refused.append((person_id, fields["username"], f"already used by {held[username]}"))
                elif username in console_users and not _keeps(existing, person_id, username):
                    refused.append((person_id, fields["username"], "already used by a console user's sign-in"))
            else:
                other = accepted[owner][0]
                refused.append((person_id, fields["username"], f"also the username of {_who(other)} in this export"))
        if not refused:
            return
        for person_id, username, reason in refused:
            current = existing.get(person_id)
            if current is not None:
                _keep_old_username(plan, accepted[person_id], current, username, reason)
                continue
            student = accepted.pop(person_id)[0]
            _fail(plan, student, [(
                "username_in_use",
                f"{_who(student)}: the username '{username}' is {reason}; give the student their own "
                "email (or admission number) in SIMS and export again",
            )])


def _keep_old_username(plan, record, current, username, reason):
    """An existing student whose new username is in use keeps the old one; the rest of the record is imported."""
    student, fields, row = record
    fields["username"] = row["username"] = current["username"]
    person_id, name = (student.person_id or "").replace(NUL, ""), student.name.replace(NUL, "")
    plan.problems.append(Problem(person_id, name, "username_in_use", (
        f"{_who(student)}: the new username '{username}' is {reason}, so the student keeps the username "
        f"'{current['username']}' and their other details were updated; give the student their own email "
        "(or admission number) in SIMS and export again"
    ).replace(NUL, "")))


def _keeps(existing, person_id, username):
    current = existing.get(person_id)
    return current is not None and current["username"].lower() == username


def preview_file(path, organisation=None, file_format="auto"):
    """The plan for the export at `path`: rows an import would write and its problems. Changes nothing."""
    return plan_import(organisation, read_export(path, file_format, _captions(organisation)))


def drop_folder(organisation, drop_root):
    """The organisation's SIMS drop folder: its own path when one is set, else `<drop_root>/<organisation id>`."""
    return organisation.setting("sims_drop_folder") or os.path.join(drop_root, str(organisation.id))


def _captions(organisation):
    return (organisation.setting("sims_captions") or None) if organisation else None


def _threshold(organisation):
    return float(organisation.setting("disable_threshold"))


def import_file(
    organisation,
    path,
    *,
    actor,
    trigger="manual",
    file_format="auto",
    file_name=None,
    dry_run=False,
    confirm_disable=False,
    progress=None,
    confirms=None,
):
    """Import the export at `path` into `organisation`'s students; returns an ImportResult.

    Raises lease.AlreadyRunning when a SIMS import of the organisation is running. A file that cannot
    be read gives a failed run (`details["bad_file"]`), whose message says what is wrong. A run that
    reads no students or would disable more than the threshold is halted with nothing changed unless
    `confirm_disable`.
    `confirms` is the halted run this one confirms.
    """
    details = {"file_name": file_name or os.path.basename(path), "file_path": os.path.abspath(path), "format": file_format}
    if confirms is not None:
        details["confirms_run"] = confirms.id
    # The run's guard fails the run on any exception, so it never stays "running".
    with runs.running(organisation, KIND, actor=actor, trigger=trigger, dry_run=dry_run, details=details) as tracker:
        try:
            export = read_export(path, file_format, _captions(organisation), progress)
        except SimsFileError as error:
            counts = dict.fromkeys(COUNTS, 0)
            tracker.run.details = {**tracker.run.details, "file_sha256": _sha256_or_none(path), "bad_file": True}
            failed = tracker.fail(f"The export {details['file_name']} cannot be read: {error}", counts=counts)
            return ImportResult(tracker.run, "failed", counts, [], failed.message)
        return _run(organisation, tracker.run, export, details, actor, dry_run, confirm_disable, confirms)


def _run(organisation, run, export, details, actor, dry_run, confirm_disable, confirms):
    details.update(file_sha256=export.sha256, format=export.format, rows=export.rows)
    plan = plan_import(organisation, export)
    threshold = _threshold(organisation)
    halt = plan.halt_reason(threshold)
    details.update(would_disable=len(plan.disables), enabled_before=plan.enabled_before, threshold=threshold)
    status = "halted" if halt and not confirm_disable else "succeeded"
    counts = plan.counts
    with database.atomic():
        if status == "succeeded" and not dry_run:
            counts["disabled"] = _apply(organisation, plan)
        if halt and confirm_disable:
            details["confirmed"] = (
                f"confirmed: disable {len(plan.disables)} of {plan.enabled_before} enabled students"
                + (" (the export has no students)" if plan.students_read == 0 else "")
            )
        if halt and status == "halted":
            details["message"] = halt
        for batch in chunked(plan.problems, 500):
            RunProblem.insert_many([{"run": run.id, **problem.to_dict()} for problem in batch]).execute()
        if confirms is not None:
            confirms.details = {**confirms.details, "confirmed_by_run": run.id}
            confirms.save()
        AuditEvent.record(
            "sims.import" + (".dry_run" if dry_run else ""),
            actor=actor,
            organisation=organisation,
            subject=f"run:{run.id}",
            after={"status": status, "counts": counts, "file": details["file_name"], "sha256": export.sha256},
            reason=details.get("confirmed", ""),
        )
        # Last, so that if anything above fails the run (failed by its guard) does not claim this outcome.
        run.status, run.counts, run.details = status, counts, {**run.details, **details}
        run.done = run.total = plan.students_read
        run.finished_at = now()
        run.save()
    return ImportResult(run, status, counts, plan.problems, halt or "")


def _apply(organisation, plan):
    """Write the plan; returns how many students the final check disabled."""
    moment = now()
    changed = plan.updates + plan.reenables
    renamed = [current for current, changes in changed if "username" in changes]
    # Usernames can swap between two students; park the changing ones first so that the unique
    # (organisation, username) index never sees two students with one name mid-way.
    for current in renamed:
        Student.update(username=f"~renaming~{current['id']}").where(Student.id == current["id"]).execute()
    for current, changes in changed:
        Student.update(**changes, updated_at=moment).where(Student.id == current["id"]).execute()
    for batch in chunked(plan.creates, 500):
        Student.insert_many(
            [{**fields, "organisation": organisation.id, "created_at": moment, "updated_at": moment} for fields in batch]
        ).execute()
    return _disable_students_not_in(organisation, plan.person_ids, moment)


def _disable_students_not_in(organisation, person_ids, moment):
    """The help page's final check: every enabled student account must be in the export; others are disabled."""
    extra = [
        student_id
        for student_id, person_id in Student.select(Student.id, Student.person_id)
        .where((Student.organisation == organisation) & (Student.enabled == True))  # noqa: E712
        .tuples()
        if person_id not in person_ids
    ]
    for batch in chunked(extra, 500):
        Student.update(enabled=False, disabled_at=moment, updated_at=moment).where(Student.id.in_(batch)).execute()
    return len(extra)


def _sha256_or_none(path):
    try:
        return file_sha256(path)
    except OSError:
        return None


def _actor(actor):
    return getattr(actor, "email", actor) or ""


class CannotConfirm(Exception):
    """A halted run cannot be confirmed: the message says why and what to do."""


def confirm_halted_run(run, *, actor, trigger="console"):
    """Go ahead with a halted run: import its file again, allowing the disabling it stopped for."""
    if run.kind != KIND or run.status != "halted":
        raise CannotConfirm(f"Run {run.id} is not a halted SIMS import, so there is nothing to confirm.")
    if run.dry_run:
        raise CannotConfirm(f"Run {run.id} was a dry run; import the export itself to go ahead.")
    if run.details.get("confirmed_by_run"):
        raise CannotConfirm(f"Run {run.id} was already confirmed by run {run.details['confirmed_by_run']}.")
    path = run.details.get("file_path")
    if not path or _sha256_or_none(path) != run.details.get("file_sha256"):
        raise CannotConfirm(
            f"The export of run {run.id} ({run.details.get('file_name')}) is no longer available as it was; "
            "upload the export again to import it."
        )
    return import_file(
        run.organisation,
        path,
        actor=actor,
        trigger=trigger,
        file_format=run.details.get("format", "auto"),
        file_name=run.details.get("file_name"),
        confirm_disable=True,
        confirms=run,
    )


def may_confirm(run):
    """Whether the console should offer to confirm this run: halted for real (not a dry run), not yet confirmed."""
    return run.kind == KIND and run.status == "halted" and not run.dry_run and not run.details.get("confirmed_by_run")


def students_of(organisation, words=(), status="enabled"):
    """The organisation's students by surname, matching every one of `words` (a search box's
    `store.search.search_terms`) in names, username or identifiers.

    `status` is "enabled", "disabled" or "all".
    """
    query = Student.select().where(Student.organisation == organisation)
    if status in ("enabled", "disabled"):
        query = query.where(Student.enabled == (status == "enabled"))
    for word in words:
        query = query.where(
            Student.forename.contains(word)
            | Student.surname.contains(word)
            | Student.username.contains(word)
            | (Student.admission_number == word)
            | (Student.person_id == word)
        )
    return query.order_by(Student.surname, Student.forename, Student.id)


def runs_of(organisation):
    """The organisation's SIMS runs, newest first."""
    return (
        SyncRun.select()
        .where((SyncRun.organisation == organisation) & (SyncRun.kind == KIND))
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
    )
