"""The secret key behind `person_id` (an HMAC-SHA256 of the NIK), and where it comes from.

Sources, first found wins: a Prefect Secret block named by the `pii_key_block` setting,
`$CAKUPAN_PII_KEY`, the key file beside the state database (made, mode 0600, on first use
only). A run records the source and a keyed check of the key it published with. The key's
identity is that check, never the source's text: the same key reached by another path,
from another working directory or moved into a block is the same key. A run whose key
changed (a `serve` process started without the variable falls back to the file) is refused
instead of silently changing every `person_id` (flows/regency_run.py `checked_key`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from flows.settings import Settings

PII_KEY_ENV = "CAKUPAN_PII_KEY"
HMAC_BLOCK = 64


@dataclass(frozen=True)
class PiiKey:
    """The key and where it came from; `check` identifies it without revealing it."""

    value: bytes
    source: str

    @property
    def check(self) -> str:
        return hmac.new(self.value, b"cakupan person_id key check", hashlib.sha256).hexdigest()[:16]


def key_file(settings: Settings) -> Path:
    return settings.state.parent / "pii.key"


def from_block(name: str) -> bytes:
    """The key held by a Prefect Secret block (imported here only: Prefect is slow to import)."""
    from prefect.blocks.system import Secret

    secret = cast("Secret[str]", Secret.load(name))  # a sync call: Prefect types it as maybe-awaitable
    return str(secret.get()).encode()


def resolve_key(settings: Settings, create: bool) -> PiiKey | None:
    """The key from the first source that has one; None when there is none and `create` is false."""
    if settings.pii_key_block:
        return PiiKey(from_block(settings.pii_key_block), f"Prefect Secret block {settings.pii_key_block!r}")
    if os.environ.get(PII_KEY_ENV):
        return PiiKey(os.environ[PII_KEY_ENV].encode(), f"environment variable {PII_KEY_ENV}")
    path = key_file(settings)
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        logging.getLogger("cakupan").warning("no person_id key was given: made a new key file %s", path)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_hex(32))
    path.chmod(0o600)
    return PiiKey(path.read_text().strip().encode(), f"key file {path.resolve()}")


def hmac_pads(key: bytes) -> dict[str, bytes]:
    """Key XOR ipad and key XOR opad (RFC 2104), so DuckDB can compute HMAC-SHA256 in SQL."""
    block = (hashlib.sha256(key).digest() if len(key) > HMAC_BLOCK else key).ljust(HMAC_BLOCK, b"\0")
    return {
        "hmac_inner": bytes(b ^ 0x36 for b in block),
        "hmac_outer": bytes(b ^ 0x5C for b in block),
    }
