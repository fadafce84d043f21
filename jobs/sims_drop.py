"""The SIMS drop folder: import each new export a school drops into its folder, once.

An organisation's folder is the path set on its Organisation settings page, else
`<drop root>/<organisation id>/` (`students.drop_folder`); a folder under the drop root named after an
organisation that has a path of its own is not read.

A file is known by its SHA-256, recorded in the run's details. A file already imported, halted (it
waits for someone to confirm it in the console) or refused as unreadable is not imported again; a run
that failed for another reason (the database was away) is retried on the next call. Files still being
written are left for the next call: hidden files, `*.part`/`*.tmp`, and files changed in the last
`settle_seconds`. The scheduler calls `import_new_drops` (DESIGN §9); so may `tether jobs run`.

Every app process looks at the folders (DESIGN §13). A folder with a file not yet handled is looked
at under the organisation's `sims_drop` lease, and each file is checked again under it: a process that
finds another one at the folder leaves it, and the other's finished import is what the next look sees,
so one export is imported once.
"""
import logging
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass

from peewee import Value

import store
from connectors.sims import file_sha256
from store.models import Organisation, SyncRun
from sync import lease, runs, students
from sync.lease import AlreadyRunning

log = logging.getLogger(__name__)

ACTOR = "scheduler"
UNFINISHED = (".part", ".tmp", ".partial", ".crdownload", "~")
LOOK = "sims_drop"  # the lease a process holds while it looks at an organisation's folder


@dataclass(frozen=True)
class DropOutcome:
    organisation_id: int
    file_name: str
    status: str  # succeeded, halted, failed, or busy when another import of the organisation was running
    run_id: int | None = None
    message: str = ""
    took_over: dict | None = None  # {run_id, why} of an abandoned run whose lease this one took over


def import_new_drops(app=None, drop_root=None, *, settle_seconds=5):
    """Import every new export under `drop_root` (default: the app's TETHER_SIMS_DROP); returns the outcomes.

    Runs on the caller's database connection (the scheduler's job and `tether jobs run` open one): a
    context of its own here would close that connection under the caller when it ended.
    """
    if drop_root is None:
        drop_root = app.config["TETHER_SIMS_DROP"]
    outcomes = []
    with store.database.connection_context() if store.database.is_closed() else nullcontext():
        for organisation, folder in _organisation_folders(drop_root):
            files = _settled_files(folder, settle_seconds)
            if not any(_new(organisation, path) for path in files):
                continue
            try:
                with lease.acquire(organisation.id, LOOK):
                    outcomes.extend(filter(None, (_import_once(organisation, path) for path in files)))
            except AlreadyRunning:
                continue  # another process is at this folder; what it imports, the next look sees
    return outcomes


def _organisations_with_a_folder_of_their_own():
    """id → organisation, of those whose drop folder path is set on their settings page."""
    # The settings column holds JSON text: find the few that name the setting before reading it.
    named = Organisation.select().where(Organisation.settings ** Value("%sims_drop_folder%", converter=False))
    return {o.id: o for o in named if o.setting("sims_drop_folder")}


def _organisation_folders(drop_root):
    own = _organisations_with_a_folder_of_their_own()
    names = sorted(os.listdir(drop_root)) if os.path.isdir(drop_root) else []
    for name in names:
        folder = os.path.join(drop_root, name)
        if not os.path.isdir(folder) or name.startswith("."):
            continue
        organisation = Organisation.get_or_none(Organisation.id == int(name)) if name.isdigit() else None
        if organisation is None:
            log.warning("SIMS drop folder %s is not named after an organisation id; its files are ignored", folder)
            continue
        if organisation.id in own:
            log.warning("SIMS drop folder %s is not read: organisation %s drops into %s", folder, organisation.id,
                        own[organisation.id].setting("sims_drop_folder"))
            continue
        yield organisation, folder
    for organisation in own.values():
        folder = students.drop_folder(organisation, drop_root)
        if not os.path.isdir(folder):
            log.warning("SIMS drop folder %s of organisation %s is not there; check its Organisation settings",
                        folder, organisation.id)
            continue
        yield organisation, folder


def _settled_files(folder, settle_seconds):
    """The folder's finished files, oldest first."""
    settled_before = time.time() - settle_seconds
    files = []
    for entry in os.scandir(folder):
        if not entry.is_file() or entry.name.startswith(".") or entry.name.lower().endswith(UNFINISHED):
            continue
        modified = entry.stat().st_mtime
        if modified <= settled_before:
            files.append((modified, entry.name, entry.path))
    return [path for _, _, path in sorted(files)]


def _already_handled(organisation, digest):
    """Whether a run already took this file as far as it should go without a person."""
    runs = SyncRun.select().where(
        (SyncRun.organisation == organisation)
        & (SyncRun.kind == students.KIND)
        & (SyncRun.dry_run == False)  # noqa: E712
        # The details column holds JSON text: match the digest in it without JSON-encoding the pattern.
        & (SyncRun.details ** Value(f"%{digest}%", converter=False))
    )
    return any(
        run.details.get("file_sha256") == digest
        and (run.status in ("succeeded", "halted") or run.details.get("bad_file"))
        for run in runs
    )


def _digest(path):
    try:
        return file_sha256(path)
    except OSError as error:
        log.warning("SIMS drop file %s cannot be read: %s", path, error)
        return None


def _new(organisation, path):
    """Whether the file at `path` is one no run has handled yet."""
    digest = _digest(path)
    return digest is not None and not _already_handled(organisation, digest)


def _import_once(organisation, path):
    name = os.path.basename(path)
    digest = _digest(path)
    if digest is None or _already_handled(organisation, digest):
        return None
    try:
        result = students.import_file(organisation, path, actor=ACTOR, trigger="schedule", file_name=name)
    except AlreadyRunning as error:
        return DropOutcome(organisation.id, name, "busy", message=str(error))
    except Exception as error:  # one school's failure must not stop the others' imports
        log.exception("SIMS drop import of %s for organisation %s failed", path, organisation.id)
        return DropOutcome(organisation.id, name, "failed", message=str(error))
    if result.status != "succeeded":
        log.warning("SIMS drop import of %s for organisation %s %s: %s", name, organisation.id, result.status, result.message)
    return DropOutcome(organisation.id, name, result.status, result.run.id, result.message, runs.took_over(result.run))
