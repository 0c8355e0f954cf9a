"""Structured logs: one JSON object per line on stderr.

Access lines carry the request id, route template (never the path, which may
hold a complaint id), status, latency and decision id. Request bodies and
personal fields (customer ids, descriptions, order ids) are never logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.Handler):
    """Writes to whatever sys.stderr is now (so test capture and gunicorn redirection both work)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - logging must never break a request
            self.handleError(record)


def configure_logging(level: int = logging.INFO) -> None:
    logger = logging.getLogger("complaints")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


access = logging.getLogger("complaints.access")
service = logging.getLogger("complaints.service")
