"""Webhook settings: who receives notifications, the signing secrets, and how delivery retries.

Standard library only: ``api/settings.py`` checks these in gunicorn's master before
forking, and ``complaints webhooks deliver`` reads the same environment variables.
The secrets are read from a file (never from an environment variable, which shows in
``/proc`` and crash reports) and never appear in a ``repr``, a log line or an error.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import stat
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

DEFAULT_TIMEOUT_MS = 5000
DEFAULT_MAX_ATTEMPTS = 12
DEFAULT_BACKOFF_SECONDS = 30
DEFAULT_BACKOFF_MAX_SECONDS = 21600  # 6 hours: 12 attempts span about a day
DEFAULT_POLL_SECONDS = 5
MIN_SECRET_CHARS = 16
MAX_URL_CHARS = 2000  # webhook_deliveries.subscriber
MAX_TIMEOUT_MS = 60_000
_MAX_SECRET_FILE_BYTES = 64 * 1024


class WebhookConfigError(ValueError):
    """The webhook settings cannot be used; the message names the setting and never holds a secret."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ALLOW_ENV = "COMPLAINTS_WEBHOOK_ALLOW_NETWORKS"


def not_public(address: Address) -> str | None:
    """Why a receiver at ``address`` would be inside, not on the internet: loopback, link-local (cloud
    metadata at 169.254.169.254 among them), private, unspecified, multicast or otherwise not global.
    An IPv4-mapped IPv6 address (``::ffff:127.0.0.1``) is judged as the IPv4 address it maps."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for test, words in (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local, where cloud metadata answers"),
        ("is_multicast", "multicast"),
        ("is_private", "a private network"),
        ("is_reserved", "reserved"),
    ):
        if getattr(address, test):
            return words
    return None if address.is_global else "not globally routable"


@dataclass(frozen=True)
class AddressGuard:
    """Production's check of where a notification may go: every address a subscriber's host resolves to
    must be public, or inside a network of ``COMPLAINTS_WEBHOOK_ALLOW_NETWORKS``. Checked when the
    subscribers are read and again before each delivery, which connects to the address it checked
    (a name that resolves elsewhere by then, DNS rebinding, gains nothing)."""

    allowed: tuple[Network, ...] = ()

    def refusal(self, address: Address) -> str | None:
        reason = not_public(address)
        if reason is None or any(address in network for network in self.allowed):
            return None
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        if mapped is not None and any(mapped in network for network in self.allowed):
            return None
        return f"{address} ({reason})"

    def resolve(self, host: str, port: int | None) -> tuple[list[Address], str | None]:
        """The addresses of ``host``, and the first refusal among them (None: all may be sent to).

        Raises OSError when the name does not resolve."""
        try:
            addresses: list[Address] = [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            found = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
            addresses = []
            for *_, sockaddr in found:
                address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
                if address not in addresses:
                    addresses.append(address)
        for address in addresses:
            refused = self.refusal(address)
            if refused is not None:
                return addresses, refused
        return addresses, None


def parse_networks(text: str) -> tuple[Network, ...]:
    """COMPLAINTS_WEBHOOK_ALLOW_NETWORKS: networks (10.20.0.0/16) or addresses (127.0.0.1), by comma or space."""
    networks: list[Network] = []
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise WebhookConfigError(
                f"{ALLOW_ENV}: {item!r} is not a network or an address; expected e.g. 10.20.0.0/16 or 127.0.0.1"
            ) from None
    return tuple(networks)


@dataclass(frozen=True, repr=False)
class WebhookConfig:
    subscribers: tuple[str, ...]
    secrets: tuple[str, ...] = field(repr=False)
    timeout_seconds: float = DEFAULT_TIMEOUT_MS / 1000
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS
    backoff_max_seconds: float = DEFAULT_BACKOFF_MAX_SECONDS
    poll_seconds: float = DEFAULT_POLL_SECONDS
    guard: AddressGuard | None = None  # production: where a notification may go (None: anywhere)

    def __repr__(self) -> str:  # no secret, and subscribers without the tokens a URL may carry
        shown = ", ".join(display_url(url) for url in self.subscribers)
        return (
            f"WebhookConfig(subscribers=[{shown}], secrets={len(self.secrets)}, timeout_seconds={self.timeout_seconds}, "
            f"max_attempts={self.max_attempts}, backoff_seconds={self.backoff_seconds}, "
            f"backoff_max_seconds={self.backoff_max_seconds}, poll_seconds={self.poll_seconds})"
        )


def display_url(url: str) -> str:
    """A subscriber URL as logged and listed: no user and password, no query (either may hold a token)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<not a URL>"
    netloc = parts.netloc.rpartition("@")[2]  # as written (a bad port too), without user and password
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_subscribers(text: str, *, production: bool) -> tuple[str, ...]:
    """COMPLAINTS_WEBHOOK_URLS: absolute http(s) URLs separated by commas or white space, each once.

    In production a URL must be https, unless it is on this machine (loopback)."""
    urls: list[str] = []
    for url in re.split(r"[\s,]+", text.strip()):
        if not url:
            continue
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise WebhookConfigError(f"COMPLAINTS_WEBHOOK_URLS: {display_url(url)!r} is not a URL") from None
        if len(url) > MAX_URL_CHARS:
            raise WebhookConfigError(
                f"COMPLAINTS_WEBHOOK_URLS: {display_url(url)!r} is longer than {MAX_URL_CHARS} characters"
            )
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WebhookConfigError(
                f"COMPLAINTS_WEBHOOK_URLS: {display_url(url)!r} is not an absolute http:// or https:// URL"
            )
        if parts.fragment:
            raise WebhookConfigError(
                f"COMPLAINTS_WEBHOOK_URLS: {display_url(url)!r} has a #fragment, which is never sent"
            )
        if production and parts.scheme != "https" and not _is_loopback(parts.hostname):
            raise WebhookConfigError(
                f"COMPLAINTS_WEBHOOK_URLS: {display_url(url)!r} is plain http; production sends notifications "
                "(complaint ids, deadlines) only over https, or to this machine"
            )
        if url not in urls:
            urls.append(url)
    return tuple(urls)


