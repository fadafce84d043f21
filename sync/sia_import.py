"""The SIA import (DESIGN §5): read Sign In App into the mirror, plan, apply the plan in batched transactions.

    result = sia_import.import_organisation(organisation, actor="cli", trigger="cli")

One run per organisation at a time (the `sia_import` lease). Sign In App is read completely before
anything is written, so a Sign In App that is down, slow or refuses the credentials fails the run with
its reason and changes nothing. The plan is then applied `BATCH_SIZE` decisions per transaction, each
batch writing the shadows of its members together with the profiles and links they lead to, so a crash
at any point leaves whole batches; the next run plans again from what is there and ends where one clean
run would have. A dry run stops after the plan and keeps its decisions on the run. A run that held back
a group Sign In App answered empty finishes `needs_attention`, not `succeeded`, saying which group; so
does a run whose linked groups Sign In App's integration settings contradict, or that reads Repeat
groups but has none linked (sync.group_links: Tether keeps the links, Sign In App confirms them).

Member pages unchanged since the last import are not read again (mirror.PageMemory, DESIGN §3): the
pages of the synced groups are forgotten with the first batch's writes and remembered with the last.
"""
from contextlib import nullcontext

from peewee import chunked

from connectors.sia import SiaError, SiaNotFound, SiaRejected, client_for
from store import database
from store.models import AuditEvent, Link, Profile, SiaConnection, SiaGroup, SiaMember, now

from . import fields, linking, mirror, runs
from . import plan as planning

KIND = "sia_import"
BATCH_SIZE = 200
DECISIONS_KEPT = 1000  # a dry run keeps this many decisions on the run for the console and the CLI


def import_organisation(organisation, *, actor, trigger="manual", dry_run=False, progress=None, client=None,
                        batch_size=BATCH_SIZE, today=None):
    """Import the organisation's Sign In App members; returns a runs.RunResult.

    Raises lease.AlreadyRunning when an import of the organisation is running. `progress(done, total)` is
    called before the first batch and after each one; `client` replaces the connection's own client.
    """
    with runs.running(organisation, KIND, actor=actor, trigger=trigger, dry_run=dry_run) as tracker:
        return _import(tracker, organisation, client, progress, batch_size, today)


def start_import(app, organisation, *, actor, trigger="console"):
    """Take the lease and create the run now (AlreadyRunning if busy), import in a background thread; returns the run."""
    started = runs.start(organisation, KIND, actor=actor, trigger=trigger)
    runs.in_background(app, started, lambda tracker: _import(tracker, organisation, None, None, BATCH_SIZE, None))
    return started.run


def _import(tracker, organisation, client, progress, batch_size, today):
    connection = SiaConnection.for_organisation(organisation)
    if connection is None:
        return tracker.fail(
            f"{organisation.name} (organisation {organisation.id}) has no Sign In App connection, so there is "
            "nothing to import. Add one under Settings → Sign In App → Connection, then run the import again."
        )
    done = 0
    plan = None
    try:
        memory = mirror.PageMemory(connection)
        with nullcontext(client) if client is not None else client_for(connection) as sia:
            snapshot = mirror.read(sia, organisation, memory, connection)
            plan = planning.build(organisation, connection, snapshot, today)
            tracker.add_problems(snapshot.problems + plan.problems)
            if tracker.run.dry_run:
                kept = plan.decisions[:DECISIONS_KEPT]
                planning.name_remembered(kept)
                return tracker.finish(
                    plan.counts, details={"decisions": [d.to_dict() for d in kept]}, attention=_attention(plan, snapshot),
                )
            total = len(plan.decisions)
            _report(tracker, progress, 0, total)
            with database.atomic():
                group_rows = mirror.store_groups(connection, snapshot)
                memory.forget(plan.synced_group_ids)
            for batch in chunked(plan.decisions, batch_size):
                # Settled decisions (shadow, link and profile as the last import left them) write nothing.
                work = [decision for decision in batch if not decision.settled]
                if work:
                    _write_to_sia(sia, work, tracker)
                    with database.atomic():
                        _apply(organisation, connection, work, plan, group_rows, tracker.run.actor)
                done += len(batch)
                _report(tracker, progress, done, total)
            with database.atomic():
                mirror.touch_seen(
                    SiaGroup.select(SiaGroup.id).where(
                        (SiaGroup.connection == connection) & SiaGroup.sia_id.in_(plan.synced_group_ids or [0])
                    )
                )
                memory.remember(plan.synced_group_ids, {d.sia_id: d.digest for d in plan.decisions})
    except SiaError as error:
        kept = f" The first {done} of {len(plan.decisions)} members were applied and are kept." if done else " Nothing was changed."
        return tracker.fail(
            f"The Sign In App import of {organisation.name} stopped: {error}{kept}",
            counts=plan.counts if plan is not None and done else {},
        )
    return tracker.finish(plan.counts, attention=_attention(plan, snapshot))


def _attention(plan, snapshot):
    """What a person must look at after this import: the linked groups as Tether keeps them and Sign In
    App says differing, or no Repeat group linked at all (sync.group_links); each group held back because
    Sign In App answered it empty (the problem says which and why)."""
    return snapshot.attention + [problem.message for problem in plan.problems if problem.code == "empty_group"]


