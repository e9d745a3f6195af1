"""Who is calling and in which scope: the first step of every endpoint, from the settings' AUTH_MODE."""

from __future__ import annotations

import asyncio

import azure.functions as func

from auth.callers import ANONYMOUS, Caller, bearer_token, caller_from_app_service_principal, caller_from_claims
from config.service_clients import token_validator
from config.settings import get_settings
from domain.caller_scope import check_permissions, scope_for

PRINCIPAL_HEADER = "X-MS-CLIENT-PRINCIPAL"


async def identify(req: func.HttpRequest) -> Caller:
    """The caller, or AuthenticationError (401): how depends on AUTH_MODE."""
    mode = get_settings().auth_mode
    if mode == "none":
        return ANONYMOUS
    if mode == "appservice":
        return caller_from_app_service_principal(req.headers.get(PRINCIPAL_HEADER))
    token = bearer_token(req.headers)
    claims = await asyncio.to_thread(token_validator().validate, token)  # may fetch the tenant's keys
    return caller_from_claims(claims)


async def caller_and_scope(req: func.HttpRequest) -> tuple[Caller, dict]:
    """(caller, scope) for this request; a Refusal (401 / 400 / 403) when it may not go on."""
    caller = await identify(req)
    settings = get_settings()
    check_permissions(caller, settings.auth_required_scopes, settings.auth_required_roles)
    return caller, scope_for(caller, req.headers.get("X-Group-ID"))
