"""Ed25519 signing keys for checkpoints, purge records and export closing records.

The private key lives outside the database (a PEM file named by
``COMPLAINTS_SIGNING_KEY_FILE``, or the PEM text itself in
``COMPLAINTS_SIGNING_KEY``), so someone who can write the database cannot sign:
a chain they recompute no longer matches what was signed. The public key is
what auditors hold (``complaints keys signing create`` writes both; the
public one beside the private one, ``.pub``).

A key is named by its id: the first 16 hex digits of the sha256 of its raw
32-byte public key. A statement names the key that signed it, so rotating the
key (a new file) keeps every older statement verifiable with the older public
key. Signatures are base64 text over the exact UTF-8 bytes of a statement.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE_ENV = "COMPLAINTS_SIGNING_KEY_FILE"
KEY_ENV = "COMPLAINTS_SIGNING_KEY"
ALGORITHM = "ed25519"


class SigningKeyError(ValueError):
    """A signing or public key that cannot be read; the message says which and why (never the key)."""


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    pem: str
    _key: Ed25519PublicKey

    @classmethod
    def from_pem(cls, text: str, source: str = "public key") -> PublicKey:
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError, TypeError):
            raise SigningKeyError(f"{source}: not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"{source}: not an Ed25519 public key")
        return cls(_key_id(key), _public_pem(key), key)

    @classmethod
    def from_file(cls, path: str | Path) -> PublicKey:
        try:
            text = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningKeyError(f"public key {path}: cannot be read ({type(exc).__name__})") from None
        return cls.from_pem(text, f"public key {path}")

    def verify(self, data: bytes, signature: str) -> bool:
        try:
            self._key.verify(base64.b64decode(signature, validate=True), data)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True


@dataclass(frozen=True)
class SigningKey:
    """A private key able to sign; ``public`` is its public half."""

    public: PublicKey
    _key: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self._key.sign(data)).decode("ascii")

    @classmethod
    def generate(cls) -> SigningKey:
        return cls._of(Ed25519PrivateKey.generate())

    @classmethod
    def _of(cls, key: Ed25519PrivateKey) -> SigningKey:
        public = key.public_key()
        return cls(PublicKey(_key_id(public), _public_pem(public), public), key)

    @classmethod
    def from_pem(cls, text: str, source: str) -> SigningKey:
        try:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, UnicodeEncodeError, TypeError):
            raise SigningKeyError(f"{source}: not an unencrypted PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{source}: not an Ed25519 private key")
        return cls._of(key)

    def private_pem(self) -> str:
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")

    def __repr__(self) -> str:  # never the key itself
        return f"SigningKey(key_id={self.key_id!r})"


def _public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def read_signing_key(path: str | Path) -> SigningKey:
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise SigningKeyError(f"signing key {path}: cannot be read ({type(exc).__name__})") from None
    return SigningKey.from_pem(text, f"signing key {path}")


def signing_key_from_env(environ: Mapping[str, str] | None = None, path: str | None = None) -> SigningKey | None:
    """The configured signing key: ``path`` if given, else ``COMPLAINTS_SIGNING_KEY_FILE``, else the PEM
    text in ``COMPLAINTS_SIGNING_KEY``; None when none is configured."""
    env = os.environ if environ is None else environ
    path = path or env.get(KEY_FILE_ENV) or None
    if path:
        return read_signing_key(path)
    text = env.get(KEY_ENV) or None
    if text:
        return SigningKey.from_pem(text, KEY_ENV)
    return None


def write_key_pair(path: str | Path) -> SigningKey:
    """A new key pair: the private key at ``path`` (mode 0600), the public key at ``path``.pub.

    Refuses to overwrite either file: a lost private key can no longer sign, and an overwritten one
    would make every statement it signed unverifiable for whoever kept only the file."""
    private_path, public_path = Path(path), Path(f"{path}.pub")
    for target in (private_path, public_path):
        if target.exists():
            raise SigningKeyError(f"{target} exists: refusing to overwrite a key")
    key = SigningKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.private_pem())
    public_path.write_text(key.public.pem, encoding="ascii")
    return key
