"""The clock in every app process (DESIGN §9, §13): APScheduler calls the sweep and the drop-folder look.

`init_app(app)` (called by create_app) starts a `Scheduler` unless TETHER_SCHEDULER is off or the app
is testing (the CLI turns it off: `tether jobs run` runs a job there). Under the werkzeug reloader it
starts in the reloaded child only, never in the watching parent.

Every app process runs one, and none is in charge: each one's sweep (jobs/sweep.py) claims due
organisations one at a time from the shared JobSchedule rows, so the processes share the Sign In App
imports, leavers and purges, and a process that dies leaves nothing that another does not pick up.
The drop-folder look (jobs/sims_drop.py) runs in every process too, under a lease per organisation
folder. `max_instances=1, coalesce=True`: a sweep still working when the next is due is not doubled,
and missed ones become one.
"""
import atexit
import datetime
import logging
import os
import random
import threading

from apscheduler.schedulers.background import BackgroundScheduler

import store

from . import registry, sweep

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30
DROP_SECONDS = 60
JOB_DEFAULTS = {"max_instances": 1, "coalesce": True}


class Scheduler:
    """This process's clock: a sweep every `sweep_seconds`, a look at the drop folders every `drop_seconds`."""

    def __init__(self, app, sweep_seconds=SWEEP_SECONDS, drop_seconds=DROP_SECONDS):
        self.app = app
        self.sweep_seconds = sweep_seconds
        self.drop_seconds = drop_seconds
        self.background = None
        self._stopping = threading.Event()

    def start(self):
        self.background = BackgroundScheduler(job_defaults=JOB_DEFAULTS, timezone="Europe/London")
        # Processes started together (gunicorn workers) sweep at different moments of the interval.
        first = datetime.datetime.now(self.background.timezone) + datetime.timedelta(
            seconds=random.uniform(0, min(self.sweep_seconds, 5))
        )
        self.background.add_job(self.sweep_once, "interval", seconds=self.sweep_seconds, id="sweep",
                                next_run_time=first, misfire_grace_time=self.sweep_seconds)
        self.background.add_job(self.look_at_drops, "interval", seconds=self.drop_seconds, id="sims_drop",
                                misfire_grace_time=self.drop_seconds)
        self.background.start()

    def stop(self):
        """Claim nothing more; a run in progress is left to finish, or to be taken over if the process ends."""
        self._stopping.set()
        if self.background is not None and self.background.running:
            self.background.shutdown(wait=False)

    def sweep_once(self):
        with self.app.app_context(), store.database.connection_context():
            try:
                outcomes = sweep.sweep(should_stop=self._stopping.is_set)
            except Exception:
                log.exception("The sweep of scheduled jobs stopped")
                return []
        _log_troubles("scheduled", outcomes)
        return outcomes

    def look_at_drops(self):
        with self.app.app_context(), store.database.connection_context():
            try:
                outcomes = registry.get("sims_drop").run(self.app)
            except Exception:
                log.exception("The sims_drop job failed")
                return []
        _log_troubles("sims_drop", outcomes)
        return outcomes


def _log_troubles(name, outcomes):
    for outcome in outcomes:
        if outcome.status not in ("succeeded", "busy"):
            log.warning("%s run for organisation %s: %s %s", name, outcome.organisation_id, outcome.status, outcome.message)


def init_app(app):
    """Start the scheduler for this app process when it should run one; returns it (or None)."""
    if not app.config.get("TETHER_SCHEDULER") or app.testing:
        return None
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        # The reloader's watching parent: the reloaded child starts the scheduler.
        return None
    scheduler = Scheduler(
        app,
        sweep_seconds=app.config.get("TETHER_SWEEP_SECONDS", SWEEP_SECONDS),
        drop_seconds=app.config.get("TETHER_SIMS_DROP_SECONDS", DROP_SECONDS),
    )
    scheduler.start()
    app.extensions["tether_scheduler"] = scheduler
    atexit.register(scheduler.stop)
    return scheduler
