"""RFC 9457 problem details: every error this service returns is application/problem+json.

Each document carries a stable ``code`` (its slug in ``PROBLEM_TYPES``) and, for
policy problems and lint findings, the code of each entry in ``errors``. Failures
that any endpoint can meet (store down, a bad complaint, a bad policy) are turned
into problems here, by ``problem_for``, instead of in each view.
"""

from __future__ import annotations

import logging

from flask import Response, current_app, g, json, request
from werkzeug.exceptions import HTTPException

from engine.complaint import ComplaintError
from rules.calendar import CalendarError
from rules.errors import PolicyError
from rules.field_errors import flatten_messages
from rules.messages import LANGUAGES, ui
from store import StoreUnavailable

PROBLEM_JSON = "application/problem+json"

# slug -> (status, title, what it means). ``type`` is "/docs#problem-<slug>", documented on /docs.
PROBLEM_TYPES: dict[str, tuple[int, str, str]] = {
    "malformed-json": (400, "Malformed JSON", "The body is not one UTF-8 JSON document (or repeats a key)."),
    "bad-request": (400, "Bad request", "The request is not well formed."),
    "unauthorized": (
        401,
        "Unauthorized",
        "No API key, or a key that is unknown or revoked: send `Authorization: Bearer <key>`.",
    ),
    "forbidden": (403, "Forbidden", "The API key is valid but lacks the role this operation needs."),
    "not-found": (404, "Not found", "No such resource (or route)."),
    "method-not-allowed": (
        405,
        "Method not allowed",
        "The route exists but not with this method; see the Allow header.",
    ),
    "body-too-large": (413, "Body too large", "The request body exceeds the configured maximum size."),
    "unsupported-media-type": (415, "Unsupported media type", "Send `Content-Type: application/json`."),
    "validation": (
        422,
        "Invalid complaint",
        "The complaint does not match the input vocabulary; `errors` lists every bad field.",
    ),
    "calendar": (
        422,
        "Date outside the policy calendar",
        "A date the policy's holiday calendar does not cover, with no fallback allowed.",
    ),
    "invalid-parameters": (422, "Invalid parameters", "A query or path parameter is not valid; see `errors`."),
    "batch-too-large": (422, "Too many complaints", "The batch holds more complaints than the configured limit."),
    "invalid-policy": (
        422,
        "Invalid policy",
        "The policy text does not load or compile; `errors` lists every problem with its line and column.",
    ),
    "policy-change-refused": (
        409,
        "Policy change refused",
        "A governance rule refuses the proposal or transition (lint findings, failing tests, notice, dates, labels, "
        "four eyes, state); `errors` names the rule as its `code`. Nothing was recorded.",
    ),
    "proof-unavailable": (
        409,
        "Proof unavailable",
        "No inclusion proof can be given for the decision yet: no signed checkpoint covers it (ask again after the "
        "next one), or the log's leaves no longer give the signed root (purged or altered); `detail` says which.",
    ),
    "store-unavailable": (
        503,
        "Decision store unavailable",
        "The decision store cannot record decisions right now; nothing was decided. Retry after the Retry-After delay.",
    ),
    "not-ready": (503, "Not ready", "The policy is not compiled or the decision store is unreachable."),
    "internal": (500, "Internal error", "An unexpected error; it was logged with the request id."),
}

_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "invalid-parameters",
    500: "internal",
    503: "not-ready",
}

log = logging.getLogger("complaints.errors")

# webargs nests argument errors by where they came from; the parameter name is what the caller needs.
_ARGUMENT_LOCATIONS = ("query", "json", "path", "headers", "form", "view_args")

# The exception types any endpoint may raise; problem_for turns them into documents. (A PolicyError is
# not among them: only a policy text the caller sent is their mistake, and those views say so.)
SHARED_FAILURES = (StoreUnavailable, ComplaintError, CalendarError)


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        slug: str,
        detail: str,
        *,
        status: int | None = None,
        errors: dict[str, list[str]] | None = None,
        error_codes: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.slug = slug
        self.status = status or PROBLEM_TYPES[slug][0]
        self.detail = detail
        self.errors = errors
        self.error_codes = error_codes or {}
        self.headers = headers or {}

    def document(self) -> dict:
        return problem_document(self.slug, self.status, self.detail, self.errors, self.error_codes)


