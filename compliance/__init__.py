"""Compliance: rating systems, check expiry, readiness, and the safety check Sign In App asks at sign-in.

- `compliance.readiness`: is a profile ready in a rating system on a date, and what is missing or expired;
- `compliance.decision`: the §6 decision table (`decide`) and the service behind the API (`check_sign_in`);
- `compliance.tokens`: the bearer tokens, one set per SIA connection, that the API accepts;
- `compliance.records`: changing check records and rating systems (each change writes its audit event).

A sign-in is one query (`store.prepared`: its SQL generated once), its row read by column name.
"""
