"""An organisation's SIMS settings, changed from its Organisation settings page (DESIGN §2, §7).

- `username_policy`: a student's username is their email (the default), their admissions number (the
  email when they have none), or their Active Directory username (`sync.students.USERNAME_POLICIES`);
- `disable_threshold`: the share of enabled students (0–100 %) a SIMS import may disable before it
  halts, changing nothing, until someone confirms it;
- `sims_drop_folder`: where the SIMS server leaves its exports; blank is `TETHER_SIMS_DROP/<id>`;
- `sims_captions`: the captions of the school's CommandReporter report, where they differ from the ones
  the README asks for (`connectors.sims.DEFAULT_CAPTIONS`). Changed captions are saved only once a
  sample export of the school's report has been checked to hold them: a caption Tether cannot find
  would leave that value empty for every student (or, for a name or email, fail every record).

`update_settings` checks every value, says field by field what is wrong (`Invalid.errors`), writes the
changed ones in one transaction with their audit event, and returns what it changed and any notes.
"""
import os
from dataclasses import dataclass, field

from connectors.sims import DEFAULT_CAPTIONS, SimsFileError, detect_format, report_captions
from connectors.sims.normalise import caption_key
from store import database
from store.models import AuditEvent, Organisation

from .students import USERNAME_POLICIES, drop_folder

MAX_CAPTION = 100
MAX_PATH = 1024
# Without these a record cannot be imported at all (the SIMS help page's "What Records Won't be Imported?").
REQUIRED_CAPTIONS = ("person_id", "forename", "surname", "email_address")
# …and the column the username policy reads.
POLICY_CAPTIONS = {"admission_number": "admission_number", "ad_username": "ad_username"}


class Invalid(Exception):
    """Input refused; `errors` maps each field to what is wrong with it and what to enter instead."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class Outcome:
    changed: dict = field(default_factory=dict)  # setting → (before, after)
    notes: list = field(default_factory=list)


def sample_captions(stream, name):
    """The captions of an uploaded sample export (a binary stream); Invalid on `sample` when it cannot be read."""
    try:
        head = stream.read(512)
        stream.seek(0)
        if detect_format(head) != "xml":
            raise SimsFileError(
                "it is a Tether JSON file, which names its fields itself; upload an XML export of the "
                "CommandReporter report to check its captions"
            )
        return report_captions(stream)
    except SimsFileError as error:
        raise Invalid({"sample": f"{name} cannot be read: {error}"}) from None


def effective_captions(overrides):
    """field → caption: the defaults with the organisation's own captions over them."""
    return {**DEFAULT_CAPTIONS, **(overrides or {})}


def _policy(value, errors):
    if value not in USERNAME_POLICIES:
        errors["username_policy"] = f"Choose one of: {', '.join(USERNAME_POLICIES.values())}."
    return value


def _threshold(raw, errors):
    raw = str(raw or "").strip().rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not 0 <= value <= 100:
        errors["disable_threshold"] = "Enter the disable threshold as a percentage from 0 to 100, e.g. 10."
        return None
    return int(value) if value.is_integer() else round(value, 2)


def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _drop_folder(organisation, raw, errors, drop_root, protected):
    """The folder path to store ("" for the default), checked to be a folder Tether can read and no one else's."""
    raw = str(raw or "").strip()
    default = os.path.join(drop_root, str(organisation.id))
    if not raw:
        return ""
    if len(raw) > MAX_PATH:
        errors["sims_drop_folder"] = f"Keep the path to {MAX_PATH} characters (it has {len(raw)})."
        return None
    if not os.path.isabs(raw):
        errors["sims_drop_folder"] = (f"“{raw}” is not an absolute path; enter the whole path from the root, e.g. "
                                      f"/srv/sims/{organisation.id}, or leave it blank for {default}.")
        return None
    path = os.path.normpath(raw)
    real = os.path.realpath(path)
    if not os.path.isdir(real):
        errors["sims_drop_folder"] = (f"Tether cannot find a folder at {path} on its server (it does not exist, or it "
                                      "is a file); create the folder, or correct the path.")
        return None
    if not os.access(real, os.R_OK | os.X_OK):
        errors["sims_drop_folder"] = (f"Tether cannot read the folder {path}: the user Tether runs as may not open "
                                      "it. Let that user read and list the folder, then save again.")
        return None
    if real == os.path.realpath(default):
        return ""
    for folder, why in protected:
        if _inside(real, os.path.realpath(folder)):
            errors["sims_drop_folder"] = f"{path} {why}; choose a folder of {organisation.name}'s own."
            return None
    for other in Organisation.select().where(Organisation.id != organisation.id):
        theirs = os.path.realpath(drop_folder(other, drop_root))
        if real == theirs or _inside(real, theirs) or _inside(theirs, real):
            errors["sims_drop_folder"] = (f"{path} is, or holds, the SIMS drop folder of another organisation; "
                                          f"choose a folder of {organisation.name}'s own.")
            return None
    return path


