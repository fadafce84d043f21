"""The demo: what `tether demo seed` and the first `python app.py` put in an empty database.

It is the app's job, above the layers it fills: it makes Tether's records through the store and
compliance (profiles, checks, rating systems, a safety-check token) and has the sandbox seed its own
Sign In App account from the description it gives (`sandbox.demo`). Nothing below imports it.
"""
