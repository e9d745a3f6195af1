"""Identity is the trust boundary, over HTTP with real signed tokens (AUTH_MODE=entra; the simulator stands in
for Entra ID's keys): who may start, read and cancel which operations."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.helpers import ANALYZER, DOC, final_answer, instance_count

TENANT = "00000000-0000-4000-8000-000000000001"
AUDIENCE = "api://content-analysis-tests"
GROUP = "5f1c6a3e-1111-4000-8000-00000000000a"


def entra_settings(simulator_process, **extra: str) -> dict[str, str]:
    """A production host that takes Entra ID tokens, the simulator standing in for Entra ID's keys."""
    return {
        "AUTH_MODE": "entra",
        "AUTH_TENANT_ID": TENANT,
        "AUTH_AUDIENCES": AUDIENCE,
        "AUTH_AUTHORITY_HOST": simulator_process.ready_url,
        "AZURE_FUNCTIONS_ENVIRONMENT": "Production",
        **extra,
    }


@pytest.fixture
def entra_host(private_host, simulator_process):
    return private_host(**entra_settings(simulator_process))


@pytest.fixture
def mint(simulator_process):
    def token(key="trusted", expires_in=3600, **claims) -> dict:
        body = {"claims": {"aud": AUDIENCE, **claims}, "key": key, "tenant": TENANT, "expires_in": expires_in}
        answer = requests.post(f"{simulator_process.ready_url}/_sim/token", json=body, timeout=10)
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return token


def analyze(host, headers):
    url = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}:analyze"
    return requests.post(url, json={"inputFiles": [f"{DOC}?sim_duration=0.3"]}, headers=headers, timeout=10)


def test_a_signed_in_member_analyses_for_its_group_and_only_the_group_reads_it(entra_host, mint):
    alice = {**mint(oid="alice", groups=[GROUP]), "X-Group-ID": GROUP}
    started = analyze(entra_host, alice)
    assert started.status_code == 202, started.text
    url = f"{entra_host.ready_url}{started.json()['resultsEndpoint']}"
    assert final_answer(url, headers=alice).status_code == 200
    bob_in_group = {**mint(oid="bob", groups=[GROUP]), "X-Group-ID": GROUP}
    assert requests.get(url, headers=bob_in_group, timeout=10).status_code == 200  # the scope is the group
    alice_alone = mint(oid="alice", groups=[GROUP])  # no header: her own user scope
    assert requests.get(url, headers=alice_alone, timeout=10).status_code == 404
    outsider = {**mint(oid="eve", groups=["another-group"]), "X-Group-ID": GROUP}
    assert requests.get(url, headers=outsider, timeout=10).status_code == 403


@pytest.mark.parametrize(
    ("make_headers", "status", "code"),
    [
        (lambda mint: {}, 401, "MissingToken"),
        (lambda mint: {"Authorization": "Basic dXNlcjpwYXNz"}, 401, "MissingToken"),
        (lambda mint: mint(oid="u", expires_in=-600), 401, "InvalidToken"),
        (lambda mint: {**mint(oid="u"), "Authorization": mint(oid="u")["Authorization"] + "x"}, 401, "InvalidToken"),
        (lambda mint: mint(key="rogue", oid="u"), 401, "InvalidToken"),
        (lambda mint: {**mint(oid="u", groups=["other"]), "X-Group-ID": GROUP}, 403, "GroupNotGranted"),
    ],
)
def test_no_valid_identity_no_analysis(entra_host, mint, make_headers, status, code):
    before = instance_count(entra_host)
    answer = analyze(entra_host, make_headers(mint))
    assert answer.status_code == status
    assert answer.json()["code"] == code and isinstance(answer.json()["error"], str)
    if status == 401:
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert instance_count(entra_host) == before


def test_a_token_for_another_audience_is_refused(entra_host, simulator_process):
    body = {"claims": {"aud": "api://another-app", "oid": "u"}, "tenant": TENANT}
    token = requests.post(f"{simulator_process.ready_url}/_sim/token", json=body, timeout=10).json()["access_token"]
    answer = analyze(entra_host, {"Authorization": f"Bearer {token}"})
    assert (answer.status_code, answer.json()["code"]) == (401, "InvalidToken")
    assert "audience" in answer.json()["message"]


def test_an_app_only_token_of_any_app_in_the_tenant_is_refused(entra_host, mint):
    """Issue 16 item 10: a client-credentials token (no scp, no roles) of any app in the tenant was accepted."""
    before = instance_count(entra_host)
    refused = analyze(entra_host, mint(oid="some-app", scp=None))
    assert refused.status_code == 403
    assert refused.json()["code"] == "PermissionMissing"
    assert instance_count(entra_host) == before
    assert analyze(entra_host, mint(oid="daemon", scp=None, roles=["Analysis.Run"])).status_code == 202


def test_required_scopes_and_roles_are_enforced(private_host, simulator_process, mint):
    host = private_host(
        **entra_settings(simulator_process, AUTH_REQUIRED_SCOPES="Analysis.Run", AUTH_REQUIRED_ROLES="Analysis.Service")
    )
    assert analyze(host, mint(oid="u1", scp="Analysis.Run")).status_code == 202
    assert analyze(host, mint(oid="app", scp=None, roles=["Analysis.Service"])).status_code == 202
    for headers in (mint(oid="u2", scp="User.Read"), mint(oid="app2", scp=None, roles=["Other.Role"])):
        answer = analyze(host, headers)
        assert answer.status_code == 403
        assert "Analysis.Run" in answer.json()["message"]
