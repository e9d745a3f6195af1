"""Which operations and files a caller may touch: its scope.

A caller that sends X-Group-ID acts for that group, but only when its identity grants the group (its
`groups` claim); otherwise 403. Without the header the scope is the caller's own user id. Operations are
stored with their scope and are visible, cancellable and idempotent within it only. In AUTH_MODE=none
(local development) the header is trusted as sent and anonymous callers share one scope.
"""

from __future__ import annotations

import re

from domain.orchestration_data import Scope
from domain.refusal import Refusal

GROUP_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class ScopeError(Refusal):
    """400 for a malformed X-Group-ID, 403 for a group the identity does not grant."""


def scope_for(caller, group_header: str | None) -> Scope:
    """{"kind": "group" | "user" | "anonymous", "id": ...} for this caller and X-Group-ID header."""
    if group_header is not None:
        if not GROUP_ID_PATTERN.fullmatch(group_header):
            raise ScopeError(
                400, "InvalidGroupId", "X-Group-ID must be 1-128 characters of letters, digits, '_' or '-'."
            )
        if caller.anonymous or group_header in caller.groups:
            return {"kind": "group", "id": group_header}
        if caller.groups_overage:
            message = (
                "Your token lists too many groups to carry them (group overage); ask an administrator to emit "
                "only the groups assigned to the application, then sign in again."
            )
            raise ScopeError(403, "GroupNotGranted", message)
        raise ScopeError(403, "GroupNotGranted", "Your identity does not grant access to the group in X-Group-ID.")
    if caller.anonymous:
        return {"kind": "anonymous", "id": ""}
    return {"kind": "user", "id": str(caller.user_id)}


def scope_key(scope: Scope | None) -> str:
    """A stable text for a scope (idempotency ids, comparisons, the `scope` property of log records); never a
    token, only object ids."""
    scope = scope or {"kind": "anonymous", "id": ""}
    return f"{scope.get('kind')}:{scope.get('id')}"


def same_scope(stored: object, caller_scope: Scope) -> bool:
    return isinstance(stored, dict) and scope_key(stored) == scope_key(caller_scope)
