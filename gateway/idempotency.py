"""``Idempotency-Key`` on submit: the key's rules and the fingerprint of a request.

A retried submit is recognised by its key; whether it is the *same* request is
decided by a fingerprint of what was sent: each file field's SHA-256 and every
text field (not the multipart boundary, which a client draws anew for each try,
nor the client's file names). Same key and fingerprint within ``idempotency_ttl_s``:
the original job; same key, other fingerprint: 409.
"""

from __future__ import annotations

import hashlib
import json

from emocore.errors import Conflict, InvalidInput
from gateway.uploads import Upload

MAX_KEY_CHARS = 200


def check_key(key: str | None) -> str | None:
    """The key if usable (1-200 printable ASCII characters), else InvalidInput naming the problem."""
    if key is None:
        return None
    if len(key) > MAX_KEY_CHARS:
        raise InvalidInput(
            f"Idempotency-Key is {len(key)} characters long; at most {MAX_KEY_CHARS} are allowed",
            code="invalid_idempotency_key",
        )
    if not key or not all(" " <= c <= "~" for c in key):
        raise InvalidInput(
            "Idempotency-Key must be 1-200 printable ASCII characters (a UUID is a good choice)",
            code="invalid_idempotency_key",
        )
    return key


def fingerprint(upload: Upload) -> str:
    """SHA-256 over the request's content: file digests and text fields, by field name."""
    content = {
        "files": {name: f.digest.hexdigest() for name, f in sorted(upload.files.items())},
        "fields": dict(sorted(upload.fields.items())),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def reused(key: str) -> Conflict:
    return Conflict(
        f"Idempotency-Key {key[:60]!r} was already used for a different request; use a new key for a new video",
        code="idempotency_key_reused",
    )