def _captions(values, errors):
    """The organisation's own captions (field → caption, only those differing from the defaults)."""
    overrides, used = {}, {}
    for name, default in DEFAULT_CAPTIONS.items():
        caption = " ".join(str(values.get(name) or "").split())
        if len(caption) > MAX_CAPTION:
            errors[f"caption_{name}"] = f"Keep the caption to {MAX_CAPTION} characters (it has {len(caption)})."
            continue
        caption = caption or default
        key = caption_key(caption)
        if key in used:
            errors[f"caption_{name}"] = (f"“{caption}” is also the caption of the {DEFAULT_CAPTIONS[used[key]]} "
                                         "column; each column of the report needs its own caption.")
            continue
        used[key] = name
        if key != caption_key(default):
            overrides[name] = caption
    return overrides


def _check_against_sample(captions, overrides, policy, present, sample_name, errors, notes):
    """Refuse a required or school-set caption the sample lacks; note the other missing ones."""
    found = {caption_key(c) for c in present}
    required = set(REQUIRED_CAPTIONS) | ({POLICY_CAPTIONS[policy]} if policy in POLICY_CAPTIONS else set())
    missing = [name for name, caption in captions.items() if caption_key(caption) not in found]
    optional = []
    for name in missing:
        if name in required or name in overrides:
            errors[f"caption_{name}"] = (f"“{captions[name]}” is not a column of {sample_name}; type the caption "
                                         "exactly as the report has it (case and spaces do not matter).")
        elif name != "ad_username":
            optional.append(captions[name])
    if any(key.startswith("caption_") for key in errors):
        errors["sample"] = (f"{sample_name} has these columns: {', '.join(present) or 'none'}. Correct the captions "
                            "marked below, or add the columns to the CommandReporter report and export it again.")
    elif optional:
        notes.append(f"{sample_name} has no column {', '.join(optional)}: those values stay empty for every student "
                     "until the report has them.")


def update_settings(organisation, values, *, actor, drop_root, protected=(), sample=None):
    """Save the settings in `values` (only the keys given: `username_policy`, `disable_threshold`,
    `sims_drop_folder`, and the captions as `captions`: field → caption, blank for the default).

    `sample` is (file name, its captions) of an uploaded export; changed captions need one.
    `protected` are (folder, why) pairs a drop folder may not be inside (Tether's own files).
    Raises Invalid; returns an Outcome."""
    errors, notes, new = {}, [], {}
    if "username_policy" in values:
        new["username_policy"] = _policy(values["username_policy"], errors)
    if "disable_threshold" in values:
        new["disable_threshold"] = _threshold(values["disable_threshold"], errors)
    if "sims_drop_folder" in values:
        new["sims_drop_folder"] = _drop_folder(organisation, values["sims_drop_folder"], errors, drop_root, protected)
    if "captions" in values:
        new["sims_captions"] = _captions(values["captions"], errors)
    policy = new.get("username_policy") or organisation.setting("username_policy")
    captions_changed = "sims_captions" in new and (
        effective_captions(new["sims_captions"]) != effective_captions(organisation.setting("sims_captions"))
    )
    if not any(key.startswith("caption_") for key in errors):
        overrides = new.get("sims_captions", organisation.setting("sims_captions"))
        if sample is not None:
            _check_against_sample(effective_captions(overrides), overrides, policy, sample[1], sample[0], errors, notes)
        elif captions_changed:
            errors["sample"] = ("Upload a sample export of the CommandReporter report with the new captions: Tether "
                                "saves captions only once it has found them in an export.")
    if errors:
        raise Invalid(errors)
    if sample is None and policy == "ad_username" and organisation.setting("username_policy") != "ad_username":
        column = effective_captions(new.get("sims_captions", organisation.setting("sims_captions")))["ad_username"]
        notes.append(f"The report must now have the Active Directory username column, captioned “{column}”: a student "
                     "without one is not imported. Upload a sample export here to check it.")
    with database.atomic():
        current = Organisation.get_by_id(organisation.id)
        before = {key: current.setting(key) for key in new}
        changed = {key: (before[key], value) for key, value in new.items() if before[key] != value}
        if changed:
            current.settings = {**(current.settings or {}), **{key: after for key, (_, after) in changed.items()}}
            current.save()
            AuditEvent.record(
                "organisation.settings", actor=actor, organisation=current, subject=f"organisation:{current.id}",
                before={key: b for key, (b, _) in changed.items()}, after={key: a for key, (_, a) in changed.items()},
            )
        organisation.settings = current.settings
    return Outcome(changed, notes)
