"""Entra token validation against a real JWKS endpoint (the simulator's Entra stand-in), time injected."""

from __future__ import annotations

import pytest

from auth.callers import AuthenticationError, caller_from_app_service_principal, caller_from_claims
from auth.entra_tokens import MIN_REFRESH_SECONDS, EntraTokenValidator
from tests.support import wait_until
from tools.simulator import start_simulator

TENANT = "00000000-0000-4000-8000-000000000001"
AUDIENCE = "api://content-analysis-tests"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def entra():
    with start_simulator(port=0, quiet=True) as sim:
        yield sim


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def validator(entra, clock):
    return EntraTokenValidator(TENANT, (AUDIENCE,), entra.issuer_base_url, clock=clock)


def token(entra, **claims):
    return entra.mint_token({"aud": AUDIENCE, "oid": "user-1", **claims}, tenant=TENANT)


def test_a_valid_token_names_the_caller_and_its_groups(entra, validator):
    claims = validator.validate(token(entra, groups=["g-1", "g-2"]))
    caller = caller_from_claims(claims)
    assert (caller.user_id, caller.groups) == ("user-1", frozenset({"g-1", "g-2"}))


@pytest.mark.parametrize(
    ("minted", "reason"),
    [
        (lambda e: e.mint_token({"aud": AUDIENCE, "oid": "u"}, tenant=TENANT, expires_in=-600), "expired"),
        (lambda e: e.mint_token({"aud": AUDIENCE, "oid": "u"}, tenant=TENANT, not_before_in=600), "not valid yet"),
        (lambda e: e.mint_token({"aud": "api://someone-else", "oid": "u"}, tenant=TENANT), "another audience"),
        (lambda e: e.mint_token({"aud": AUDIENCE, "oid": "u"}, key="rogue", tenant=TENANT), "signature"),
        (
            lambda e: e.mint_token({"aud": AUDIENCE, "oid": "u"}, tenant="11111111-0000-4000-8000-000000000001"),
            "another tenant",
        ),
        (lambda e: "not.a.jwt", "not a JWT"),
    ],
)
def test_bad_tokens_are_refused_with_a_reason(entra, validator, minted, reason):
    with pytest.raises(AuthenticationError) as refused:
        validator.validate(minted(entra))
    assert refused.value.code == "InvalidToken"
    assert reason in refused.value.message


def test_a_little_clock_skew_is_tolerated(entra, validator):
    early = entra.mint_token({"aud": AUDIENCE, "oid": "early"}, tenant=TENANT, not_before_in=30)
    late = entra.mint_token({"aud": AUDIENCE, "oid": "late"}, tenant=TENANT, expires_in=-30)
    assert caller_from_claims(validator.validate(early)).user_id == "early"  # our clock 30 s behind the issuer's
    assert caller_from_claims(validator.validate(late)).user_id == "late"  # or 30 s ahead


def test_keys_are_cached_and_refreshed_for_an_unknown_key_id_at_most_every_interval(entra, validator, clock):
    before = entra.stats()["jwks_calls"]
    for _ in range(3):
        validator.validate(token(entra))
    assert entra.stats()["jwks_calls"] == before + 1  # cached
    entra.rotate_signing_key()
    rotated = token(entra)
    with pytest.raises(AuthenticationError, match="unknown key"):
        validator.validate(rotated)  # a refresh right now is not allowed: a flood of made-up kids costs nothing
    assert entra.stats()["jwks_calls"] == before + 1
    clock.now += MIN_REFRESH_SECONDS
    validator.validate(rotated)  # the unknown kid triggers one refresh, which knows the new key
    assert entra.stats()["jwks_calls"] == before + 2


def test_the_app_service_principal_header_is_decoded():
    import base64
    import json

    document = {
        "auth_typ": "aad",
        "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        "claims": [
            {"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": "oid-7"},
            {"typ": "groups", "val": "g-1"},
            {"typ": "groups", "val": "g-2"},
            {"typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "val": "Analyst"},
        ],
    }
    caller = caller_from_app_service_principal(base64.b64encode(json.dumps(document).encode()).decode())
    assert (caller.user_id, caller.groups) == ("oid-7", frozenset({"g-1", "g-2"}))
    for bad in (None, "", "%%%", base64.b64encode(b'{"claims": 5}').decode()):
        with pytest.raises(AuthenticationError):
            caller_from_app_service_principal(bad)


def test_a_slow_keys_endpoint_never_delays_tokens_with_known_keys(entra, clock):
    """Item 4 of issue 16: one anonymous token with an unknown kid while the keys endpoint hangs used to hold a
    global lock for the whole download, so every valid token waited too."""
    import threading
    import time

    import requests

    release = threading.Event()
    calls = []

    def slow_fetch(url: str) -> dict:
        calls.append(url)
        if len(calls) > 1:  # the first fetch is quick; every refresh after it hangs until released
            release.wait(30)
        return requests.get(url, timeout=10).json()

    validator = EntraTokenValidator(
        TENANT, (AUDIENCE,), entra.issuer_base_url, fetch_json=slow_fetch, clock=clock, refresh_timeout_seconds=1.0
    )
    validator.validate(token(entra))  # keys loaded
    clock.now += MIN_REFRESH_SECONDS
    unknown_kid = token(entra).replace(token(entra).split(".")[0], _header_with_kid("made-up"), 1)
    outcome = {}

    def attacker():
        started = time.monotonic()
        try:
            validator.validate(unknown_kid)
        except AuthenticationError as exc:
            outcome["error"] = exc.message
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=attacker)
    thread.start()
    wait_until(lambda: len(calls) >= 2, timeout=10, interval=0.01, message="the refresh never started")
    assert len(calls) == 2  # the refresh is in flight and hanging
    try:
        started = time.monotonic()
        for _ in range(10):
            validator.validate(token(entra))  # known kid: no wait for the hanging refresh
        assert time.monotonic() - started < 0.5
        with pytest.raises(AuthenticationError, match="unknown key"):
            validator.validate(unknown_kid)  # a second unknown kid joins the fetch in flight, never starts another
        thread.join(5)
        assert "unknown key" in outcome["error"] and outcome["seconds"] < 3  # 401 after at most the timeout
        assert len(calls) == 2  # one fetch in flight at a time
    finally:
        release.set()


def _header_with_kid(kid: str) -> str:
    import base64
    import json

    header = json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode()
    return base64.urlsafe_b64encode(header).rstrip(b"=").decode()
