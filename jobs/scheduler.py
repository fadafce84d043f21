"""The APScheduler wiring (DESIGN §9): one process runs the jobs, whichever holds the scheduler lock.

`init_app(app)` (called by create_app) starts a `Scheduler` unless TETHER_SCHEDULER is off or the app
is testing (the CLI turns it off: `tether jobs run` runs a job there). Under the werkzeug reloader it
starts in the reloaded child only, never in the watching parent.

Several app processes may run: each one's keeper thread tries for the scheduler lock every
`retry_seconds`, and only the holder runs a BackgroundScheduler. The lock is a PostgreSQL advisory lock
held on a dedicated connection, or a file lock on `instance/scheduler.lock` for SQLite; the operating
system or the database frees it when its process dies, and another process takes over at its next try.
A holder that finds its lock gone stops its scheduler. The jobs themselves also take their
per-(organisation, kind) lease, so "run now" and the schedule never run the same thing twice.

Jobs: the SIA import every 15 minutes per connected organisation (the list refreshed every 5 minutes),
the SIMS drop-folder check every minute, leaver severing and the purge of deleted profiles daily.
"""
import atexit
import datetime
import logging
import os
import threading

import filelock
import psycopg
from apscheduler.schedulers.background import BackgroundScheduler

import store

from . import registry

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x7E7E_5C4E_D001  # "tether scheduler": any constant every Tether process agrees on
RETRY_SECONDS = 30
JOB_DEFAULTS = {"max_instances": 1, "coalesce": True}


class FileSchedulerLock:
    """For SQLite: an exclusive lock on a file beside the database, freed when the process exits.

    The lock belongs to the process, not to the thread that took it: the keeper thread asks whether it
    is still held, and filelock's default lock state is per thread (`thread_local=True`), which made the
    keeper see it lost 30 seconds after start and stop every job for good.
    """

    def __init__(self, path):
        self.path = path
        self._lock = filelock.FileLock(path, is_singleton=False, thread_local=False)

    def acquire(self):
        try:
            self._lock.acquire(timeout=0)
        except filelock.Timeout:
            return False
        return True

    def still_held(self):
        return self._lock.is_locked

    def release(self):
        if self._lock.is_locked:
            self._lock.release(force=True)


class AdvisorySchedulerLock:
    """For PostgreSQL: a session advisory lock on a connection of its own, freed when that session ends."""

    def __init__(self, database):
        self._params = {"dbname": database.database, **database.connect_params}
        self._connection = None

    def acquire(self):
        self.release()
        try:
            connection = psycopg.connect(**self._params, autocommit=True)
            (taken,) = connection.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()
        except psycopg.Error as error:
            log.warning("Could not try for the scheduler lock: %s", error)
            return False
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def still_held(self):
        if self._connection is None:
            return False
        try:
            self._connection.execute("SELECT 1")
        except psycopg.Error:
            self.release()
            return False
        return True

    def release(self):
        if self._connection is not None:
            try:
                self._connection.close()
            except psycopg.Error:
                pass
            self._connection = None


def lock_for(app):
    if store.is_postgres():
        return AdvisorySchedulerLock(store.database.obj)
    return FileSchedulerLock(os.path.join(app.instance_path, "scheduler.lock"))


class Scheduler:
    """Runs the jobs while this process holds the scheduler lock; tries for it every `retry_seconds`."""

    def __init__(self, app, lock, retry_seconds=RETRY_SECONDS):
        self.app = app
        self.lock = lock
        self.retry_seconds = retry_seconds
        self.background = None
        self._stopped = threading.Event()
        self._keeper = None

    @property
    def running_jobs(self):
        """Whether this process is the one running the jobs."""
        return self.background is not None

    def start(self):
        self.keep()
        self._keeper = threading.Thread(target=self._keep_forever, name="tether-scheduler-keeper", daemon=True)
        self._keeper.start()

    def _keep_forever(self):
        while not self._stopped.wait(self.retry_seconds):
            self.keep()

    def keep(self):
        """Take the lock and start the jobs when free; stop the jobs when the lock was lost."""
        if self.background is not None:
            if not self.lock.still_held():
                log.warning("The scheduler lock was lost; this process stops running jobs")
                self._stop_jobs()
            return
        if self.lock.acquire():
            log.info("This process holds the scheduler lock and runs the jobs")
            self.background = BackgroundScheduler(job_defaults=JOB_DEFAULTS, timezone="Europe/London")
            self._add_jobs(self.background)
            self.background.start()

    def _stop_jobs(self):
        if self.background is not None:
            self.background.shutdown(wait=False)
            self.background = None
        self.lock.release()

    def stop(self):
        self._stopped.set()
        self._stop_jobs()

    def _add_jobs(self, background):
        background.add_job(self.run_job, "interval", seconds=self.app.config.get("TETHER_SIMS_DROP_SECONDS", 60),
                           args=["sims_drop"], id="sims_drop", misfire_grace_time=30)
        background.add_job(self.run_job, "cron", hour=1, minute=30, args=["sever_leavers"], id="sever_leavers",
                           misfire_grace_time=6 * 3600)
        background.add_job(self.run_job, "cron", hour=2, minute=30, args=["purge_deleted"], id="purge_deleted",
                           misfire_grace_time=6 * 3600)
        background.add_job(self.refresh_imports, "interval", minutes=5, id="refresh_imports", misfire_grace_time=60,
                           next_run_time=_now(background))

    def refresh_imports(self):
        """One 15-minute import job per connected organisation: add the new ones, drop those gone."""
        with self.app.app_context(), store.database.connection_context():
            wanted = {f"sia_import:{organisation.id}": organisation.id for organisation in registry.connected_organisations()}
        for job in self.background.get_jobs():
            if job.id.startswith("sia_import:") and job.id not in wanted:
                job.remove()
        for job_id, organisation_id in wanted.items():
            if self.background.get_job(job_id) is None:
                self.background.add_job(self.run_job, "interval", minutes=15, jitter=60, id=job_id,
                                        args=["sia_import", organisation_id], misfire_grace_time=300)

    def run_job(self, name, organisation_id=None):
        from store.models import Organisation

        with self.app.app_context(), store.database.connection_context():
            organisation = Organisation.get_or_none(Organisation.id == organisation_id) if organisation_id else None
            if organisation_id and organisation is None:
                return []
            try:
                outcomes = registry.get(name).run(self.app, organisation)
            except Exception:
                log.exception("The %s job failed", name)
                return []
        for outcome in outcomes:
            if outcome.status not in ("succeeded", "busy"):
                log.warning("%s for organisation %s: %s %s", name, outcome.organisation_id, outcome.status, outcome.message)
        return outcomes


def _now(background):
    return datetime.datetime.now(background.timezone)


def init_app(app):
    """Start the scheduler for this app process when it should run one; returns it (or None)."""
    if not app.config.get("TETHER_SCHEDULER") or app.testing:
        return None
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        # The reloader's watching parent: the reloaded child starts the scheduler.
        return None
    scheduler = Scheduler(app, lock_for(app), app.config.get("TETHER_SCHEDULER_RETRY_SECONDS", RETRY_SECONDS))
    scheduler.start()
    app.extensions["tether_scheduler"] = scheduler
    atexit.register(scheduler.stop)
    return scheduler
