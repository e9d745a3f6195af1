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


def check_permissions(caller, required_scopes: tuple[str, ...], required_roles: tuple[str, ...]) -> None:
    """403 unless a signed-in caller holds one of AUTH_REQUIRED_SCOPES (delegated `scp`) or AUTH_REQUIRED_ROLES.

    With neither set, a token must still carry some `scp` or role: an app-only token with neither (any app in
    the tenant can get one for our audience) is refused. Anonymous callers (AUTH_MODE=none) are not checked.
    """
    if caller.anonymous:
        return
    if required_scopes or required_roles:
        if caller.scopes & set(required_scopes) or caller.roles & set(required_roles):
            return
        wanted = [f"scope {s}" for s in required_scopes] + [f"role {r}" for r in required_roles]
        raise ScopeError(
            403, "PermissionMissing", f"Your token grants none of the permissions this API needs ({', '.join(wanted)})."
        )
    if not caller.scopes and not caller.roles:
        raise ScopeError(
            403,
            "PermissionMissing",
            "Your token carries no delegated scope (scp) and no app role; "
            "app-only tokens need an app role of this API.",
        )


def scope_key(scope: Scope | None) -> str:
    """A stable text for a scope (idempotency ids, comparisons, the `scope` property of log records); never a
    token, only object ids."""
    scope = scope or {"kind": "anonymous", "id": ""}
    return f"{scope.get('kind')}:{scope.get('id')}"


def same_scope(stored: object, caller_scope: Scope) -> bool:
    return isinstance(stored, dict) and scope_key(stored) == scope_key(caller_scope)
