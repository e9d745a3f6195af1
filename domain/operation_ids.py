"""Operation ids: which ids are well-formed, and the deterministic id behind an Idempotency-Key."""

from __future__ import annotations

import hashlib
import re

# Anything a lookup accepts: durable instance ids we mint, and Content Understanding operation ids.
OPERATION_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
# Content Understanding operation ids are GUIDs; only these are worth a direct status check.
SERVICE_OPERATION_ID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
IDEMPOTENT_PREFIX = "idem-"


def is_well_formed_operation_id(operation_id: str) -> bool:
    return bool(OPERATION_ID_PATTERN.fullmatch(operation_id or ""))


def may_be_service_operation_id(operation_id: str) -> bool:
    """True for ids shaped like Content Understanding's (a GUID), never for ids this app derives."""
    return bool(SERVICE_OPERATION_ID_PATTERN.fullmatch(operation_id or ""))


def idempotent_operation_id(idempotency_key: str, group_id: str | None) -> str:
    """The same key in the same group always names the same operation; different groups never collide."""
    digest = hashlib.sha256(f"{group_id or ''}\n{idempotency_key}".encode()).hexdigest()
    return IDEMPOTENT_PREFIX + digest[:40]


def request_fingerprint(canonical_request: str) -> str:
    return hashlib.sha256(canonical_request.encode()).hexdigest()[:32]
