"""The console's wiring: blueprint, sessions, CSRF and cross-site refusal, language, layout, sign-in.

Every request under /console passes ``_guard`` first:

- a state-changing request (anything but GET/HEAD) from another site is refused (``Sec-Fetch-Site``
  or ``Origin`` naming another origin), and one without the CSRF token of its session (a form
  field ``csrf_token`` or the header ``X-CSRF-Token``, which htmx sends) is refused too. Before
  sign-in the token is a double-submit cookie;
- the session cookie (HttpOnly, SameSite=Strict, Secure when the request came over TLS) names a
  session in the store (``store/staff.py``), whose account must still be active.

Each view then states the roles it needs (``page``); the check runs on the server for every
request, whatever the page shows or hides.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, g, redirect, render_template, request, url_for
from flask_babel import Babel, get_locale
from flask_babel import gettext as _

from api.context import services
from console import access
from console.formatting import install_filters
from store.staff import LOCKOUT_MINUTES, StaffStore

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
LOGIN_CSRF_SECONDS = 2 * 3600  # a sign-in form this old is refused (reload the page)
CONSOLE_SECRET_ENV = "COMPLAINTS_CONSOLE_SECRET"
# Where a sign-in may lead: a console path of printable ASCII (no CR/LF, no backslash, no `//`).
_NEXT = re.compile(r"/console/[!#-\[\]-~]*")
LANG_COOKIE = "console_lang"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def init_console(app: Flask) -> None:
    """Register the console on the service's app; ``/`` redirects to it."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(HERE / "translations"))
    Babel(app, locale_selector=_locale)
    install_filters(app)
    from console import auditor, compliance, dashboard, deadlines  # noqa: F401 - their routes join the blueprint

    app.register_blueprint(bp)
    app.add_url_rule("/", "console_root", lambda: redirect(url_for("console.home")))
    app.extensions["complaints_staff"] = StaffStore(services_of(app).store)
    app.extensions["complaints_console_secret"] = console_secret()


def services_of(app: Flask):
    return app.extensions["complaints"]


def staff() -> StaffStore:
    from flask import current_app

    return current_app.extensions["complaints_staff"]


def _locale() -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def remote() -> str:
    return request.remote_addr or "-"


# -- the guard ------------------------------------------------------------------------


def _cross_site() -> bool:
    """True when a browser says the request comes from another site (or another origin)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        return origin == "null" or (parts.scheme, parts.netloc) != (request.scheme, request.host)
    return False


def _csrf_given() -> str:
    return request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")


@bp.before_request
def _guard():
    g.staff_session = None
    if request.endpoint == "console.static":  # the vendored files are public and never change state
        return None
    nul = _nul_field()
    if nul is not None:  # PostgreSQL text cannot hold U+0000: refused before the store is asked
        g.csrf_token = ""
        return refused(
            _(
                "The field %(field)s contains the NUL character (U+0000), which no field may hold. Remove it and try again."
            )
            % {"field": nul},
            400,
        )
    token = request.cookies.get(SESSION_COOKIE, "")
    session = staff().session(token) if token else None
    g.staff_session = session
    g.csrf_token = session.csrf_token if session else _login_csrf()
    if request.method in SAFE_METHODS:
        return None
    if _cross_site():
        return refused(_("This request came from another site and was refused."), 403)
    if not hmac.compare_digest(_csrf_given().encode(), g.csrf_token.encode()):
        return refused(_("The form has expired or did not come from this console. Reload the page and try again."), 403)
    return None


def _nul_field() -> str | None:
    """The name of the first form field, query parameter or console cookie holding U+0000, if any."""
    fields = [*request.args.items(multi=True), *request.cookies.items()]
    if request.method not in SAFE_METHODS:
        fields.extend(request.form.items(multi=True))
    for name, value in fields:
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "\\u0000")
    return None


def _login_csrf() -> str:
    """The double-submit token before sign-in: the cookie's if this console signed it for this address
    (and it is recent), or a new one set on the response. A made-up cookie with the same form value is
    not signed: refused."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if _signed_by_us(existing):
        return existing
    g.new_login_csrf = _new_login_csrf()
    return g.new_login_csrf


def _console_secret() -> bytes:
    from flask import current_app

    return current_app.extensions["complaints_console_secret"]


def _new_login_csrf() -> str:
    body = f"{int(time.time())}.{secrets.token_urlsafe(24)}"
    return f"{body}.{_signature(body)}"


