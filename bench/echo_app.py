"""The ceiling for bench/http.py: a bare Flask app that only echoes the posted JSON.

Served exactly like the service (``gunicorn -c python:api.gunicorn_conf bench.echo_app:create_app()``,
same workers, threads and gunicorn settings), it measures what gunicorn + Flask + JSON
parsing and encoding cost with no engine, no store, no logging and no metrics.
"""

from __future__ import annotations

from flask import Flask, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False

    @app.post("/echo")
    def echo():
        return jsonify(request.get_json()), 201

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