def problem_document(
    slug: str,
    status: int,
    detail: str,
    errors: dict[str, list[str]] | None = None,
    error_codes: dict[str, str] | None = None,
) -> dict:
    title = PROBLEM_TYPES.get(slug, (status, "Error", ""))[1]
    body = {
        "type": f"/docs#problem-{slug}",
        "code": slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path if request else None,
        "request_id": getattr(g, "request_id", None),
    }
    if errors is not None:
        body["errors"] = errors_list(errors, error_codes)
    return body


def errors_list(errors: dict[str, list[str]], codes: dict[str, str] | None = None) -> list[dict]:
    entries = []
    for field, messages in sorted(errors.items()):
        entry: dict = {"field": field or "body", "messages": list(messages)}
        if codes and field in codes:
            entry["code"] = codes[field]
        entries.append(entry)
    return entries


def problem_response(problem: Problem) -> Response:
    g.error_kind = problem.slug
    body = problem.document()
    response = Response(json.dumps(body), status=problem.status, mimetype=PROBLEM_JSON)
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def handle_problem(error: Problem) -> Response:
    return problem_response(error)


def store_unavailable() -> Problem:
    return Problem(
        "store-unavailable",
        "the decision store is unavailable; nothing was decided or recorded",
        headers={"Retry-After": str(current_app.extensions["complaints"].settings.retry_after_seconds)},
    )


def policy_problem(error: PolicyError) -> Problem:
    """Every issue of a policy text, at its line and column, with its code and likely fix.

    In English unless the caller's ``Accept-Language`` prefers Chinese (``zh``, ``zh-CN``, ...);
    the codes are the same in both.
    """
    lang = answer_language()
    errors: dict[str, list[str]] = {}
    codes: dict[str, str] = {}
    for issue in error.issues:
        field = f"{issue.path or 'policy'} ({issue.line}:{issue.column})"
        errors.setdefault(field, []).append(issue.text(lang))
        errors[field].extend(ui("fix", lang) + fix for fix in issue.fixes(lang))
        codes.setdefault(field, issue.code)
    detail = ui("problems_in", lang, count=len(error.issues), what=ui("the policy", lang))
    return Problem("invalid-policy", detail, errors=errors, error_codes=codes, headers={"Content-Language": lang})


def answer_language() -> str:
    """The language of the answer: what ``Accept-Language`` prefers of zh and en; English by default."""
    best = request.accept_languages.best_match(LANGUAGES) if request else None
    return best or "en"


def problem_for(error: Exception) -> Problem | None:
    """The problem for a failure that any endpoint may meet, or None if it is not one of them."""
    if isinstance(error, Problem):
        return error
    if isinstance(error, StoreUnavailable):
        log.warning("decision store unavailable", extra={"request_id": g.get("request_id"), "reason": str(error)})
        return store_unavailable()
    if isinstance(error, ComplaintError):
        return Problem("validation", "the complaint cannot be decided; see errors", errors=error.errors)
    if isinstance(error, CalendarError):
        return Problem("calendar", str(error))
    return None


def handle_shared_failure(error: Exception) -> Response:
    problem = problem_for(error)
    if problem is None:  # registered only for the types problem_for knows
        return handle_unexpected(error)
    return problem_response(problem)


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    slug = _BY_STATUS.get(status, "bad-request" if status < 500 else "internal")
    detail = error.description or PROBLEM_TYPES[slug][2]
    errors = None
    data = getattr(error, "data", None)  # webargs/flask-smorest argument errors
    if isinstance(data, dict) and "messages" in data:
        errors = flatten_messages(data["messages"], transparent_at_top=_ARGUMENT_LOCATIONS)
        detail = "some parameters are not valid; see errors"
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem_response(Problem(slug, detail, status=status, errors=errors, headers=headers))


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error", extra={"request_id": getattr(g, "request_id", None)})
    return problem_response(Problem("internal", "an unexpected error occurred; it was logged with the request id"))
