"""The portal's credential keys (decision 56): Ed25519 keys in a JWK Set file, read once a
process. The private keys sign (the current one: CREDENTIAL_KEY_ID, or the last private key in
the file); every key's public part is published (/.well-known/jwks.json, did.json), so that a
credential signed before a rotation still verifies, except a revoked key's (one that may have
leaked): it is kept in the file only to say why, and nothing it signed verifies. Locally a key
is made on first use; in production a missing file is an error, never a new key nobody has
published."""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from joserfc.errors import SecurityWarning
from joserfc.jwk import Key, KeySet, OKPKey

# RFC 8037's name for Ed25519 signatures in JOSE, the one VC-JWT verifiers know. RFC 9864 names
# it "Ed25519" now; a credential signed under either name is accepted.
ALGORITHM = "EdDSA"
ACCEPTED_ALGORITHMS = ["EdDSA", "Ed25519"]


@contextmanager
def quiet_eddsa() -> Iterator[None]:
    """joserfc warns that RFC 9864 deprecates the name "EdDSA"; the signature is Ed25519 either
    way, and the name is the one the VC-JWT verifiers of today expect."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SecurityWarning, message=".*EdDSA.*")
        yield


def new_key_id() -> str:
    return f"portal-{timezone.now():%Y-%m-%d}"


def generate(path: Path) -> None:
    """Write a new key file with one Ed25519 key, unless another process got there first (the
    file appears whole or not at all: written aside, then linked into place)."""
    key = OKPKey.generate_key("Ed25519", parameters={"kid": new_key_id()}, private=True)
    document = json.dumps({"keys": [key.as_dict(private=True)]}, indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, aside = tempfile.mkstemp(dir=path.parent, prefix=".credential-keys-")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(document)
        os.chmod(aside, 0o600)
        with suppress(FileExistsError):  # another process made it: that one is the key
            os.link(aside, path)
    finally:
        os.unlink(aside)


# A key revoked because it may have leaked (`credential_key revoke`) stays in the file under this
# member, with the date, so the portal can say why; it is neither published nor used.
REVOKED = "revoked"


@lru_cache(maxsize=4)
def _revoked(path: str) -> dict[str, str]:
    file = Path(path)
    try:
        entries = json.loads(file.read_text())["keys"] if file.exists() else []
        return {str(k["kid"]): str(k[REVOKED]) for k in entries if REVOKED in k}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def revoked() -> dict[str, str]:
    """The kids of revoked keys and the date each was revoked."""
    return _revoked(str(settings.CREDENTIAL_KEYS_FILE))


def forget() -> None:
    """Read the key file afresh (after the key command changed it)."""
    _load.cache_clear()
    _revoked.cache_clear()


@lru_cache(maxsize=4)
def _load(path: str, current_id: str) -> tuple[KeySet, OKPKey]:
    file = Path(path)
    if not file.exists():
        if settings.PRODUCTION:
            raise ImproperlyConfigured(
                f"No credential signing keys at {file}: set CREDENTIAL_KEYS_FILE to the JWK Set "
                "file holding the portal's Ed25519 key (docs/open-credentials.md)."
            )
        generate(file)
    try:
        data = json.loads(file.read_text())
        keys = [OKPKey.import_key(k) for k in data["keys"] if REVOKED not in k]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ImproperlyConfigured(f"{file} is not a JWK Set of Ed25519 keys: {error}") from error
    if any(k.as_dict().get("crv") != "Ed25519" or not k.kid for k in keys):
        raise ImproperlyConfigured(f"Every key in {file} must be an Ed25519 key with a kid.")
    private = [k for k in keys if k.is_private]
    chosen = [k for k in private if k.kid == current_id] if current_id else private[-1:]
    if not chosen:
        raise ImproperlyConfigured(
            f"{file} holds no private key"
            + (f" with the kid {current_id!r} (CREDENTIAL_KEY_ID)." if current_id else ".")
        )
    return KeySet(list[Key](keys)), chosen[0]


def keys() -> tuple[KeySet, OKPKey]:
    """(every key, the current signing key)."""
    return _load(str(settings.CREDENTIAL_KEYS_FILE), settings.CREDENTIAL_KEY_ID)


def signing_key() -> OKPKey:
    return keys()[1]


def public_jwks() -> dict[str, Any]:
    """The published key set: the public part of every key, current and old."""
    return {
        "keys": [
            {**k.as_dict(private=False), "use": "sig", "alg": ALGORITHM} for k in keys()[0].keys
        ]
    }


def key_set_from(document: dict[str, Any]) -> KeySet:
    """A saved JWKS (for verifying offline), public parts only."""
    return KeySet([cast(Key, OKPKey.import_key(k)) for k in document["keys"]])
