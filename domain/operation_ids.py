"""Operation ids: the ids this app mints, which ids are well-formed, and the id behind an Idempotency-Key.

Our ids always carry a prefix (`an-` minted, `idem-` derived), so they are never shaped like a Content
Understanding operation id (a GUID): a lookup can tell the two apart without asking anyone.
"""

from __future__ import annotations

import hashlib
import re
import uuid

# Anything a lookup accepts: durable instance ids we mint, and Content Understanding operation ids.
OPERATION_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
# Content Understanding operation ids are GUIDs; only these are worth a direct status check.
SERVICE_OPERATION_ID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
MINTED_PREFIX = "an-"
IDEMPOTENT_PREFIX = "idem-"


def new_operation_id() -> str:
    """A fresh operation id (the durable instance id): random, prefixed, never a bare GUID."""
    return MINTED_PREFIX + uuid.uuid4().hex


def is_well_formed_operation_id(operation_id: str) -> bool:
    return bool(OPERATION_ID_PATTERN.fullmatch(operation_id or ""))


def may_be_service_operation_id(operation_id: str) -> bool:
    """True for ids shaped like Content Understanding's (a GUID), never for ids this app mints or derives."""
    return bool(SERVICE_OPERATION_ID_PATTERN.fullmatch(operation_id or ""))


def idempotent_operation_id(idempotency_key: str, scope_key: str) -> str:
    """The same key in the same scope always names the same operation; different scopes never collide."""
    digest = hashlib.sha256(f"{scope_key}\n{idempotency_key}".encode()).hexdigest()
    return IDEMPOTENT_PREFIX + digest[:32]


def request_fingerprint(canonical_request: str) -> str:
    return hashlib.sha256(canonical_request.encode()).hexdigest()[:32]
