"""User.session_token: a signed-in session is valid only while it carries its user's current token.

The console puts it in the session beside the user id (console/auth.py) and gives the user a new one
on signing out and on every new password, so a session cookie copied before then stops working.
Each existing user gets a random token of their own; sessions from before this migration carry no
token and end, so everyone signs in once more.
"""
import secrets

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('user', 'session_token', CharField(default='')))
    users = Table('user', ('id', 'session_token')).bind(db)
    for row in list(users.select(users.id)):
        users.update(session_token=secrets.token_urlsafe(16)).where(users.id == row['id']).execute()


def down(migrator, db):
    migrator.migrate(migrator.drop_column('user', 'session_token'))
