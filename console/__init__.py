"""The web console under /console: compliance staff, auditors and team leads, signed in as people.

Server-rendered pages (Jinja) with htmx and a CodeMirror editor, both vendored under
``console/static/vendor`` (built by ``console/assets/build.sh``); Chinese by default, English one
click away (Flask-Babel catalogs under ``console/translations``); charts drawn here as SVG.
It sits above ``api`` in the layers: it reuses the API's services, settings and governance object,
and calls the same lifecycle and audit functions the API does, never the API over HTTP.
"""

from console.web import init_console

__all__ = ["init_console"]
