"""Refresh the README's screenshots: `.venv/bin/python scripts/screenshots.py`.

Seeds the demo trust in a throwaway SQLite database, runs the first Sign In App import of each school,
does what a first week of support leaves behind (one duplicate pair merged, one duplicate deleted by
mistake so its member is excluded, a second import), serves the console on 127.0.0.1 and photographs
the main pages (the overview twice: its top, and its set-up checklist part-done, duplicates still to merge;
the profile page twice: its actions, and its linked Sign In App member; the connection page twice: its test
and its linked groups),
signed in as support, in Debian's Chromium. The PNGs (1280×800) go to docs/screenshots/.
"""
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from demo import trust as demo
from store.models import Organisation
from sync import duplicates, links, merge, sia_import

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "screenshots"
ACTOR = "tether screenshots"
# A 1600×1000 window drawn at 0.8 scale: 1280×800 PNGs that show as much as a laptop screen does.
VIEWPORT = {"width": 1600, "height": 1000}
SCALE = 0.8
CHROMIUM = os.environ.get("TETHER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def build_demo(app):
    """The demo after its first imports; returns what the pages to photograph need, by name."""
    with app.app_context():
        demo.seed(password=PASSWORD)
        schools = list(Organisation.select().order_by(Organisation.id))
        for school in schools:
            sia_import.import_organisation(school, actor=ACTOR, trigger="cli")
        org = schools[0]
        first = duplicates.suggestions(org)[0]
        merge.merge(first.kept, first.removed, ACTOR)
        last = duplicates.suggestions(org)[-1]
        links.delete_profile(last.removed, ACTOR, "created twice by the first import")
        second = sia_import.import_organisation(org, actor=ACTOR, trigger="cli")
        return {"org": org.id, "profile": first.kept.id, "deleted": last.removed.name, "run": second.run.id}


def serve(app):
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def photograph(page, base, seen):
    """Each main page once `ready` shows; `top`, when given, is scrolled to the top of the window first."""
    org = f"{base}/organisations/{seen['org']}"

    def save(name, ready, top=None):
        expect(ready).to_be_visible()
        if top is not None:
            top.evaluate("element => element.scrollIntoView()")
        page.screenshot(path=OUT / f"{name}.png")
        print(f"docs/screenshots/{name}.png")

    page.goto(org)
    save("overview", page.get_by_role("heading", name="Sync health"))
    checklist = page.get_by_role("heading", name="Set-up checklist")
    save("checklist", checklist, top=checklist)
    page.goto(f"{org}/profiles")
    save("profiles", page.get_by_role("table"))
    page.goto(f"{org}/profiles/{seen['profile']}")
    save("profile", page.get_by_role("heading", name="Readiness"), top=page.get_by_role("heading", name="Actions"))
    member = page.get_by_role("heading", name="In Sign In App")
    save("profile-sign-in-app", member, top=member)
    page.goto(f"{org}/duplicates")
    save("duplicates", page.get_by_role("button", name="Merge the ticked pairs"))
    page.goto(f"{org}/rules/new")
    page.get_by_label("Profile type").select_option(label="Contractors")
    page.get_by_label("Rule", exact=True).fill("group == Contractors or role ~ engineer")
    taken = page.locator("#rule-preview").get_by_role("heading", name="Members this rule takes (12)")
    save("mapping-rules", taken, top=page.locator("#rule-form label[for=expression]"))
    page.goto(f"{org}/sync/runs/{seen['run']}")
    save("sync-run", page.locator("#run-progress .status"))
    page.goto(f"{org}/compliance")
    save("compliance", page.get_by_role("heading", level=1))
    page.goto(f"{org}/diagnostics?q={seen['deleted']}")
    save("diagnostics", page.get_by_role("heading", name=seen["deleted"]), top=page.get_by_role("heading", level=1))
    page.goto(f"{org}/settings/sign-in-app/connection")
    page.get_by_role("button", name="Test connection").click()
    save("connection", page.get_by_text("Repeat groups linked to"))
    linked = page.get_by_role("heading", name="Linked groups")
    save("linked-groups", linked, top=linked)
    page.goto(f"{base}/sandbox/")
    save("sandbox", page.get_by_role("heading", name="Sign In App sandbox"))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tether-screenshots-") as scratch:
        os.environ["TETHER_INSTANCE_PATH"] = scratch
        app = create_app({
            "DATABASE_URL": f"sqlite:///{scratch}/tether.db", "SECRET_KEY": "screenshots", "TETHER_SCHEDULER": False,
        })
        seen = build_demo(app)
        server = serve(app)
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport=VIEWPORT, device_scale_factor=SCALE)
                page.goto(base + "/login")
                page.get_by_label("Email").fill(demo.SUPPORT_EMAIL)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_role("heading", name="Organisations")).to_be_visible()
                photograph(page, base, seen)
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
