"""The manual under ``/docs/``, and the interactive API reference under ``/docs/api/``: served by the app, offline.

The manual is the MkDocs site built from ``docs/`` (``mkdocs build``). The wheel ships it inside this
package (``api/manual/``, built by ``setup.py`` at package-build time); a checkout serves ``site/``
after ``make docs`` (``make run`` builds it). The interactive API reference is Swagger UI, vendored in
``api/static/swagger-ui/`` and pointed at ``/openapi.json``: no CDN, no network. ``/docs`` itself
(no trailing slash) stays the plain HTML page of the API with the problem types' anchors
(``/docs#problem-<code>``, the ``type`` of every problem document).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, send_from_directory

PACKAGE = Path(__file__).resolve().parent
SHIPPED_MANUAL = PACKAGE / "manual"  # in the wheel
CHECKOUT_MANUAL = PACKAGE.parent / "site"  # `make docs` in a checkout
SWAGGER_UI = PACKAGE / "static" / "swagger-ui"

blp = Blueprint("manual", __name__)


def manual_folder() -> Path | None:
    """Where the built manual is: the wheel's copy, else a checkout's ``site/``; None if it was never built.

    ``MANUAL_FOLDER`` in the app's config (not an environment variable) names another built site."""
    configured = current_app.config.get("MANUAL_FOLDER")
    for folder in [Path(configured)] if configured else (SHIPPED_MANUAL, CHECKOUT_MANUAL):
        if (folder / "index.html").is_file():
            return folder
    return None


_NOT_BUILT = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>手册未构建 / Manual not built</title>
</head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>手册未构建 / The manual is not built here</h1>
<p>在代码检出目录中运行 <code>make docs</code>（或 <code>make run</code>）构建手册；安装包（wheel）自带手册。</p>
<p>In a checkout, run <code>make docs</code> (or <code>make run</code>) to build it into <code>site/</code>;
the wheel ships it built. Meanwhile: the API reference is at <a href="/docs">/docs</a> and
<a href="/docs/api/">/docs/api/</a>, the OpenAPI document at <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>"""


@blp.route("/docs/", defaults={"path": ""})
@blp.route("/docs/<path:path>")
def page(path: str) -> Response:
    if path == "api" or path.startswith("api/"):
        return _swagger(path[4:])
    folder = manual_folder()
    if folder is None:
        return Response(_NOT_BUILT, status=404, mimetype="text/html")
    if path == "" or path.endswith("/"):
        path += "index.html"
    elif (folder / path).is_dir():
        path += "/index.html"
    return send_from_directory(folder, path, max_age=300)  # refuses paths outside the folder (404)


_SWAGGER_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} — interactive API reference</title>
<link rel="stylesheet" href="/docs/api/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/api/swagger-ui-bundle.js"></script>
<script src="/docs/api/init.js"></script>
</body></html>"""

# A separate script (not inline), so a Content-Security-Policy of script-src 'self' allows it.
_SWAGGER_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  validatorUrl: null, tryItOutEnabled: false, persistAuthorization: false
});
"""


def _swagger(asset: str) -> Response:
    if asset in ("", "/", "index.html"):
        return Response(_SWAGGER_PAGE.format(title=escape("Complaint decision service")), mimetype="text/html")
    if asset == "init.js":
        return Response(_SWAGGER_INIT, mimetype="text/javascript")
    if asset in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"):
        return send_from_directory(SWAGGER_UI, asset, max_age=86400)
    abort(404)