def read_secrets(path: str) -> tuple[str, ...]:
    """COMPLAINTS_WEBHOOK_SECRET_FILE: one secret a line (blank lines and # comments aside); every
    one signs, so during a rotation the file holds the new and the old until receivers have switched."""
    try:
        mode = os.stat(path).st_mode
        with open(path, "rb") as handle:
            data = handle.read(_MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        raise WebhookConfigError(f"COMPLAINTS_WEBHOOK_SECRET_FILE={path}: cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(mode) or len(data) > _MAX_SECRET_FILE_BYTES:
        raise WebhookConfigError(f"COMPLAINTS_WEBHOOK_SECRET_FILE={path}: not a small regular file of secrets")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise WebhookConfigError(
            f"COMPLAINTS_WEBHOOK_SECRET_FILE={path}: readable by others (mode {stat.S_IMODE(mode):o}); chmod 600 it"
        )
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise WebhookConfigError(f"COMPLAINTS_WEBHOOK_SECRET_FILE={path}: not UTF-8 text") from None
    secrets = tuple(line.strip() for line in lines if line.strip() and not line.strip().startswith("#"))
    if not secrets:
        raise WebhookConfigError(f"COMPLAINTS_WEBHOOK_SECRET_FILE={path}: holds no secret")
    for number, secret in enumerate(secrets, 1):
        if len(secret) < MIN_SECRET_CHARS or any(ch.isspace() for ch in secret):
            raise WebhookConfigError(
                f"COMPLAINTS_WEBHOOK_SECRET_FILE={path}: secret {number} is shorter than {MIN_SECRET_CHARS} "
                "characters or holds a space; make one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
    return secrets


def build_config(
    urls: str,
    secret_file: str,
    *,
    production: bool,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    backoff_seconds: int = DEFAULT_BACKOFF_SECONDS,
    backoff_max_seconds: int = DEFAULT_BACKOFF_MAX_SECONDS,
    poll_seconds: int = DEFAULT_POLL_SECONDS,
    allow_networks: str = "",
) -> WebhookConfig | None:
    """The webhook configuration, or None when no subscriber is configured (notifications stay in the outbox).

    In production each subscriber's host must resolve to public addresses only, or to addresses inside
    ``allow_networks`` (COMPLAINTS_WEBHOOK_ALLOW_NETWORKS); a host that does not resolve now is checked
    again at each delivery."""
    subscribers = parse_subscribers(urls, production=production)
    allowed = parse_networks(allow_networks)
    if not subscribers:
        return None
    guard = AddressGuard(allowed) if production else None
    if guard is not None:
        for url in subscribers:
            parts = urlsplit(url)
            try:
                _, refused = guard.resolve(parts.hostname or "", parts.port)
            except OSError:
                continue  # not resolvable now (DNS down?): every delivery checks it again
            if refused is not None:
                raise WebhookConfigError(
                    f"COMPLAINTS_WEBHOOK_URLS: {display_url(url)!r} resolves to {refused}; production sends "
                    f"notifications only to public addresses: if this receiver is yours, allow its network with "
                    f"{ALLOW_ENV} (e.g. {ALLOW_ENV}=10.20.0.0/16)"
                )
    if not secret_file:
        raise WebhookConfigError(
            "COMPLAINTS_WEBHOOK_URLS is set but COMPLAINTS_WEBHOOK_SECRET_FILE is not: notifications are always signed"
        )
    checks = {
        "COMPLAINTS_WEBHOOK_TIMEOUT_MS": (timeout_ms, 1),
        "COMPLAINTS_WEBHOOK_MAX_ATTEMPTS": (max_attempts, 1),
        "COMPLAINTS_WEBHOOK_BACKOFF_SECONDS": (backoff_seconds, 1),
        "COMPLAINTS_WEBHOOK_POLL_SECONDS": (poll_seconds, 1),
    }
    for name, (value, least) in checks.items():
        if value < least:
            raise WebhookConfigError(f"{name}={value}: expected at least {least}")
    if timeout_ms > MAX_TIMEOUT_MS:
        raise WebhookConfigError(
            f"COMPLAINTS_WEBHOOK_TIMEOUT_MS={timeout_ms}: expected at most {MAX_TIMEOUT_MS}; a receiver answers "
            "at once and does its work afterwards"
        )
    if backoff_max_seconds < backoff_seconds:
        raise WebhookConfigError(
            f"COMPLAINTS_WEBHOOK_BACKOFF_MAX_SECONDS={backoff_max_seconds}: expected at least "
            f"COMPLAINTS_WEBHOOK_BACKOFF_SECONDS ({backoff_seconds})"
        )
    return WebhookConfig(
        subscribers=subscribers,
        secrets=read_secrets(secret_file),
        timeout_seconds=timeout_ms / 1000,
        max_attempts=max_attempts,
        backoff_seconds=backoff_seconds,
        backoff_max_seconds=backoff_max_seconds,
        poll_seconds=poll_seconds,
        guard=guard,
    )
