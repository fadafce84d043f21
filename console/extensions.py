"""The Flask extensions the console shares: login sessions, sign-in rate limits, CSRF protection,
htmx-aware requests."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"

# Limits only the views that ask (the sign-in form); storage from RATELIMIT_STORAGE_URI, memory by
# default. `init_app` gives it a fresh storage for each app, so every app starts with clean counts.
limiter = Limiter(key_func=get_remote_address)

csrf = CSRFProtect()
htmx = Htmx()