def _report(tracker, progress, done, total):
    tracker.progress(done, total)
    if progress is not None:
        progress(done, total)


def _write_to_sia(sia, batch, tracker):
    """Send the batch's `to_sia` changes; the shadow then keeps what Sign In App answered."""
    for decision in batch:
        if (not decision.sia_changes or decision.member is None or decision.severs
                or decision.situation in ("excluded", "gone", "leaver")):
            continue
        try:
            decision.member = sia.update_member(decision.sia_id, decision.sia_changes)
            decision.digest = None  # Sign In App's answer is what the shadow keeps now
        except (SiaRejected, SiaNotFound) as error:
            decision.sia_failed = True
            tracker.problem(
                decision.sia_id, decision.name, "sia_update_failed",
                f"Sign In App member {decision.sia_id} ({decision.name}) was not updated: {error}",
            )


def _apply(organisation, connection, batch, plan, group_rows, actor):
    """Apply one batch of decisions; the caller holds the transaction."""
    shadows = plan.shadows
    members = [decision.member for decision in batch if decision.member is not None]
    digests = {d.sia_id: d.digest for d in batch if d.member is not None and d.digest is not None}
    shadow_ids = mirror.store_shadows(connection, members, shadows, group_rows, digests)
    mirror.mark_gone([shadows[d.sia_id].id for d in batch if d.situation == "gone"])
    moment = now()
    audits = []
    created = [d for d in batch if d.situation == "created"]
    _create_profiles(organisation, created, shadow_ids, actor, moment, digests, plan.mapping)
    for decision in batch:
        link = None
        if decision.situation == "linked":
            link = linking.create_link(
                Profile.get_by_id(decision.profile_id), SiaMember.get_by_id(shadow_ids[decision.sia_id]), actor
            )
        if decision.situation in ("linked", "updated", "leaver") and decision.changes:
            _update_profile(organisation, decision, actor, moment, audits)
        if decision.situation == "leaver" and decision.link_id is not None:
            # A leaving date from the MIS severs the link as one typed in Central Record does (sync.leavers).
            linking.sever(Link.get_by_id(decision.link_id), "leaver", actor)
        if decision.severs:
            link = link or Link.active().where(Link.profile == decision.profile_id).first()
            if link is not None:
                linking.sever(link, "leaver", actor)
    if audits:
        AuditEvent.insert_many(audits).execute()
    _reconcile(batch, digests, plan.mapping)


def _reconcile(batch, digests, mapping):
    """Record on each link of the batch whose two sides now agree the state they agree in (Link.reconciled),
    so the next import can tell it is unchanged without comparing. Created links got theirs when written."""
    stamps = []
    for decision in batch:
        if decision.profile_state is None or decision.sia_failed or decision.situation == "created":
            continue
        stamp = planning.reconciled_as(digests[decision.sia_id], decision.profile_state, mapping)
        if stamp != decision.reconciled:
            stamps.append((stamp, decision.profile_id))
    if stamps:
        sql = (
            f'UPDATE "link" SET "reconciled" = {database.param} '
            f'WHERE "profile_id" = {database.param} AND "severed_at" IS NULL'
        )
        database.cursor().executemany(sql, stamps)


def _create_profiles(organisation, created, shadow_ids, actor, moment, digests, mapping):
    if not created:
        return
    rows = [
        {
            **dict.fromkeys(fields.PROFILE_COLUMNS + fields.DATE_TARGETS),
            **decision.changes,
            "organisation": organisation.id,
            "profile_type": decision.profile_type_id,
            "status": "active",
            "source": "sia",
            "version": 1,
            "created_at": moment,
            "updated_at": moment,
        }
        for decision in created
    ]
    for decision, profile_id in zip(created, mirror.insert_rows(Profile, rows)):
        decision.profile_id = profile_id
    mirror.insert_rows(
        Link,
        [
            {
                "profile": decision.profile_id,
                "sia_member": shadow_ids[decision.sia_id],
                "organisation": organisation.id,
                "linked_at": moment,
                "linked_by": actor,
                "severed_at": None,
                "sever_reason": None,
                "reconciled": None if decision.sia_failed else planning.reconciled_as(
                    digests[decision.sia_id], decision.profile_state, mapping
                ),
            }
            for decision in created
        ],
    )


def _update_profile(organisation, decision, actor, moment, audits):
    new_values = {column: new for column, (old, new) in decision.changes.items()}
    Profile.update(**new_values, version=Profile.version + 1, updated_at=moment).where(
        Profile.id == decision.profile_id
    ).execute()
    audits.append(
        {
            "at": moment,
            "actor": actor,
            "organisation": organisation.id,
            "action": "profile.updated_from_sia",
            "subject": f"profile:{decision.profile_id}",
            "before": {column: old for column, (old, new) in decision.changes.items()},
            "after": new_values,
            "reason": f"Sign In App member {decision.sia_id} changed"
                      + (" (its MIS data through the Wonde connection)" if _from_mis(decision.changes) else ""),
        }
    )


def _from_mis(changes):
    return any(column in changes for column in fields.DATE_TARGETS)