def _signature(body: str) -> str:
    """Over the token and the address it was issued to: a token an attacker fetched for themselves and
    planted in someone else's browser (cookie tossing) does not verify from that person's address."""
    bound = f"{body}|{remote()}".encode()
    return hmac.new(_console_secret(), bound, hashlib.sha256).hexdigest()


def _signed_by_us(token: str) -> bool:
    issued, _, rest = token.partition(".")
    nonce, _, signature = rest.partition(".")
    if not (issued.isdigit() and nonce and signature and len(token) <= 200):
        return False
    if not hmac.compare_digest(signature.encode(), _signature(f"{issued}.{nonce}").encode()):
        return False
    return 0 <= time.time() - int(issued) <= LOGIN_CSRF_SECONDS


def console_secret() -> bytes:
    """The key that signs the sign-in form's token: ``COMPLAINTS_CONSOLE_SECRET``, else one made for this
    process (the gunicorn master makes one before forking, so its workers share it; instances behind one
    address need the setting, or a form from one is refused by the other and must be reloaded)."""
    given = os.environ.get(CONSOLE_SECRET_ENV, "")
    return given.encode() if given else secrets.token_bytes(32)


@bp.after_request
def _headers(response):
    if g.get("new_login_csrf"):
        _set_cookie(response, LOGIN_CSRF_COOKIE, g.new_login_csrf)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if not request.path.startswith("/console/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _set_cookie(response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, secure=request.is_secure, samesite="Strict", path="/console"
    )


def refused(message: str, status: int):
    return render_template("refused.html", message=message, status=status), status


def page(*roles: str) -> Callable:
    """The view needs a signed-in person holding one of ``roles`` (any console role if none are named)."""

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            session = g.get("staff_session")
            if session is None:
                if request.headers.get("HX-Request"):
                    return "", 401, {"HX-Redirect": url_for("console.sign_in_form")}
                return redirect(url_for("console.sign_in_form", next=request.full_path.rstrip("?")))
            needed = roles or tuple(access.CONSOLE_ROLES)
            if not access.allows(session.account.roles, needed):
                return refused(
                    _("This page needs the role %(roles)s; your account has %(has)s.")
                    % {"roles": " / ".join(needed), "has": ", ".join(sorted(session.account.roles))},
                    403,
                )
            g.roles = session.account.roles
            return view(*args, **kwargs)

        return guarded

    return wrap


def me() -> str:
    return g.staff_session.account.username


def can(*roles: str) -> bool:
    session = g.get("staff_session")
    return bool(session and access.allows(session.account.roles, roles))


@bp.app_context_processor
def _layout():
    return {"can": can, "access": access, "locale": str(get_locale() or DEFAULT_LANGUAGE)}


# -- sign-in, sign-out, language -------------------------------------------------------


def _next_path() -> str:
    wanted = request.values.get("next", "")
    if _NEXT.fullmatch(wanted) and "//" not in wanted and "/../" not in wanted:
        return wanted
    return url_for("console.home")


@bp.get("/sign-in")
def sign_in_form():
    return render_template("sign_in.html", next=_next_path(), error=None)


@bp.post("/sign-in")
def sign_in():
    username = request.form.get("username", "").strip().lower()
    password = request.form.get("password", "")
    result = staff().sign_in(username, password, remote=remote())
    if result.token is None:
        error = {
            "locked": _(
                "Too many failed sign-ins with this username from your address: try again in %(minutes)d minutes."
            )
            % {"minutes": LOCKOUT_MINUTES},
            "throttled": _("Too many failed sign-ins from your address: try again in %(minutes)d minutes.")
            % {"minutes": LOCKOUT_MINUTES},
            "disabled": _("This account is disabled. Ask an administrator."),
        }.get(result.refusal or "", _("Wrong username or password."))
        status = 429 if result.refusal in ("locked", "throttled") else 401
        return render_template("sign_in.html", next=_next_path(), error=error, username=username), status
    response = redirect(_next_path())
    _set_cookie(response, SESSION_COOKIE, result.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@bp.post("/sign-out")
def sign_out():
    session = g.get("staff_session")
    if session is not None:
        staff().sign_out(request.cookies.get(SESSION_COOKIE, ""), session.account.username, remote=remote())
    response = redirect(url_for("console.sign_in_form"))
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@bp.post("/language")
def language():
    chosen = request.form.get("lang", DEFAULT_LANGUAGE)
    response = redirect(_next_path())
    if chosen in LANGUAGES:
        _set_cookie(response, LANG_COOKIE, chosen, max_age=365 * 24 * 3600)
    return response


@bp.get("/")
@page()
def home():
    return render_template("home.html", policy=services().decider.policy)
